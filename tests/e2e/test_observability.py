"""Alert rules checked and unit-tested with promtool; a real Prometheus server on loopback
scrapes the running service, reads back what it counted and the online drift of a drifted
month sent to it, and every alert and dashboard query runs against it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from support.repos import ROOT
from support.serving import Server, free_port

pytestmark = pytest.mark.e2e

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboard.json"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"needs {tool} (apt-get install prometheus; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need("promtool"), *args], cwd=cwd, capture_output=True, text=True,
                          check=False)  # fmt: skip


def test_alert_rules_are_valid_and_their_unit_tests_pass() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout
    names = {r["alert"] for g in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
             ["groups"] for r in g["rules"]}  # fmt: skip
    tests_text = (PROMETHEUS_DIR / "alerts.test.yml").read_text()
    assert {n for n in names if f"alertname: {n}" in tests_text} == names  # each one tested


def test_a_broken_alert_test_fails(tmp_path: Path) -> None:
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", tmp_path)
    text = (PROMETHEUS_DIR / "alerts.test.yml").read_text().replace("severity: page", "severity: x")
    (tmp_path / "alerts.test.yml").write_text(text)
    assert promtool("test", "rules", "alerts.test.yml", cwd=tmp_path).returncode != 0


def test_the_cluster_prometheus_config_is_valid(tmp_path: Path) -> None:
    """Debian's Prometheus is built without Kubernetes discovery, so its promtool checks
    the config with the discovery block swapped for a static target; the rest (rules,
    relabelling) is checked as written."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"] == [{"role": "pod"}]
    job.pop("kubernetes_sd_configs")
    job["static_configs"] = [{"targets": ["127.0.0.1:8000"]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", tmp_path)
    checked = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def query(port: int, expr: str) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:  # 400 for a bad query: the body says why
        return json.loads(exc.read())


# The drift alerts' `for` (monitor.online.alert_for, 30m deployed) for the Prometheus of
# these tests: the rules are regenerated from params with it, the rest of the file as is.
ALERT_FOR = "2s"


@pytest.fixture(scope="module")
def prometheus(served: Server, params, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Prometheus scraping the shared service every second, with the alert rules
    (the drift rules as `mlops alert-rules` writes them, with `for: ALERT_FOR`)."""
    from mlops.monitor.online import alerts_file

    binary = need("prometheus")
    folder = tmp_path_factory.mktemp("prometheus")
    online = params.monitor.online.model_copy(update={"alert_for": ALERT_FOR})
    monitor = params.monitor.model_copy(update={"online": online})
    deployed = (PROMETHEUS_DIR / "alerts.yml").read_text()
    (folder / "alerts.yml").write_text(alerts_file(deployed, monitor))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [{"job_name": "mlops-model",
                            "static_configs": [{"targets": [f"127.0.0.1:{served.port}"]}]}],
    }  # fmt: skip
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={folder / 'prometheus.yml'}",
         f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, (folder / "prometheus.log").read_text()
                assert time.monotonic() < deadline, "Prometheus not ready in 60 s"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_prometheus_scrapes_the_service_and_reads_the_requests_back(
    served: Server, prometheus: int
) -> None:
    client = served.client()
    from mlops.data.schema import COLUMNS
    from mlops.serve.schema import request_schema
    from mlops.serve.service import warm_up_record

    names = list(client.get("/metadata").body["inputs"]["properties"])
    record = warm_up_record(request_schema(COLUMNS, names, 1, False))
    before = _served_count(client)
    for _ in range(7):
        assert client.predict(record).status == 200
    expected = before + 7
    expr = 'sum(mlops_requests_total{job="mlops-model",route="/predict",status="200"})'
    deadline = time.monotonic() + 30
    while True:
        result = query(prometheus, expr)
        assert result["status"] == "success", result
        found = result["data"]["result"]
        if found and float(found[0]["value"][1]) >= expected:
            break
        assert time.monotonic() < deadline, f"Prometheus never saw {expected} requests: {result}"
        time.sleep(0.5)
    up = query(prometheus, 'up{job="mlops-model"}')["data"]["result"]
    assert [float(s["value"][1]) for s in up] == [1.0]
    info = query(prometheus, "mlops_model_info")["data"]["result"]
    assert [s["metric"]["version"] for s in info] == ["workspace"]


@pytest.fixture(scope="module")
def month(params, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One later month, twice: as it is (`mlops simulate --scenario none`: real rows like
    the training rows) and drifted (`--scenario covariate`: an older population)."""
    from mlops.data.prepare import read_split
    from mlops.monitor.simulate import write_batch

    folder = tmp_path_factory.mktemp("month")
    frames = {}
    for scenario in ("none", "covariate"):
        write_batch(params, "2025-07", scenario, folder / f"{scenario}.csv")
        frames[scenario] = read_split(folder / f"{scenario}.csv")
    return frames


def send(served: Server, frame, params) -> list[float]:
    """Every row of `frame` to the service, in batches of `serve.max_batch_rows`: the
    scores it answered."""
    from mlops.serve.client import records

    client = served.client()
    names = list(client.get("/metadata").body["inputs"]["properties"])
    rows, scores = records(frame[names], names), []
    size = params.serve.max_batch_rows
    for start in range(0, len(rows), size):
        answer = client.predict(rows[start : start + size])
        assert answer.status == 200, answer.body
        scores += [p["score"] for p in answer.body["predictions"]]
    client.close()
    return scores


def expected_drift(frame, scores: list[float], params, repo: Path) -> tuple[dict, float]:
    """What `mlops monitor` computes on the last `monitor.online.window` rows sent: PSI per
    input against the served model's training rows, and of the scores against its
    scores on the held-out rows."""
    import numpy as np

    from mlops.data.prepare import read_split
    from mlops.evaluate.predict import input_columns, predict
    from mlops.monitor.drift import ReferenceColumn, feature_drift, score_psi
    from mlops.train.model_io import load_model

    cfg, window = params.monitor, params.monitor.online.window
    model = load_model(repo / params.paths.model)
    last = frame.iloc[-window:]
    train = read_split(repo / params.paths.train)
    features = {
        name: feature_drift(ReferenceColumn.of(train[name], cfg.bins, cfg.min_category_share),
                            last[name]).psi
        for name in input_columns(model)
    }  # fmt: skip
    held_out = predict(model, read_split(repo / params.paths.test))
    return features, score_psi(held_out, np.array(scores[-window:]), cfg.bins)


def read_back(prometheus: int, expected: tuple[dict, float], window: int) -> dict[str, float]:
    """The drift gauges through Prometheus' query API once they are `expected` (a full
    window): per input, and "<scores>" for the scores."""

    def values(expr: str) -> dict[str, float]:
        result = query(prometheus, expr)
        assert result["status"] == "success", result
        return {s["metric"].get("feature", "<scores>"): float(s["value"][1])
                for s in result["data"]["result"]}  # fmt: skip

    features, score = expected
    wanted = {**features, "<scores>": score}
    deadline = time.monotonic() + 30
    while True:
        got = values('mlops_feature_psi{job="mlops-model"}')
        got |= values('mlops_prediction_psi{job="mlops-model"}')
        rows = values('mlops_drift_window_rows{job="mlops-model"}')
        if (
            rows == {"<scores>": window}
            and got.keys() == wanted.keys()
            and all(abs(got[k] - v) < 1e-9 for k, v in wanted.items())
        ):
            return got
        assert time.monotonic() < deadline, (
            f"Prometheus never read the window back: rows {rows}, {got} (expected {wanted})"
        )
        time.sleep(0.3)


def drift_alerts(prometheus: int) -> dict[str, set[str]]:
    """The drift alerts Prometheus holds, by state: input features, "<scores>"."""
    with urllib.request.urlopen(f"http://127.0.0.1:{prometheus}/api/v1/alerts", timeout=10) as r:
        alerts = json.loads(r.read())["data"]["alerts"]
    found: dict[str, set[str]] = {"pending": set(), "firing": set()}
    for alert in alerts:
        labels = alert["labels"]
        if labels["alertname"] == "ModelInputDrift":
            found[alert["state"]].add(labels["feature"])
        elif labels["alertname"] == "ModelPredictionDrift":
            found[alert["state"]].add("<scores>")
    return found


def test_the_drift_alert_fires_for_a_drifted_month_and_not_for_the_same_month_as_is(
    served: Server, prometheus: int, month: dict, params, pipeline_repo: Path
) -> None:
    """A month as it is, then the same month drifted, each filling the window: Prometheus
    reads back the batch monitor's PSI of the last `monitor.online.window` rows; the
    generated alert rules stay silent for the first, and fire for the second for exactly
    the figures over their thresholds (`age`, the drifted column, among them)."""
    cfg, window = params.monitor, params.monitor.online.window
    thresholds = {**dict.fromkeys(month["none"].columns, cfg.drift.psi),
                  "<scores>": cfg.prediction_psi}  # fmt: skip
    hold = float(ALERT_FOR.rstrip("s")) + 2  # `for`, and two rule evaluations

    scores = send(served, month["none"], params)
    as_is = read_back(prometheus, expected_drift(month["none"], scores, params, pipeline_repo),
                      window)  # fmt: skip
    assert all(psi < thresholds[k] for k, psi in as_is.items()), as_is
    time.sleep(1.5)  # one evaluation of the rules on what was just read back
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:  # longer than `for`: not even pending
        assert drift_alerts(prometheus) == {"pending": set(), "firing": set()}, as_is
        time.sleep(0.5)

    scores = send(served, month["covariate"], params)
    drifted = read_back(
        prometheus, expected_drift(month["covariate"], scores, params, pipeline_repo), window
    )
    over = {k for k, psi in drifted.items() if psi > thresholds[k]}
    assert "age" in over, drifted  # the older population, seen online
    deadline = time.monotonic() + hold + 10
    while (alerts := drift_alerts(prometheus))["firing"] != over:
        assert time.monotonic() < deadline, f"firing {alerts}, expected {over}: {drifted}"
        time.sleep(0.5)


def _served_count(client) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    return sum(
        s.value
        for family in text_string_to_metric_families(client.get("/metrics").body)
        for s in family.samples
        if s.name == "mlops_requests_total"
        and s.labels.get("route") == "/predict"
        and s.labels.get("status") == "200"
    )


def test_every_alert_and_dashboard_query_runs_on_the_real_series(
    served: Server, prometheus: int, month: dict, params
) -> None:
    send(served, month["none"].head(20), params)  # rows scored: the drift gauges exist
    rules = [r for g in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
             for r in g["rules"]]  # fmt: skip
    dashboard = json.loads(DASHBOARD.read_text())
    targets = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(targets) >= 10
    metric_names = set()
    for expr in [r["expr"] for r in rules] + targets:
        expr = expr.replace("$job", ".*")
        result = query(prometheus, expr)
        assert result["status"] == "success", f"{expr}: {result}"
        metric_names |= set(re.findall(r"\b(mlops_[a-z_]+)", expr))
    # every metric they name exists in the service's own output (no typo, no stale name)
    deadline = time.monotonic() + 30  # the drift gauges appear once a scrape saw rows
    for name in sorted(metric_names):
        while not query(prometheus, f"count({{__name__='{name}'}})")["data"]["result"]:
            assert time.monotonic() < deadline, (
                f"{name} is queried but the service does not export it"
            )
            time.sleep(0.5)
    # the rules loaded and evaluated without error
    with urllib.request.urlopen(f"http://127.0.0.1:{prometheus}/api/v1/rules", timeout=10) as r:
        groups = json.loads(r.read())["data"]["groups"]
    deadline = time.monotonic() + 30
    while any(
        rule.get("lastEvaluation", "").startswith("0001") for g in groups for rule in g["rules"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{prometheus}/api/v1/rules", timeout=10) as r:
            groups = json.loads(r.read())["data"]["groups"]
    loaded = {rule["name"]: rule["health"] for g in groups for rule in g["rules"]}
    assert loaded == {r["alert"]: "ok" for r in rules}
