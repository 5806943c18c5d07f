"""Monitoring setup pipeline steps: thin adapters from pipeline inputs to generators/monitoring."""

from __future__ import annotations

from typing import Any

from bot.errors import InputError
from bot.registry import StepContext
from bot.registry import step_type
from generators.monitoring import inputs as checks
from generators.monitoring import package
from generators.monitoring.codec import plan_from_dict
from generators.monitoring.codec import plan_to_dict
from generators.monitoring.model import Channel
from generators.monitoring.model import MonitoringPlan

MAX_FILES_READ = 400  # manifests, compose files and Terraform read to find the inventory
STACKS = ("prometheus_grafana", *package.OTHER_STACKS)
HEADING = "The monitoring setup inputs have problems:"


def _plan(inputs: dict[str, Any], key: str = "architecture") -> MonitoringPlan:
    return plan_from_dict(inputs[key])


def _channels(raw: list[dict[str, Any]]) -> tuple[Channel, ...]:
    return tuple(Channel(type=c["type"], name=c["name"], config=dict(c["config"]), severities=tuple(c["severities"]))
                 for c in raw)


@step_type("monitoring_input_resolver")
def resolve_inputs(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Check the stack, SLA and channels, and find the inventory (given, or read from the repository): every
    problem at once."""
    problems: list[str] = []
    stack = str(inputs.get("stack") or "")
    if stack == "custom":
        problems.append(f"`monitoring_stack` is `custom`: devops-bot cannot generate a stack it does not know; "
                        f"choose one of {', '.join(STACKS)}.")
    elif stack != "prometheus_grafana" and not package.stack_available(stack):
        problems.append(f"`monitoring_stack` {stack!r} is not available in this installation yet; choose "
                        "prometheus_grafana.")
    sla, sla_problems = checks.read_sla(dict(inputs.get("sla") or {}))
    channels, channel_problems = checks.read_channels(list(inputs.get("channels") or []))
    inventory, inventory_problems = _inventory(inputs, ctx)
    problems += sla_problems + channel_problems + inventory_problems
    if problems:
        raise InputError(problems, heading=HEADING)
    return {"inventory": inventory, "slo_targets": sla,
            "alert_channels": [{"type": c.type, "name": c.name, "config": dict(c.config),
                                "severities": list(c.severities)} for c in channels]}


def _inventory(inputs: dict[str, Any], ctx: StepContext) -> tuple[dict[str, Any], list[str]]:
    given = inputs.get("inventory") or {}
    if any(given.get(key) for key in ("servers", "containers", "serverless", "databases")) or set(given) - {
            "servers", "containers", "serverless", "databases"}:
        inventory, problems = checks.read_inventory(given)
        inventory["source"] = str(inputs.get("inventory_source") or "infrastructure_inventory")
    elif inputs.get("project_path"):
        inventory, problems = _discover(str(inputs["project_path"]), ctx), []
    else:
        return {}, ["`infrastructure_inventory` is empty and there is no `project_path` to read one from; give "
                    "services under `containers` (name, port, public, depends_on) and `databases` (name, kind)."]
    if not inventory["services"] and not problems:
        problems.append("No service was found to monitor: no server in the project analysis, Kubernetes workload, "
                        "compose service with `build`, or inventory container. List them in `infrastructure_inventory` "
                        "(or `monitoring.inventory` in .devops.yml).")
    return inventory, problems


def _discover(project_path: str, ctx: StepContext) -> dict[str, Any]:
    from generators.analysis import analyze
    from generators.monitoring.inventory import discover
    from generators.monitoring.inventory import is_candidate

    tree = ctx.open_tree(project_path)
    analysis = analyze(tree)
    wanted = [path for path in tree.paths() if is_candidate(path)][:MAX_FILES_READ]
    repository = str(ctx.extras.get("repository") or project_path.rstrip("/").rsplit("/", 1)[-1])
    root = repository.rsplit("/", 1)[-1].split("@")[0]
    return discover(analysis.to_dict(), tree.read(wanted) if wanted else {}, root_name=root)


@step_type("infrastructure_analyzer")
def analyze_infrastructure(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Tiers with reasons, critical paths, single points of failure."""
    from generators.monitoring.topology import analyze

    infrastructure = analyze(inputs["inventory"])
    return {"infrastructure_map": infrastructure,
            "service_topology": [{"name": s["name"], "depends_on": s["depends_on"]} for s in infrastructure["services"]],
            "criticality_matrix": {s["name"]: {"tier": s["tier"], "reason": s["tier_reason"]}
                                   for s in infrastructure["services"]}}


@step_type("monitoring_architect")
def design_architecture(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The MonitoringPlan: services, SLOs, channels, runbook links."""
    from generators.monitoring.design import component_sizing
    from generators.monitoring.design import design_plan
    from generators.monitoring.design import network_topology

    repository = str(ctx.extras.get("repository") or "")
    branch = str(ctx.extras.get("default_branch") or "main")
    runbooks = f"https://github.com/{repository}/blob/{branch}/docs/runbooks" if repository else "docs/runbooks"
    plan = design_plan(inputs["infrastructure"], str(inputs["stack"]), inputs["sla"], _channels(inputs["channels"]),
                       repository=repository, runbook_base_url=runbooks)
    return {"monitoring_architecture": plan_to_dict(plan), "component_sizing": component_sizing(plan),
            "network_topology": network_topology(plan)}


@step_type("collector_config_generator")
def collection_configs(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """blackbox_exporter modules and the list of scrape jobs by tier."""
    from generators.monitoring.model import SCRAPE_INTERVAL

    plan = _plan(inputs)
    jobs = [{"job": s.name, "interval": SCRAPE_INTERVAL[s.tier], "runtime": s.runtime} for s in plan.services
            if s.endpoints]
    return {"collector_configurations": {"files": {"prometheus/blackbox.yml": package.blackbox_config()}},
            "scrape_configs": jobs,
            "pipeline_definitions": {"metrics": [job["job"] for job in jobs],
                                     "probes": [s.name for s in plan.services if any(e.public for e in s.endpoints)]}}


@step_type("metric_system_setup")
def metric_setup(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """prometheus.yml, the long-term Prometheus that keeps the 5m and 1h aggregates, the shared recording rules."""
    from generators.monitoring.longterm import PATH as LONGTERM_PATH
    from generators.monitoring.longterm import longterm_config
    from generators.monitoring.prometheus_config import prometheus_config
    from generators.monitoring.recording import recording_file

    plan = _plan(inputs)
    recording = recording_file()
    longterm = longterm_config(plan, [recording, *package.slo_rule_files(plan)])
    return {"prometheus_config": {"files": {"prometheus/prometheus.yml": prometheus_config(plan),
                                            LONGTERM_PATH: longterm}},
            "recording_rules": {"files": {recording.path: recording.text()}},
            "retention_config": dict(config.get("retention_policies") or {})}


@step_type("logging_system_setup")
def log_setup(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Log collection (Vector) from the logs generator."""
    return {"log_configuration": {"files": package.extra_files(_plan(inputs), "logs")}}


@step_type("tracing_setup")
def tracing_setup(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """OpenTelemetry Collector with tail sampling, and instrumentation notes."""
    return {"tracing_config": {"files": package.extra_files(_plan(inputs), "traces")}}


@step_type("monitoring_dashboard_generator")
def dashboards(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Grafana dashboards from the dashboards generator."""
    return {"grafana_dashboards": {"files": package.extra_files(_plan(inputs), "dashboards")}}


@step_type("alerting_configurator")
def alerting(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Saturation and health alerts, Alertmanager routing and a runbook per alert (runbooks only, for stacks whose
    alerts live elsewhere)."""
    from generators.monitoring.alert_tests import alert_tests
    from generators.monitoring.alertmanager import alertmanager_config
    from generators.monitoring.alerts import alerts_file
    from generators.monitoring.runbooks import runbooks

    plan = _plan(inputs)
    every = package.all_alerts(plan)
    links = {rule.alert or "": rule.runbook_url for rule in every}
    if plan.stack not in package.PROMETHEUS_STACKS:  # the stack's own monitors link the same runbooks
        return {"alert_rules": {}, "routing_config": {}, "runbook_links": links, "runbooks": {"files": runbooks(every)}}
    rules = alerts_file(plan)
    test_path, tests = alert_tests(plan, rules)
    return {"alert_rules": {"files": {rules.path: rules.text(), test_path: tests}},
            "routing_config": {"files": {"alertmanager/alertmanager.yml": alertmanager_config(plan)}},
            "runbook_links": links, "runbooks": {"files": runbooks(every)}}


@step_type("slo_configurator")
def slo_monitoring(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Per-service SLO rules and the promtool tests that prove their burn-rate alerts."""
    from generators.monitoring.rule_tests import slo_tests

    plan = _plan(inputs)
    files: dict[str, str] = {}
    for rule_file in package.slo_rule_files(plan):
        service = next(s for s in plan.services if rule_file.path.endswith(f"slo-{s.name}.yml"))
        slo = plan.slo_for(service.name)
        assert slo is not None
        files[rule_file.path] = rule_file.text()
        path, text = slo_tests(plan, service, slo, rule_file)
        files[path] = text
    return {"slo_definitions": {"files": files},
            "error_budgets": {slo.service: {"availability": slo.availability, "budget_ratio": slo.error_budget}
                              for slo in plan.slos},
            "slo_alerts": sorted({rule.alert or "" for f in package.slo_rule_files(plan) for rule in f.alerts()})}


@step_type("automation_configurator")
def automation(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Remediation playbooks (dry run, approval, audit) from the playbooks generator."""
    return {"automation_playbooks": {"files": package.extra_files(_plan(inputs, "infrastructure"), "playbooks")}}


@step_type("monitoring_stack_generator")
def other_stack(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """The elk, datadog or new_relic equivalents."""
    return {"stack_configs": {"files": package.stack_files(_plan(inputs)) or {}}}


@step_type("monitoring_package_assembler")
def assemble(inputs: dict[str, Any], config: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Every file, the operational guide and compliance docs, and the pull request text."""
    from generators.monitoring.pr import pull_request

    plan = _plan(inputs)
    files: dict[str, str] = {}
    for part in inputs.get("parts") or []:
        files.update({str(k): str(v) for k, v in ((part or {}).get("files") or {}).items()})
    docs = package.extra_files(plan, "docs")
    compliance = {path: text for path, text in docs.items() if "compliance" in path}
    guide = {path: text for path, text in docs.items() if path not in compliance}
    files.update(docs)
    text = pull_request(plan, inputs["infrastructure"], package.all_alerts(plan), files, package.not_generated(plan))
    return {"monitoring_package": {"files": dict(sorted(files.items())), "pull_request": text},
            "operational_guide": {"files": guide}, "compliance_report": {"files": compliance}}
