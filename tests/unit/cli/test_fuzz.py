"""Fuzzing the inputs a user writes, with no pipeline: params.yaml (its values and its
bytes) through `check-params`; source files of every format pandas reads, compressed or
not, through `ingest`; and every subcommand (but the long-running `serve`) with fuzzed
params and workflow inputs (environment variables) in a folder that is not a pipeline.
Whatever the input: no traceback; exit 0, or exit 2 with one line; a failure leaves the
earlier outputs (the snapshot, dvc.lock, metrics) as they were. The DVC pointer is
tried in tests/unit/data/test_fetch.py and tests/e2e/test_get_data.py."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import shutil
import sys
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from mlops.cli import build_parser
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


# --- every subcommand, in a folder that is not a pipeline, with fuzzed params and env -

# Every subcommand but `serve`: a server that runs until stopped (tests/e2e/test_serve.py
# sends it bad requests). Required options are given (argparse's own usage errors are
# not inputs a user gets wrong silently: they print the usage).
COMMANDS = sorted(set(build_parser()._subparsers._group_actions[0].choices) - {"serve"})  # type: ignore[union-attr]
OPTIONS = {"simulate": ["--month", "2025-07", "--scenario", "none", "--out", "x.csv"]}
# What the workflow steps read from the environment (the workflow inputs).
ENV = ["VERSION", "STAGE", "ROLLBACK_TO", "DEFAULT_BRANCH", "BASE_BRANCH", "GITHUB_TOKEN",
       "GH_TOKEN", "APP_TOKEN", "GITHUB_REPOSITORY", "PR_NUMBER", "HEAD_SHA", "IMAGE", "DIGEST",
       "CONTAINER_ENGINE", "CANARY_START_SECONDS", "COMMENT_DIR", "COMMENT_AUTHOR",
       "EXPECTED_HEAD_SHA", "VERIFY_PR_HEAD", "TARGET_URL", "RUN_CONCLUSION", "MONITOR_MONTH",
       "MONITOR_SCENARIO", "RELEASE_DRY_RUN"]  # fmt: skip
EARLIER = {"dvc.lock": b"schema: '2.0'\nstages: {}\n", "reports/metrics.json": b'{"auc": 0.9}\n'}
env_text = st.sampled_from(["", " ", "v1.0.0", "prod", "1", "-1", "../x", "a\nb", "é"]) | st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10
)


@examples(30)
@given(
    command=st.sampled_from(COMMANDS),
    document=st.just(PARAMS) | mutated(PARAMS),
    env=st.dictionaries(st.sampled_from(ENV), env_text, max_size=4),
)
def test_every_subcommand_gives_a_clean_result(folder, capsys, monkeypatch, command, document, env):
    (folder / "params.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    for name, content in EARLIER.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    for name in [*ENV, "GITHUB_OUTPUT", "CI"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # No container engine, no gh: nothing leaves this machine whatever the inputs say.
    tools = folder.parent / "bin"
    if not tools.is_dir():
        tools.mkdir()
        (tools / "git").symlink_to(shutil.which("git"))
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{Path(sys.executable).parent}")
    code, out, err = invoke([command, *OPTIONS.get(command, [])], capsys)
    if command == "verdict" and not err:  # a check: its line on stdout is the decision
        assert code in (0, 1, 2), (out, err)
        assert len(out.strip().splitlines()) == 1, out
        assert not err, err
    else:
        assert_clean(command, code, err, allowed=(0, 1) if command == "gate" else (0,))
    if code != 0:
        assert {n: (folder / n).read_bytes() for n in EARLIER} == EARLIER
