"""Fuzzing the inputs a user writes, with no pipeline: params.yaml (its values and its
bytes) through `check-params`, and source files of every format pandas reads, compressed
or not, through `ingest`. Whatever the input: no traceback; exit 0, or exit 2 with one
line; a failed ingest leaves the previous snapshot as it was. (With a pipeline clone,
tests/e2e/test_fuzz.py fuzzes the stages, the snapshot and the DVC pointer.)"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from support.fuzz import assert_clean, digests, examples, invoke, mutated
from support.repos import ROOT

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@examples(120)
@given(document=mutated(PARAMS))
def test_params_values_give_a_clean_result(folder, capsys, document):
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    code, _, err = invoke(["check-params"], capsys)
    assert_clean("check-params", code, err)


@examples(40)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
@example(raw=b"\xff\xfe not utf-8")
@example(raw=b"threads: [1\n")
@example(raw=b"- a list\n")
def test_params_bytes_give_a_clean_result(folder, capsys, raw):
    (folder / "params.yaml").write_bytes(raw)
    code, _, err = invoke(["check-params"], capsys)
    assert_clean("check-params", code, err)


# --- sources: any bytes, in any format pandas reads by the file name ------------------

SOURCE_ROWS = (ROOT / "datasets/adult/adult.data.gz").read_bytes()
ADULT = gzip.decompress(SOURCE_ROWS).split(b"\n")[:60]
VALID_CSV = b"\n".join(ADULT) + b"\n"


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("adult.data", data)
    return buffer.getvalue()


def _tar(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("adult.data")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _parquet(data: bytes) -> bytes:
    frame = pd.read_csv(io.BytesIO(data), header=None, dtype=str, skipinitialspace=True)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


FORMATS = {
    ".csv": lambda b: b,
    ".csv.gz": lambda b: gzip.compress(b, mtime=0),
    ".csv.bz2": bz2.compress,
    ".csv.xz": lzma.compress,
    ".csv.zip": _zip,
    ".csv.tar": _tar,
    ".csv.zst": lambda b: b,  # pandas needs the zstandard package for it (not installed)
    ".parquet": _parquet,
}


@st.composite
def source_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes): a valid source of some format, then cut, flipped or spliced; or
    bytes of any kind under a format's name."""
    suffix = draw(st.sampled_from(sorted(FORMATS)))
    if draw(st.booleans()):
        return suffix, draw(st.binary(max_size=300))
    data = FORMATS[suffix](VALID_CSV)
    edit = draw(st.sampled_from(["cut", "flip", "splice", "none"]))
    at = draw(st.integers(min_value=0, max_value=len(data)))
    if edit == "cut":
        data = data[:at]
    elif edit == "flip" and at < len(data):
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    elif edit == "splice":
        data = data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    return suffix, data


@examples(100)
@given(source=source_files())
@example(source=(".csv.gz", SOURCE_ROWS[: len(SOURCE_ROWS) // 2]))  # truncated .gz (EOFError)
@example(source=(".csv", b""))
@example(source=(".csv", b"\x00\x01\x02"))
@example(source=(".parquet", b"PAR1"))
def test_source_bytes_give_a_clean_result(folder, capsys, source):
    suffix, data = source
    document = PARAMS | {"ingest": PARAMS["ingest"] | {"sources": [f"source{suffix}"]}}
    document["ingest"].pop("until_month")  # 60 rows: keep every month
    (folder / "params.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    for name in folder.glob("source*"):
        name.unlink()
    (folder / f"source{suffix}").write_bytes(data)
    snapshot = folder / PARAMS["paths"]["snapshot"]
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    snapshot.write_bytes(b"the previous snapshot\n")
    before = digests(folder, [PARAMS["paths"]["snapshot"]])
    code, _, err = invoke(["ingest"], capsys)
    assert_clean("ingest", code, err)
    if code != 0:
        assert digests(folder, [PARAMS["paths"]["snapshot"]]) == before


def test_a_truncated_gz_source_is_one_line_and_the_snapshot_kept(folder, capsys):
    document = PARAMS | {"ingest": PARAMS["ingest"] | {"sources": ["source.csv.gz"]}}
    (folder / "params.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    (folder / "source.csv.gz").write_bytes(SOURCE_ROWS[: len(SOURCE_ROWS) // 2])
    snapshot = folder / PARAMS["paths"]["snapshot"]
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(b"the previous snapshot\n")
    code, _, err = invoke(["ingest"], capsys)
    assert code == 2
    assert err.strip() == (
        "mlops ingest: error: source.csv.gz: cannot read source (Compressed file ended "
        "before the end-of-stream marker was reached)"
    )
    assert snapshot.read_bytes() == b"the previous snapshot\n"
