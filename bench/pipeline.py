"""Pipeline benchmark: prints, from ONE run, the pipeline against its floors. Run by
`make bench`, not by tests.

Works on a temporary clone of this working tree (as the e2e tests do), with this
checkout's environment. Each comparison interleaves its two sides and shows medians of
--repeats runs: the machine may be shared and noisy, so read the ratios, measured side
by side, rather than the seconds. The cold and no-op pairs are also shown in CPU seconds
(user + system, child processes included), which other load on the machine stretches
far less than wall time; the goals are on wall time.

    cold vs bare    `dvc repro --force` from an empty DVC cache, against the same compute
                    done bare in one process (bench/bare.py)          goal: <= 5x
                    in two environments, each side in the same one: the runtime
                    dependencies only, as the workflows install them (UV_NO_DEV), and
                    this checkout's, dev tools included, as `make run` runs
    per stage       each `mlops <stage>` alone (runtime environment): process start,
                    imports and work; peak RSS
    no-op vs floor  `dvc repro` when nothing changed, against the same command on a
                    5-stage pipeline of trivial stages (DVC's own floor)   goal: <= 1.3x
    train change    `dvc repro` after a train-only param change (train + evaluate rerun)
    review          `mlops review` as a PR runs it (one process, one comparison, writes
                    gate.json and report.md), against scoring both models once on the
                    test split (one process: imports, load both models, predict both)
                                                                       goal: <= 2x
    report + gate   the same two files from `mlops report` + `mlops gate` (two processes,
                    each scoring both models): what the review saves
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

STAGES = ["validate", "prepare", "featurize", "train", "evaluate"]
BENCH = Path(__file__).resolve().parent

# With the collector as the `mlops` program has it: the same context managers
SCORE_ONCE = """
import sys
from mlops.core.startup import importing, program
with program():
    with importing():
        from mlops.core.config import load_params
        from mlops.data.prepare import read_split
        from mlops.evaluate.predict import predict
        from mlops.train.model_io import load_model
    p = load_params()
    frame = read_split(p.paths.test)
    for path in sys.argv[1:]:
        predict(load_model(path), frame)
