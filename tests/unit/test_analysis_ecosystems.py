"""Analysis of the fixture repositories for Rust, Java/Kotlin, .NET, Ruby, PHP, Elixir, Hugo, hatch/tox, bun and e2e."""

from __future__ import annotations

from pathlib import Path

from bot.trees import LocalTree
from generators.analysis import analyze
from generators.analysis import analyze_snapshot
from generators.analysis.model import Analysis
from generators.analysis.model import Unit

REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"


def run(case: str) -> tuple[Analysis, Unit]:
    analysis = analyze(LocalTree(REPOS / case))
    assert len(analysis.units) == 1, [unit.path for unit in analysis.units]
    return analysis, analysis.units[0]


def cited(analysis: Analysis, kind: str, value: str) -> list[tuple[str, str]]:
    return [(f.evidence.file, f.evidence.rule) for f in analysis.facts if f.kind == kind and f.value == value]


def test_a_cargo_crate_is_a_rust_service_with_its_toolchain_pin_lockfile_and_database() -> None:
    analysis, unit = run("rust-cargo")
    assert (unit.language, unit.package_manager, unit.lockfile) == ("rust", "cargo", "Cargo.lock")
    assert unit.runtime_version and (unit.runtime_version.value, unit.runtime_version.source) == ("1.85.0", "rust-toolchain.toml")
    assert unit.test_command == "cargo test"
    assert cited(analysis, "test_command", "cargo test") == [("src/main.rs", "#[test] functions in src/main.rs")]
    assert unit.is_service and unit.frameworks == ["axum"]
    assert unit.service_dependencies == ["postgres"]
    assert unit.extras["binary"] == "orders-api"
    assert cited(analysis, "lint_tool", "clippy") == [("clippy.toml", "clippy.toml present")]


def test_a_cargo_workspace_is_one_unit_whose_members_belong_to_it() -> None:
    analysis, unit = run("rust-workspace")
    assert unit.path == "" and unit.extras["workspace_members"] == ["crates/cli", "crates/core"]
    assert analysis.monorepo == "cargo_workspace"
    assert cited(analysis, "test_framework", "cargo_test")[0][0] == "crates/core/tests/balance.rs"
    assert unit.runtime_version is None  # rust-version is a minimum, not a pin: CI uses stable
    assert not unit.is_service


def test_a_maven_spring_boot_project_prefers_the_wrapper_and_reads_java_version() -> None:
    analysis, unit = run("java-maven")
    assert (unit.language, unit.package_manager, unit.extras["wrapper"]) == ("java", "maven", "./mvnw")
    assert unit.runtime_version and (unit.runtime_version.value, unit.runtime_version.source) == ("21", "pom.xml")
    assert cited(analysis, "runtime_version", "21") == [("pom.xml", "<java.version>21 in pom.xml")]
    assert unit.test_framework == "junit5" and unit.test_command == "./mvnw test"
    assert "spring-boot" in unit.frameworks and unit.is_service
    assert unit.service_dependencies == ["postgres"]


def test_a_gradle_kotlin_build_with_two_included_projects_is_one_multi_project_unit() -> None:
    analysis, unit = run("java-gradle-multi")
    assert unit.package_manager == "gradle" and unit.extras["modules"] == ["app", "core"]
    assert analysis.monorepo == "gradle_multi_project"
    assert cited(analysis, "language", "kotlin")
    assert unit.runtime_version and unit.runtime_version.value == "21"
    assert unit.test_command == "./gradlew test"
    assert cited(analysis, "test_framework", "junit5")[0][0] == "core/src/test/kotlin/billing/core/InvoiceTest.kt"


def test_a_dotnet_solution_reads_global_json_the_test_project_and_lockfiles() -> None:
    analysis, unit = run("dotnet")
    assert (unit.language, unit.manifest) == ("dotnet", "Shop.sln")
    assert unit.runtime_version and (unit.runtime_version.value, unit.runtime_version.source) == ("8.0", "global.json")
    assert unit.test_framework == "xunit" and unit.test_command == "dotnet test Shop.sln"
    assert unit.extras["lockfiles"] == ["src/Shop.Api/packages.lock.json", "tests/Shop.Api.Tests/packages.lock.json"]
    assert cited(analysis, "framework", "aspnetcore") == [
        ("src/Shop.Api/Shop.Api.csproj", 'Sdk="Microsoft.NET.Sdk.Web" in the project file')]
    assert unit.service_dependencies == ["postgres"]


def test_a_rails_app_with_rspec_and_the_pg_gem_needs_postgres() -> None:
    analysis, unit = run("ruby-rails")
    assert (unit.package_manager, unit.lockfile) == ("bundler", "Gemfile.lock")
    assert unit.runtime_version and (unit.runtime_version.value, unit.runtime_version.source) == ("3.3.6", ".ruby-version")
    assert unit.test_framework == "rspec" and unit.test_command == "bundle exec rspec"
    assert unit.is_service and unit.frameworks == ["rails"]
    assert ("Gemfile", "driver gem pg in group :development, :test of Gemfile") not in cited(
        analysis, "service_dependency", "postgres")
    assert ("Gemfile", "driver gem pg in default group of Gemfile") in cited(analysis, "service_dependency", "postgres")


