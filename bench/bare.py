"""The pipeline's compute done bare, in ONE Python process: the floor `make bench` compares
the cold `dvc repro` with.

Reads the snapshot, splits it by the same BLAKE2b hash of the row id, fits the same
gradient boosting (same columns, encoding and hyperparameters as params.yaml and
reports/features.json say), predicts the test split and prints its ROC AUC, which must
equal the pipeline's. No validation, no feature selection, no files written, no
evaluation beyond the AUC: what is left of the pipeline when every promise it makes
(checked data, recorded reasons, reproducible files, metrics by slice, plots, latency)
is dropped.

    python bench/bare.py [REPO]      # run in a repository whose pipeline ran once
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sys
import time
from pathlib import Path

START = time.perf_counter()
os.environ.setdefault("OMP_NUM_THREADS", "1")  # as `threads: 1` gives the stages
# As the `mlops` program treats its collector (src/mlops/core/startup.py): off while
# importing, what the imports made frozen, everything frozen at the end. The floor gets
# every saving the pipeline gets that is not about the pipeline.
gc.disable()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.preprocessing import OrdinalEncoder  # noqa: E402

gc.freeze()
gc.enable()


def main(repo: Path) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    data, hp = params["data"], params["train"]["hist_gradient_boosting"]
    features = json.loads((repo / params["paths"]["features"]).read_text())
    frame = pd.read_csv(repo / params["paths"]["snapshot"], keep_default_na=False, na_values=[""])
    prefix = f"split:{params['prepare']['split_salt']}:".encode()
    hashed = [
        int.from_bytes(hashlib.blake2b(prefix + str(v).encode(), digest_size=8).digest(), "big")
        for v in frame[data["id_column"]].tolist()
    ]
    in_test = np.asarray(hashed, dtype=np.float64) / 2.0**64 < params["prepare"]["test_fraction"]
    y = (frame[data["target"]] == data["positive_label"]).to_numpy(dtype=np.int64)
    numeric, categorical = features["numeric"], features["categorical"]
    X = frame[numeric + categorical]
    encode = ColumnTransformer(
        [("n", "passthrough", numeric),
         ("c", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                              encoded_missing_value=np.nan), categorical)],
    )  # fmt: skip
    model = HistGradientBoostingClassifier(
        **hp,
        categorical_features=[False] * len(numeric) + [True] * len(categorical),
        random_state=params["train"]["seed"],
    )
    model.fit(encode.fit_transform(X[~in_test]), y[~in_test])
    proba = model.predict_proba(encode.transform(X[in_test]))[:, 1]
    auc = roc_auc_score(y[in_test], proba)
    print(f"bare: ROC AUC {auc:.4f} on {int(in_test.sum())} test rows, "
          f"{time.perf_counter() - START:.2f} s in one process (imports included)")  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
    gc.freeze()
