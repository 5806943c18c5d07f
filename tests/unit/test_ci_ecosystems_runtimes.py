"""Runtime versions and container images for every ecosystem: the repository's version, never end-of-life."""

from __future__ import annotations

import pytest

from generators.analysis.model import RuntimeVersion
from generators.ci.runtimes import resolve_runtime

TODAY = "2026-09-01"


@pytest.mark.parametrize(("language", "declared", "version", "image"), [
    ("python", "3.12", "3.12", "python:3.12-slim"),
    ("node", "22", "22", "node:22-bookworm-slim"),
    ("go", "1.26", "1.26", "golang:1.26"),
    ("java", "21", "21", "eclipse-temurin:21-jdk"),
    ("dotnet", "8.0", "8", "mcr.microsoft.com/dotnet/sdk:8.0"),
    ("ruby", "3.3.5", "3.3.5", "ruby:3.3.5"),  # Bundler insists on the exact Ruby the Gemfile names
    ("php", "8.3", "8.3", "php:8.3-cli"),
    ("elixir", "1.17.3", "1.17", "elixir:1.17"),
    ("rust", "1.82", "1.82", "rust:1.82"),
])
def test_a_declared_supported_version_is_kept_and_names_its_container_image(
        language: str, declared: str, version: str, image: str) -> None:
    runtime = resolve_runtime(language, RuntimeVersion(declared, "somefile"), TODAY)
    assert (runtime.version, runtime.image, runtime.note) == (version, image, None)


def test_an_end_of_life_java_is_replaced_by_the_next_supported_release_not_an_older_one() -> None:
    runtime = resolve_runtime("java", RuntimeVersion("19", "pom.xml"), TODAY)
    assert runtime.version == "21"
    assert "end of life" in (runtime.note or "")


def test_java_and_dotnet_without_a_declared_version_get_the_newest_lts_line() -> None:
    assert resolve_runtime("java", None, TODAY).version == "25"
    assert resolve_runtime("dotnet", None, TODAY).version == "10"


def test_elixir_is_paired_with_a_supported_otp_and_steps_up_when_its_otp_is_end_of_life() -> None:
    assert resolve_runtime("elixir", RuntimeVersion("1.18", "mix.exs"), TODAY).otp == "27"
    old = resolve_runtime("elixir", RuntimeVersion("1.16", "mix.exs"), TODAY)
    assert (old.version, old.otp) == ("1.17", "27")
    assert "OTP" in (old.note or "")


def test_rust_without_a_toolchain_file_uses_the_stable_channel_and_says_so() -> None:
    runtime = resolve_runtime("rust", None, TODAY)
    assert (runtime.version, runtime.image) == ("stable", "rust:1")
    assert runtime.note
