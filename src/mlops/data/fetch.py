"""Get the data snapshot on a fresh clone: from the DVC remote, else rebuilt from the source.

Because ingest is byte-reproducible, a rebuild must hash to exactly what data.dvc
records. If it does not, the source changed under us: that is an error, and data.dvc
is left as git has it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mlops.core.config import Params
from mlops.core.errors import DataError
from mlops.data.ingest import ingest

log = logging.getLogger(__name__)


def data_dvc_file(snapshot: str) -> str:
    """The .dvc file that tracks the snapshot: `<top folder of the snapshot path>.dvc`."""
    return f"{Path(snapshot).parts[0]}.dvc"


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
            f"changed; review it, then `dvc add {folder}` and commit {dvc_file.name}"
        )
    return "rebuilt from ingest.sources (matches data.dvc)"
