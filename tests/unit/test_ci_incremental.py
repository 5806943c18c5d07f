"""Incremental compilation across CI runs where the tool has it: the compiler's own cache is kept between runs.

Go's build cache (GOCACHE), Gradle's build cache (--build-cache, kept in the Gradle user home), Cargo's target/
and Mix's _build/ are restored, keyed on the lockfile or build files, so unchanged packages are not rebuilt.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML

from ci_support import run_on_fixture

WORKFLOW = ".github/workflows/ci.yml"


def files(case: str, platform: str = "github_actions") -> dict[str, str]:
    return run_on_fixture(case, ci_platform=platform)["ci_cd_package"]["files"]


def github_job(case: str, job: str) -> list[dict[str, Any]]:
    return YAML(typ="safe").load(files(case)[WORKFLOW])["jobs"][job]["steps"]


def cached_paths(steps: list[dict[str, Any]]) -> tuple[list[str], str]:
    cache = next(step for step in steps if step.get("name") == "Cache packages")
    return cache["with"]["path"].split(), cache["with"]["key"]


def test_go_jobs_restore_the_build_cache_on_github_and_on_gitlab() -> None:
    setup = next(step for step in github_job("go", "build") if step.get("name") == "Set up Go")
    # setup-go caches GOCACHE and GOMODCACHE unless `cache: false`; the key is go.sum.
    assert setup["uses"].startswith("actions/setup-go@") and "cache" not in setup["with"]
    assert setup["with"]["cache-dependency-path"] == "go.sum"
    gitlab = YAML(typ="safe").load(files("go", "gitlab_ci")[".gitlab-ci.yml"])
    build = next(job for name, job in gitlab.items() if name.startswith("build") and isinstance(job, dict))
    assert build["variables"]["GOCACHE"] == "$CI_PROJECT_DIR/.cache/gocache"
    assert ".cache/gocache" in build["cache"]["paths"]


def test_gradle_runs_with_its_build_cache_which_the_cached_gradle_home_keeps() -> None:
    steps = github_job("java-gradle-multi", "build")
    commands = [step["run"] for step in steps if "gradlew" in step.get("run", "")]
    assert commands and all("--build-cache" in command for command in commands)
    paths, key = cached_paths(steps)
    assert "~/.gradle/caches" in paths  # build-cache-1 lives there
    assert "hashFiles('build.gradle.kts', 'settings.gradle.kts'" in key
    gitlab = files("java-gradle-multi", "gitlab_ci")[".gitlab-ci.yml"]
    assert "./gradlew --no-daemon --build-cache assemble" in gitlab
    assert "GRADLE_USER_HOME: $CI_PROJECT_DIR/.cache/gradle_user_home" in gitlab


def test_cargo_target_and_mix_build_directories_are_restored_on_github() -> None:
    paths, key = cached_paths(github_job("rust-cargo", "build"))
    assert "target" in paths and key.endswith("hashFiles('Cargo.lock') }}")
    paths, key = cached_paths(github_job("elixir-phoenix", "build"))
    assert "_build" in paths and key.endswith("hashFiles('mix.lock') }}")
