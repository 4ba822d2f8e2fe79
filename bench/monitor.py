"""Monitor benchmark: how often it raises a false alarm, how often it catches each
simulated drift, and how long `mlops monitor` takes. Not a test; prints figures.

False alarms: the arrival months of the default data are simulated (a seeded hash of
the row id), so each seed of `ingest.simulated_months.seed` is another honest split of
the same rows into months. For each of --seeds seeds: the snapshot up to 2025-06 is
rebuilt with that seed, the model retrained on its train split (the default params),
and each later month (2025-07 to 2025-12) judged as it is (`none`) and under every drift
scenario (scenario seeds vary with the month seed). A `none` month with `retrain: true`
is a false alarm; a drifted month with the scenario's own reason missing is a miss.

Timing: `mlops simulate` and `mlops monitor` on a temporary clone after `dvc repro`,
wall-clock medians of --repeats runs, process start included.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from support.repos import make_clone, tool_env  # noqa: E402  (the clone the tests use)

EXPECTED = {
    "covariate": "input_drift",
    "prior": "label_shift",
    "concept": "decay",
    "quality": "data_quality",
}
LATER = [f"2025-{m:02d}" for m in range(7, 13)]


def track(largest: dict[str, float], document: dict) -> None:
    """The largest value of each figure a threshold applies to: how close quiet months
    come to an alarm."""
    for feature in document["features"]:
        for name in ("psi", "wasserstein", "jensen_shannon"):
            largest[name] = max(largest[name], feature[name] or 0.0)
    largest["prediction_psi"] = max(largest["prediction_psi"], document["prediction"]["psi"])
    largest["label_shift"] = max(largest["label_shift"], abs(document["labels"]["change"]))
    drop = -document["performance"]["change"]["ci_high"]  # the smallest drop the CI allows
    largest["decay (CI end of the drop)"] = max(largest["decay (CI end of the drop)"], drop)


def rates(seeds: int) -> None:
    from mlops.core.config import load_params
    from mlops.data.prepare import clean, in_test_split
    from mlops.features.select import select_features
    from mlops.features.spec import FeatureSpec
    from mlops.monitor.current import KIND_BATCH, Current
    from mlops.monitor.reference import Reference, plain
    from mlops.monitor.simulate import simulate, source_rows
    from mlops.monitor.stage import measure
    from mlops.registry.versions import Champion
    from mlops.train.fit import fit

    base = load_params(ROOT / "params.yaml")
    sources = [str(ROOT / s) for s in base.ingest.sources]
    alarms, judged = [], 0
    largest: dict[str, float] = collections.defaultdict(float)
    missed: collections.Counter[str] = collections.Counter()
    other_reasons: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(seeds):
            months_cfg = base.ingest.simulated_months
            assert months_cfg is not None
            ingest = base.ingest.model_copy(
                update={"sources": sources,
                        "simulated_months": months_cfg.model_copy(update={"seed": 1994 + seed})}
            )  # fmt: skip
            params = base.model_copy(update={"ingest": ingest})
            every = source_rows(params)
            frame = plain(clean(every[every["month"] <= "2025-06"], params.data))
            in_test = in_test_split(
                frame["row_id"], params.prepare.split_salt, params.prepare.test_fraction
            )
            train, test = frame[~in_test].reset_index(drop=True), frame[in_test]
            train_csv = Path(scratch) / "train.csv"
            train.to_csv(train_csv, index=False)
            chosen = select_features(train, params.data, params.featurize)
            spec = FeatureSpec(
                tuple(chosen["inputs"]), tuple(chosen["numeric"]), tuple(chosen["categorical"])
            )
            model, _ = fit(train_csv, spec, params.data, params.train)
            reference = Reference(
                Champion("0" * 40, f"seed {seed}", "rev"), model, train,
                test.reset_index(drop=True), params.data,
            )  # fmt: skip
            for month in LATER:
                for scenario in ("none", *EXPECTED):
                    batch = simulate(params, month, scenario, seed=seed, rows=every)
                    text = batch.astype("string").astype(object)
                    text = text.where(text.notna(), None)
                    current = Current(text, KIND_BATCH, month, 1, None, True)
                    document = measure(params, reference, current)
                    kinds = {r["kind"] for r in document["reasons"]}
                    if scenario == "none":
                        judged += 1
                        if document["retrain"]:
                            alarms.append((seed, month, sorted(kinds)))
                        track(largest, document)
                    elif EXPECTED[scenario] not in kinds:
                        missed[scenario] += 1
                    else:
                        other_reasons.update(f"{scenario}:{k}" for k in kinds)
            print(f"  seed {seed}: done ({time.perf_counter() - started:.0f} s)", flush=True)
    print("largest figure on any `none` month (its threshold):")
    thresholds = base.monitor
    limits = {"psi": thresholds.drift.psi, "wasserstein": thresholds.drift.wasserstein,
              "jensen_shannon": thresholds.drift.jensen_shannon,
              "prediction_psi": thresholds.prediction_psi, "label_shift": thresholds.label_shift,
              "decay (CI end of the drop)": thresholds.decay.max_drop}  # fmt: skip
    for name, value in largest.items():
        print(f"  {name}: {value:.4f} ({limits[name]:g})")
    share = f"{len(alarms) / judged:.1%}"
    print(f"\nfalse alarms (`none`, retrain true): {len(alarms)} of {judged} month batches "
          f"({share}); {seeds} month seeds x {len(LATER)} later months")  # fmt: skip
    for alarm in alarms:
        print(f"  seed {alarm[0]} {alarm[1]}: {alarm[2]}")
    for scenario, reason in EXPECTED.items():
        caught = judged - missed[scenario]
        print(f"{scenario:9s}: {reason} found in {caught} of {judged} ({caught / judged:.1%})")
    print("reasons found with each scenario (counts):")
    for key, count in sorted(other_reasons.items()):
        print(f"  {key}: {count}")


def timing(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        repo = make_clone(Path(scratch) / "repo")
        env = tool_env(repo)

        def sh(*args: str) -> float:
            start = time.perf_counter()
            result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit(f"{' '.join(args)}: {result.stderr[-2000:]}")
            return time.perf_counter() - start

        sh("mlops", "get-data")
        sh("dvc", "repro")
        simulate = [sh("mlops", "simulate", "--month", "2025-07", "--scenario", "covariate",
                       "--out", "b.csv") for _ in range(repeats)]  # fmt: skip
        monitor = [sh("mlops", "monitor", "--current", "b.csv") for _ in range(repeats)]
        print(f"mlops simulate: {statistics.median(simulate):.1f} s, "
              f"mlops monitor: {statistics.median(monitor):.1f} s (medians of {repeats}; "
              "one month, 4,171 rows, against 19,531 training rows)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="month seeds (default 20)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}")  # fmt: skip
    rates(args.seeds)
    if not args.skip_timing:
        timing(args.repeats)


if __name__ == "__main__":
    main()
