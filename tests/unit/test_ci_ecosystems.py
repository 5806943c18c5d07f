"""Generated CI for the new ecosystems: pinned setup actions, frozen installs, lockfile caches, gates, JUnit."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.trees import LocalTree
from ci_support import REPOS
from ci_support import TODAY
from ci_support import run_on_fixture
from generators.analysis import analyze
from generators.ci.design import design_pipeline
from generators.ci.pins import pin

WORKFLOW = ".github/workflows/ci.yml"


def workflow(case: str) -> dict[str, Any]:
    return YAML(typ="safe").load(run_on_fixture(case)["ci_cd_package"]["files"][WORKFLOW])


def steps(flow: dict[str, Any], job: str = "test") -> list[dict[str, Any]]:
    return flow["jobs"][job]["steps"]


def runs(flow: dict[str, Any], job: str = "test") -> str:
    return "\n".join(step.get("run", "") for step in steps(flow, job))


@pytest.mark.parametrize(("case", "action", "inputs"), [
    ("java-maven", "actions/setup-java", {"distribution": "temurin", "java-version": "21"}),
    ("dotnet", "actions/setup-dotnet", {"dotnet-version": "8.0.x"}),
    ("ruby-rails", "ruby/setup-ruby", {"ruby-version": "3.3.6"}),
    ("php-laravel", "shivammathur/setup-php", {"php-version": "8.3", "tools": "composer:v2", "coverage": "pcov"}),
    ("elixir-phoenix", "erlef/setup-beam", {"elixir-version": "1.17", "otp-version": "27"}),
])
def test_each_toolchain_is_set_up_by_its_pinned_action_with_the_repository_version(
        case: str, action: str, inputs: dict[str, str]) -> None:
    setup = next(step for step in steps(workflow(case)) if step.get("name", "").startswith("Set up"))
    assert setup["uses"] == pin(action).ref
    assert {key: str(setup["with"][key]) for key in inputs} == inputs


def test_rust_is_set_up_from_the_rust_toolchain_file_through_the_pinned_dtolnay_ref() -> None:
    setup = steps(workflow("rust-cargo"))[1]
    assert setup["uses"].startswith("dtolnay/rust-toolchain@") and len(setup["uses"].split("@")[1]) == 40
    assert str(setup["with"]["toolchain"]) == "1.85.0"


@pytest.mark.parametrize(("case", "install"), [
    ("rust-cargo", "cargo fetch --locked"),
    ("java-maven", "./mvnw -B -ntp dependency:go-offline"),
    ("java-gradle-multi", "./gradlew --no-daemon"),
    ("dotnet", "dotnet restore --locked-mode"),
    ("ruby-rails", "bundle config set --local frozen true"),
    ("php-laravel", "composer install --no-interaction --prefer-dist"),
    ("elixir-phoenix", "mix deps.get"),
    ("node-bun", "bun install --frozen-lockfile"),
    ("python-pdm", "pdm install --frozen-lockfile"),
])
def test_installs_are_frozen_and_cached_on_the_lockfile(case: str, install: str) -> None:
    flow = workflow(case)
    assert install in runs(flow)
    cache = [step for step in steps(flow) if step.get("name") == "Cache packages"]
    assert case == "python-pdm" or cache and "hashFiles(" in cache[0]["with"]["key"]


@pytest.mark.parametrize(("case", "gate", "junit"), [
    ("rust-cargo", "--fail-under-lines 80", "target/nextest/ci/junit.xml"),
    ("java-maven", "jacoco-maven-plugin:0.8.15:prepare-agent", "**/target/surefire-reports/TEST-*.xml"),
    ("java-gradle-multi", "min=80", "**/build/test-results/test/TEST-*.xml"),
    ("dotnet", "XPlat Code Coverage", "test-results/*.trx"),
    ("ruby-rails", "coverage/.last_run.json", "test-results/junit.xml"),
    ("php-laravel", "coveredstatements", "test-results/junit.xml"),
    ("elixir-phoenix", "\\[TOTAL\\]", "_build/test/lib/*/test-junit-report.xml"),
    ("node-bun", "coverage/lcov.info", "test-results/junit.xml"),
    ("python-hatch-tox", "--cov-fail-under=80", "test-results/junit.xml"),
])
def test_the_coverage_gate_fails_the_job_and_test_results_are_uploaded(case: str, gate: str, junit: str) -> None:
    flow = workflow(case)
    assert gate in runs(flow)
    upload = steps(flow)[-1]
    assert upload["uses"] == pin("actions/upload-artifact").ref and upload["with"]["path"] == junit


def test_tox_receives_the_gates_through_posargs_in_the_ci_python_environment() -> None:
    assert "tox run -e py -- tests --cov" in runs(workflow("python-hatch-tox"))


def test_a_rails_test_job_gets_a_healthy_postgres_and_prepares_the_test_database() -> None:
    flow = workflow("ruby-rails")
    assert "postgres" in flow["jobs"]["test"]["services"]
    assert 'RAILS_ENV="test" bin/rails db:prepare' in runs(flow)


def test_a_hugo_site_is_built_and_gets_no_test_job() -> None:
    outputs = run_on_fixture("hugo-site")
    flow = YAML(typ="safe").load(outputs["ci_cd_package"]["files"][WORKFLOW])
    assert "test" not in flow["jobs"]
    assert "hugo --gc --minify" in runs(flow, "build")


@pytest.mark.parametrize(("case", "ecosystem"), [
    ("rust-cargo", "cargo"), ("java-maven", "maven"), ("java-gradle-multi", "gradle"), ("dotnet", "nuget"),
    ("ruby-rails", "bundler"), ("php-laravel", "composer"), ("elixir-phoenix", "mix"), ("node-bun", "bun"),
])
def test_dependabot_keeps_each_ecosystem_current(case: str, ecosystem: str) -> None:
    config = YAML(typ="safe").load(run_on_fixture(case)["ci_cd_package"]["files"][".github/dependabot.yml"])
    assert ecosystem in {entry["package-ecosystem"] for entry in config["updates"]}


@pytest.mark.parametrize(("case", "base", "runtime"), [
    ("rust-cargo", "FROM rust:1.85.0 AS build", "FROM debian:bookworm-slim"),
    ("java-maven", "FROM eclipse-temurin:21-jdk AS build", "FROM eclipse-temurin:21-jre"),
    ("dotnet", "FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build", "FROM mcr.microsoft.com/dotnet/aspnet:8.0"),
    ("php-laravel", "FROM composer:2.8 AS vendor", "FROM php:8.3-cli"),
    ("elixir-phoenix", "FROM elixir:1.17 AS build", "FROM elixir:1.17"),
])
def test_services_get_a_multi_stage_non_root_dockerfile_on_pinned_tags(case: str, base: str, runtime: str) -> None:
    text = run_on_fixture(case)["ci_cd_package"]["files"]["Dockerfile"]
    lines = text.splitlines()
    assert base in lines and runtime in lines
    assert "USER 10001" in lines


def test_the_design_names_a_container_image_per_unit_for_container_based_platforms() -> None:
    analysis = analyze(LocalTree(REPOS / "elixir-phoenix"))
    design = design_pipeline(analysis, platform="gitlab_ci", project_type=None, targets=[], branching="github_flow",
                             quality_gates={}, today=TODAY)
    assert design["units"][0]["runtime"]["image"] == "elixir:1.17"
    assert design["units"][0]["runtime"]["otp"] == "27"
