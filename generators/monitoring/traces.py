"""OpenTelemetry Collector with tail sampling, and instrumentation notes for each detected language.

Sampling keeps every trace with an error, every trace slower than its service's p99 SLO, and a probabilistic
baseline of the rest; SDKs therefore send every span (parent-based always-on) and the collector decides.
The collector reads `${NAME}` and `${env:NAME}` from the environment; a literal `$` is written `$$`.
"""

from __future__ import annotations

from typing import Any

from bot.templating import render
from generators.ci.yaml_out import dump
from generators.monitoring.model import REQUEST_DURATION
from generators.monitoring.model import REQUESTS_TOTAL
from generators.monitoring.model import SERVICE_LABEL
from generators.monitoring.model import MonitoringPlan
from generators.monitoring.slugs import slug

PATH = "collectors/otel-collector.yaml"
GUIDE = "docs/monitoring/instrumentation.md"
BASELINE_PERCENT = 10
COLLECTOR_ENDPOINT = "http://otel-collector:4317"
# Exporter name and settings per stack; credentials are environment references.
EXPORTERS: dict[str, tuple[str, dict[str, Any]]] = {
    "prometheus_grafana": ("otlp/tempo", {"endpoint": "${env:TEMPO_ENDPOINT:-tempo:4317}"}),
    "elk": ("otlp/elastic", {"endpoint": "${env:ELASTIC_APM_ENDPOINT}",
                             "headers": {"Authorization": "Bearer ${env:ELASTIC_APM_SECRET_TOKEN}"}}),
    "datadog": ("datadog", {"api": {"key": "${env:DD_API_KEY}", "site": "${env:DD_SITE:-datadoghq.com}"}}),
    "new_relic": ("otlp/newrelic", {"endpoint": "${env:NEW_RELIC_OTLP_ENDPOINT:-otlp.nr-data.net:4317}",
                                    "headers": {"api-key": "${env:NEW_RELIC_LICENSE_KEY}"}}),
}
LANGUAGE_ALIASES = {"typescript": "javascript", "node": "javascript", "nodejs": "javascript", "csharp": "dotnet",
                    "c#": "dotnet", "fsharp": "dotnet", "kotlin": "java", "scala": "java", "golang": "go"}
# Per language: OpenTelemetry tracing packages, how to start them, and the Prometheus client for the metrics.
LANGUAGES: dict[str, dict[str, Any]] = {
    "python": {
        "title": "Python", "install": "pip install opentelemetry-distro opentelemetry-exporter-otlp && "
                                      "opentelemetry-bootstrap -a install",
        "packages": ["opentelemetry-distro", "opentelemetry-exporter-otlp"],
        "start": "opentelemetry-instrument python -m your_app",
        "metrics": "prometheus_client (Counter and Histogram; prometheus-fastapi-instrumentator or "
                   "django-prometheus for the frameworks)",
    },
    "javascript": {
        "title": "JavaScript / TypeScript (Node.js)",
        "install": "npm install @opentelemetry/sdk-node @opentelemetry/auto-instrumentations-node "
                   "@opentelemetry/exporter-trace-otlp-grpc",
        "packages": ["@opentelemetry/sdk-node", "@opentelemetry/auto-instrumentations-node",
                     "@opentelemetry/exporter-trace-otlp-grpc"],
        "start": "node --require @opentelemetry/auto-instrumentations-node/register app.js",
        "metrics": "prom-client (Counter and Histogram, served on /metrics)",
    },
    "go": {
        "title": "Go",
        "install": "go get go.opentelemetry.io/otel go.opentelemetry.io/otel/sdk "
                   "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc "
                   "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
        "packages": ["go.opentelemetry.io/otel", "go.opentelemetry.io/otel/sdk",
                     "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc",
                     "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"],
        "start": 'handler := otelhttp.NewHandler(mux, "server")',
        "note": "Register an SDK TracerProvider with the OTLP gRPC exporter at start-up.",
        "metrics": "github.com/prometheus/client_golang (promauto CounterVec and HistogramVec, promhttp.Handler)",
    },
    "java": {
        "title": "Java / Kotlin (JVM)",
        "install": "download opentelemetry-javaagent.jar from the opentelemetry-java-instrumentation release",
        "packages": ["io.opentelemetry.javaagent:opentelemetry-javaagent"],
        "start": "java -javaagent:opentelemetry-javaagent.jar -jar app.jar",
        "metrics": "io.micrometer:micrometer-registry-prometheus (Spring Boot Actuator's /actuator/prometheus)",
    },
    "ruby": {
        "title": "Ruby",
        "install": "bundle add opentelemetry-sdk opentelemetry-exporter-otlp opentelemetry-instrumentation-all",
        "packages": ["opentelemetry-sdk", "opentelemetry-exporter-otlp", "opentelemetry-instrumentation-all"],
        "start": "OpenTelemetry::SDK.configure { |c| c.use_all }",
        "note": "Put it in an initializer (config/initializers/opentelemetry.rb in Rails).",
        "metrics": "prometheus-client (Prometheus::Middleware::Collector and Exporter for Rack)",
    },
    "dotnet": {
        "title": ".NET",
        "install": "dotnet add package OpenTelemetry.Extensions.Hosting OpenTelemetry.Instrumentation.AspNetCore "
                   "OpenTelemetry.Exporter.OpenTelemetryProtocol (one package per command)",
        "packages": ["OpenTelemetry.Extensions.Hosting", "OpenTelemetry.Instrumentation.AspNetCore",
                     "OpenTelemetry.Exporter.OpenTelemetryProtocol"],
        "start": "builder.Services.AddOpenTelemetry().WithTracing(t => t.AddAspNetCoreInstrumentation()"
                 ".AddOtlpExporter())",
        "metrics": "prometheus-net.AspNetCore (app.UseHttpMetrics() and app.MapMetrics())",
    },
    "php": {
        "title": "PHP",
        "install": "pecl install opentelemetry && composer require open-telemetry/sdk open-telemetry/exporter-otlp",
        "packages": ["ext-opentelemetry", "open-telemetry/sdk", "open-telemetry/exporter-otlp"],
        "start": "OTEL_PHP_AUTOLOAD_ENABLED=true",
        "note": "Add the framework's auto-instrumentation package (open-telemetry/opentelemetry-auto-<framework>).",
        "metrics": "promphp/prometheus_client_php (Counter and Histogram with a Redis or APCu adapter)",
    },
}


