"""The monitoring pipeline's user inputs checked and normalised: SLA, alerting channels, inventory.

Each reader returns (value, problems): every problem is a sentence naming the setting, the value
given and what is valid, so the step can report all of them at once.
"""

from __future__ import annotations

import re
from typing import Any

from generators.monitoring.model import Channel

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")           # a DNS label: the `service` label value
TEAM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")      # a file name under the secrets directory
EMAIL = re.compile(r"^[^@\s\"'<>]+@[^@\s\"'<>]+\.[^@\s\"'<>]+$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")                          # E.164
SLACK_CHANNEL = re.compile(r"^[#@][a-z0-9][a-z0-9._-]{0,79}$")
URL = re.compile(r"^https?://[^\s\"'<>]+$")
RUNTIMES = ("kubernetes", "compose", "static")
DATASTORE_KINDS = ("postgresql", "mysql", "redis", "mongodb", "kafka", "rabbitmq", "elasticsearch")
KIND_ALIASES = {"postgres": "postgresql", "mariadb": "mysql", "mongo": "mongodb", "aurora-postgresql": "postgresql",
                "aurora-mysql": "mysql", "aurora": "mysql", "valkey": "redis"}
CHANNEL_TYPES = ("email", "slack", "pagerduty", "webhook", "sms")
# Which severities a channel receives unless its config says otherwise: phones and pagers wake people up.
DEFAULT_SEVERITIES = {"pagerduty": ("page",), "sms": ("page",), "email": ("ticket",), "slack": ("page", "ticket"),
                      "webhook": ("page", "ticket")}
# Settings that would put a secret into the generated files; each names the reference to use instead.
INLINE_SECRETS = {"slack": {"api_url": "webhook_url_secret", "webhook_url": "webhook_url_secret"},
                  "pagerduty": {"routing_key": "routing_key_secret", "service_key": "routing_key_secret"},
                  "email": {"password": "password_secret", "auth_password": "password_secret"},
                  "webhook": {"token": "url_secret", "password": "url_secret"},
                  "sms": {"access_key": "the AWS_ACCESS_KEY_ID environment variable",
                          "secret_key": "the AWS_SECRET_ACCESS_KEY environment variable"}}
CHANNEL_KEYS = {"email": ("to", "from", "smarthost", "password_secret", "severities", "team"),
                "slack": ("channel", "webhook_url_secret", "severities", "team"),
                "pagerduty": ("routing_key_secret", "severities", "team"),
                "webhook": ("url", "url_secret", "severities", "team"),
                "sms": ("phone_number", "region", "severities", "team")}
# `.devops.yml` gives each channel one `target`; this is the setting it fills.
TARGET_KEY = {"email": "to", "slack": "channel", "pagerduty": "routing_key_secret", "webhook": "url",
              "sms": "phone_number"}


