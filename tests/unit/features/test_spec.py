"""features.json as the train stage reads it: round trip, and malformed files refused."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mlops.core.errors import DataError
from mlops.core.files import write_json
from mlops.features.spec import FeatureSpec, load_feature_spec


def test_round_trip_of_what_featurize_writes(tmp_path: Path):
    selection = {
        "inputs": ["age", "hours", "colour", "fnlwgt_not_used"],
        "numeric": ["age", "hours"],
        "categorical": ["colour"],
        "dropped": {"fnlwgt_not_used": "constant"},
    }
    path = tmp_path / "features.json"
    write_json(path, selection)
    spec = load_feature_spec(path)
    assert spec == FeatureSpec(
        ("age", "hours", "colour", "fnlwgt_not_used"), ("age", "hours"), ("colour",)
    )
    assert spec.columns == selection["inputs"]  # the model takes its raw inputs
    assert spec.features == ["age", "hours", "colour"]  # numeric first


def test_a_spec_is_immutable():
    spec = FeatureSpec(("a",), ("a",), ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.inputs = ("b",)  # type: ignore[misc]


@pytest.mark.parametrize(
    "content",
    [
        {"inputs": ["a"], "numeric": ["a"]},  # no categorical
        {"inputs": None, "numeric": [], "categorical": []},
        ["inputs", "numeric", "categorical"],
        "features",
    ],
)
def test_a_malformed_file_is_one_line_naming_it(tmp_path: Path, content):
    path = tmp_path / "features.json"
    path.write_text(json.dumps(content))
    with pytest.raises(DataError, match=f"^{path}: not a feature selection"):
        load_feature_spec(path)


def test_missing_or_broken_json_is_a_data_error(tmp_path: Path):
    with pytest.raises(DataError, match="file not found"):
        load_feature_spec(tmp_path / "features.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(DataError, match="not valid JSON"):
        load_feature_spec(broken)
