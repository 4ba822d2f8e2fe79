"""The trusted gate: a pull request's model judged by the default branch's code and policy.

It runs in a workflow the PR cannot edit (`gate.yml`, workflow_run after `pr`), on a
checkout of the default branch, and executes nothing of the PR. What comes from the PR
is DATA:
- its model file (uploaded by its `pr` run): stat-checked before it is read (a regular
  file, under the policy's size ceiling), required to be byte for byte the model its own
  dvc.lock records (so it is what the PR's commit trains, and what promote will rebuild
  after merge), and loaded with skops' allow-list of THIS branch's code;
- its params.yaml, data.dvc and dvc.lock, read from the PR's head commit with git
  (fetched as objects by the caller; nothing is checked out), each size-checked first.
The PR's data is obtained by its data.dvc hash: the workspace's own if equal, else the
DVC remote (downloads verified, `mlops check-dvc`), else rebuilt by this branch's ingest
from the base's own sources (the PR's `ingest:` settings may select rows, not add
sources) and checked against the hash. The test split is recomputed with this branch's
code and salt, latency is measured here, both models are scored on the same rows, and
the base's policy decides (review/policy_source.py; the PR's policy is recorded only).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlops.adapters import dvc, git
from mlops.core.config import Ingest, Params
from mlops.core.errors import DataError, MlopsError
from mlops.core.files import write_text
from mlops.data.fetch import data_dvc_file, get_data
from mlops.data.prepare import prepare, read_split
from mlops.evaluate.predict import input_columns
from mlops.evaluate.stage import runtime
from mlops.features.spec import FeatureSpec
from mlops.registry.versions import default_branch, resolve_champion
from mlops.review.compare import compare
from mlops.review.gate import gate_document
from mlops.review.policy import Rule
from mlops.review.policy_source import read_raw_params, resolve_policy
from mlops.review.sides import Side
from mlops.review.store import md5_of
from mlops.train.model_io import load_model

SMALL_FILE = 1 << 20  # params.yaml, dvc.lock: anything larger is not a project file
POINTER_FILE = 64 << 10  # data.dvc
DIR_MD5 = re.compile(r"^[0-9a-f]{32}\.dir$")


class TrustError(MlopsError):
    """The PR's candidate is not what it must be (missing, too large, not its own)."""


def _pr_file(root: Path, commit: str, path: str, limit: int) -> str | None:
    """A file of the PR's head commit as text, its size checked before it is read."""
    size = git.object_size(root, commit, path)
    if size is None:
        return None
    if size > limit:
        raise TrustError(f"{path} at {commit[:7]} is {size:,} bytes, over {limit:,}: refused")
    return git.show(root, commit, path)


def _pointer(text: str | None, where: str) -> dict[str, Any]:
    """The one output a data .dvc file records, rebuilt from its validated fields only."""
    try:
        out = (yaml.safe_load(text or "") or {}).get("outs", [])[0]
        md5, size, nfiles = str(out["md5"]), int(out["size"]), int(out["nfiles"])
    except (yaml.YAMLError, AttributeError, LookupError, TypeError, ValueError):
        raise TrustError(f"{where}: not a DVC pointer to one data folder") from None
    if not DIR_MD5.match(md5) or size < 0 or nfiles < 1:
        raise TrustError(f"{where}: md5 {md5[:40]!r} is not a DVC folder hash")
    return {"md5": md5, "size": size, "nfiles": nfiles, "hash": "md5"}


def _pr_ingest(params: Params, pr_raw: object) -> Ingest:
    """The PR's `ingest:` settings under this branch's schema, reading only the base's own
    sources with the base's read options (so the PR can select rows, not reach for other
    files or URLs)."""
    raw = pr_raw.get("ingest") if isinstance(pr_raw, dict) else None
    try:
        ingest = Ingest.model_validate(raw)
    except ValidationError:
        raise TrustError(
            "the PR's ingest: section does not validate with this branch's code"
        ) from None
    if not set(ingest.sources) <= set(params.ingest.sources):
        raise TrustError(
            "the PR's data is not in the DVC remote, and its ingest.sources are not the "
            "base's: push its data to the DVC remote so it can be fetched by hash"
        )
    if ingest.read_csv != params.ingest.read_csv:
        raise TrustError("the PR changes ingest.read_csv: its data must come from the DVC remote")
    return ingest


