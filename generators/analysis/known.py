"""Package names that mean something to a pipeline: frameworks, test runners, linters, service drivers."""

from __future__ import annotations

import re

PYTHON_FRAMEWORKS = {"django": "django", "flask": "flask", "fastapi": "fastapi"}
NODE_FRAMEWORKS = {
    "express": "express", "next": "next", "react": "react", "vite": "vite", "vue": "vue",
    "@nestjs/core": "nestjs", "@angular/core": "angular", "astro": "astro",
}
GO_FRAMEWORKS = {
    "github.com/gin-gonic/gin": "gin", "github.com/labstack/echo/v4": "echo",
    "github.com/go-chi/chi/v5": "chi", "github.com/gofiber/fiber/v2": "fiber",
}
# Frameworks that run a long-lived server process; the others build static assets or libraries.
SERVER_FRAMEWORKS = frozenset({"django", "flask", "fastapi", "express", "next", "nestjs", "gin", "echo", "chi", "fiber",
                               "actix-web", "axum", "rocket", "warp", "poem", "spring-boot", "quarkus", "micronaut",
                               "ktor", "aspnetcore", "rails", "sinatra", "hanami", "laravel", "symfony", "slim",
                               "phoenix", "plug"})

PYTHON_LINTERS = {"ruff": "ruff", "flake8": "flake8", "black": "black", "mypy": "mypy"}
NODE_LINTERS = {"eslint": "eslint", "prettier": "prettier", "typescript": "tsc"}
NODE_TEST_RUNNERS = ("vitest", "jest", "mocha")  # script words and dependency names
NODE_E2E = (("@playwright/test", "playwright"), ("cypress", "cypress"))  # end-to-end runners, a separate test kind

PYTHON_DRIVERS = {
    "psycopg": "postgres", "psycopg2": "postgres", "psycopg2-binary": "postgres", "psycopg-binary": "postgres",
    "asyncpg": "postgres", "pg8000": "postgres",
    "mysqlclient": "mysql", "pymysql": "mysql", "mysql-connector-python": "mysql", "aiomysql": "mysql",
    "redis": "redis", "django-redis": "redis", "aioredis": "redis",
    "pymongo": "mongodb", "motor": "mongodb", "mongoengine": "mongodb",
    "pika": "rabbitmq", "aio-pika": "rabbitmq",
}
NODE_DRIVERS = {
    "pg": "postgres", "postgres": "postgres", "pg-promise": "postgres",
    "mysql": "mysql", "mysql2": "mysql",
    "redis": "redis", "ioredis": "redis",
    "mongodb": "mongodb", "mongoose": "mongodb",
    "amqplib": "rabbitmq", "amqp-connection-manager": "rabbitmq",
}
GO_DRIVERS = {
    "github.com/lib/pq": "postgres", "github.com/jackc/pgx/v5": "postgres", "github.com/jackc/pgx/v4": "postgres",
    "github.com/go-sql-driver/mysql": "mysql",
    "github.com/redis/go-redis/v9": "redis", "github.com/go-redis/redis/v8": "redis",
    "go.mongodb.org/mongo-driver": "mongodb",
    "github.com/rabbitmq/amqp091-go": "rabbitmq", "github.com/streadway/amqp": "rabbitmq",
}
DJANGO_BACKENDS = {
    "django.db.backends.postgresql": "postgres", "django.db.backends.postgresql_psycopg2": "postgres",
    "django.contrib.gis.db.backends.postgis": "postgres", "django.db.backends.mysql": "mysql",
}
# Container images (last path component, without tag) of backing services.
IMAGES = {
    "postgres": "postgres", "postgresql": "postgres", "postgis": "postgres",
    "mysql": "mysql", "mariadb": "mysql",
    "redis": "redis", "valkey": "redis",
    "mongo": "mongodb", "mongodb": "mongodb",
    "rabbitmq": "rabbitmq",
}


def python_name(requirement: str) -> str | None:
    """The normalised distribution name of a PEP 508 requirement, None for options and paths."""
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        return None
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def image_service(image: str) -> str | None:
    """Which backing service a container image runs: "postgres:16-alpine" -> "postgres"."""
    name = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0].lower()
    return IMAGES.get(name)
