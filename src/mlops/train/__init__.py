"""Train: fit the chosen model type and save it, byte-reproducibly, without pickle.

models/   one module per model type: typed hyperparameters + Pipeline factory  <- a forker adds one
fit       the train stage: fit on the train split, write the model and its fit facts
model_io  skops save (canonical bytes) and load (an allow-list of types, never pickle)
"""
