"""Monitor and maintain: is the production model still right for the data that arrives,
and if not, the retraining pull request.

simulate   `mlops simulate`: a month of new rows, as they are or with a seeded drift
current    the rows to judge: a batch CSV, a folder of batches, or the prediction log
reference  the production model and the rows it was trained on (by hash, as the review)
drift      distances per input feature and for the scores (SciPy), data quality rates
performance decay: quality on labelled new rows vs held-out rows, bootstrap CIs
verdict    thresholds of `monitor:` -> reasons -> drift / retrain
report     the markdown report with Mermaid charts (the retraining PR's body)
stage      `mlops monitor`: all of the above, written to reports/monitor.{json,md}
retrain    the monitor workflow's steps: the next month's batch; append, retrain, PR
online     drift the serving process computes over a rolling window (Prometheus gauges)
"""
