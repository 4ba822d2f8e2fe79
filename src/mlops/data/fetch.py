"""Get the data snapshot on a fresh clone: from the DVC remote, else rebuilt from the source.

Because ingest is byte-reproducible, a rebuild must hash to exactly what data.dvc
records. If it does not, the source changed under us: that is an error, and data.dvc
is left as git has it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import yaml

from mlops.core.config import Params
from mlops.core.errors import DataError
from mlops.core.files import reason
from mlops.data.ingest import ingest

log = logging.getLogger(__name__)


def data_dvc_file(snapshot: str) -> str:
    """The .dvc file that tracks the snapshot: `<top folder of the snapshot path>.dvc`."""
    return f"{Path(snapshot).parts[0]}.dvc"


# What DVC writes for a folder (`<md5>.dir`) or a file (`<md5>`).
_MD5 = re.compile(r"[0-9a-f]{32}(\.dir)?")


def check_pointer(dvc_file: Path) -> str:
    """The md5 a .dvc pointer file records for `<its stem>/`, read before DVC sees the
    file: a pointer edited by hand (not YAML, no md5, another path) is one line naming the
    file and the rule, not DVC's traceback."""
    folder = dvc_file.stem
    try:
        document = yaml.safe_load(dvc_file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{dvc_file}: not a DVC pointer file (not YAML: {reason(exc)[:200]})"
        ) from None
    outs = document.get("outs") if isinstance(document, dict) else None
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        raise DataError(f"{dvc_file}: must hold `outs:` with one entry (what `dvc add` writes)")
    out = outs[0]
    if out.get("path") != folder:
        raise DataError(f"{dvc_file}: outs[0].path is {out.get('path')!r}, must be {folder!r}")
    md5 = out.get("md5")
    if not isinstance(md5, str) or not _MD5.fullmatch(md5):
        raise DataError(
            f"{dvc_file}: outs[0].md5 is {md5!r}, must be 32 hex digits (+ .dir), as "
            f"`dvc add {folder}` writes it"
        )
    return md5


def get_data(params: Params, root: Path | str = ".") -> str:
    """Make the workspace hold the snapshot data.dvc points at; say how it was obtained."""
    from mlops.adapters.dvc import Dvc, usable_remote

    root = Path(root)
    dvc_file = root / data_dvc_file(params.paths.snapshot)
    folder = dvc_file.stem
    if not dvc_file.exists():
        raise DataError(
            f"{dvc_file}: not found; create it with `mlops ingest` then `dvc add {folder}`"
        )
    check_pointer(dvc_file)
    dvc = Dvc(root)
    try:
        if dvc.is_current(dvc_file):
            return "already present"
        # A fresh fork's default remote (a local folder that does not exist yet) holds
        # nothing: rebuild without a word. A configured remote that fails is worth one.
        remote = usable_remote(root)
        if remote is not None:
            failure = dvc.pull(dvc_file)
            if failure is None:
                return "pulled from the DVC remote"
            log.warning(
                "the DVC remote %r could not be read (%s); rebuilding %s/ from ingest.sources",
                remote, failure, folder,
            )  # fmt: skip
        recorded = dvc_file.read_bytes()
        ingest(params.ingest, params.data, root / params.paths.snapshot)
        dvc.add(root / folder)
    finally:
        dvc.close()
    if dvc_file.read_bytes() != recorded:
        dvc_file.write_bytes(recorded)
        raise DataError(
            f"{folder}/ rebuilt from ingest.sources does not match {dvc_file.name}: the source "
            f"changed (or {dvc_file.name} was edited); review it, then `dvc add {folder}` and "
            f"commit {dvc_file.name}"
        )
    return "rebuilt from ingest.sources (matches data.dvc)"
