"""`mlops simulate`: real rows of a month, and each scenario changes what it says it
changes and nothing else; seeded."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops.core.errors import DataError
from mlops.monitor.simulate import month_rows, simulate, write_batch


def test_none_is_the_months_real_rows(params, source_rows):
    batch = simulate(params, "2025-09", "none", rows=source_rows)
    expected = source_rows[source_rows["month"] == "2025-09"].reset_index(drop=True)
    pd.testing.assert_frame_equal(batch, expected)
    assert len(batch) > 3000


def test_same_command_same_bytes_and_the_seed_matters(params, source_rows, tmp_path):
    first, again, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_batch(params, "2025-07", "concept", first)  # reads the source itself
    write_batch(params, "2025-07", "concept", again, rows=source_rows)
    write_batch(params, "2025-07", "concept", other, seed=1, rows=source_rows)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert first.read_text().splitlines()[0].startswith("row_id,month,age,")


def test_covariate_moves_the_inputs_not_the_row_count(params, source_rows):
    real = simulate(params, "2025-07", "none", rows=source_rows)
    aged = simulate(params, "2025-07", "covariate", rows=source_rows)
    assert len(aged) == len(real)
    assert aged["age"].mean() > real["age"].mean() + 5
    assert set(aged["row_id"]) <= set(real["row_id"])  # resampled real rows


def test_prior_moves_the_positive_rate(params, source_rows):
    batch = simulate(params, "2025-07", "prior", rows=source_rows)
    rate = (batch["income"] == ">50K").mean()
    assert rate == pytest.approx(params.monitor.simulate.prior_positive_rate, abs=0.03)


def test_concept_keeps_inputs_and_positive_rate_and_moves_labels(params, source_rows):
    real = simulate(params, "2025-07", "none", rows=source_rows)
    moved = simulate(params, "2025-07", "concept", rows=source_rows)
    pd.testing.assert_frame_equal(moved.drop(columns="income"), real.drop(columns="income"))
    assert moved["income"].value_counts().equals(real["income"].value_counts())
    changed = (moved["income"] != real["income"]).mean()
    assert 0.1 < changed < 0.5  # half the rows permuted; a permuted label may land the same


def test_quality_breaks_cells_but_not_ids_months_or_labels(params, source_rows):
    real = simulate(params, "2025-07", "none", rows=source_rows)
    broken = simulate(params, "2025-07", "quality", rows=source_rows)
    for column in ("row_id", "month", "income"):
        assert broken[column].equals(real[column])
    assert broken["age"].isna().mean() > 0.05
    assert broken["age"].max() > 1000  # times 100: a unit error
    assert broken["workclass"].dropna().str.isupper().mean() > 0.05  # "PRIVATE"


def test_bad_requests_are_one_line_errors(params, source_rows):
    with pytest.raises(
        DataError,
        match=r"month 2026-01: no rows in ingest.sources \(months there: 2025-01 to 2025-12\)",
    ):
        month_rows(params, "2026-01", source_rows)
    with pytest.raises(DataError, match="scenario 'typo'"):
        simulate(params, "2025-07", "typo", rows=source_rows)
    cfg = params.monitor.simulate.model_copy(update={"covariate_column": "height"})
    odd = params.model_copy(update={"monitor": params.monitor.model_copy(update={"simulate": cfg})})
    with pytest.raises(DataError, match="covariate_column: column 'height' is not in the data"):
        simulate(odd, "2025-07", "covariate", rows=source_rows)