def read_sla(sla: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """availability (0 < x < 100 %), response_time_p99 (> 0 ms), error_rate (0..100 %)."""
    problems: list[str] = []
    result: dict[str, float] = {}
    checks = {"availability": (lambda v: 0 < v < 100, "a percentage above 0 and below 100, such as 99.9"),
              "response_time_p99": (lambda v: v > 0, "milliseconds above 0, such as 1000"),
              "error_rate": (lambda v: 0 <= v <= 100, "a percentage from 0 to 100, such as 0.1")}
    for key, (valid, what) in checks.items():
        value = sla.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or not valid(value):
            problems.append(f"`sla_requirements.{key}` is {value!r}; it must be {what}.")
        else:
            result[key] = float(value)
    for key in sorted(set(sla) - set(checks)):
        problems.append(f"`sla_requirements.{key}` is not a setting; the settings are {', '.join(sorted(checks))}.")
    return result, problems


def read_channels(channels: list[Any]) -> tuple[tuple[Channel, ...], list[str]]:
    """Alerting channels with their required settings; secrets only as references."""
    problems: list[str] = []
    result: list[Channel] = []
    counts: dict[str, int] = {}
    for index, raw in enumerate(channels):
        where = f"`alerting_channels[{index}]`"
        if not isinstance(raw, dict) or raw.get("type") not in CHANNEL_TYPES:
            kind = raw.get("type") if isinstance(raw, dict) else raw
            problems.append(f"{where} has type {kind!r}; valid types: {', '.join(CHANNEL_TYPES)}.")
            continue
        kind = str(raw["type"])
        config = dict(raw.get("config") or {})
        if "target" in raw:  # the .devops.yml shape: {type, target}
            config.setdefault(TARGET_KEY[kind], raw["target"])
        before = len(problems)
        _check_channel(where, kind, config, problems)
        if len(problems) > before:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        name = kind if counts[kind] == 1 else f"{kind}-{counts[kind]}"
        severities = tuple(config.pop("severities", None) or DEFAULT_SEVERITIES[kind])
        result.append(Channel(type=kind, name=name, config=config, severities=severities))  # type: ignore[arg-type]
    return tuple(result), problems


def _check_channel(where: str, kind: str, config: dict[str, Any], problems: list[str]) -> None:
    for key, reference in sorted(INLINE_SECRETS[kind].items()):
        if key in config:
            problems.append(f"{where} ({kind}) sets `{key}` inline; secrets are never written into the generated "
                            f"files: store it as a secret and give its name as `{reference}`.")
    unknown = sorted(set(config) - set(CHANNEL_KEYS[kind]) - set(INLINE_SECRETS[kind]))
    if unknown:
        problems.append(f"{where} ({kind}) has unknown settings {', '.join(f'`{k}`' for k in unknown)}; "
                        f"its settings are {', '.join(f'`{k}`' for k in CHANNEL_KEYS[kind])}.")
    required = {"email": [("to", EMAIL, "an email address")],
                "slack": [("channel", SLACK_CHANNEL, "a channel such as #alerts")],
                "pagerduty": [("routing_key_secret", SECRET_NAME, "the name of the secret holding the Events v2 "
                                                                  "routing key, such as PAGERDUTY_ROUTING_KEY")],
                "webhook": [],
                "sms": [("phone_number", PHONE, "an E.164 phone number such as +447700900123")]}[kind]
    for key, pattern, what in required:
        value = config.get(key)
        if value is None:
            problems.append(f"{where} ({kind}) needs `config.{key}`: {what}.")
        elif not isinstance(value, str) or not pattern.match(value):
            problems.append(f"{where} ({kind}) `{key}` is {value!r}; it must be {what}.")
    if kind == "webhook":
        url, secret = config.get("url"), config.get("url_secret")
        if url is None and secret is None:
            problems.append(f"{where} (webhook) needs `config.url` (http or https) or `config.url_secret`.")
        if url is not None and (not isinstance(url, str) or not URL.match(url)):
            problems.append(f"{where} (webhook) `url` is {url!r}; it must start with http:// or https://.")
    for key in ("webhook_url_secret", "password_secret", "url_secret"):
        value = config.get(key)
        if value is not None and (not isinstance(value, str) or not SECRET_NAME.match(value)):
            problems.append(f"{where} ({kind}) `{key}` is {value!r}; it must be a secret name (letters, digits, "
                            "`.`, `_`, `-`).")
    if kind == "email" and config.get("from") is not None and not EMAIL.match(str(config["from"])):
        problems.append(f"{where} (email) `from` is {config['from']!r}; it must be an email address.")
    severities = config.get("severities")
    if severities is not None and (not isinstance(severities, list) or not severities
                                   or any(s not in ("page", "ticket") for s in severities)):
        problems.append(f"{where} ({kind}) `severities` is {severities!r}; it must list `page` and/or `ticket`.")
    team = config.get("team")
    if team is not None and (not isinstance(team, str) or not TEAM.match(team)):
        problems.append(f"{where} ({kind}) `team` is {team!r}; a team is lowercase letters, digits, `-` and `_`.")


def read_inventory(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The SPEC's inventory (servers, containers, serverless, databases) as normalised plain data."""
    problems: list[str] = []
    known = ("servers", "containers", "serverless", "databases")
    for key in sorted(set(raw) - set(known)):
        problems.append(f"`infrastructure_inventory.{key}` is not a section; the sections are {', '.join(known)}.")
    services = [_service(f"containers[{i}]", item, problems) for i, item in enumerate(raw.get("containers") or [])]
    services += [_service(f"serverless[{i}]", item, problems, serverless=True)
                 for i, item in enumerate(raw.get("serverless") or [])]
    datastores = [_datastore(i, item, problems) for i, item in enumerate(raw.get("databases") or [])]
    servers = [_server(i, item, problems) for i, item in enumerate(raw.get("servers") or [])]
    inventory = {"services": [s for s in services if s], "datastores": [d for d in datastores if d],
                 "servers": [s for s in servers if s], "source": "infrastructure_inventory", "notes": []}
    problems += check_references(inventory)
    return inventory, problems


def check_references(inventory: dict[str, Any]) -> list[str]:
    """Names unique; depends_on, used_by and host point at things the inventory has."""
    problems: list[str] = []
    names = [s["name"] for s in inventory["services"]] + [d["name"] for d in inventory["datastores"]]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"`{name}` is named twice in the inventory; service and database names must be unique.")
    servers = {s["name"] for s in inventory["servers"]}
    for service in inventory["services"]:
        for dependency in service["depends_on"]:
            if dependency not in names:
                problems.append(f"service `{service['name']}` depends on `{dependency}`, which the inventory does not "
                                f"have; known: {', '.join(sorted(names))}.")
        if service.get("host") and service["host"] not in servers:
            problems.append(f"service `{service['name']}` runs on host `{service['host']}`, which is not among the "
                            f"servers ({', '.join(sorted(servers)) or 'none given'}).")
    for store in inventory["datastores"]:
        for user in store["used_by"]:
            if user not in names:
                problems.append(f"database `{store['name']}` is used by `{user}`, which the inventory does not have.")
    return problems


def _name(where: str, item: dict[str, Any], problems: list[str]) -> str | None:
    name = item.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        problems.append(f"`infrastructure_inventory.{where}.name` is {name!r}; a name is a DNS label: lowercase "
                        "letters, digits and `-`, at most 63 characters.")
        return None
    return name


def _service(where: str, item: Any, problems: list[str], serverless: bool = False) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        problems.append(f"`infrastructure_inventory.{where}` must be a mapping with at least a `name`.")
        return None
    name = _name(where, item, problems)
    port, runtime = item.get("port"), item.get("runtime", "static")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        problems.append(f"`infrastructure_inventory.{where}.port` is {port!r}; a port is a whole number 1-65535.")
    if runtime not in RUNTIMES:
        problems.append(f"`infrastructure_inventory.{where}.runtime` is {runtime!r}; valid: {', '.join(RUNTIMES)}.")
    health = item.get("health_path")
    if health is not None and (not isinstance(health, str) or not health.startswith("/") or " " in health):
        problems.append(f"`infrastructure_inventory.{where}.health_path` is {health!r}; it must be a path such as "
                        "/healthz.")
    team = item.get("team", "platform")
    if not isinstance(team, str) or not TEAM.match(team):
        problems.append(f"`infrastructure_inventory.{where}.team` is {team!r}; a team is lowercase letters, digits, "
                        "`-` and `_`.")
    replicas = item.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1:
        problems.append(f"`infrastructure_inventory.{where}.replicas` is {replicas!r}; it must be 1 or more.")
    depends = item.get("depends_on") or []
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        problems.append(f"`infrastructure_inventory.{where}.depends_on` must be a list of names.")
        depends = []
    if name is None:
        return None
    return {"name": name, "runtime": runtime, "language": item.get("language"), "team": team,
            "port": port if isinstance(port, int) else None, "health_path": health,
            "public": bool(item.get("public", False)), "depends_on": sorted(set(depends)),
            "replicas": replicas if isinstance(replicas, int) else 1, "host": item.get("host"),
            "serverless": serverless, "evidence": [f"infrastructure_inventory.{where}"]}


def _datastore(index: int, item: Any, problems: list[str]) -> dict[str, Any] | None:
    where = f"databases[{index}]"
    if not isinstance(item, dict):
        problems.append(f"`infrastructure_inventory.{where}` must be a mapping with `name` and `kind`.")
        return None
    name = _name(where, item, problems)
    kind = normal_kind(str(item.get("kind") or item.get("engine") or ""))
    if kind not in DATASTORE_KINDS:
        problems.append(f"`infrastructure_inventory.{where}.kind` is {item.get('kind') or item.get('engine')!r}; "
                        f"valid: {', '.join(DATASTORE_KINDS)}.")
        return None
    used_by = item.get("used_by") or []
    if name is None:
        return None
    return {"name": name, "kind": kind, "used_by": sorted({str(u) for u in used_by}),
            "evidence": [f"infrastructure_inventory.{where}"]}


def _server(index: int, item: Any, problems: list[str]) -> dict[str, Any] | None:
    where = f"servers[{index}]"
    if not isinstance(item, dict):
        problems.append(f"`infrastructure_inventory.{where}` must be a mapping with `name` and `address`.")
        return None
    name = _name(where, item, problems)
    address = str(item.get("address") or f"{name}:9100")
    if not re.match(r"^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$", address):
        problems.append(f"`infrastructure_inventory.{where}.address` is {address!r}; it must be host:port of its "
                        "node_exporter, such as 10.0.0.5:9100.")
    if name is None:
        return None
    return {"name": name, "address": address, "evidence": [f"infrastructure_inventory.{where}"]}


def normal_kind(kind: str) -> str:
    """postgres -> postgresql, mariadb -> mysql, ...: one name per engine."""
    kind = kind.lower().strip()
    return KIND_ALIASES.get(kind, kind)