def _obtain_data(params: Params, root: Path, pr_pointer: dict[str, Any], pr_raw: object) -> str:
    """Make the workspace hold the PR's data (by its hash); say how."""
    dvc_file = root / data_dvc_file(params.paths.snapshot)
    current = dvc.tracked_md5(dvc_file.read_text(encoding="utf-8") if dvc_file.exists() else None)
    if current == pr_pointer["md5"]:
        return "same as the default branch's: " + get_data(params, root)
    folder = dvc_file.stem
    write_text(
        dvc_file, yaml.safe_dump({"outs": [{**pr_pointer, "path": folder}]}, sort_keys=False)
    )
    pr_params = params.model_copy(update={"ingest": _pr_ingest(params, pr_raw)})
    return get_data(pr_params, root)


def _refused(document_base: dict[str, Any], rule: Rule) -> dict[str, Any]:
    return {**document_base, "decision": "fail", "failed": [rule.name], "rules": [rule.as_dict()]}


def run_trusted_gate(
    params: Params, model: Path, head_sha: str, label: str, root: Path | str = "."
) -> dict[str, Any]:
    """Judge the PR's model; return the gate document (also written to paths.gate)."""
    root = Path(root)
    branch, tip = default_branch(root)
    pr_raw = read_raw_params(_pr_file(root, head_sha, params.source.name, SMALL_FILE))
    if not isinstance(pr_raw, dict):
        raise TrustError(f"{params.source.name} at {head_sha[:7]} is missing or not YAML")
    base_raw = read_raw_params((root / params.source).read_text(encoding="utf-8"))
    policy = resolve_policy(base_raw, pr_raw, branch, tip)
    challenger = {"label": label, "commit": head_sha, "subject": git.subject(root, head_sha)}
    header: dict[str, Any] = {
        "mode": "trusted: the default branch's code and policy; the PR's model as data",
        "challenger": challenger,
        "policy_changed": policy.changed,
        "policy": policy.as_dict(),
    }

    # The model file: checked as a file before a byte of it is read.
    if not model.is_file() or model.is_symlink():
        raise TrustError(f"the PR's run uploaded no model file ({model.name} missing)")
    size = model.stat().st_size
    if size > policy.gate.max_model_bytes:
        return _refused(header, Rule(
            "model_bytes", float(size), float(policy.gate.max_model_bytes), False,
            f"model file {size:,} bytes; at most {policy.gate.max_model_bytes:,} (not loaded)",
        ))  # fmt: skip
    pr_lock = _pr_file(root, head_sha, "dvc.lock", SMALL_FILE)
    pr_paths = pr_raw.get("paths")
    named = pr_paths.get("model") if isinstance(pr_paths, dict) else None
    model_key = named if isinstance(named, str) else None
    locked = dvc.locked_md5(pr_lock, model_key or params.paths.model)
    actual = md5_of(model)
    if locked != actual:
        raise TrustError(
            f"the uploaded model (md5 {actual[:8]}) is not the one the PR's dvc.lock records "
            f"({(locked or 'none')[:8]}): run `dvc repro` and commit dvc.lock"
        )

    pointer = _pointer(
        _pr_file(root, head_sha, data_dvc_file(params.paths.snapshot), POINTER_FILE),
        f"{data_dvc_file(params.paths.snapshot)} at {head_sha[:7]}",
    )
    data_note = _obtain_data(params, root, pointer, pr_raw)

    with tempfile.TemporaryDirectory(prefix="mlops-trusted-") as scratch:
        test = Path(scratch) / "test.csv"
        prepare(
            root / params.paths.snapshot, params.data, params.prepare, Path(scratch) / "t.csv", test
        )
        loaded = load_model(model)  # skops, this branch's allow-list
        frame = read_split(test)
        columns = input_columns(loaded)
        if not columns or any(c not in frame.columns for c in columns):
            raise DataError(
                "the PR's model needs columns that this branch's data preparation does not "
                "produce (a change to the code inside the model is judged after merge)"
            )
        spec = FeatureSpec(tuple(columns), (), ())
        head = Side(label, head_sha, challenger["subject"], pr_raw,
                    paths=params.paths.model_dump())  # fmt: skip
        head.model_path = model
        head.snapshot_path = root / params.paths.snapshot
        head.data_hash = pointer["md5"]
        head.model_md5 = actual
        head.obtained = {"model": "the PR's run (checked against its dvc.lock)", "data": data_note}
        head.reports["runtime"] = runtime(loaded, frame, spec, model, params.evaluate)
        champion = resolve_champion(None, branch, root)
        with compare(
            params, champion, policy, root, need_data=True, head=head, scored=test
        ) as result:
            document = gate_document(result, champion)
    document["scored_rows"]["path"] = f"test split of the PR's data by {branch}'s code"
    return {**document, **header}