"""


def measured(
    args: list[str],
    repo: Path,
    ok: tuple[int, ...] = (0,),
    stderr: int | None = subprocess.STDOUT,
    venv: Path | None = None,
) -> tuple[float, float, int, str]:
    """Seconds, CPU seconds (user + system, the command's waited-for children included:
    DVC's stages), peak RSS in MiB, and stdout of one command (fails loudly). stderr goes
    into that stdout, or with `stderr=None` passes through (progress bars on a terminal).
    venv: run the tools of that environment instead of this checkout's."""
    env = tool_env(repo)
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(venv)
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{out[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, out


def timed(
    args: list[str], repo: Path, ok: tuple[int, ...] = (0,), venv: Path | None = None
) -> tuple[float, int, str]:
    """Seconds, peak RSS in MiB, and stdout of one command (fails loudly)."""
    seconds, _, peak, out = measured(args, repo, ok, venv=venv)
    return seconds, peak, out


def runtime_venv(path: Path) -> Path:
    """The locked environment without the dev group, as every workflow that runs the
    pipeline installs it (UV_NO_DEV), bytecode compiled. Where the dev tools are
    installed, pandera imports hypothesis (in validate): a cost of the checkout's test
    environment, not of the pipeline."""
    uv = os.environ.get("UV") or shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(path), "UV_COMPILE_BYTECODE": "1"}
    subprocess.run([uv, "sync", "--locked", "--no-dev", "--quiet"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    return path


def med(values: list[float]) -> float:
    return statistics.median(values)


def floor_repo(path: Path) -> Path:
    """DVC's floor: five chained stages that copy a small file, no params, no code deps."""
    path.mkdir(parents=True)
    env = tool_env(path)
    for args in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        subprocess.run(args, cwd=path, env=env, check=True)
    (path / "s0.txt").write_text("floor\n")
    for i in range(1, 6):
        subprocess.run(
            ["dvc", "stage", "add", "-q", "-n", f"s{i}", "-d", f"s{i - 1}.txt",
             "-o", f"s{i}.txt", f"cp s{i - 1}.txt s{i}.txt"],
            cwd=path, env=env, check=True,
        )  # fmt: skip
    subprocess.run(["dvc", "repro", "-q"], cwd=path, env=env, check=True)
    return path


def line(what: str, ours: float, floor: float, goal: float | None, note: str) -> str:
    """One comparison; with no goal (a figure shown for comparison), no verdict."""
    ratio = ours / floor
    if goal is None:
        verdict = "for comparison"
    else:
        verdict = f"{'meets' if ratio <= goal else 'MISSES'} <= {goal}x"
    return (f"{what:<15} {ours:6.2f} s vs {floor:6.2f} s  ratio {ratio:4.2f}x  "
            f"({verdict}; {note})")  # fmt: skip


def cpu_line(ours: float, floor: float) -> str:
    """The same pair in CPU seconds: what other processes on a shared machine change
    least (they stretch wall time, not the work done)."""
    return f"  in CPU time   {ours:6.2f} s vs {floor:6.2f} s  ratio {ours / floor:4.2f}x"


def review_branch(repo: Path) -> None:
    """main = this pipeline's outputs; branch `pr` changes a train param and reruns."""
    for args in (["git", "add", "-A"], ["git", "commit", "-q", "-m", "pipeline outputs"],
                 ["git", "checkout", "-q", "-b", "pr"]):  # fmt: skip
        timed(args, repo)
    params = repo / "params.yaml"
    text = re.sub(r"^    learning_rate: 0\.1$", "    learning_rate: 0.08", params.read_text(),
                  count=1, flags=re.M)  # fmt: skip
    params.write_text(text)
    timed(["dvc", "repro"], repo)
    timed(["git", "commit", "-q", "-am", "learning rate 0.08"], repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = args.repeats

    work = Path(tempfile.mkdtemp(prefix="mlops-bench-"))
    try:
        repo = make_clone(work / "repo")
        # Bytecode of the clone's own src/, as Python writes it at a first run (or `make
        # install` where PYTHONDONTWRITEBYTECODE is set, as here): else every stage of
        # every run compiles its modules again, a cost no installed checkout pays.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(repo / "src")], check=True)
        floor = floor_repo(work / "floor")
        get_data, _, _ = timed(["mlops", "get-data"], repo)

        runtime = runtime_venv(work / "runtime-venv")
        # cold repro and bare compute, in the runtime environment and in this checkout's
        # (with the dev tools): wall and CPU seconds of each
        cold: dict[str, list[tuple[float, float]]] = {"runtime": [], "dev": []}
        bare: dict[str, list[tuple[float, float]]] = {"runtime": [], "dev": []}
        venvs = {"runtime": runtime, "dev": None}
        auc = ""
        stage_times: dict[str, list[float]] = {s: [] for s in STAGES}
        stage_mem = dict.fromkeys(STAGES, 0)
        for _ in range(n):
            for name, venv in venvs.items():
                shutil.rmtree(repo / ".dvc" / "cache", ignore_errors=True)
                seconds, cpu, _, out = measured(["dvc", "repro", "--force"], repo, venv=venv)
                assert re.findall(r"Running stage '(\w+)'", out) == STAGES, out
                cold[name].append((seconds, cpu))
                python = str(venv / "bin" / "python") if venv else sys.executable
                seconds, cpu, _, auc = measured([python, str(BENCH / "bare.py")], repo)
                bare[name].append((seconds, cpu))
            for stage in STAGES:
                seconds, peak, _ = timed(["mlops", stage], repo, venv=runtime)
                stage_times[stage].append(seconds)
                stage_mem[stage] = max(stage_mem[stage], peak)
        timed(["dvc", "repro"], repo)  # settle the lock after the direct stage runs

        noop, noop_floor, noop_cpu, noop_floor_cpu = [], [], [], []
        for _ in range(max(7, n)):
            seconds, cpu, _, _ = measured(["dvc", "repro"], repo)
            noop.append(seconds)
            noop_cpu.append(cpu)
            seconds, cpu, _, _ = measured(["dvc", "repro"], floor)
            noop_floor.append(seconds)
            noop_floor_cpu.append(cpu)

        change, reran = [], set()
        params = repo / "params.yaml"
        original = params.read_text()
        for i in range(n):
            params.write_text(original.replace("learning_rate: 0.1", f"learning_rate: 0.1{i + 1}"))
            seconds, _, out = timed(["dvc", "repro"], repo)
            change.append(seconds)
            reran |= set(re.findall(r"Running stage '(\w+)'", out))
        params.write_text(original)
        timed(["dvc", "repro"], repo)

        review_branch(repo)
        champion = timed(["dvc", "cache", "dir"], repo)[2].strip()
        main_md5 = timed(["git", "show", "main:dvc.lock"], repo)[2]
        md5 = re.search(r"path: models/model.skops\n\s+hash: md5\n\s+md5: (\w+)", main_md5)
        assert md5, "no model md5 in main's dvc.lock"
        champion_model = Path(champion) / "files" / "md5" / md5[1][:2] / md5[1][2:]
        score, report, gate, once = [], [], [], []
        for _ in range(n):
            score.append(timed([sys.executable, "-c", SCORE_ONCE, str(champion_model),
                                "models/model.skops"], repo)[0])  # fmt: skip
            report.append(timed(["mlops", "report", "--base", "main"], repo)[0])
            gate.append(timed(["mlops", "gate", "--base", "main"], repo, ok=(0, 1))[0])
            once.append(timed(["mlops", "review", "--base", "main"], repo, ok=(0, 1))[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    load = os.getloadavg()[0]
    print(f"machine          {machine}, Python {platform.python_version()}, "
          f"load average {load:.1f} at the end")  # fmt: skip
    print(f"repeats          {n} (medians shown; each pair interleaved)")
    print(f"get-data         {get_data:6.2f} s  (rebuild data/ from the source, once)")
    print(f"bare compute     {auc.strip()}")
    wall = {name: (med([c[0] for c in cold[name]]), med([b[0] for b in bare[name]]))
            for name in cold}  # fmt: skip
    work_cpu = {name: (med([c[1] for c in cold[name]]), med([b[1] for b in bare[name]]))
                for name in cold}  # fmt: skip
    print(line("cold repro", *wall["runtime"], 5.0,
               "dvc repro --force vs bench/bare.py, runtime environment as the workflows "
               "install it"))  # fmt: skip
    print(cpu_line(*work_cpu["runtime"]))
    print(line("  + dev tools", *wall["dev"], 5.0,
               "the same in this checkout's environment, as `make run` runs it"))  # fmt: skip
    print(cpu_line(*work_cpu["dev"]))
    print("  per stage (runtime environment):")
    for stage in STAGES:
        print(f"  {stage:<14} {med(stage_times[stage]):6.2f} s  peak {stage_mem[stage]:4d} MiB")
    print(line("no-op repro", med(noop), med(noop_floor), 1.3,
               f"vs 5 trivial stages, {len(noop)} runs each"))  # fmt: skip
    print(cpu_line(med(noop_cpu), med(noop_floor_cpu)))
    print(f"train change     {med(change):6.2f} s  reran: "
          f"{', '.join(s for s in STAGES if s in reran)}")  # fmt: skip
    both = [r + g for r, g in zip(report, gate, strict=True)]
    print(line("review", med(once), med(score), 2.0,
               "mlops review: one process, one scoring, gate.json + report.md"))  # fmt: skip
    print(line("report + gate", med(both), med(score), None,
               f"report {med(report):.2f} s + gate {med(gate):.2f} s vs scoring both "
               "models once"))  # fmt: skip
    print(f"peak memory      {max(stage_mem.values())} MiB  (largest stage process)")


if __name__ == "__main__":
    main()