def test_a_laravel_app_reads_the_platform_php_version_and_phpunit() -> None:
    analysis, unit = run("php-laravel")
    assert (unit.package_manager, unit.lockfile) == ("composer", "composer.lock")
    assert cited(analysis, "runtime_version", "8.3") == [("composer.json", 'config.platform.php "8.3.13" in composer.json')]
    assert unit.test_framework == "phpunit" and unit.test_command == "vendor/bin/phpunit"
    assert unit.frameworks == ["laravel"] and unit.is_service
    assert unit.lint_tools == ["pint"]


def test_a_phoenix_app_takes_elixir_and_otp_from_tool_versions() -> None:
    analysis, unit = run("elixir-phoenix")
    assert (unit.package_manager, unit.lockfile, unit.test_command) == ("mix", "mix.lock", "mix test")
    assert unit.runtime_version and (unit.runtime_version.value, unit.runtime_version.source) == ("1.17", ".tool-versions")
    assert unit.extras["otp_version"] == {"value": "27", "source": ".tool-versions"}
    assert unit.frameworks == ["phoenix"] and unit.service_dependencies == ["postgres"]
    assert unit.extras["app"] == "chat"


def test_a_hugo_site_is_built_not_tested_and_says_so() -> None:
    analysis, unit = run("hugo-site")
    assert (unit.language, unit.build_script, unit.test_command) == ("hugo", "hugo --minify", None)
    assert cited(analysis, "runtime_version", "0.139.3") == [("netlify.toml", "Hugo 0.139.3 in netlify.toml")]
    assert cited(analysis, "test_command", "none")


def test_pdm_and_hatch_are_declared_package_managers_and_tox_runs_the_tests() -> None:
    pdm_analysis, pdm = run("python-pdm")
    assert (pdm.package_manager, pdm.lockfile) == ("pdm", "pdm.lock")
    analysis, unit = run("python-hatch-tox")
    assert unit.package_manager == "hatch"
    assert unit.test_command == "tox" and unit.extras["test_runner"]["posargs"] is True
    assert cited(analysis, "test_command", "tox") == [("tox.ini", "[tox] configuration runs pytest with {posargs}")]


def test_bun_test_and_playwright_end_to_end_tests_are_told_apart() -> None:
    _, bun = run("node-bun")
    assert (bun.package_manager, bun.test_framework, bun.lockfile) == ("bun", "bun_test", "bun.lock")
    analysis, web = run("node-playwright")
    assert web.test_framework == "vitest"
    assert web.extras["e2e"] == {"framework": "playwright", "command": "npm run test:e2e"}
    assert cited(analysis, "test_framework", "playwright")


def test_helm_charts_and_terraform_are_recorded_as_repository_facts() -> None:
    paths = ["charts/api/Chart.yaml", "charts/api/values.yaml", "infra/main.tf", "infra/variables.tf", "go.mod"]
    analysis = analyze_snapshot(paths, {"go.mod": "module example.org/x\n\ngo 1.26\n"})
    assert cited(analysis, "helm_chart", "charts/api") == [("charts/api/Chart.yaml", "Chart.yaml present")]
    assert cited(analysis, "terraform", "infra") == [("infra/main.tf", "*.tf files present")]


def test_kubernetes_manifest_folders_and_kustomizations_are_recorded_but_chart_templates_are_not() -> None:
    paths = ["k8s/api.yaml", "k8s/worker.yml", "deploy/overlays/prod/kustomization.yaml", "charts/api/Chart.yaml",
             "charts/api/templates/k8s/deployment.yaml", "config/app.yaml", "go.mod"]
    analysis = analyze_snapshot(paths, {"go.mod": "module example.org/x\n\ngo 1.26\n"})
    assert cited(analysis, "kubernetes_manifest", "k8s") == [("k8s/api.yaml", "YAML in a Kubernetes folder")]
    assert cited(analysis, "kubernetes_manifest", "deploy/overlays/prod") == [
        ("deploy/overlays/prod/kustomization.yaml", "kustomization.yaml present")]
    assert {f.value for f in analysis.facts if f.kind == "kubernetes_manifest"} == {"k8s", "deploy/overlays/prod"}


def test_maven_modules_and_dotnet_projects_under_a_root_build_are_not_separate_units() -> None:
    paths = ["pom.xml", "api/pom.xml", "core/pom.xml", "api/src/test/java/ApiTest.java",
             "Shop.sln", "src/Shop/Shop.csproj", "tests/Shop.Tests/Shop.Tests.csproj"]
    contents = {"pom.xml": "<project><modules><module>api</module><module>core</module></modules></project>",
                "src/Shop/Shop.csproj": "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net9.0"
                                        "</TargetFramework></PropertyGroup></Project>"}
    analysis = analyze_snapshot(paths, contents)
    assert sorted((unit.path, unit.language) for unit in analysis.units) == [("", "dotnet"), ("", "java")]
    java = next(unit for unit in analysis.units if unit.language == "java")
    assert java.extras["modules"] == ["api", "core"]
    assert analysis.monorepo == "maven_multi_module"
