"""Data stages: ingest (source -> data/), schema and validate, prepare (clean + split)."""
