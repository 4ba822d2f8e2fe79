"""Scale benchmark: the whole loop on a bootstrapped Adult of ROWS rows. `make bench-scale
ROWS=10000000`; not part of the tests. Run it niced on a shared machine.

The data set: the 48,842 real Adult rows (copy 0, unchanged) plus rows drawn from them
with replacement and jittered (age and hours +-2, capital amounts and fnlwgt +-10 %;
categories and education kept, so education-num stays its one-to-one twin). Every row
keeps its SOURCE row id in `source_id`, set as `data.group_column`, so the split hashes
the source id and copies of one row never straddle train and test; quality is also
reported on the real rows of the test split only (the same rows as the default test
split), where it must match the default pipeline's.

The loop runs as the pipeline runs it, one process per stage (`mlops <stage>`), with the
source as Parquet (CSV stays an accepted source; at this size its text parsing dominates)
and Parquet intermediate files (`paths:` ending in .parquet). Then `dvc commit` records
and caches every output (what `dvc repro` adds to the stages), the commit becomes `main`
and the review compares the model with itself (an identical retrain: the champion comes
from the DVC cache, and both are scored on the whole test split). End to end is the loop
as a PR runs it: the stages, `dvc commit` and `mlops review` (gate.json and report.md
from one comparison, what pr.yml runs); `mlops gate` and `mlops report`, the same two
outputs as two processes that each score both models, are timed too, for comparison.

Printed per size: seconds and peak resident memory per step, the fit's own time (the
`fit()` call, from reports/training.json) and its own peak (a process that only reads
the train split and fits), and the ratios the goals are stated in:
end to end <= 2x the fit's time, peak <= 1.5x the fit's peak. With several sizes, the
growth exponent k of each step between consecutive sizes (time ~ rows^k).

    python bench/scale.py --rows 100000 1000000 10000000
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from pipeline import measured  # noqa: E402  (bench/, beside this file)

from support.repos import make_clone  # noqa: E402  (the clone the tests use)

LOOP = ["ingest", "validate", "prepare", "featurize", "train", "evaluate"]
# what `mlops review` writes, as two processes that each score both models (for comparison)
GATE_AND_REPORT = ["gate", "report"]

FIT_ONLY = """
import sys, time
from mlops.core.config import load_params
from mlops.features.spec import load_feature_spec
from mlops.train.fit import fit
p = load_params()
model, facts = fit(p.paths.train, load_feature_spec(p.paths.features), p.data, p.train)
print(facts["fit_seconds"])
"""

REAL_QUALITY = """
import sys
from sklearn.metrics import roc_auc_score
from mlops.core.config import load_params
from mlops.data.prepare import read_split
from mlops.evaluate.predict import predict
from mlops.train.model_io import load_model
p = load_params()
test = read_split(p.paths.test)
real = test[test[p.data.id_column] < int(sys.argv[1])]
auc = roc_auc_score(real[p.data.target], predict(load_model(p.paths.model), real))
print(f"{auc:.4f} {len(real)}")
"""


def source_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """Real Adult rows first, then bootstrapped, jittered copies; typed, as Parquet holds."""
    from mlops.core.config import load_params
    from mlops.data.ingest import ingest

    params = load_params(ROOT / "params.yaml")
    cfg = params.ingest.model_copy(
        update={"sources": [str(ROOT / s) for s in params.ingest.sources]}
    )
    with tempfile.TemporaryDirectory() as tmp:
        real = ingest(cfg, params.data, Path(tmp) / "adult.csv")
    real = real.drop(columns=[params.data.id_column, params.data.time_column])
    n = len(real)
    rng = np.random.default_rng(seed)
    source = np.concatenate([np.arange(min(n, rows)), rng.integers(0, n, max(0, rows - n))])
    frame = real.iloc[source].reset_index(drop=True)
    copies = np.arange(len(frame)) >= n
    k = int(copies.sum())

    def jitter_int(column: str, low: int, high: int, spread: int) -> None:
        values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        values[copies] += rng.integers(-spread, spread + 1, k)
        frame[column] = pd.array(np.clip(values, low, high).round(), dtype="Int64")

    def jitter_scale(column: str, high: int) -> None:
        values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
        values[copies] *= rng.uniform(0.9, 1.1, k)
        frame[column] = pd.array(np.clip(values, 0, high).round(), dtype="Int64")

    jitter_int("age", 17, 90, 2)
    jitter_int("hours_per_week", 1, 99, 2)
    jitter_scale("capital_gain", 99_999)
    jitter_scale("capital_loss", 99_999)
    jitter_scale("fnlwgt", 10_000_000)
    frame["fnlwgt"] = frame["fnlwgt"].clip(lower=1)
    frame.insert(0, "row_id", np.arange(len(frame), dtype=np.int64))
    frame.insert(1, "source_id", source.astype(np.int64))
    return frame


def scale_params(repo: Path, source: Path) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params["paths"].update(
        snapshot="data/snapshot.parquet", train="build/train.parquet", test="build/test.parquet"
    )
    params["ingest"].update(
        sources=[str(source)], columns=None, read_csv={}, missing_values=[], replace={},
        id_column="row_id", until_month=None,
    )  # fmt: skip
    params["data"]["group_column"] = "source_id"
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def run(args: list[str], repo: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, int, str]:
    """Seconds, peak RSS (MiB) and stdout of one process; stderr (progress bars on a
    terminal) passes through."""
    seconds, _, peak, out = measured(args, repo, ok, stderr=None)
    return seconds, peak, out


def one_size(rows: int, work: Path) -> dict[str, Any]:
    repo = make_clone(work / f"repo-{rows}")
    source = work / f"source-{rows}.parquet"
    start = time.perf_counter()
    frame = source_frame(rows)
    frame.to_parquet(source, index=False)
    del frame
    made = time.perf_counter() - start
    scale_params(repo, source)
    print(f"[{rows:,} rows] source made in {made:.1f} s ({source.stat().st_size / 2**20:.0f} MiB)",
          flush=True)  # fmt: skip
    times: dict[str, float] = {}
    peaks: dict[str, int] = {}
    for stage in LOOP:
        times[stage], peaks[stage], out = run(["mlops", stage], repo)
        print(f"  {stage:<10} {times[stage]:8.1f} s  {peaks[stage]:6d} MiB  {out.strip()}",
              flush=True)  # fmt: skip
    times["dvc commit"], peaks["dvc commit"], _ = run(["dvc", "commit", "-f", "-q"], repo)
    print(f"  dvc commit {times['dvc commit']:8.1f} s  {peaks['dvc commit']:6d} MiB", flush=True)
    for args in (["git", "add", "-A"], ["git", "commit", "-q", "-m", "scale run"]):
        run(args, repo)
    times["review"], peaks["review"], out = run(
        ["mlops", "review", "--base", "main"], repo, ok=(0, 1)
    )
    print(f"  {'review':<10} {times['review']:8.1f} s  {peaks['review']:6d} MiB  "
          f"{out.strip().splitlines()[-1][:90]}", flush=True)  # fmt: skip
    for step in GATE_AND_REPORT:
        args = ["mlops", step, "--base", "main"]
        times[step], peaks[step], out = run(args, repo, ok=(0, 1))
        print(f"  {step:<10} {times[step]:8.1f} s  {peaks[step]:6d} MiB  "
              f"{out.strip().splitlines()[-1][:90]}", flush=True)  # fmt: skip
    gate = json.loads((repo / "reports/gate.json").read_text())
    fit_wall, fit_peak, fit_out = run([sys.executable, "-c", FIT_ONLY], repo)
    training = json.loads((repo / "reports/training.json").read_text())
    metrics = json.loads((repo / "reports/metrics.json").read_text())
    _, _, real = run([sys.executable, "-c", REAL_QUALITY, str(min(rows, 48_842))], repo)
    shutil.rmtree(repo, ignore_errors=True)
    source.unlink()
    return {
        "rows": rows, "times": times, "peaks": peaks, "fit": float(training["fit_seconds"]),
        "fit_only_seconds": float(fit_out.strip()), "fit_only_wall": fit_wall,
        "fit_peak": fit_peak, "iterations": training.get("iterations"),
        "train_rows": training["rows"], "auc": metrics["roc_auc"],
        "real_auc": real.split()[0], "real_rows": int(real.split()[1]),
        "gate": gate["decision"],
    }  # fmt: skip


def growth(a: dict[str, Any], b: dict[str, Any], step: str) -> float:
    """k in time ~ rows^k between two sizes."""
    return math.log(b["times"][step] / a["times"][step]) / math.log(b["rows"] / a["rows"])


def report(results: list[dict[str, Any]]) -> None:
    load = os.getloadavg()[0]
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"\nmachine: {machine}, Python {platform.python_version()}, "
          f"load average {load:.1f} at the end; threads: 1")  # fmt: skip
    pairs = list(itertools.pairwise(results))
    header = "step".ljust(12) + "".join(f"{r['rows']:>22,}" for r in results)
    print(header + "".join(f"  k {a['rows']:.0e}->{b['rows']:.0e}" for a, b in pairs))
    for step in [*LOOP, "dvc commit", "review", *GATE_AND_REPORT]:
        cells = "".join(f"{r['times'][step]:>11.1f} s {r['peaks'][step]:>6} MiB" for r in results)
        print(step.ljust(12) + cells + "".join(f"{growth(a, b, step):>15.2f}" for a, b in pairs))
    for r in results:
        path = [*LOOP, "dvc commit", "review"]  # what a PR runs
        total = sum(r["times"][step] for step in path)
        peak = max(r["peaks"][step] for step in path)
        print(
            f"\n{r['rows']:,} rows ({r['train_rows']:,} train, {r['iterations']} boosting "
            f"iterations): loop end to end {total:.1f} s, fit {r['fit']:.1f} s -> "
            f"{total / r['fit']:.2f}x the fit's time (goal <= 2x); peak {peak} MiB, "
            f"fit's own peak {r['fit_peak']} MiB -> {peak / r['fit_peak']:.2f}x (goal <= 1.5x)"
        )
        print(f"  quality: ROC AUC {r['auc']} on the test split, {r['real_auc']} "
              f"on its {r['real_rows']:,} real rows; gate (retrain): {r['gate']}")  # fmt: skip
        split = total - r["times"]["review"] + sum(r["times"][s] for s in GATE_AND_REPORT)
        print(f"  with gate and report as two processes in place of mlops review: {split:.1f} s "
              f"-> {split / r['fit']:.2f}x the fit's time")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlops-scale-"))
    try:
        results = [one_size(rows, work) for rows in sorted(args.rows)]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results)


if __name__ == "__main__":
    main()
