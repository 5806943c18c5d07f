"""bench/rollouts.py end to end at N=3, so that the benchmark cannot rot (its figures are not checked here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.rollouts import run_point
from bench.rollouts import table

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")]


def test_one_worker_drives_three_canaries_to_their_end_and_the_bench_reports_it(redis_url: str,
                                                                               tmp_path: Path) -> None:
    result = run_point(redis_url, 3, stage_seconds=1, interval=1, fail_every=3, log=tmp_path / "worker.log",
                       timeout=120)
    assert (result.succeeded, result.rolled_back, result.failed, result.unfinished) == (2, 1, 0, 0), \
        (tmp_path / "worker.log").read_text()[-3000:]
    # every rollout analysed at least its first stage; the failing one stopped at its second
    assert result.ticks >= 2 * 4 + 2 and result.lateness_max >= result.lateness_p99 >= result.lateness_p50 >= 0
    assert result.worker_cpu_seconds > 0 and result.worker_rss_mib > 0
    report = table([result], limit=1.0)
    assert report.splitlines()[2].split()[:5] == ["3", "2", "1", "0", "0"]
