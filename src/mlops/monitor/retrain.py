"""The monitor workflow's steps (.github/workflows/monitor.yml): get the new data, and when
the monitor's verdict says retrain, open or update THE retraining pull request.

- `mlops monitor-batch`: the batch of env MONITOR_MONTH (default: the month after the
  snapshot's newest), from `ingest.sources`, as `mlops simulate` writes it (env
  MONITOR_SCENARIO, default `none`: the real rows). For the default data the source
  holds every simulated month and the snapshot stops at `ingest.until_month`; for your
  own data, `ingest.sources` is where it grows.
- `mlops retrain-pr`: nothing unless `paths.monitor` says `"retrain": true`. Then: move
  `ingest.until_month` to the newest month judged, re-ingest (the rows appended are the
  source's real rows, whatever scenario was simulated), `dvc add`, `dvc repro`, `dvc push`
  when a DVC remote is usable, commit on the fixed branch `monitor.retrain_branch`,
  force-push it, and open the pull request, or update the open one (never a second).
  The body is the monitor report, after a note on what the PR does and on its checks.
  When origin's branch already holds the same new data on the same base (a weekly run
  while the PR waits and no newer month has arrived), nothing is retrained or pushed:
  only the PR's title and body are updated.

Tokens: the App token (env APP_TOKEN) when the workflow made one, else GITHUB_TOKEN. A
PR opened with GITHUB_TOKEN gets its `pull_request` runs in an approval-required state
(GitHub's rule against workflows triggering workflows); the body says what to click.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.adapters import dvc, git, github
from mlops.ci.inputs import WorkflowError, environ, need
from mlops.core.config import Params, load_params
from mlops.core.errors import DataError
from mlops.core.files import read_json, read_table
from mlops.core.markdown import GITHUB_COMMENT_LIMIT, fit_to_limit
from mlops.data.fetch import data_dvc_file
from mlops.monitor.months import MONTH, month_after, month_number
from mlops.registry.versions import BOT

BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
UNTIL = re.compile(
    r"^(  until_month:[ \t]*)(null|~|\"\d{4}-\d{2}\"|'\d{4}-\d{2}'|\d{4}-\d{2})(.*)$", re.M
)


def snapshot_months(params: Params, root: Path) -> list[str]:
    path = root / params.paths.snapshot
    if not path.exists():
        raise DataError(f"{path}: not found; run `make data` (mlops get-data) first")
    column = params.data.time_column
    months = read_table(path, [column], dtype=str)[column].dropna().astype(str)
    return sorted(months.unique())


def monitor_batch(
    params: Params, env: Mapping[str, str] | None = None, root: Path | str = "."
) -> str:
    """Write the batch the monitor judges (see the module docstring)."""
    from mlops.monitor.simulate import SCENARIOS, write_batch

    env, root = environ(env), Path(root)
    month = env.get("MONITOR_MONTH", "").strip()
    scenario = env.get("MONITOR_SCENARIO", "").strip() or "none"
    if month and not MONTH.match(month):
        raise WorkflowError(f"MONITOR_MONTH {month!r} is not a month of the form YYYY-MM")
    if scenario not in SCENARIOS:
        raise WorkflowError(
            f"MONITOR_SCENARIO {scenario!r}: expected one of {', '.join(SCENARIOS)}"
        )
    if not month:
        known = snapshot_months(params, root)
        if not known:
            raise DataError(f"{params.paths.snapshot}: no {params.data.time_column} values")
        month = month_after(known[-1])
    out = root / params.paths.monitor_batch
    batch = write_batch(params, month, scenario, out)
    github.set_output("month", month, env)
    return (
        f"monitor-batch: {len(batch)} rows of {month} ({scenario}) in {params.paths.monitor_batch}"
    )


def set_until_month(params_file: Path, month: str) -> str:
    """Rewrite `ingest.until_month` in params.yaml as text (its comments stay), then check
    the file still loads with the new value; returns the value it had."""
    text = params_file.read_text(encoding="utf-8")
    found = UNTIL.findall(text)
    if len(found) != 1:
        raise DataError(
            f"{params_file}: expected one `  until_month: <YYYY-MM or null>` line under "
            f"ingest:, found {len(found)}"
        )
    before = str(found[0][1]).strip("\"'")
    params_file.write_text(UNTIL.sub(rf'\g<1>"{month}"\g<3>', text), encoding="utf-8")
    if load_params(params_file).ingest.until_month != month:
        params_file.write_text(text, encoding="utf-8")
        raise DataError(f"{params_file}: the until_month line is not ingest.until_month")
    return before


def _tracked_outputs(params: Params) -> list[str]:
    """The files a pipeline run changes that git tracks (dvc.yaml: cache: false)."""
    p = params.paths
    return [p.validation, p.features, p.training, p.metrics, p.slices, p.runtime, p.plots]


def _token(env: Mapping[str, str]) -> tuple[str, bool]:
    app = env.get("APP_TOKEN", "").strip()
    return (app, True) if app else (need(env, "GITHUB_TOKEN"), False)


def pr_body(
    document: dict[str, Any], report: str, change: dict[str, Any], branch: str, app: bool,
    scenario: str,
) -> str:  # fmt: skip
    kinds = ", ".join(sorted({r["kind"].replace("_", " ") for r in document["reasons"]}))
    after = "" if change["before"] in ("null", "~") else f" after {change['before']}"
    lines = [
        "> Opened by the **monitor** workflow (`.github/workflows/monitor.yml`): the new data "
        f"calls for retraining ({kinds}).",
        f"> It appends the months{after} up to **{change['month']}** "
        f"(`ingest.until_month`, +{change['rows']:,} rows, {change['total']:,} in all), reruns "
        "the pipeline (`data.dvc`, `dvc.lock`, `reports/`), and is gated like any PR: the "
        "PR workflow compares its model with production and the **Promotion gate** check "
        "decides.",
        ">",
    ]
    if scenario != "none":
        lines += [
            f"> The drift was **simulated** (`{scenario}` scenario of `mlops simulate`); the "
            "rows appended are the month's real rows.",
            ">",
        ]
    if app:
        lines.append("> Opened with the GitHub App token: its checks start by themselves.")
    else:
        lines += [
            "> **Checks need one click.** This PR was opened with the workflow's "
            "`GITHUB_TOKEN`, so GitHub holds its `pull_request` runs for approval: a "
            "maintainer with write access clicks **Approve workflows to run** on this PR (or "
            "approves each run on its page under *Actions*). To have them start by "
            "themselves, give the workflow a GitHub App token (README: *Monitoring and the "
            "retraining PR*).",
        ]
    lines += [
        ">",
        f"> The branch `{branch}` belongs to the monitor: a later run that calls for "
        "retraining rebuilds it from the default branch and updates this PR in place.",
        "",
        report,
    ]
    body = "\n".join(lines)
    return fit_to_limit(
        body, GITHUB_COMMENT_LIMIT - 400, "The full report is the `monitor-report` artifact."
    )


def no_retraining(document: dict[str, Any]) -> str | None:
    """The step's line when the verdict does not call for retraining, else None."""
    if document.get("retrain") is True:
        return None
    return f"retrain-pr: verdict {document.get('verdict', '?')!r}: no retraining PR"


