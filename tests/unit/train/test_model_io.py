"""skops files: byte-reproducible, loadable, and refusing anything outside the allowlist."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from mlops.core.errors import DataError
from mlops.features.engineer import engineering_step
from mlops.train.model_io import canonical_bytes, load_model, save_model, sio


def test_two_saves_of_the_same_model_are_identical(fitted, tmp_path):
    model, _ = fitted
    a, b = tmp_path / "a.skops", tmp_path / "b.skops"
    save_model(model, a)
    save_model(model, b)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in z.infolist())
        assert z.namelist() == sorted(z.namelist())


def test_canonical_form_round_trips(fitted, test_frame_small, tmp_path):
    model, _ = fitted
    path = tmp_path / "m.skops"
    save_model(model, path)
    loaded = load_model(path)
    assert np.array_equal(
        loaded.predict_proba(test_frame_small), model.predict_proba(test_frame_small)
    )
    assert canonical_bytes(path.read_bytes()) == path.read_bytes()  # idempotent


@pytest.fixture
def test_frame_small(splits, feature_spec):
    from mlops.data.prepare import read_split

    return read_split(splits[1]).head(100)[feature_spec.columns]


def _shout(x):
    return x


def test_untrusted_types_are_refused(tmp_path):
    path = tmp_path / "evil.skops"
    path.write_bytes(sio.dumps(Pipeline([("f", FunctionTransformer(_shout))])))
    with pytest.raises(DataError, match=r"refusing to load untrusted type .*_shout"):
        load_model(path)


def test_not_a_model_file(tmp_path):
    path = tmp_path / "junk.skops"
    path.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a skops model file"):
        load_model(path)
    with pytest.raises(DataError, match="model file not found"):
        load_model(tmp_path / "absent.skops")


def test_a_scikit_learn_class_no_model_type_declares_is_refused(tmp_path):
    """skops trusts every scikit-learn estimator by default; here only declared ones."""
    path = tmp_path / "svm.skops"
    path.write_bytes(sio.dumps(Pipeline([("engineer", engineering_step()), ("svm", SVC())])))
    with pytest.raises(DataError, match=r"refusing to load untrusted type sklearn\.svm.*SVC"):
        load_model(path)


@pytest.mark.parametrize("first", ["", "import skops.io"])
def test_skops_trusts_no_scikit_learn_estimator_whatever_imported_it_first(first, tmp_path):
    """In a fresh process: imported through model_io, skops does not scan scikit-learn
    (it imports every module of it), and whichever import came first, its default trust
    holds no scikit-learn estimator."""
    script = textwrap.dedent(
        f"""
        import sys
        {first}
        from mlops.train import model_io
        from skops.io._trusted_types import SKLEARN_ESTIMATOR_TYPE_NAMES
        print(SKLEARN_ESTIMATOR_TYPE_NAMES, "sklearn.gaussian_process" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["[]", "True" if first else "False"]
