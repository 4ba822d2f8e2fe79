"""Validate the model: how good, for whom, how fast. The review compares two models with
the same library.

metrics  quality metrics and which direction is better
predict  the one function that scores rows with a model (evaluate, review and serving)
slices   per-group metrics and between-group gaps (the numbers of fairlearn's MetricFrame)
curves   ROC, PR, calibration and confusion plot data, and their file names
stage    the evaluate stage: all of the above plus importance, latency and size
"""
