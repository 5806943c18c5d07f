"""Health and saturation alerts: targets down, failed probes, disk, memory and datastore connections.

Each resource gets the three kinds the SPEC asks for: a threshold (it is nearly full), a rate of
change (it is filling unusually fast) and a prediction (`predict_linear`: it will be full soon).
"""

from __future__ import annotations

from generators.monitoring.model import MonitoringPlan
from generators.monitoring.model import Service
from generators.monitoring.ruleset import Group
from generators.monitoring.ruleset import Rule
from generators.monitoring.ruleset import RuleFile
from generators.monitoring.ruleset import quote
from generators.monitoring.slo import labels
from generators.monitoring.slo import runbook

PLATFORM_TEAM = "platform"
FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs",mountpoint!~"/(run|boot).*"'
CONNECTIONS = "datastore:connections:utilisation"
# Connections in use over the limit, per datastore kind, from the usual exporters' metric names.
CONNECTION_EXPRS = {
    "postgresql": "sum by (datastore, instance) (pg_stat_activity_count{{{sel}}})\n/ on (datastore, instance)\n"
                  "max by (datastore, instance) (pg_settings_max_connections{{{sel}}})",
    "mysql": "max by (datastore, instance) (mysql_global_status_threads_connected{{{sel}}})\n/ on (datastore, instance)\n"
             "max by (datastore, instance) (mysql_global_variables_max_connections{{{sel}}})",
    "redis": "max by (datastore, instance) (redis_connected_clients{{{sel}}})\n/ on (datastore, instance)\n"
             "max by (datastore, instance) (redis_config_maxclients{{{sel}}})",
    "mongodb": 'max by (datastore, instance) (mongodb_connections{{{sel},state="current"}})\n/ on (datastore, instance)\n'
               '(\n  max by (datastore, instance) (mongodb_connections{{{sel},state="current"}})\n+ on (datastore, '
               'instance)\n  max by (datastore, instance) (mongodb_connections{{{sel},state="available"}})\n)',
    "rabbitmq": "max by (datastore, instance) (rabbitmq_process_open_fds{{{sel}}})\n/ on (datastore, instance)\n"
                "max by (datastore, instance) (rabbitmq_process_max_fds{{{sel}}})",
}


def _infra_labels(severity: str) -> tuple[tuple[str, str], ...]:
    return (("severity", severity), ("team", PLATFORM_TEAM))