def _append(params: Params, root: Path, month: str) -> tuple[Params, dict[str, Any]]:
    """Move ingest.until_month to `month`, re-ingest, `dvc add`: the new params and what
    was appended."""
    from mlops.data.ingest import ingest

    until = params.ingest.until_month
    if until is not None and month_number(month) <= month_number(until):
        raise DataError(
            f"nothing to append: ingest.until_month is already {until} (the new rows are "
            f"of {month})"
        )
    before_rows = len(read_table(root / params.paths.snapshot, [params.data.id_column]))
    before = set_until_month(root / params.source, month)
    params = load_params(root / params.source)
    total = len(ingest(params.ingest, params.data, root / params.paths.snapshot))
    if total <= before_rows:
        raise DataError(
            f"nothing to append: ingest.sources has no rows after {before} up to {month}; "
            "collect the new labelled rows into the source first"
        )
    store = dvc.Dvc(root)
    try:
        store.add(root / Path(params.paths.snapshot).parts[0])
    finally:
        store.close()
    return params, {"before": before, "month": month, "rows": total - before_rows, "total": total}


def _branch_has_it(root: Path, branch: str, token: str, files: list[str]) -> bool:
    """True when origin's branch is one commit on top of HEAD with these very files: the
    same new data on the same base, already retrained (a run while the PR is open and no
    newer month has arrived). Then only the PR's body needs updating."""
    theirs = git.fetch_branch(root, branch, token)
    if theirs is None or git.resolve(root, f"{theirs}^") != git.head(root):
        return False
    return all(git.show(root, theirs, f) == (root / f).read_text(encoding="utf-8") for f in files)


