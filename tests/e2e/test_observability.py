"""Alert rules checked and unit-tested with promtool; a real Prometheus server on loopback
scrapes the running service, and every alert and dashboard query runs against it."""

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
    assert "SUCCESS: 5 rules found" in checked.stdout
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


@pytest.fixture(scope="module")
def prometheus(served: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Prometheus scraping the shared service every second, with the alert rules."""
    binary = need("prometheus")
    folder = tmp_path_factory.mktemp("prometheus")
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", folder)
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
    from mlops.serve.app import warm_up_record
    from mlops.serve.schema import request_schema

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


def test_every_alert_and_dashboard_query_runs_on_the_real_series(prometheus: int) -> None:
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
    for name in sorted(metric_names):
        series = query(prometheus, f"count({{__name__='{name}'}})")["data"]["result"]
        assert series, f"{name} is queried but the service does not export it"
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
