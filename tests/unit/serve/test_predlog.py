from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from mlops.serve.predlog import CURRENT, Entry, PredictionLog, read_log, rfc3339


def test_each_row_is_one_json_line_in_the_contract_format(tmp_path) -> None:
    log = PredictionLog(tmp_path, 10_000, 2, log_inputs=True)
    when = datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)
    inputs = [{"age": 39, "workclass": None}, {"age": 50, "workclass": "Private"}]
    text = log.lines(Entry("req-1", "v1.2.0", [0.25, 0.75], [0, 1], inputs), when)
    log.append(text)
    lines = (tmp_path / CURRENT).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"time": "2026-11-27T10:00:00.123Z", "request_id": "req-1", "model_version": "v1.2.0",
         "score": 0.25, "label": 0, "inputs": {"age": 39, "workclass": None}},
        {"time": "2026-11-27T10:00:00.123Z", "request_id": "req-1", "model_version": "v1.2.0",
         "score": 0.75, "label": 1, "inputs": {"age": 50, "workclass": "Private"}},
    ]  # fmt: skip


def test_scores_keep_full_precision_and_inputs_can_be_left_out(tmp_path) -> None:
    log = PredictionLog(tmp_path, 10_000, 2, log_inputs=False)
    score = 0.1 + 0.2  # 0.30000000000000004: not rounded on the way
    log.append(log.lines(Entry("r", "workspace", [score], [0], [{"age": 39}])))
    (row,) = read_log(tmp_path)
    assert row["score"] == score
    assert "inputs" not in row


def test_rotation_by_size_keeps_the_newest_backups(tmp_path) -> None:
    log = PredictionLog(tmp_path, 400, 2, log_inputs=True)
    for i in range(12):
        log.append(log.lines(Entry(f"r{i}", "v1.0.0", [0.5], [1], [{"i": i}])))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert CURRENT in files
    rotated = [f for f in files if f != CURRENT]
    assert len(rotated) == 2
    assert all(re.fullmatch(r"predictions-\d{8}T\d{6}\.\d{6}\.jsonl", f) for f in rotated)
    ids = [row["request_id"] for row in read_log(tmp_path)]
    assert ids == sorted(ids, key=lambda r: int(r[1:]))  # oldest file first, in order
    assert ids[-1] == "r11"
    assert all((tmp_path / f).stat().st_size <= 400 for f in files)


def test_a_reader_ignores_an_incomplete_last_line(tmp_path) -> None:
    log = PredictionLog(tmp_path, 10_000, 1, log_inputs=True)
    log.append(log.lines(Entry("r", "v1.0.0", [0.5], [1], [{"a": 1}])))
    with (tmp_path / CURRENT).open("a", encoding="utf-8") as out:
        out.write('{"time": "2026-11-27T10:00:00.1')  # a server in the middle of a write
    assert [row["request_id"] for row in read_log(tmp_path / CURRENT)] == ["r"]


def test_text_with_unicode_line_breaks_stays_one_row(tmp_path) -> None:
    # JSON leaves U+0085 and U+2028 unescaped; found by schemathesis through the server
    log = PredictionLog(tmp_path, 10_000, 1, log_inputs=True)
    odd = "a\x85b\u2028c\x0bd"
    log.append(log.lines(Entry("r", "v1.0.0", [0.5], [1], [{"workclass": odd}])))
    (row,) = read_log(tmp_path / CURRENT)
    assert row["inputs"] == {"workclass": odd}


def test_rfc3339_is_utc_with_milliseconds() -> None:
    assert rfc3339(datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)) == "2026-01-02T03:04:05.999Z"


def test_submitted_rows_are_written_by_the_log_thread_and_failures_reported(tmp_path) -> None:
    errors: list[str] = []
    log = PredictionLog(tmp_path / "log", 10_000, 1, log_inputs=True, on_error=errors.append)
    for i in range(5):
        log.submit(Entry(f"r{i}", "v1.0.0", [0.5, 0.25], [1, 0], [{"a": i}, {"a": -i}]))
    log.close()  # writes what is queued first
    assert [row["request_id"] for row in read_log(tmp_path / "log")] == [
        f"r{i}" for i in range(5) for _ in (0, 1)
    ]
    blocked = PredictionLog(tmp_path / "file", 10_000, 1, log_inputs=True, on_error=errors.append)
    (tmp_path / "file").write_text("a file where the folder should be")
    blocked.submit(Entry("r", "v1.0.0", [0.5], [1], [{"a": 1}]))
    blocked.flush()
    blocked.close()
    assert len(errors) == 1
    assert "exists" in errors[0] or "directory" in errors[0].lower()