def node_rules(plan: MonitoringPlan) -> tuple[Rule, ...]:
    """Node down, disk and memory: threshold, rate of change, prediction."""
    fs = f"node_filesystem_avail_bytes{{{FILESYSTEMS}}}"
    size = f"node_filesystem_size_bytes{{{FILESYSTEMS}}}"
    memory = "node_memory_MemAvailable_bytes"
    return (
        Rule(alert="NodeDown", expr='up{job=~"node|node-static"} == 0', duration="2m", labels=_infra_labels("page"),
             summary="Node {{ $labels.node }} is not answering",
             description="node_exporter on {{ $labels.instance }} has not been scraped for 2 minutes; the alerts of "
                         "the services on that node are held back while this fires.",
             runbook_url=runbook(plan, "NodeDown"), checks=('up{job=~"node|node-static"}',),
             remedy=("Check the host in the cloud console; replace it if it does not come back.",)),
        Rule(alert="DiskSpaceLow", expr=f"{fs} / {size} < 0.10", duration="10m", labels=_infra_labels("ticket"),
             summary="Less than 10 % disk left on {{ $labels.node }} {{ $labels.mountpoint }}",
             description="The filesystem has had under 10 % free space for 10 minutes.",
             runbook_url=runbook(plan, "DiskSpaceLow"), checks=(f"{fs} / {size}",),
             remedy=("Run playbooks/clear-disk.sh (dry run first); rotate logs (playbooks/rotate-logs.sh).",)),
        Rule(alert="DiskFillingFast", expr=f"({fs} - {fs} offset 1h) / {size} < -0.20", duration="15m",
             labels=_infra_labels("ticket"),
             summary="{{ $labels.node }} {{ $labels.mountpoint }} lost more than 20 % of its space in an hour",
             description="Free space dropped by over a fifth of the disk within one hour: a runaway log or dump.",
             runbook_url=runbook(plan, "DiskFillingFast"), checks=(f"deriv({fs}[1h])",),
             remedy=("Find the growing directory (`du -xh --max-depth=2 /`); rotate logs.",)),
        Rule(alert="DiskWillFillIn4h", expr=f"predict_linear({fs}[6h], 4 * 3600) < 0 and {fs} / {size} < 0.40",
             duration="30m", labels=_infra_labels("page"),
             summary="{{ $labels.node }} {{ $labels.mountpoint }} will be full within 4 hours",
             description="A linear prediction over the last 6 hours reaches zero free bytes within 4 hours.",
             runbook_url=runbook(plan, "DiskWillFillIn4h"), checks=(f"predict_linear({fs}[6h], 4 * 3600)",),
             remedy=("Free space now (playbooks/clear-disk.sh), then grow the volume.",)),
        Rule(alert="MemoryPressure", expr=f"1 - {memory} / node_memory_MemTotal_bytes > 0.90", duration="15m",
             labels=_infra_labels("ticket"), summary="{{ $labels.node }} uses more than 90 % of its memory",
             description="Available memory has stayed under 10 % for 15 minutes.",
             runbook_url=runbook(plan, "MemoryPressure"), checks=(f"{memory} / node_memory_MemTotal_bytes",),
             remedy=("Restart the leaking process (playbooks/restart-service.sh) or scale out (playbooks/scale-service.sh).",)),
        Rule(alert="MemoryDroppingFast", expr=f"({memory} - {memory} offset 30m) / node_memory_MemTotal_bytes < -0.25",
             duration="10m", labels=_infra_labels("ticket"),
             summary="{{ $labels.node }} lost a quarter of its memory in 30 minutes",
             description="Available memory fell by over 25 % of the total in 30 minutes: a leak or a load spike.",
             runbook_url=runbook(plan, "MemoryDroppingFast"), checks=(f"deriv({memory}[30m])",),
             remedy=("Compare with the request rate; restart the leaking process if traffic is flat.",)),
        Rule(alert="MemoryExhaustionPredicted", expr=f"predict_linear({memory}[1h], 2 * 3600) < 0", duration="15m",
             labels=_infra_labels("page"), summary="{{ $labels.node }} will run out of memory within 2 hours",
             description="A linear prediction over the last hour reaches zero available memory within 2 hours.",
             runbook_url=runbook(plan, "MemoryExhaustionPredicted"), checks=(f"predict_linear({memory}[1h], 7200)",),
             remedy=("Scale out before the OOM killer acts (playbooks/scale-service.sh); then find the leak.",)),
    )


