"""Metrics: the names the worker side imports, and multiprocess mode adding up several processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot import metrics

ROOT = Path(__file__).resolve().parents[2]

INCREMENT = """
from bot import metrics
metrics.JOBS.labels(kind="setup_ci", status="succeeded").inc()
metrics.STEP_DURATION.labels(pipeline="ci_cd_setup", step="analyze").observe(0.2)
"""
RENDER = """
import sys
from bot import metrics
sys.stdout.write(metrics.render(sys.argv[1])[0].decode())
"""


def run(code: str, multiproc_dir: Path, *args: str) -> str:
    env = {"PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def test_the_worker_side_metrics_have_the_documented_names() -> None:
    text, content_type = metrics.render()

    assert content_type.startswith("text/plain")
    assert b"# TYPE devops_bot_jobs_total counter" in text
    assert b"# TYPE devops_bot_step_duration_seconds histogram" in text
    assert b"# TYPE devops_bot_webhook_deliveries_total counter" in text


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    run(INCREMENT, tmp_path)
    run(INCREMENT, tmp_path)

    text = run(RENDER, tmp_path, str(tmp_path))

    assert 'devops_bot_jobs_total{kind="setup_ci",status="succeeded"} 2.0' in text
    assert 'devops_bot_step_duration_seconds_count{pipeline="ci_cd_setup",step="analyze"} 2.0' in text
