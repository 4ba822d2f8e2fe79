"""train/models/: the model types are discovered (one module each, nothing else to edit)
and params.yaml is checked against them; then the default model trained on the default
data, tested in the spirit of Google's ML test list: sane outputs, behaviour.

Each model type's own tests: train/models/test_<type>.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from mlops.core.config import load_params, parse_params
from mlops.core.errors import ConfigError
from mlops.core.strict import Strict
from mlops.data.prepare import read_split
from mlops.evaluate.metrics import quality
from mlops.train import models
from mlops.train.models import model_types
from support.repos import ROOT

# --- discovery -------------------------------------------------------------------------


def test_every_module_of_the_folder_is_a_model_type():
    folder = Path(models.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    assert modules >= {"hist_gradient_boosting", "logistic_regression"}
    assert set(model_types()) == modules


def test_each_model_type_declares_its_section_factory_and_trusted_types():
    for name, kind in model_types().items():
        assert kind.name == name
        assert issubclass(kind.hyperparameters, Strict), name
        assert callable(kind.build), name
        assert all(isinstance(t, str) and "." in t for t in kind.trusted_types), name


def test_a_new_module_in_the_folder_is_discovered(tmp_path: Path, monkeypatch):
    """Adding a model type is one module: nothing registers it by hand."""
    (tmp_path / "tiny_forest.py").write_text(
        "from mlops.core.strict import Strict\n"
        "class Hyperparameters(Strict):\n    trees: int\n"
        "def build(spec, hp, seed):\n    raise NotImplementedError\n"
        "TRUSTED_TYPES = frozenset({'sklearn.tree._tree.Tree'})\n"
    )
    (tmp_path / "_helpers.py").write_text("x = 1\n")  # private modules are not model types
    monkeypatch.setattr(models, "__path__", [*models.__path__, str(tmp_path)])
    model_types.cache_clear()
    try:
        found = model_types()
        assert "tiny_forest" in found
        assert "_helpers" not in found
        assert found["tiny_forest"].trusted_types == {"sklearn.tree._tree.Tree"}
    finally:
        monkeypatch.undo()
        model_types.cache_clear()
        sys.modules.pop(f"{models.__name__}.tiny_forest", None)
    assert "tiny_forest" not in model_types()


def test_params_sections_are_each_model_types_hyperparameters():
    p = load_params(ROOT / "params.yaml")
    for name, kind in model_types().items():
        assert isinstance(getattr(p.train, name), kind.hyperparameters), name
    assert p.train.hyperparameters is getattr(p.train, p.train.model)


def _raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_params_reject_an_unknown_model_type_naming_the_known_ones():
    raw = _raw()
    raw["train"]["model"] = "xgboost"
    with pytest.raises(ConfigError, match=r"train\.model: .*unknown model type 'xgboost'; known: "
                       r"hist_gradient_boosting, lightgbm, logistic_regression"):  # fmt: skip
        parse_params(raw)


def test_params_reject_a_chosen_model_without_its_section():
    raw = _raw()
    raw["train"]["model"] = "logistic_regression"
    del raw["train"]["logistic_regression"]
    with pytest.raises(
        ConfigError, match=r"model 'logistic_regression' is chosen but train\.logistic_regression"
    ):
        parse_params(raw)
    # A section that is not chosen may be left out.
    raw["train"]["model"] = "hist_gradient_boosting"
    assert parse_params(raw).train.logistic_regression is None


def test_checking_params_does_not_import_scikit_learn():
    """Model modules import scikit-learn inside build(): `check-params` stays fast."""
    code = (
        "import sys; from mlops.core.config import load_params; load_params('params.yaml');"
        "print(sorted(m for m in ('sklearn', 'pandas', 'dvc', 'gto') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


# --- the default model on the default data ---------------------------------------------


@pytest.fixture(scope="module")
def test_frame(splits):
    return read_split(splits[1])


def test_quality_floor_and_no_nan(fitted, test_frame, feature_spec):
    model, _ = fitted
    proba = model.predict_proba(test_frame[feature_spec.columns])[:, 1]
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert quality(test_frame["income"], proba, 0.5)["roc_auc"] >= 0.92


def test_directional_capital_gain_raises_the_score(fitted, test_frame, feature_spec):
    model, _ = fitted
    rows = test_frame[test_frame["capital_gain"] == 0].head(300)[feature_spec.columns]
    before = model.predict_proba(rows)[:, 1]
    after = model.predict_proba(rows.assign(capital_gain=15_000))[:, 1]
    assert (after >= before).mean() > 0.95


def test_invariant_to_columns_that_are_not_features(fitted, test_frame):
    model, _ = fitted
    rows = test_frame.head(200)
    moved = rows.assign(row_id=rows["row_id"] + 10**6, month="2030-01")
    assert np.array_equal(model.predict_proba(rows)[:, 1], model.predict_proba(moved)[:, 1])


def test_unseen_category_and_missing_values_still_score(fitted, test_frame, feature_spec):
    model, _ = fitted
    rows = test_frame.head(50)[feature_spec.columns].copy()
    rows["occupation"] = "Astronaut"
    rows["age"] = np.nan
    proba = model.predict_proba(rows)[:, 1]
    assert np.isfinite(proba).all()