def collector_literal(text: str) -> str:
    """A user string the collector must not expand: it reads `${...}` from the environment; `$$` is a `$`."""
    return text.replace("$", "$$")


def _policies(plan: MonitoringPlan) -> list[dict[str, Any]]:
    policies: list[dict[str, Any]] = [
        {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
    ]
    for service in sorted(plan.services, key=lambda s: s.name):
        slo = plan.slo_for(service.name)
        if slo is None:
            continue
        policies.append({
            "name": f"slow-{slug(service.name)}", "type": "and",
            "and": {"and_sub_policy": [
                {"name": "service", "type": "string_attribute",
                 "string_attribute": {"key": "service.name", "values": [collector_literal(service.name)]}},
                {"name": "slower-than-p99-slo", "type": "latency",
                 "latency": {"threshold_ms": int(round(slo.latency_p99_ms))}},
            ]},
        })
    policies.append({"name": "baseline", "type": "probabilistic",
                     "probabilistic": {"sampling_percentage": BASELINE_PERCENT}})
    return policies


def config(plan: MonitoringPlan) -> dict[str, Any]:
    """The collector configuration as data."""
    exporter, settings = EXPORTERS.get(plan.stack, EXPORTERS["prometheus_grafana"])
    processors = {
        # First in the pipeline: refuses data before the process runs out of memory.
        "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
        "tail_sampling": {"decision_wait": "10s", "num_traces": 50000, "expected_new_traces_per_sec": 100,
                          "policies": _policies(plan)},
        "batch": {"send_batch_size": 8192, "timeout": "5s"},
    }
    return {
        "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}},
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"},
                                             "http": {"endpoint": "0.0.0.0:4318"}}}},
        "processors": processors,
        "exporters": {exporter: settings},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "tail_sampling", "batch"],
                                     "exporters": [exporter]}},
        },
    }


def languages(plan: MonitoringPlan) -> tuple[dict[str, list[str]], list[str]]:
    """Services by known language, and the detected languages that have no notes."""
    known: dict[str, list[str]] = {}
    unknown: set[str] = set()
    for service in sorted(plan.services, key=lambda s: s.name):
        if not service.language:
            continue
        language = LANGUAGE_ALIASES.get(service.language.lower(), service.language.lower())
        if language in LANGUAGES:
            known.setdefault(language, []).append(service.name)
        else:
            unknown.add(service.language)
    return dict(sorted(known.items())), sorted(unknown)


def guide(plan: MonitoringPlan) -> str:
    """docs/monitoring/instrumentation.md: per detected language, the SDK packages and the metric contract."""
    known, unknown = languages(plan)
    undetected = sorted(s.name for s in plan.services if not s.language)
    return render("monitoring/instrumentation.md.j2", languages=[(LANGUAGES[k], v) for k, v in known.items()],
                  unknown=unknown, undetected=undetected, requests_total=REQUESTS_TOTAL,
                  request_duration=REQUEST_DURATION, service_label=SERVICE_LABEL, endpoint=COLLECTOR_ENDPOINT,
                  baseline=BASELINE_PERCENT, slos=[(s.service, s.latency_p99_ms) for s in plan.slos])


def generate(plan: MonitoringPlan) -> dict[str, str]:
    """The OpenTelemetry Collector config (collectors/otel-collector.yaml) and the instrumentation guide."""
    header = ("# OpenTelemetry Collector: OTLP in, tail sampling (errors, slower than the p99 SLO, a baseline),\n"
              "# traces out to the stack's backend. Credentials come from environment variables.\n"
              "# Generated by devops-bot.\n")
    return {PATH: dump(config(plan), header=header), GUIDE: guide(plan)}
