"""Plot data of one model on labelled rows: ROC, precision-recall, calibration and the
confusion pairs. Each table is a CSV under `paths.plots`, named by PLOT_FILES (dvc.yaml's
`plots:` names the same files; a test keeps the two in step)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve

from mlops.core.config import Evaluate

# Every plot file the evaluate stage writes, by table name.
PLOT_FILES = {
    name: f"{name}.csv" for name in ("roc", "pr", "calibration", "confusion", "importance")
}


def plot_data(y: np.ndarray, proba: np.ndarray, cfg: Evaluate) -> dict[str, pd.DataFrame]:
    """Small, fixed-size curves: interpolated on a grid so the files stay a few KB."""
    grid = np.linspace(0.0, 1.0, cfg.curve_points)
    fpr, tpr, _ = roc_curve(y, proba)
    precision, recall, _ = precision_recall_curve(y, proba)
    order = np.argsort(recall, kind="stable")
    # Interpolated precision: the best precision reachable at recall >= r.
    best = np.maximum.accumulate(precision[order][::-1])[::-1]
    prob_true, prob_pred = calibration_curve(
        y, proba, n_bins=cfg.calibration_bins, strategy="uniform"
    )
    predicted = (proba >= cfg.threshold).astype(int)
    return {
        "roc": pd.DataFrame({"fpr": grid, "tpr": np.interp(grid, fpr, tpr)}),
        "pr": pd.DataFrame({"recall": grid, "precision": np.interp(grid, recall[order], best)}),
        "calibration": pd.DataFrame({"mean_predicted": prob_pred, "fraction_positive": prob_true}),
        "confusion": pd.DataFrame({"actual": y.astype(int), "predicted": predicted}),
    }
