"""analyze_infrastructure: dependencies, critical paths, single points of failure and a tier per service.

Tiers, each with the sentence that justifies it:
- tier_1: a public endpoint backed by a datastore, or anything a tier_1 service needs to answer;
- tier_2: public without a datastore, internal with a datastore, or needed by another service;
- tier_3: internal, stateless and needed by nobody.
"""

from __future__ import annotations

from typing import Any

from generators.monitoring.model import Datastore
from generators.monitoring.model import Endpoint
from generators.monitoring.model import Server
from generators.monitoring.model import Service


def analyze(inventory: dict[str, Any]) -> dict[str, Any]:
    """Services with tiers, datastores, servers, critical paths and single points of failure (plain data)."""
    services = {s["name"]: s for s in inventory["services"]}
    stores = {d["name"]: d for d in inventory["datastores"]}
    tiers = _tiers(services, stores)
    paths = critical_paths(services, stores)
    return {
        "services": [{**service, "tier": tiers[name][0], "tier_reason": tiers[name][1]}
                     for name, service in sorted(services.items())],
        "datastores": [{**store, "used_by": sorted(set(store["used_by"]) | _users(services, name))}
                       for name, store in sorted(stores.items())],
        "servers": sorted(inventory["servers"], key=lambda s: s["name"]),
        "critical_paths": paths,
        "single_points_of_failure": single_points_of_failure(services, stores, tiers),
        "source": inventory.get("source", ""),
        "notes": list(inventory.get("notes", [])),
    }


def _users(services: dict[str, Any], store: str) -> set[str]:
    return {name for name, service in services.items() if store in service["depends_on"]}


def _tiers(services: dict[str, Any], stores: dict[str, Any]) -> dict[str, tuple[str, str]]:
    tiers: dict[str, tuple[str, str]] = {}
    for name, service in sorted(services.items()):
        used = sorted(d for d in service["depends_on"] if d in stores) + sorted(
            s["name"] for s in stores.values() if name in s["used_by"])
        used = sorted(set(used))
        if service["public"] and used:
            tiers[name] = ("tier_1", f"public endpoint backed by {_and(used)}")
        elif service["public"]:
            tiers[name] = ("tier_2", "public endpoint without a datastore")
        elif used:
            tiers[name] = ("tier_2", f"internal service that uses {_and(used)}")
        else:
            tiers[name] = ("tier_3", "internal and stateless")
    changed = True
    while changed:  # whatever a tier_1 service needs to answer is on its critical path, so it is tier_1 too
        changed = False
        for name, service in sorted(services.items()):
            if tiers[name][0] != "tier_1":
                continue
            for dependency in service["depends_on"]:
                if dependency in services and tiers[dependency][0] != "tier_1":
                    tiers[dependency] = ("tier_1", f"on the critical path of {name} ({tiers[name][1]})")
                    changed = True
    for name, service in sorted(services.items()):
        needed_by = sorted(other for other, s in services.items() if name in s["depends_on"])
        if tiers[name][0] == "tier_3" and needed_by:
            tiers[name] = ("tier_2", f"internal dependency of {_and(needed_by)}")
    return tiers


def critical_paths(services: dict[str, Any], stores: dict[str, Any]) -> list[list[str]]:
    """Every chain from a public service through its dependencies to a leaf, as names."""
    paths: list[list[str]] = []

    def walk(path: list[str]) -> None:
        current = services.get(path[-1])
        nexts = [d for d in (current["depends_on"] if current else []) if d not in path]
        if not nexts:
            paths.append(path)
        for dependency in sorted(nexts):
            walk([*path, dependency])

    for name, service in sorted(services.items()):
        if service["public"]:
            walk([name])
    return paths


def single_points_of_failure(services: dict[str, Any], stores: dict[str, Any],
                             tiers: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    """Components whose one failure takes a critical service down, each with the reason."""
    found = []
    for name, store in sorted(stores.items()):
        users = sorted(set(store["used_by"]) | _users(services, name))
        if len(users) > 1:
            found.append({"component": name, "reason": f"one {store['kind']} shared by {_and(users)}: when it "
                                                       "fails they all fail"})
        elif users and tiers[users[0]][0] == "tier_1":
            found.append({"component": name, "reason": f"the only {store['kind']} of tier_1 service {users[0]}"})
    for name, service in sorted(services.items()):
        if tiers[name][0] == "tier_1" and service.get("replicas", 1) < 2 and not service.get("serverless"):
            found.append({"component": name, "reason": "tier_1 service with a single replica"})
    hosts: dict[str, list[str]] = {}
    for name, service in sorted(services.items()):
        if service.get("host"):
            hosts.setdefault(service["host"], []).append(name)
    for host, names in sorted(hosts.items()):
        if any(tiers[n][0] == "tier_1" for n in names):
            found.append({"component": host, "reason": f"one host runs {_and(names)}"})
    return found


def model_parts(infrastructure: dict[str, Any]) -> tuple[tuple[Service, ...], tuple[Datastore, ...],
                                                          tuple[Server, ...]]:
    """The analysed inventory as the shared model's services, datastores and servers."""
    services = tuple(Service(
        name=s["name"], tier=s["tier"], tier_reason=s["tier_reason"], runtime=s["runtime"], language=s["language"],
        team=s["team"], endpoints=(Endpoint(port=s["port"], public=s["public"], health_path=s["health_path"]),)
        if s["port"] else (), depends_on=tuple(s["depends_on"]), evidence=tuple(s["evidence"]),
        replicas=s["replicas"], host=s["host"]) for s in infrastructure["services"])
    datastores = tuple(Datastore(name=d["name"], kind=d["kind"], used_by=tuple(d["used_by"]),
                                 evidence=tuple(d["evidence"])) for d in infrastructure["datastores"])
    servers = tuple(Server(name=s["name"], address=s["address"], evidence=tuple(s["evidence"]))
                    for s in infrastructure["servers"])
    return services, datastores, servers


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
