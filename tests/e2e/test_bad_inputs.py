"""Bad input, end to end: each kind of broken data or params gives one clear line, a
non-zero exit, and leaves the previous good outputs and dvc.lock exactly as they were."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from support.repos import mlops, run

pytestmark = pytest.mark.e2e

KEPT = ["dvc.lock", "models/model.skops", "reports/metrics.json", "reports/validation.json",
        "build/train.csv", "reports/features.json"]  # fmt: skip
SNAPSHOT = "data/snapshot.csv"


def digest(repo: Path) -> dict[str, str]:
    return {name: hashlib.sha256((repo / name).read_bytes()).hexdigest() for name in KEPT}


def edit_snapshot(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        path = repo / SNAPSHOT
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        path.unlink()  # never write through a link into the DVC cache
        change(frame).to_csv(path, index=False, lineterminator="\n")

    return apply


def write_snapshot(content: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        path = repo / SNAPSHOT
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(content(data))

    return apply


def edit_params(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        raw = yaml.safe_load((repo / "params.yaml").read_text())
        change(raw)
        (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))

    return apply


def _set(column: str, rows: slice | list[int], value: str):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame.index[rows], column] = value
        return frame

    return change


# Rows are named by position; the messages name their row_id (the default snapshot holds
# the months up to 2025-06, so row ids are not positions: the 8th row is row_id 15).
CASES = {
    "missing column": (edit_snapshot(lambda f: f.drop(columns=["sex"])), "validate",
                       r"column 'sex': required column is missing"),
    "wrong dtype": (edit_snapshot(_set("age", [7], "forty")), "validate",
                    r"column 'age': rule coerce_dtype\('Int64'\) fails: 1 rows, e\.g\. row_id 15 with 'forty'"),
    "unknown category": (edit_snapshot(_set("workclass", [11, 12], "Astronaut")), "validate",
                         r"column 'workclass': rule isin\(.*\) fails: 2 rows, e\.g\. row_id 21, 23"),
    "all-missing column": (edit_snapshot(_set("occupation", slice(None), "")), "validate",
                           r"column 'occupation': 100\.0% of cells missing, more than validate\.max_missing_rate=10%"),
    "empty file": (write_snapshot(lambda b: b""), "validate", r"data/snapshot\.csv: file is empty"),
    "truncated file": (write_snapshot(lambda b: b[: len(b) // 2]), "validate",
                       r"data/snapshot\.csv: last line has no line end: file truncated\?"),
    "duplicated ids": (edit_snapshot(_set("row_id", [5, 6], "10")), "validate",  # the 5th row's id
                       r"column 'row_id': rule field_uniqueness fails: 3 rows, e\.g\. row_id 10, 10, 10"),
    "unexpected label value": (edit_snapshot(_set("income", [20], ">50K.")), "validate",
                               r"column 'income': rule isin\(\['<=50K', '>50K'\]\) fails: 1 rows, e\.g\. row_id 44 with '>50K\.'"),
    "missing target": (edit_snapshot(_set("income", [30, 31], "")), "validate",
                       r"column 'income': rule not_nullable fails: 2 rows, e\.g\. row_id 60, 61"),
    "out-of-range number": (edit_snapshot(_set("age", [40], "250")), "validate",
                            r"column 'age': rule in_range\(16, 100\) fails: 1 rows, e\.g\. row_id 79 with 250"),
    "unknown params key": (edit_params(lambda r: r["train"]["hist_gradient_boosting"].update(max_depht=3)),
                           "train", r"params\.yaml: train\.hist_gradient_boosting\.max_depht: unknown key"),
    "out-of-range param": (edit_params(lambda r: r["prepare"].update(test_fraction=1.5)), "prepare",
                           r"params\.yaml: prepare\.test_fraction: Input should be less than 1 \(got 1\.5\)"),
    "wrong param type": (edit_params(lambda r: r["train"]["hist_gradient_boosting"].update(learning_rate="fast")),
                         "train", r"params\.yaml: train\.hist_gradient_boosting\.learning_rate: Input should be a valid number"),
    "header only": (write_snapshot(lambda b: b.split(b"\n")[0] + b"\n"), "validate",
                    r"data/snapshot\.csv: file has a header but no rows"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_clearly_and_keeps_earlier_outputs(case, pipeline_copy):
    mutate, stage, pattern = CASES[case]
    repo = pipeline_copy
    before = digest(repo)
    mutate(repo)

    direct = mlops(repo, stage)  # the stage's command (in this process: no 14 starts)
    assert direct.returncode == 2, direct.stderr
    lines = direct.stderr.strip().splitlines()
    assert len(lines) == 1, direct.stderr
    assert re.search(rf"^mlops {stage}: error: .*{pattern}", lines[0]), lines[0]

    repro = run(["dvc", "repro"], repo, check=False)
    assert repro.returncode != 0
    assert re.search(pattern, repro.stdout + repro.stderr)
    assert digest(repo) == before


def test_typo_in_a_section_no_stage_reads_still_fails_make_repro(pipeline_copy):
    repo = pipeline_copy
    edit_params(lambda r: r.update(trian={"seed": 1}))(repo)
    # RUN= runs the tools from PATH (this checkout's venv) instead of `uv run` in the copy.
    result = run(["make", "repro", "RUN="], repo, check=False)
    assert result.returncode != 0
    assert "mlops check-params: error: params.yaml: trian: unknown key" in result.stderr
    assert "Running stage" not in result.stdout
