"""Collect and prepare: the data, from its source to the train and test splits.

ingest    collect: read `ingest.sources`, normalise, add row id and (simulated) month
fetch     get-data: the snapshot from the DVC remote, else rebuilt and checked by hash
schema    the snapshot's contract: columns, types, ranges, categories   <- a forker edits
validate  the validate stage: schema and quality rules, one-line errors
prepare   the prepare stage: label to 0/1, split by a hash of the row id
"""
