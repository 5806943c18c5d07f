"""Vector log collection: sources per runtime, JSON/regex parsing, redaction, one sink per stack.

Every event flows source -> enrich_<source> (sets `service`) -> parse -> redact -> sink, so nothing reaches a sink
without passing the redaction program. Vector interpolates `$NAME` anywhere in its config, so every literal `$`
(regex anchors, user strings) is written `$$`; the secrets are `${NAME}` references filled from the environment.
"""

from __future__ import annotations

import json
from typing import Any

from ruamel.yaml.scalarstring import LiteralScalarString

from generators.ci.yaml_out import dump
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Service
from generators.monitoring.slugs import slug

PATH = "collectors/vector.yaml"
K8S_NAME_LABEL = "app.kubernetes.io/name"
# Values of keys with these names are replaced wherever they appear at the top level or one level down.
SECRET_KEYS = r"(?i)^(passw(or)?d|pwd|(client_)?secret|(access_|refresh_)?token|api_?key|authorization|(set-)?cookie|" \
              r"private_key)$"
# Patterns redacted inside every string value (VRL `redact` filters): secrets first, then personal data.
REDACTIONS = (
    ("bearer tokens", r"(?i)bearer\s+[A-Za-z0-9._~+/-]+=*"),
    ("JSON web tokens", r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    ("AWS access key ids", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("AWS secret keys", r"(?i)aws_secret_access_key\s*[:=]\s*\S+"),
    ("GitHub tokens", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    ("Slack tokens", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("private keys", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("passwords and keys in key=value text",
     r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|token)\s*[=:]\s*[^\s&,;]+"),
    ("card numbers",
     r"\b(?:4\d{3}|5[1-5]\d{2}|2[2-7]\d{2}|6011|65\d{2})(?:[ -]?\d{4}){3}\b|\b3[47]\d{2}[ -]?\d{6}[ -]?\d{5}\b"),
    ("email addresses", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
)
# Plain-text lines: "<timestamp> <LEVEL> <message>", "[LEVEL] message" is also accepted.
TEXT_LINE = r"^(?:(?P<timestamp>\d{4}-\d\d-\d\d[T ]\S+)\s+)?\[?" \
            r"(?P<level>(?i)trace|debug|info|notice|warn(?:ing)?|error|crit(?:ical)?|fatal)\]?:?\s+(?P<msg>.*)$"

PARSE = f"""\
service = .service
raw = to_string(.message) ?? ""
parsed, err = parse_json(raw)
if err == null && is_object(parsed) {{
  . = merge(., object!(parsed))
  .log_format = "json"
}} else {{
  fields, err = parse_regex(
    raw,
    r'{TEXT_LINE}'
  )
  if err == null {{
    .message = fields.msg
    .level = fields.level
    if fields.timestamp != null {{ .log_timestamp = fields.timestamp }}
    .log_format = "text"
  }} else {{
    .log_format = "unparsed"
  }}
}}
.service = service
level = to_string(.level) ?? "unknown"
.level = downcase(level)
"""


def _redact_program() -> str:
    filters = ",\n".join(f"    r'{pattern}'" for _, pattern in REDACTIONS)
    return f"""\
. = map_values(., recursive: true) -> |value| {{
  if is_string(value) {{
    redact(string!(value), filters: [
    "us_social_security_number",
{filters}
    ])
  }} else {{
    value
  }}
}}
for_each(keys(.)) -> |_index, key| {{
  if match(key, r'{SECRET_KEYS}') {{
    . = set!(., [key], "[REDACTED]")
  }} else {{
    inner = get!(., [key])
    if is_object(inner) {{
      for_each(keys(object!(inner))) -> |_position, name| {{
        if match(name, r'{SECRET_KEYS}') {{
          . = set!(., [key, name], "[REDACTED]")
        }}
      }}
    }}
  }}
}}
"""


def vector_literal(text: str) -> str:
    """Text Vector must not interpolate: its config syntax reads `$NAME`/`${NAME}`; `$$` is a literal `$`."""
    return text.replace("$", "$$")


def vrl_string(value: str) -> str:
    """A VRL double-quoted string literal (VRL escapes match JSON's for quotes, backslashes and controls)."""
    return json.dumps(value, ensure_ascii=False)


def _remap(inputs: list[str], source: str) -> dict[str, Any]:
    return {"type": "remap", "inputs": inputs, "source": LiteralScalarString(vector_literal(source))}


def _sources(plan: MonitoringPlan) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sources and their enrich transforms: one Kubernetes source, one docker source, one file source per host."""
    sources: dict[str, Any] = {}
    transforms: dict[str, Any] = {}
    by_runtime: dict[str, list[Service]] = {}
    for service in sorted(plan.services, key=lambda s: s.name):
        by_runtime.setdefault(service.runtime, []).append(service)
    if "kubernetes" in by_runtime:
        names = ",".join(slug(s.name) for s in by_runtime["kubernetes"])
        sources["kubernetes"] = {"type": "kubernetes_logs", "extra_label_selector": f"{K8S_NAME_LABEL} in ({names})"}
        transforms["enrich_kubernetes"] = _remap(["kubernetes"], f"""\
name = .kubernetes.pod_labels.{vrl_string(K8S_NAME_LABEL)}
if name == null {{ name = .kubernetes.container_name }}
.service = name
""")
    if "compose" in by_runtime:
        sources["docker"] = {"type": "docker_logs",
                             "include_containers": [slug(s.name) for s in by_runtime["compose"]]}
        transforms["enrich_docker"] = _remap(["docker"], """\
name = .label."com.docker.compose.service"
if name == null { name = .container_name }
.service = name
""")
    for service in by_runtime.get("static", []):
        key = f"file_{slug(service.name).replace('-', '_')}"
        sources[key] = {"type": "file", "include": [f"/var/log/{slug(service.name)}/*.log"],
                        "ignore_older_secs": 86400}
        transforms[f"enrich_{key}"] = _remap([key], f".service = {vrl_string(service.name)}\n")
    return sources, transforms


def _sink(stack: str) -> dict[str, Any]:
    """The log store of the stack; credentials are environment references, never values."""
    if stack == "elk":
        return {"type": "elasticsearch", "inputs": ["redact"],
                "endpoints": ["${ELASTICSEARCH_ENDPOINT:-https://elasticsearch:9200}"],
                "mode": "data_stream",
                "data_stream": {"type": "logs", "dataset": "services", "namespace": "default"},
                "auth": {"strategy": "basic", "user": "${ELASTICSEARCH_USER:-vector}",
                         "password": "${ELASTICSEARCH_PASSWORD}"}}
    if stack == "datadog":
        return {"type": "datadog_logs", "inputs": ["redact"], "default_api_key": "${DD_API_KEY}",
                "site": "${DD_SITE:-datadoghq.com}", "compression": "gzip"}
    if stack == "new_relic":
        return {"type": "new_relic", "inputs": ["redact"], "api": "logs", "account_id": "${NEW_RELIC_ACCOUNT_ID}",
                "license_key": "${NEW_RELIC_LICENSE_KEY}", "region": "${NEW_RELIC_REGION:-us}"}
    return {"type": "loki", "inputs": ["redact"], "endpoint": "${LOKI_ENDPOINT:-http://loki:3100}",
            "encoding": {"codec": "json"},
            "labels": {"service": "{{ service }}", "level": "{{ level }}", "collector": "vector"}}


SINK_NAMES = {"elk": "elasticsearch", "datadog": "datadog", "new_relic": "new_relic"}


def config(plan: MonitoringPlan) -> dict[str, Any]:
    """The Vector configuration as data (sources, transforms, sinks)."""
    sources, transforms = _sources(plan)
    sources["vector_metrics"] = {"type": "internal_metrics"}
    enrich = sorted(name for name in transforms)
    transforms["parse"] = _remap(enrich, PARSE)
    transforms["redact"] = _remap(["parse"], _redact_program())
    sinks = {SINK_NAMES.get(plan.stack, "loki"): _sink(plan.stack),
             "vector_metrics_exporter": {"type": "prometheus_exporter", "inputs": ["vector_metrics"],
                                         "address": "0.0.0.0:9598"}}
    return {"data_dir": "/var/lib/vector", "sources": sources, "transforms": transforms, "sinks": sinks}


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """collectors/vector.yaml: the services' logs parsed, redacted and shipped to the stack's log store."""
    header = ("# Vector: collects the services' logs, parses JSON (plain-text lines by regex), redacts secrets and\n"
              "# personal data, and ships them to the log store. Secrets come from environment variables.\n"
              "# Generated by devops-bot.\n")
    return {PATH: dump(config(plan), header=header)}