def datastore_rules(plan: MonitoringPlan) -> tuple[Group, ...]:
    """Connection utilisation per datastore: recorded, then threshold, rate of change and prediction."""
    records, alerts = [], []
    for store in plan.datastores:
        if store.kind not in CONNECTION_EXPRS:
            continue
        selector = f"datastore={quote(store.name)}"
        records.append(Rule(record=CONNECTIONS, expr=CONNECTION_EXPRS[store.kind].format(sel=selector),
                            labels=(("datastore", store.name),)))
        owner = next((s for s in plan.services if s.name in store.used_by), None)
        team = owner.team if owner else PLATFORM_TEAM
        series = f"{CONNECTIONS}{{{selector}}}"
        common = (("datastore", store.name), ("team", team))
        what = f"{store.name} ({store.kind})"
        alerts += [
            Rule(alert="DatastoreConnectionsHigh", expr=f"{series} > 0.80", duration="10m",
                 labels=tuple(sorted((*common, ("severity", "ticket")))),
                 summary=f"{what} uses more than 80 % of its connections",
                 description=f"Connections in use on {what} have stayed above 80 % of the limit for 10 minutes.",
                 runbook_url=runbook(plan, "DatastoreConnectionsHigh"), checks=(series,),
                 remedy=("Look for connection leaks or a missing pool limit in its clients.",)),
            Rule(alert="DatastoreConnectionsRisingFast", expr=f"delta({series}[15m]) > 0.30", duration="5m",
                 labels=tuple(sorted((*common, ("severity", "ticket")))),
                 summary=f"{what} gained 30 % of its connection limit in 15 minutes",
                 description=f"Connection use on {what} rose by more than 30 points of the limit in 15 minutes.",
                 runbook_url=runbook(plan, "DatastoreConnectionsRisingFast"), checks=(f"deriv({series}[15m])",),
                 remedy=("Check whether a deploy changed pool sizes or retries.",)),
            Rule(alert="DatastoreConnectionsExhaustionPredicted", expr=f"predict_linear({series}[1h], 3600) > 1",
                 duration="15m", labels=tuple(sorted((*common, ("severity", "page")))),
                 summary=f"{what} will run out of connections within an hour",
                 description=f"A linear prediction over the last hour puts {what} above its connection limit "
                             "within an hour.",
                 runbook_url=runbook(plan, "DatastoreConnectionsExhaustionPredicted"),
                 checks=(f"predict_linear({series}[1h], 3600)",),
                 remedy=("Raise the limit or add a pooler (PgBouncer) before it is reached.",)),
        ]
    if not records:
        return ()
    return (Group("datastore-connections", tuple(records)), Group("datastore-saturation", tuple(alerts)))


def service_rules(plan: MonitoringPlan, service: Service) -> tuple[Rule, ...]:
    """The service's targets down and its public endpoints failing their probe."""
    severity = "page" if service.tier == "tier_1" else "ticket"
    selector = "{service=" + quote(service.name) + "}"
    rules = [Rule(alert="ServiceDown", expr=f'up{{job={quote(service.name)}}} == 0', duration="2m",
                  labels=labels(service, severity, service=service.name),
                  summary=f"A {service.name} target is down",
                  description=f"Prometheus could not scrape {service.name} on {{{{ $labels.instance }}}} for 2 "
                              f"minutes ({service.tier}: {service.tier_reason}).",
                  runbook_url=runbook(plan, "ServiceDown"), checks=(f'up{{job={quote(service.name)}}}',),
                  remedy=("Restart it (playbooks/restart-service.sh) if the process hangs; check the last deploy.",))]
    if any(endpoint.public for endpoint in service.endpoints):
        rules.append(Rule(alert="EndpointProbeFailed", expr=f"probe_success{selector} == 0", duration="2m",
                          labels=labels(service, severity, service=service.name),
                          summary=f"The public endpoint of {service.name} fails its probe",
                          description=f"blackbox_exporter could not get a 2xx from {{{{ $labels.instance }}}} for "
                                      "2 minutes: users cannot reach the service.",
                          runbook_url=runbook(plan, "EndpointProbeFailed"), checks=(f"probe_success{selector}",
                                                                                     f"probe_http_status_code{selector}"),
                          remedy=("Check DNS, TLS certificate expiry and the load balancer in front.",)))
    return tuple(rules)


def alerts_file(plan: MonitoringPlan) -> RuleFile:
    """prometheus/rules/alerts.yml: nodes, datastores and each service's availability."""
    groups = [Group("nodes", node_rules(plan)), *datastore_rules(plan)]
    service = tuple(rule for s in plan.services for rule in service_rules(plan, s))
    if service:
        groups.append(Group("services", service))
    return RuleFile("prometheus/rules/alerts.yml", tuple(groups))
