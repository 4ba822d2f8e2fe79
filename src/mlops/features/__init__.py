"""Select features: which columns the model learns from, and why the others are out.

spec      FeatureSpec: the model's input columns and its selected features (features.json)
engineer  the feature-engineering hook, run inside the model     <- a forker edits here
select    the featurize stage: keep or drop each column with a recorded reason
"""