def _retrain_and_push(
    params: Params, root: Path, branch: str, token: str, message: str, files: list[str]
) -> str:
    """`dvc repro`, `dvc push` (when a remote is usable), commit on `branch`, push it."""
    from mlops.ci.steps import repro

    repro(str(root))
    pushed = ""
    if dvc.usable_remote(root) is not None:
        store = dvc.Dvc(root)
        try:
            pushed = f"; {store.push()} files pushed to the DVC remote"
        finally:
            store.close()
    git.checkout_branch(root, branch)
    git.commit_tracked(root, [*files, *_tracked_outputs(params)], message, BOT)
    git.push_branch(root, branch, token)
    return f"retrained and pushed {branch}{pushed}"


def retrain_pr(params: Params, env: Mapping[str, str] | None = None, root: Path | str = ".") -> str:
    """Append, retrain and open/update the retraining PR when the verdict says retrain."""
    env, root = environ(env), Path(root)
    document = read_json(root / params.paths.monitor)
    skipped = no_retraining(document)
    if skipped:
        return skipped
    repository = need(env, "GITHUB_REPOSITORY")
    base = need(env, "GITHUB_REF_NAME")
    if not BRANCH.match(base) or ".." in base:
        raise WorkflowError(f"GITHUB_REF_NAME {base!r} is not a branch name")
    branch = params.monitor.retrain_branch
    if base == branch:
        raise WorkflowError(f"the monitor runs on {branch}, its own retraining branch")
    token, app = _token(env)
    month = str(document["current"]["newest_month"] or "")
    if not MONTH.match(month):
        raise DataError(f"{params.paths.monitor}: the new rows have no month to append up to")
    params, change = _append(params, root, month)
    files = [params.source.name, data_dvc_file(params.paths.snapshot)]
    if _branch_has_it(root, branch, token, files):
        branch_note = f"{branch} already holds this data on this base: kept"
    else:
        message = f"Retrain on the data up to {month} (monitor: {document['verdict']})"
        branch_note = _retrain_and_push(params, root, branch, token, message, [*files, "dvc.lock"])
    report = (root / params.paths.monitor_report).read_text(encoding="utf-8")
    scenario = env.get("MONITOR_SCENARIO", "").strip() or "none"
    body = pr_body(document, report, change, branch, app, scenario)
    title = f"Retrain: new data up to {month} ({document['verdict']} by the monitor)"
    what, answer = github.open_or_update_pull(repository, branch, base, title, body, token)
    done = f"{what} PR #{answer['number']}"
    github.set_output("pr", str(answer.get("html_url", answer["number"])), env)
    return f"retrain-pr: {done} (+{change['rows']:,} rows up to {month}); {branch_note}"
