"""Recording rules every service shares: request rate, error ratio and latency quantiles by `service`.

The windows are those the burn-rate alerts read (5m … 3d) plus the 30-day SLO window; the 5m and
1h series are also the SPEC's 5m and 1h aggregates, kept longer than raw samples (see the PR).
"""

from __future__ import annotations

from generators.monitoring.model import REQUEST_DURATION
from generators.monitoring.model import REQUESTS_TOTAL
from generators.monitoring.model import SERVICE_LABEL
from generators.monitoring.model import error_ratio
from generators.monitoring.model import latency_quantile
from generators.monitoring.model import request_rate
from generators.monitoring.ruleset import Group
from generators.monitoring.ruleset import Rule
from generators.monitoring.ruleset import RuleFile

BURN_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
AGGREGATE_WINDOWS = ("5m", "1h")
QUANTILES = (("p50", "0.5"), ("p90", "0.9"), ("p99", "0.99"))
ERRORS = 'code=~"5.."'


def request_rate_expr(window: str) -> str:
    """Requests per second per service."""
    return f"sum by ({SERVICE_LABEL}) (rate({REQUESTS_TOTAL}[{window}]))"


def error_ratio_expr(window: str) -> str:
    """5xx share per service; 0 (not absent) when a service had requests but no errors."""
    errors = f"sum by ({SERVICE_LABEL}) (rate({REQUESTS_TOTAL}{{{ERRORS}}}[{window}]))"
    return f"({errors} or {request_rate_expr(window)} * 0)\n/\n{request_rate_expr(window)}"


def recording_file() -> RuleFile:
    """prometheus/rules/recording.yml."""
    rates = tuple(Rule(record=request_rate(w), expr=request_rate_expr(w)) for w in BURN_WINDOWS)
    errors = tuple(Rule(record=error_ratio(w), expr=error_ratio_expr(w)) for w in BURN_WINDOWS)
    # The 30-day ratio averages the 5m one, as Sloth does: a rate over 30 days of raw samples is too heavy.
    errors += (Rule(record=error_ratio("30d"), expr=f"avg_over_time({error_ratio('5m')}[30d])"),)
    latency = tuple(
        Rule(record=latency_quantile(name, w),
             expr=f"histogram_quantile({q}, sum by ({SERVICE_LABEL}, le) (rate({REQUEST_DURATION}_bucket[{w}])))")
        for w in AGGREGATE_WINDOWS for name, q in QUANTILES)
    return RuleFile("prometheus/rules/recording.yml", (
        Group("service-request-rates", rates),
        Group("service-error-ratios", errors),
        Group("service-latency-quantiles", latency),
    ))
