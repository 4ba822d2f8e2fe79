"""Get the data snapshot on a fresh clone: from the DVC remote, else rebuilt from the source.

Because ingest is byte-reproducible, a rebuild must hash to exactly what data.dvc
records. If it does not, the source changed under us: that is an error, and data.dvc
is left as git has it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from mlops.config import Params
from mlops.data.ingest import ingest
from mlops.errors import DataError


@contextlib.contextmanager
def quiet_dvc() -> Iterator[None]:
    """A missing remote object is expected on a fresh fork: do not print DVC's warnings.

    logging.disable, not a logger level: DVC resets its loggers' levels inside pull.
    """
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def data_dvc_file(snapshot: str) -> str:
    """The .dvc file that tracks the snapshot: `<top folder of the snapshot path>.dvc`."""
    return f"{Path(snapshot).parts[0]}.dvc"


def get_data(params: Params, root: Path | str = ".") -> str:
    """Make the workspace hold the snapshot data.dvc points at; say how it was obtained."""
    # DVC is imported here, not at the top: it is slow to import, and the review loop
    # imports this module only for the two helpers above.
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    root = Path(root)
    dvc_file = root / data_dvc_file(params.paths.snapshot)
    folder = dvc_file.stem
    if not dvc_file.exists():
        raise DataError(
            f"{dvc_file}: not found; create it with `mlops ingest` then `dvc add {folder}`"
        )
    repo = Repo(str(root))
    with quiet_dvc():
        if not repo.status(targets=[str(dvc_file)]):
            return "already present"
        try:
            repo.pull(targets=[str(dvc_file)])
            return "pulled from the DVC remote"
        except DvcException:
            pass
    recorded = dvc_file.read_bytes()
    ingest(params.ingest, params.data, root / params.paths.snapshot)
    with quiet_dvc():
        repo.add(str(root / folder))
    if dvc_file.read_bytes() != recorded:
        dvc_file.write_bytes(recorded)
        raise DataError(
            f"{folder}/ rebuilt from ingest.sources does not match {dvc_file.name}: the source "
            f"changed; review it, then `dvc add {folder}` and commit {dvc_file.name}"
        )
    return "rebuilt from ingest.sources (matches data.dvc)"
