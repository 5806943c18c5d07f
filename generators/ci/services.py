"""Service containers that tests need (databases, caches, brokers), each with a health check."""

from __future__ import annotations

from typing import Any

# Credentials here exist only inside the throwaway CI container network.
_SERVICES: dict[str, dict[str, Any]] = {
    "postgres": {
        "image": "postgres:17-alpine",
        "port": 5432,
        "env": {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres", "POSTGRES_DB": "test"},
        "health_cmd": "pg_isready -U postgres",
        "test_env": {"DATABASE_URL": "postgresql://postgres:postgres@localhost:5432/test"},
    },
    "mysql": {
        "image": "mysql:8.4",
        "port": 3306,
        "env": {"MYSQL_ROOT_PASSWORD": "mysql", "MYSQL_DATABASE": "test"},
        "health_cmd": "mysqladmin ping -h 127.0.0.1 -pmysql",
        "test_env": {"DATABASE_URL": "mysql://root:mysql@127.0.0.1:3306/test"},
    },
    "mariadb": {
        "image": "mariadb:11.4",
        "port": 3306,
        "env": {"MARIADB_ROOT_PASSWORD": "mariadb", "MARIADB_DATABASE": "test"},
        "health_cmd": "healthcheck.sh --connect --innodb_initialized",
        "test_env": {"DATABASE_URL": "mysql://root:mariadb@127.0.0.1:3306/test"},
    },
    "redis": {
        "image": "redis:7-alpine",
        "port": 6379,
        "env": {},
        "health_cmd": "redis-cli ping",
        "test_env": {"REDIS_URL": "redis://localhost:6379/0"},
    },
    "mongodb": {
        "image": "mongo:8.0",
        "port": 27017,
        "env": {},
        "health_cmd": "mongosh --quiet --eval 'db.runCommand({ ping: 1 })'",
        "test_env": {"MONGODB_URL": "mongodb://localhost:27017/test"},
    },
    "rabbitmq": {
        "image": "rabbitmq:4-alpine",
        "port": 5672,
        "env": {},
        "health_cmd": "rabbitmq-diagnostics -q ping",
        "test_env": {"AMQP_URL": "amqp://guest:guest@localhost:5672/"},
    },
}


def known_services() -> list[str]:
    """Service names the generator can start for tests."""
    return sorted(_SERVICES)


def service_containers(names: list[str]) -> tuple[list[dict[str, Any]], dict[str, str], list[str]]:
    """Containers, the environment the tests read them from, and names that were not recognised."""
    containers: list[dict[str, Any]] = []
    env: dict[str, str] = {}
    unknown: list[str] = []
    for name in sorted(set(names)):
        spec = _SERVICES.get(name)
        if spec is None:
            unknown.append(name)
            continue
        containers.append(
            {
                "name": name,
                "image": spec["image"],
                "ports": [f"{spec['port']}:{spec['port']}"],
                "env": dict(spec["env"]),
                "health_cmd": spec["health_cmd"],
            }
        )
        for key, value in spec["test_env"].items():
            env.setdefault(key, value)
    return containers, env, unknown
