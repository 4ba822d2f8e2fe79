"""get-data on a real git + DVC repository with a tiny source: present, rebuilt to the
same hash, or refused when the source changed (data.dvc kept as git has it)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from mlops.core.errors import DataError
from mlops.data.fetch import data_dvc_file, get_data
from support.repos import ROOT, git

# DVC's own use of pygtrie (inside `dvc add`), not a call of ours.
pytestmark = pytest.mark.filterwarnings("ignore:_NoneStep.value:DeprecationWarning")


def test_the_dvc_file_is_named_after_the_snapshots_top_folder():
    assert data_dvc_file("data/snapshot.csv") == "data.dvc"
    assert data_dvc_file("raw/2025/snapshot.csv") == "raw.dvc"


@pytest.fixture
def repo(tmp_path: Path, params, monkeypatch: pytest.MonkeyPatch):
    """A git + DVC repository whose data.dvc tracks the snapshot of a 60-row source."""
    from dvc.repo import Repo

    from mlops.adapters.dvc import Dvc, quiet
    from mlops.data.ingest import ingest

    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    root = tmp_path / "repo"
    root.mkdir()
    source = tmp_path / "source.csv"
    with gzip.open(ROOT / "datasets/adult/adult.data.gz", "rt") as raw:
        source.write_text("".join(next(raw) for _ in range(60)))
    p = params.model_copy(
        update={"ingest": params.ingest.model_copy(update={"sources": [str(source)]})}
    )
    git(root, "init", "-q", "-b", "main")
    # quiet: DVC's log handlers hold the stdout of the test that first imported
    # DVC (closed by now when that test captured its output).
    with quiet():
        Repo.init(str(root)).close()
    ingest(p.ingest, p.data, root / p.paths.snapshot)
    dvc = Dvc(root)
    dvc.add(root / "data")
    dvc.close()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data")
    return root, p, source


def test_present_rebuilt_to_the_recorded_hash_or_refused_when_the_source_changed(repo):
    root, p, source = repo
    recorded = (root / "data.dvc").read_bytes()
    assert get_data(p, root) == "already present"
    shutil.rmtree(root / "data")
    shutil.rmtree(root / ".dvc" / "cache")
    assert get_data(p, root) == "rebuilt from ingest.sources (matches data.dvc)"
    assert (root / "data.dvc").read_bytes() == recorded
    assert (root / p.paths.snapshot).is_file()

    source.write_text("".join(source.read_text().splitlines(keepends=True)[:-1]))  # one row less
    shutil.rmtree(root / "data")
    shutil.rmtree(root / ".dvc" / "cache")
    with pytest.raises(DataError, match=r"rebuilt from ingest\.sources does not match data\.dvc"):
        get_data(p, root)
    assert (root / "data.dvc").read_bytes() == recorded  # as git has it


def test_without_data_dvc_the_error_says_how_to_create_it(tmp_path: Path, params):
    with pytest.raises(DataError, match=r"data\.dvc: not found; .*`dvc add data`"):
        get_data(params, tmp_path)


POINTERS = {
    "not YAML": (b"outs: [md5: {\n", r"data\.dvc: not a DVC pointer file \(not YAML: "),
    "not text": (b"\xff\xfe\x00", r"data\.dvc: not a DVC pointer file \(not YAML: "),
    "no outs": (b"md5: 63c2f6832e5bbc5d6eeec550bd9bd0e6.dir\n", r"must hold `outs:` with one"),
    "missing md5": (b"outs:\n- path: data\n", r"outs\[0\]\.md5 is None, must be 32 hex"),
    "malformed md5": (b"outs:\n- md5: 12345\n  path: data\n", r"outs\[0\]\.md5 is 12345, must be"),
    "other path": (b"outs:\n- md5: 63c2f6832e5bbc5d6eeec550bd9bd0e6.dir\n  path: ../etc\n",
                   r"outs\[0\]\.path is '\.\./etc', must be 'data'"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(POINTERS))
def test_a_corrupt_pointer_is_one_line_before_dvc_reads_it(case, tmp_path: Path):
    from mlops.data.fetch import check_pointer

    content, message = POINTERS[case]
    (tmp_path / "data.dvc").write_bytes(content)
    with pytest.raises(DataError, match=message) as caught:
        check_pointer(tmp_path / "data.dvc")
    assert "\n" not in str(caught.value)


def test_a_wrong_md5_is_refused_and_the_pointer_and_data_kept(repo):
    root, p, _ = repo
    pointer = root / "data.dvc"
    text = pointer.read_text()
    md5 = text.split("md5: ")[1].split(".dir")[0]
    edited = text.replace(md5, "0" * 32)
    pointer.write_text(edited)
    snapshot = (root / p.paths.snapshot).read_bytes()
    with pytest.raises(DataError, match=r"does not match data\.dvc: .*data\.dvc was edited"):
        get_data(p, root)
    assert pointer.read_text() == edited  # as the user left it: never silently "fixed"
    assert (root / p.paths.snapshot).read_bytes() == snapshot
