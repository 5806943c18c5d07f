"""Canary analysis by PromQL: one track's 5xx ratio and p99 latency from Prometheus's HTTP API.

Every platform reads the same two numbers the same way; only the label selector differs (the local
stack labels targets `track`, a cluster's scrape config adds the app and namespace as well).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request

# rate() needs two scrapes inside its window; with 1 s scrapes a 5 s window is the shortest reliable one.
MIN_WINDOW_SECONDS = 5
# The app's own counters (LOCAL_DELIVERY.md §4), selected by the labels of one track.
ERROR_RATIO = ('(sum(rate(app_requests_total{{{selector},code=~"5.."}}[{w}s])) or vector(0))'
               ' / sum(rate(app_requests_total{{{selector}}}[{w}s]))')
P99_SECONDS = ('histogram_quantile(0.99, sum by (le) '
               '(rate(app_request_duration_seconds_bucket{{{selector}}}[{w}s])))')


def selector(track: str, **labels: str) -> str:
    """A PromQL label matcher list: track first, then the other labels sorted, values escaped."""
    pairs = [("track", track), *sorted(labels.items())]
    return ",".join(f'{name}="{json.dumps(str(value))[1:-1]}"' for name, value in pairs)


def error_ratio_query(match: str, window_seconds: int) -> str:
    """PromQL for the 5xx share of requests over the window."""
    return ERROR_RATIO.format(selector=match, w=window_seconds)


def p99_query(match: str, window_seconds: int) -> str:
    """PromQL for the 99th percentile request duration (seconds) over the window."""
    return P99_SECONDS.format(selector=match, w=window_seconds)


def track_metrics(prometheus_url: str, match: str, window_seconds: float) -> dict[str, float | None]:
    """The track's error rate and p99 (ms) over the window; None where no requests came."""
    window = max(MIN_WINDOW_SECONDS, math.ceil(window_seconds))
    error_rate = query(prometheus_url, error_ratio_query(match, window))
    p99 = query(prometheus_url, p99_query(match, window))
    return {"error_rate": error_rate, "p99_ms": None if p99 is None else p99 * 1000}


def query(prometheus_url: str, promql: str) -> float | None:
    """One instant query's first value; None for an empty vector or NaN; RuntimeError when refused."""
    url = f"{prometheus_url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"Prometheus rejected {promql!r}: {error.read()[:300]!r}") from error
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus answered {body.get('error')!r} to {promql!r}")
    result = body["data"]["result"]
    if not result:
        return None  # an empty vector is "no traffic", never a pass
    value = float(result[0]["value"][1])
    return None if math.isnan(value) or math.isinf(value) else value
