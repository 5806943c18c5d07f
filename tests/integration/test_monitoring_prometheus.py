"""End to end: a real Prometheus runs the generated config and rules against a live app, and the generated
fast-burn alert goes pending once the app starts failing; a second real Prometheus runs the generated
long-term config and holds the 5m and 1h aggregates it federates from the first, and no raw series.

The app is the local stack's demo app (examples/demo-app/app.py); its app_* metrics are renamed to the
instrumentation contract's http_* names at scrape time. The test's copy of prometheus.yml scrapes and
evaluates every second and points the service's static target at the app's loopback port; the rules are
the generated files, unchanged.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.platforms.local_stack import DEMO_APP
from bot.platforms.local_stack import free_port
from generators.monitoring.longterm import LONGTERM_RETENTION
from tests.unit.monitoring_support import own_files
from tests.unit.monitoring_support import run_monitoring
from tests.unit.monitoring_support import write

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None,
                                reason="Debian's prometheus package is not installed (scripts/setup installs it)")

INPUTS = {"monitoring_stack": "prometheus_grafana",
          "infrastructure_inventory": {"containers": [{"name": "shop", "port": 8080, "public": True,
                                                       "depends_on": ["shop-db"], "team": "web"}],
                                       "databases": [{"name": "shop-db", "kind": "postgresql"}]},
          "sla_requirements": {"availability": 99.9, "response_time_p99": 500}}


def fast_copy(config_text: str, app_port: int) -> str:
    """The generated config, scraping and evaluating every second, with the shop job aimed at the app."""
    yaml = YAML(typ="safe")
    config = yaml.load(config_text)
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config.pop("alerting")  # no Alertmanager in this test
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] == "shop":
            job["scrape_interval"] = "1s"
            job["static_configs"][0]["targets"] = [f"127.0.0.1:{app_port}"]
            job["metric_relabel_configs"] = [{"source_labels": ["__name__"], "regex": "app_(.*)",
                                              "replacement": "http_${1}", "target_label": "__name__"}]
            jobs.append(job)
    config["scrape_configs"] = jobs
    from io import StringIO

    out = StringIO()
    yaml.dump(config, out)
    return out.getvalue()


def fast_longterm_copy(config_text: str, main_port: int) -> str:
    """The generated long-term config, federating every second from the test's main Prometheus."""
    yaml = YAML(typ="safe")
    config = yaml.load(config_text)
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    [job] = config["scrape_configs"]
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{main_port}"]
    from io import StringIO

    out = StringIO()
    yaml.dump(config, out)
    return out.getvalue()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    files = own_files(run_monitoring(INPUTS))
    root = write({path: text for path, text in files.items() if path.startswith("prometheus/")}, tmp_path)
    app_port, prom_port, longterm_port = free_port(), free_port(), free_port()
    config = root / "prometheus" / "prometheus.yml"
    config.write_text(fast_copy(config.read_text(encoding="utf-8"), app_port), encoding="utf-8")
    longterm = root / "prometheus" / "prometheus-longterm.yml"
    longterm.write_text(fast_longterm_copy(longterm.read_text(encoding="utf-8"), prom_port), encoding="utf-8")
    logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("app", "prometheus", "longterm")}
    processes = {
        "app": subprocess.Popen([sys.executable, str(DEMO_APP), "v1", str(app_port)], stdout=logs["app"],
                                stderr=subprocess.STDOUT),
        "prometheus": subprocess.Popen(["prometheus", "--config.file=prometheus.yml", "--storage.tsdb.path=./data",
                                        f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                                       cwd=root / "prometheus", stdout=logs["prometheus"], stderr=subprocess.STDOUT),
        # the long-term store, started with the retention flag the generated file's header gives
        "longterm": subprocess.Popen(["prometheus", "--config.file=prometheus-longterm.yml",
                                      f"--storage.tsdb.retention.time={LONGTERM_RETENTION}",
                                      "--storage.tsdb.path=./data-longterm",
                                      f"--web.listen-address=127.0.0.1:{longterm_port}", "--log.level=warn"],
                                     cwd=root / "prometheus", stdout=logs["longterm"], stderr=subprocess.STDOUT),
    }
    try:
        yield {"app": f"http://127.0.0.1:{app_port}", "prometheus": f"http://127.0.0.1:{prom_port}",
               "longterm": f"http://127.0.0.1:{longterm_port}", "processes": processes, "logs": tmp_path}
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs.values():
            log.close()


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read()) if "/api/" in url else response.read()


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    return get(f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")["data"]["result"]


def alerts(prometheus: str, name: str) -> list[dict[str, Any]]:
    return [a for a in get(f"{prometheus}/api/v1/alerts")["data"]["alerts"] if a["labels"]["alertname"] == name]


def wait_for(what: str, check: Any, stack: dict[str, Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in stack["processes"].items():
            assert process.poll() is None, f"{name} exited: {(stack['logs'] / f'{name}.log').read_text()[-2000:]}"
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def drive(app: str, seconds: float) -> None:
    """Requests to the app for `seconds` (about 50 per second)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(f"{app}/", timeout=2).read()
        except urllib.error.HTTPError:
            pass  # the injected 500s
        time.sleep(0.02)


def test_the_generated_fast_burn_alert_goes_pending_when_the_app_fails(stack: dict[str, Any]) -> None:
    app, prometheus = stack["app"], stack["prometheus"]
    wait_for("Prometheus to be ready", lambda: get(f"{prometheus}/-/ready"), stack)
    wait_for("the first scrape of the app", lambda: query(prometheus, 'up{job="shop"} == 1'), stack)
    drive(app, 4)
    # Healthy traffic: the generated recording rule sees a zero error ratio, and nothing burns.
    ratio = wait_for("the error ratio to be recorded",
                     lambda: query(prometheus, 'service:http_requests_errors:ratio_rate5m{service="shop"}'), stack)
    assert float(ratio[0]["value"][1]) == 0.0
    assert alerts(prometheus, "AvailabilityBudgetBurnPage") == []

    request = urllib.request.Request(f"{app}/_fault?error_rate=0.5", method="POST")
    urllib.request.urlopen(request, timeout=5).read()
    started = time.monotonic()

    def burning() -> list[dict[str, Any]]:
        drive(app, 1)
        return alerts(prometheus, "AvailabilityBudgetBurnPage")

    [alert] = wait_for("AvailabilityBudgetBurnPage to go pending", burning, stack, timeout=90)
    assert alert["state"] in ("pending", "firing")
    assert alert["labels"] == {"alertname": "AvailabilityBudgetBurnPage", "service": "shop", "severity": "page",
                               "slo": "availability", "team": "web", "tier": "tier_1"}
    assert alert["annotations"]["runbook_url"].endswith("/docs/runbooks/AvailabilityBudgetBurnPage.md")
    elapsed = time.monotonic() - started
    assert elapsed < 90
    print(f"\nAvailabilityBudgetBurnPage went {alert['state']} {elapsed:.1f} s after the app started failing")
    burn = query(prometheus, 'service:http_requests_errors:ratio_rate5m{service="shop"}')
    assert float(burn[0]["value"][1]) > 14.4 * 0.001


def test_the_long_term_prometheus_holds_the_federated_aggregates_and_no_raw_series(stack: dict[str, Any]) -> None:
    app, prometheus, longterm = stack["app"], stack["prometheus"], stack["longterm"]
    wait_for("both Prometheus servers to be ready",
             lambda: get(f"{prometheus}/-/ready") and get(f"{longterm}/-/ready"), stack)
    wait_for("the first scrape of the app", lambda: query(prometheus, 'up{job="shop"} == 1'), stack)
    drive(app, 3)
    aggregates = ["service:http_requests:rate5m", "service:http_requests:rate1h",
                  "service:http_requests_errors:ratio_rate5m", "service:http_request_duration_seconds:p99_5m"]

    def federated() -> bool:
        drive(app, 0.5)
        return all(query(longterm, f'{name}{{service="shop"}}') for name in aggregates)

    wait_for("the aggregates to reach the long-term Prometheus", federated, stack)
    [rate] = query(longterm, 'service:http_requests:rate5m{service="shop"}')
    # the main Prometheus's labels, its external `monitor` label included, come along (honor_labels)
    assert (rate["metric"]["service"], rate["metric"]["monitor"], float(rate["value"][1]) > 0) == ("shop", "acme-shop",
                                                                                                  True)
    assert query(prometheus, 'http_requests_total{job="shop"}')  # raw series exist in the main Prometheus ...
    names = set(get(f"{longterm}/api/v1/label/__name__/values")["data"])
    assert not any(name.startswith("http_") for name in names)  # ... and never reach the long-term one
    scrape_meta = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                   "scrape_series_added"}
    allowed = set(YAML(typ="safe").load(
        (stack["logs"] / "prometheus" / "prometheus-longterm.yml").read_text(encoding="utf-8")
    )["scrape_configs"][0]["params"]["match[]"])
    assert names - scrape_meta <= allowed and set(aggregates) <= names
