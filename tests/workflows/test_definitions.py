"""Static checks of .github/: security (zizmor), schemas, pins, and thin `run:` steps.

The workflows cannot be run on GitHub from here, so they are held to rules a machine
can check: every action pinned by a full commit SHA that is in the verified pins table
(node24 releases), every `run:` a Make target or an `mlops` subcommand that exists,
least privilege everywhere. test_act.py then executes them with act.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
PINS_TABLE = ROOT.parent / "shared" / "github-actions-pins.md"

# `run:` lines that are neither a Make target nor an mlops subcommand: none. (CML, a node
# tool with a floating dependency tree, is no longer installed: the comment is posted
# through GitHub's API by `mlops comment-post`.)
ALLOWED_TOOL_INSTALLS: set[str] = set()


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); put it back.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(w.name, name, job) for w in WORKFLOWS for name, job in load(w)["jobs"].items()]


def steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [(w, j, step) for w, j, job in jobs() for step in job.get("steps", [])]


def uses_lines() -> list[tuple[str, str]]:
    """(file, 'owner/repo@ref # comment') for every `uses:` line, comments kept."""
    found = []
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", line)
            if match:
                found.append((path.name, f"{match.group(1)}{match.group(2)}"))
    return found


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.MULTILINE))


def mlops_subcommands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)


def test_the_expected_workflows_exist() -> None:
    names = {w.name for w in WORKFLOWS}
    assert {"ci.yml", "pr.yml", "pr-comment.yml", "promote.yml", "release.yml"} <= names
    assert {"rollback.yml", "gate.yml", "monitor.yml"} <= names


def test_zizmor_offline_finds_nothing() -> None:
    result = subprocess.run(
        [BIN / "zizmor", "--offline", "--persona", "pedantic", "--format", "plain", str(GITHUB)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_every_zizmor_ignore_says_why() -> None:
    ignores = 0
    for path in [*WORKFLOWS, GITHUB / "dependabot.yml"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"zizmor: ignore\[[a-z-]+\](.*)$", line)
            if match:
                ignores += 1
                assert len(match.group(1).strip().split()) >= 4, f"{path.name}: {line.strip()}"
    assert ignores >= 1  # the workflow_run trigger needs one; this test must see it


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", [str(w) for w in WORKFLOWS]),
        ("vendor.dependabot", [str(GITHUB / "dependabot.yml")]),
        (
            "vendor.github-issue-forms",
            [str(p) for p in (GITHUB / "ISSUE_TEMPLATE").glob("[!c]*.yml")],
        ),
    ],
)
def test_schema(schema: str, files: list[str]) -> None:
    assert files
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", schema, *files],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_watches_actions_and_the_uv_lock() -> None:
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text(encoding="utf-8"))
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "uv"}


def test_every_action_is_pinned_by_full_sha_with_its_version() -> None:
    lines = uses_lines()
    assert lines
    for workflow, line in lines:
        if line.startswith("./"):  # a reusable workflow of this repository
            continue
        # owner/repo, or an action in a folder of it (actions/cache/save)
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w.-]+)*@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), (
            f"{workflow}: `uses: {line}` is not pinned as owner/repo@<40-hex sha> # vX.Y.Z"
        )


def pins_table() -> dict[str, tuple[str, str, str]]:
    """action -> (tag, sha, runtime) from the verified pins table (shared with the team)."""
    rows = {}
    for line in PINS_TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"[0-9a-f]{40}", cells[2]):
            rows[cells[0]] = (cells[1], cells[2], cells[3])
    return rows


@pytest.mark.skipif(not PINS_TABLE.exists(), reason="the team's pins table is not beside the repo")
def test_every_pin_is_in_the_verified_table_and_runs_on_node24() -> None:
    table = pins_table()
    assert table
    for workflow, line in uses_lines():
        if line.startswith("./"):
            continue
        action, rest = line.split("@", 1)
        action = "/".join(action.split("/")[:2])  # the repository: the table pins it
        sha, version = rest.split(" # ")
        assert action in table, f"{workflow}: {action} is not in {PINS_TABLE.name}"
        tag, pinned, runtime = table[action]
        assert (sha, version) == (pinned, tag), f"{workflow}: {line} != {pinned} # {tag}"
        # a composite action runs no JavaScript of its own (attest-build-provenance wraps
        # actions/attest, node24 per the table's note)
        assert runtime in ("node24", "composite"), f"{workflow}: {action} {tag} runs on {runtime}"


def test_every_run_step_calls_a_make_target_or_an_mlops_subcommand() -> None:
    targets, subcommands = make_targets(), mlops_subcommands()
    assert {"data", "gate", "report", "install", "test"} <= targets
    seen = 0
    for workflow, job, step in steps():
        if "run" not in step:
            continue
        for line in str(step["run"]).strip().splitlines():
            seen += 1
            where = f"{workflow} job {job}: `{line}`"
            if line in ALLOWED_TOOL_INSTALLS:
                continue
            words = shlex.split(line)
            if words[0] == "make":
                named = [w for w in words[1:] if "=" not in w]
                assert named, where
                assert set(named) <= targets, f"{where}: no such Make target"
            else:
                assert words[0] == "mlops", f"{where}: call a Make target or `mlops ...`"
                assert len(words) == 2, f"{where}: pass inputs via env, not arguments"
                assert words[1] in subcommands, f"{where}: no such mlops subcommand"
    assert seen >= 10


def test_no_expression_is_expanded_inside_a_run_script() -> None:
    for workflow, job, step in steps():
        assert "${{" not in str(step.get("run", "")), f"{workflow} job {job}: use env"


def test_least_privilege_timeouts_and_no_persisted_credentials() -> None:
    for path in WORKFLOWS:
        assert load(path)["permissions"] == {}, f"{path.name}: top-level permissions: {{}}"
    for workflow, name, job in jobs():
        assert "permissions" in job, f"{workflow} job {name}: declare its permissions"
        if "uses" not in job:  # a job calling a reusable workflow has no timeout of its own
            assert 0 < job["timeout-minutes"] <= 60, f"{workflow} job {name}"
    checkouts = [s for _, _, s in steps() if str(s.get("uses", "")).startswith("actions/checkout")]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_pr_runs_on_every_pr_and_its_gate_is_only_advisory() -> None:
    pr = load(GITHUB / "workflows" / "pr.yml")
    assert pr["concurrency"]["cancel-in-progress"] is True
    assert "pull_request.number" in pr["concurrency"]["group"]
    # every PR needs the required status, so every PR runs (no paths filter)
    assert pr["on"] == {"pull_request": None}
    gate = pr["jobs"]["gate"]
    assert gate["name"] == "Promotion gate (advisory)"  # never the required status's name
    assert gate["needs"] == "report"
    assert "cancelled()" in gate["if"]  # runs (and fails) even when the report job failed
    assert gate["permissions"] == {"contents": "read"}
    uploads = [s for s in pr["jobs"]["report"]["steps"] if "upload-artifact" in s.get("uses", "")]
    model = next(s for s in uploads if s["with"]["name"] == "pr-model")
    assert set(model["with"]["path"].split()) == {"models/model.skops", "reports/comment/meta.json"}


# The jobs whose work grows with the data: a repository variable points them at a larger
# or self-hosted runner. The PR's own code has a variable of its own, which the README
# says must name a GitHub-hosted runner: a fork's PR runs there.
DATA_JOBS = {
    ("pr.yml", "report"): "${{ vars.MLOPS_PR_RUNNER || 'ubuntu-latest' }}",
    ("gate.yml", "gate"): "${{ vars.MLOPS_RUNNER || 'ubuntu-latest' }}",
    ("promote.yml", "gate"): "${{ vars.MLOPS_RUNNER || 'ubuntu-latest' }}",
    ("monitor.yml", "monitor"): "${{ vars.MLOPS_RUNNER || 'ubuntu-latest' }}",
}


def test_jobs_that_grow_with_the_data_take_their_runner_from_a_variable() -> None:
    runners = {
        (path.name, name): job.get("runs-on")
        for path in WORKFLOWS
        for name, job in load(path)["jobs"].items()
        if "runs-on" in job
    }
    assert {key: runners[key] for key in DATA_JOBS} == DATA_JOBS
    # every other job stays on GitHub's runner: small work, and no reason to give a
    # variable's runner the tokens they hold
    assert {key: value for key, value in runners.items() if key not in DATA_JOBS} == {
        key: "ubuntu-latest" for key in runners if key not in DATA_JOBS
    }
    # the PR's code never lands on the trusted runner
    pr_jobs = {key for key in runners if key[0] in ("pr.yml", "ci.yml")}
    assert not any("vars.MLOPS_RUNNER" in str(runners[key]) for key in pr_jobs)


def test_write_tokens_only_where_needed() -> None:
    writers = {
        (w, name): job["permissions"]
        for w, name, job in jobs()
        if "write" in set(job["permissions"].values())
    }
    assert set(writers) == {
        ("pr.yml", "report"),  # the comment (same-repository PRs only)
        ("pr-comment.yml", "comment"),  # the comment for forks
        ("gate.yml", "gate"),  # the Promotion gate status
        ("promote.yml", "register"),  # GTO tags
        ("promote.yml", "prod"),
        ("promote.yml", "release"),
        ("release.yml", "publish"),  # the GitHub release
        ("rollback.yml", "rollback"),
        ("monitor.yml", "monitor"),  # the retraining branch and PR
        ("image.yml", "image"),  # push the serving image to GHCR, attest it
        ("deploy.yml", "pin"),  # the GitOps branch and pull request
        ("promote.yml", "image"),
        ("promote.yml", "deploy"),
        ("rollback.yml", "deploy"),
    }
    assert writers[("pr.yml", "report")] == {"contents": "read", "pull-requests": "write"}
    assert writers[("gate.yml", "gate")] == {
        "contents": "read", "actions": "read", "statuses": "write"
    }  # fmt: skip


def test_the_required_status_is_computed_by_the_default_branch_from_data() -> None:
    from mlops.ci.trusted import CONTEXT

    assert CONTEXT == "Promotion gate"
    workflow = load(GITHUB / "workflows" / "gate.yml")
    assert workflow["on"] == {"workflow_run": {"workflows": ["pr"], "types": ["completed"]}}
    job = workflow["jobs"]["gate"]
    assert "workflow_run.event == 'pull_request'" in job["if"]
    assert "head_repository" not in job["if"]  # forks too
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert "ref" not in checkout["with"]  # the default branch: never the PR's code
    setup = next(s for s in job["steps"] if "setup-uv" in s.get("uses", ""))
    assert setup["with"]["enable-cache"] is False
    judge = next(s for s in job["steps"] if s.get("run") == "mlops trusted-gate")
    assert "workflow_run.head_sha" in judge["env"]["HEAD_SHA"]
    assert set(judge["env"]) >= {"CANDIDATE_DIR", "GH_TOKEN", "RUN_CONCLUSION"}
    download = next(s for s in job["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["name"] == "pr-model"
    assert download["continue-on-error"] is True  # no model: an error status, not silence


def test_promote_retrains_and_rollback_never_queues_behind_it() -> None:
    promote = load(GITHUB / "workflows" / "promote.yml")
    rollback = load(GITHUB / "workflows" / "rollback.yml")
    assert promote["concurrency"]["group"] != rollback["concurrency"]["group"]
    assert promote["concurrency"]["cancel-in-progress"] is False
    assert rollback["concurrency"]["cancel-in-progress"] is False
    gate_steps = [s.get("run") for s in promote["jobs"]["gate"]["steps"]]
    assert "mlops retrain" in gate_steps
    assert "mlops repro" not in gate_steps  # it may pull model bytes from a remote
    register = promote["jobs"]["register"]["steps"]
    assert any(s.get("with", {}).get("name") == "model" for s in register)  # gate.json


def test_no_workflow_installs_cml_or_any_npm_package() -> None:
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        assert "npm install" not in text, path.name
        assert "@dvcorg/cml" not in text, path.name


def test_code_owners_cover_what_decides_promotion() -> None:
    owners = (GITHUB / "CODEOWNERS").read_text(encoding="utf-8")
    covered = {line.split()[0] for line in owners.splitlines() if line.startswith("/")}
    assert {
        "/params.yaml", "/dvc.yaml", "/.dvc/", "/.github/", "/src/mlops/review/",
        "/src/mlops/registry/", "/src/mlops/ci/", "/src/mlops/train/", "/uv.lock",
        # the skops allow-lists outside train/ (trusted_types() in train/model_io.py)
        "/src/mlops/features/engineer.py", "/src/mlops/features/encode.py",
    } <= covered  # fmt: skip


def test_prod_is_behind_the_production_environment() -> None:
    promote = load(GITHUB / "workflows" / "promote.yml")
    assert promote["jobs"]["prod"]["environment"] == "production"
    assert load(GITHUB / "workflows" / "rollback.yml")["jobs"]["rollback"]["environment"] == (
        "production"
    )
    release = promote["jobs"]["release"]
    assert release["uses"] == "./.github/workflows/release.yml"
    assert set(release["needs"]) == {"register", "prod"}


def test_the_image_passes_its_canary_before_prod_and_is_attested() -> None:
    promote = load(GITHUB / "workflows" / "promote.yml")["jobs"]
    assert "image" in promote["prod"]["needs"]  # a failing canary stops the promotion
    assert set(promote["deploy"]["needs"]) >= {"prod", "image"}
    image = load(GITHUB / "workflows" / "image.yml")["jobs"]["image"]
    assert image["permissions"] == {
        "contents": "read", "packages": "write", "id-token": "write", "attestations": "write"
    }  # fmt: skip
    names = [s.get("run") or s["uses"].split("@")[0] for s in image["steps"]]
    canary, login = names.index("mlops canary"), names.index("docker/login-action")
    pushes = [i for i, s in enumerate(image["steps"]) if s.get("with", {}).get("push") is True]
    attest = names.index("actions/attest-build-provenance")
    assert canary < login < pushes[0] < attest  # nothing reaches the registry before the canary
    tags = [s["with"]["tags"] for s in image["steps"] if "tags" in s.get("with", {})]
    assert tags == ["${{ steps.bundle.outputs.image }}"] * 2  # ghcr.io/<repo>:<version>
    deploy = load(GITHUB / "workflows" / "deploy.yml")["jobs"]["pin"]
    assert deploy["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_fork_comments_never_run_pr_code() -> None:
    workflow = load(GITHUB / "workflows" / "pr-comment.yml")
    assert set(workflow["on"]) == {"workflow_run"}
    job = workflow["jobs"]["comment"]
    assert "head_repository.full_name != github.repository" in job["if"]
    for step in job["steps"]:
        ref = step.get("with", {}).get("ref")
        assert ref is None, "checkout the default branch only"
    post = next(s for s in job["steps"] if s.get("run") == "mlops comment-post")
    assert post["env"]["VERIFY_PR_HEAD"] == "true"
    assert "workflow_run.head_sha" in post["env"]["EXPECTED_HEAD_SHA"]


def test_the_monitor_runs_weekly_and_on_demand_and_opens_prs_with_least_privilege() -> None:
    workflow = load(GITHUB / "workflows" / "monitor.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["workflow_dispatch"]["inputs"]["scenario"]["options"][0] == "none"
    assert workflow["concurrency"]["cancel-in-progress"] is False  # one PR, one writer
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs == ["make data", "mlops monitor-batch", "mlops monitor", "mlops retrain-pr"]
    app = job["steps"][0]
    assert app["uses"].startswith("actions/create-github-app-token@")
    assert "vars.RETRAIN_APP_CLIENT_ID" in app["if"]  # optional: zero secrets by default
    retrain = job["steps"][-1]
    assert set(retrain["env"]) == {"GITHUB_TOKEN", "APP_TOKEN", "MONITOR_SCENARIO"}
    assert "steps.app.outputs.token" in retrain["env"]["APP_TOKEN"]
    cache = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/cache")]
    setup = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("astral-sh"))
    assert cache == []
    assert setup["with"]["enable-cache"] is False  # a workflow that pushes: no cache poisoning


def test_pre_commit_hooks_are_local_and_pinned() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert config["default_stages"]
    assert [r["repo"] for r in config["repos"]] == ["local"]
    hooks = config["repos"][0]["hooks"]
    ids = {h["id"] for h in hooks}
    assert {"ruff-check", "ruff-format", "zizmor", "check-workflows", "check-dependabot"} <= ids
    assert {"dvc-pre-commit", "dvc-pre-push", "dvc-post-checkout", "check-params"} <= ids
    assert "alert-rules" in ids
    for hook in hooks:
        if hook["language"] == "python":
            assert all("==" in d for d in hook["additional_dependencies"]), hook["id"]
        else:
            # System hooks run tools of the locked environment only.
            assert hook["language"] == "system"
            entry = hook["entry"]
            assert entry.startswith("dvc git-hook ") or entry in {
                "mlops check-params",
                "mlops alert-rules --check",
                "mypy",
            }, entry
    excluded = re.compile(config["exclude"])
    for path in ("reports/metrics.json", "dvc.lock", "data.dvc", "datasets/adult/adult.names"):
        assert excluded.search(path), path


def test_the_readme_diagrams_render_with_real_mermaid() -> None:
    from support.mermaid_check import blocks, check

    diagrams = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(diagrams) >= 2  # at least the GitOps loop (intro) and the workflows
    assert "monitor" in diagrams[0]
    assert any("release" in diagram for diagram in diagrams[1:])
    results = check(diagrams)
    assert [r["error"] for r in results] == [None] * len(diagrams)


def test_prs_start_from_the_dvc_cache_the_default_branch_saves() -> None:
    """promote.yml (the default branch's code) saves .dvc/cache under the key pr.yml
    restores by prefix; no workflow that publishes restores a cache."""
    pr_steps = load(GITHUB / "workflows" / "pr.yml")["jobs"]["report"]["steps"]
    (restore,) = [s for s in pr_steps if str(s.get("uses", "")).startswith("actions/cache@")]
    promote = load(GITHUB / "workflows" / "promote.yml")["jobs"]
    (save,) = [
        s
        for job in promote.values()
        for s in job.get("steps", [])
        if str(s.get("uses", "")).startswith("actions/cache")
    ]
    assert save["uses"].startswith("actions/cache/save@")  # saves, never restores
    assert save["with"] == {"path": ".dvc/cache", "key": restore["with"]["key"]}
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])


def test_only_the_test_workflow_installs_the_dev_group() -> None:
    """Where the pipeline runs and publishes, `uv sync` leaves out the test, lint and
    workflow tools; pr.yml's uv caches are keyed apart from ci.yml's."""
    for path in WORKFLOWS:
        env = load(path).get("env", {})
        assert env.get("UV_NO_DEV") == ("1" if path.name != "ci.yml" else None), path.name
    for workflow, _, step in steps():
        uses, given = str(step.get("uses", "")), step.get("with", {})
        if uses.startswith("astral-sh/setup-uv") and given.get("enable-cache") is True:
            assert ("cache-suffix" in given) == (workflow != "ci.yml"), (workflow, step)
