"""Integrate: the HTTP service of one model version, its metrics and its prediction log.

schema (request records from the data schema), model (which model, from where), app (the
FastAPI routes and limits), metrics (Prometheus), drift (the online drift window, fed
after each answer, and its gauges), predlog (what the monitor reads), server (uvicorn,
signals), bundle (what the image holds), canary and client (the packaged service checked
over HTTP).
"""
