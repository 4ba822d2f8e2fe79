"""The model card, generated from the pipeline's own report files and params.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.core.errors import DataError
from mlops.core.files import write_json
from mlops.registry.card import model_card

SHA = "c" * 40


@pytest.fixture
def reports(params, tmp_path: Path):
    """Params whose paths point at small report files in tmp_path."""
    paths = params.paths.model_copy(
        update={k: str(tmp_path / v) for k, v in params.paths.model_dump().items()}
    )
    p = params.model_copy(update={"paths": paths})
    write_json(paths.metrics, {"roc_auc": 0.9312345, "rows": 9699, "log_loss": 0.28})
    write_json(paths.runtime, {"latency_ms_p50": 1.5, "model_bytes": 123456})
    write_json(paths.training, {"model": "logistic_regression", "rows": 39143, "features": 11})
    write_json(paths.features, {
        "inputs": ["age", "sex", "race"], "numeric": ["age"], "categorical": ["sex", "race"],
        "dropped": {"fnlwgt": "excluded in params: survey weight"},
    })  # fmt: skip
    write_json(paths.slices, {
        "sex": {"groups": {"Male": {"n": 6000, "small": False, "accuracy": 0.84},
                           "Female": {"n": 3699, "small": False, "accuracy": 0.92}},
                "gaps": {"accuracy": 0.08, "roc_auc": None}},
        "race": {"groups": {"Other": {"n": 80, "small": True, "accuracy": 0.9}}, "gaps": {}},
        "empty": {"groups": {}, "gaps": {}},
    })  # fmt: skip
    return p


def test_the_card_states_what_the_reports_and_params_say(reports):
    card = model_card(reports, "v1.2.0", SHA)
    assert card.startswith("# Model card: model v1.2.0\n")
    assert f"- Commit: `{SHA}`" in card
    seed = reports.train.seed
    estimator = (
        f"- Estimator: `logistic_regression`, 11 features, trained on 39143 rows (seed {seed})"
    )
    assert estimator in card
    assert "- Target: `income`, positive class `>50K`" in card
    assert "- Test split: 20% of rows by a salted hash of `row_id`" in card
    assert "- Features used: age, sex, race" in card
    assert "- Columns not used: `fnlwgt` (excluded in params: survey weight)" in card
    assert "SIMULATED" in card  # params.yaml simulates arrival months


def test_metrics_and_runtime_are_tables_of_every_value(reports):
    card = model_card(reports, "v1.2.0", SHA)
    assert "| roc_auc | 0.9312 |" in card
    assert "| rows | 9699 |" in card
    assert "| log_loss | 0.2800 |" in card
    assert "| model_bytes | 123456 |" in card
    assert "| latency_ms_p50 | 1.5000 |" in card


def test_per_group_metrics_flag_small_groups_and_show_gaps(reports):
    card = model_card(reports, "v1.2.0", SHA)
    assert "### sex\n\n| group | n | accuracy |\n|---|---|---|" in card
    assert "| Female | 3699 | 0.9200 |" in card
    assert "| Other (small group) | 80 | 0.9000 |" in card
    assert "Largest gap between groups: accuracy 0.0800, roc_auc None" in card
    assert "### empty" not in card  # a slice without groups has nothing to show
    assert card.index("### race") < card.index("### sex")  # sorted


def test_without_simulated_months_the_card_does_not_say_so(reports):
    real_time = reports.model_copy(
        update={"ingest": reports.ingest.model_copy(update={"simulated_months": None})}
    )
    assert "SIMULATED" not in model_card(real_time, "v1.2.0", SHA)


def test_a_missing_report_is_a_data_error(reports):
    Path(reports.paths.slices).unlink()
    with pytest.raises(DataError, match=r"slices\.json: file not found"):
        model_card(reports, "v1.2.0", SHA)
