"""Review-loop benchmark: seconds for `mlops report` and `mlops gate` on the default data.

Builds a temporary clone of this working tree (as the e2e tests do), runs the pipeline
on main, then on a branch with a changed train param (learning_rate 0.1 -> 0.08), and
times, as a PR workflow runs them:

    report      `mlops report --base main`   (champion model from the DVC cache)
    gate        `mlops gate --champion main`
    together    report + gate: the figure the README quotes (target: < 30 s)
    rebuild     `mlops gate` once more with the DVC cache wiped: the champion is rebuilt
                by reproducing main in a worktree (not part of the target; --rebuild)

Medians over --repeats runs, wall-clock, process start and imports included. Not a test.
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

from support.repos import make_clone, tool_env  # noqa: E402  (the clone the tests use)


def sh(args: list[str], repo: Path, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, cwd=repo, env=tool_env(repo), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="also time a champion rebuild")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlops-bench-review-"))
    try:
        repo = make_clone(work / "repo")
        print(f"machine    {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}; clone in {work}")  # fmt: skip
        sh(["mlops", "get-data"], repo)
        sh(["dvc", "repro"], repo)
        sh(["git", "add", "-A"], repo)
        sh(["git", "commit", "-q", "-m", "pipeline outputs"], repo)
        sh(["git", "checkout", "-q", "-b", "pr"], repo)
        params = repo / "params.yaml"
        text = re.sub(r"^    learning_rate: 0\.1$", "    learning_rate: 0.08", params.read_text(),
                      count=1, flags=re.M)  # fmt: skip
        params.write_text(text)
        sh(["dvc", "repro"], repo)
        sh(["git", "commit", "-q", "-am", "learning rate 0.08"], repo)

        report, gate = [], []
        for _ in range(args.repeats):
            report.append(sh(["mlops", "report", "--base", "main"], repo))
            gate.append(sh(["mlops", "gate", "--champion", "main"], repo, ok=(0, 1)))
        together = [r + g for r, g in zip(report, gate, strict=True)]
        size = len((repo / "reports/report.md").read_text())
        print(f"report     {statistics.median(report):6.2f} s   ({size:,} characters)")
        print(f"gate       {statistics.median(gate):6.2f} s")
        print(f"together   {statistics.median(together):6.2f} s   (median of {args.repeats})")
        if args.rebuild:
            shutil.rmtree(repo / ".dvc" / "cache")
            seconds = sh(["mlops", "gate", "--champion", "main"], repo, ok=(0, 1))
            print(f"rebuild    {seconds:6.2f} s   (gate with no DVC cache: champion reproduced)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
