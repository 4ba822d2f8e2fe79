"""Pipeline benchmark: prints timings and peak memory. Run by `make bench`, not by tests.

Works on a temporary clone of this working tree (as the e2e tests do), with this
checkout's environment. Figures are medians over --repeats runs; the machine may be
shared and noisy, so compare ratios rather than absolute seconds.

    cold pipeline   `dvc repro --force` from an empty DVC cache (every stage runs)
    per stage       each `mlops <stage>` alone: process start, imports and work
    no-op repro     `dvc repro` when nothing changed
    train change    `dvc repro` after a train-only param change (train + evaluate rerun)
    peak memory     largest resident set of any one stage process
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import make_clone, tool_env  # noqa: E402  (the same clone the tests use)

STAGES = ["validate", "prepare", "featurize", "train", "evaluate"]


def timed(args: list[str], repo: Path) -> tuple[float, int, str]:
    """Seconds, peak RSS in MiB, and stdout of one command (fails loudly)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=repo,
        env=tool_env(repo),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{out[-3000:]}")
    return seconds, usage.ru_maxrss // 1024, out


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlops-bench-"))
    try:
        repo = make_clone(work / "repo")
        get_data, _, _ = timed(["mlops", "get-data"], repo)

        cold, stage_times, stage_mem = [], {s: [] for s in STAGES}, dict.fromkeys(STAGES, 0)
        for _ in range(args.repeats):
            shutil.rmtree(repo / ".dvc" / "cache", ignore_errors=True)
            seconds, _, out = timed(["dvc", "repro", "--force"], repo)
            assert re.findall(r"Running stage '(\w+)'", out) == STAGES, out
            cold.append(seconds)
            for stage in STAGES:
                seconds, peak, _ = timed(["mlops", stage], repo)
                stage_times[stage].append(seconds)
                stage_mem[stage] = max(stage_mem[stage], peak)
        timed(["dvc", "repro"], repo)  # settle the lock after the direct stage runs

        noop = [timed(["dvc", "repro"], repo)[0] for _ in range(max(5, args.repeats))]

        change, reran = [], set()
        params = repo / "params.yaml"
        original = params.read_text()
        for i in range(args.repeats):
            params.write_text(original.replace("learning_rate: 0.1", f"learning_rate: 0.1{i + 1}"))
            seconds, _, out = timed(["dvc", "repro"], repo)
            change.append(seconds)
            reran |= set(re.findall(r"Running stage '(\w+)'", out))
        params.write_text(original)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"machine          {machine}, Python {platform.python_version()}")
    print(f"repeats          {args.repeats} (medians shown)")
    print(f"get-data         {get_data:6.2f} s  (rebuild data/ from the source, once)")
    print(f"cold pipeline    {median(cold)}  (dvc repro --force, empty cache)")
    for stage in STAGES:
        print(f"  {stage:<14} {median(stage_times[stage])}  peak {stage_mem[stage]:4d} MiB")
    print(f"no-op repro      {median(noop)}  ({len(noop)} runs)")
    print(f"train change     {median(change)}  reran: {', '.join(s for s in STAGES if s in reran)}")
    print(f"peak memory      {max(stage_mem.values())} MiB  (largest stage process)")


if __name__ == "__main__":
    main()
