"""params.yaml loading: strict, typed, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlops.core.config import load_params, parse_params
from mlops.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def raw_params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_default_params_load_with_every_section():
    p = load_params(ROOT / "params.yaml")
    assert p.train.model == "hist_gradient_boosting"
    assert p.prepare.test_fraction == 0.2
    assert p.data.slices == ["sex", "race"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r.update(trian={}), r"trian: unknown key \(did you mean 'train'\?\)$"),
        (lambda r: r["train"]["hist_gradient_boosting"].update(max_depht=3),
         r"train\.hist_gradient_boosting\.max_depht: unknown key"),
        (lambda r: r["prepare"].update(test_fraction=1.5), r"test_fraction: .*less than 1"),
        (lambda r: r["train"].update(seed="42"), r"train\.seed: .*valid integer"),
        (lambda r: r["train"].update(model="xgboost"), r"train\.model: .*'xgboost'"),
        (lambda r: r["evaluate"].pop("threshold"), r"evaluate\.threshold: required key is missing"),
        (lambda r: r["data"].update(target="row_id"), r"data: .*must be different columns"),
        (lambda r: r["ingest"]["simulated_months"].update(start="2025-13"), r"start: .*pattern"),
    ],
)  # fmt: skip
def test_bad_params_name_the_key(mutate, expected):
    raw = raw_params()
    mutate(raw)
    with pytest.raises(ConfigError, match=expected) as info:
        parse_params(raw)
    assert "\n" not in str(info.value)


def test_not_a_mapping_and_broken_yaml(tmp_path):
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse_params(["a", "list"])
    broken = tmp_path / "params.yaml"
    broken.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match=r"params\.yaml: line \d+: not valid YAML"):
        load_params(broken)
    broken.write_text("threads: 1\n\tseed: 2\n")  # the message names the tab (not libyaml's)
    with pytest.raises(ConfigError, match=r"line 2: not valid YAML \(found character '\\t'"):
        load_params(broken)
    with pytest.raises(ConfigError, match="file not found"):
        load_params(tmp_path / "missing.yaml")
    broken.write_bytes(b"threads: 1 # caf\xe9\n")  # Latin-1, not UTF-8
    with pytest.raises(ConfigError, match=r"params\.yaml: byte 16: not UTF-8 text$"):
        load_params(broken)
    with pytest.raises(ConfigError, match=r": cannot read \(Is a directory\)$"):
        load_params(tmp_path)


def test_params_objects_are_frozen():
    p = load_params(ROOT / "params.yaml")
    with pytest.raises(ValueError, match="frozen"):
        p.train.seed = 1  # type: ignore[misc]
