"""Analysis of the fixture repositories for nx/Angular/Cypress, lerna/Vue/Astro, Sinatra/minitest/Jekyll,
Symfony/Pest and nox, and the traps around them (task-runner e2e scripts, minitest without a Rakefile)."""

from __future__ import annotations

from pathlib import Path

from bot.trees import LocalTree
from generators.analysis import analyze
from generators.analysis import analyze_snapshot
from generators.analysis.model import Analysis
from generators.analysis.model import Unit

REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"


def run(case: str) -> tuple[Analysis, dict[str, Unit]]:
    analysis = analyze(LocalTree(REPOS / case))
    return analysis, {unit.path: unit for unit in analysis.units}


def cited(analysis: Analysis, kind: str, value: str, unit: str = "") -> list[tuple[str, str]]:
    return [(f.evidence.file, f.evidence.rule) for f in analysis.facts
            if f.kind == kind and f.value == value and f.unit == unit]


def test_an_nx_workspace_with_an_angular_app_runs_jest_and_its_cypress_e2e_through_nx() -> None:
    analysis, units = run("node-nx-angular")
    assert analysis.monorepo == "nx" and cited(analysis, "monorepo", "nx") == [("nx.json", "nx.json present")]
    root = units[""]  # the apps have project.json, not package.json: one npm install at the root builds them all
    assert list(units) == [""]
    assert (root.package_manager, root.lockfile) == ("npm", "package-lock.json")
    assert root.frameworks == ["angular"] and not root.is_service
    assert (root.test_framework, root.test_command) == ("jest", "npm test")
    # `cypress run` at the root would find no cypress.config; nx's e2e target knows apps/shop-e2e's.
    assert root.extras["e2e"] == {"framework": "cypress", "command": "npm run e2e"}
    assert cited(analysis, "test_framework", "cypress") == [
        ("package.json", '"cypress" in devDependencies of package.json; "e2e" script (end-to-end)')]
    assert root.runtime_version and (root.runtime_version.value, root.runtime_version.source) == ("22", ".nvmrc")


def test_a_lerna_monorepo_has_a_vue_app_tested_by_vitest_and_an_astro_site_that_is_only_built() -> None:
    analysis, units = run("node-lerna-vue-astro")
    assert analysis.monorepo == "lerna"  # lerna orchestrates the npm workspaces it sits on
    assert cited(analysis, "monorepo", "npm_workspaces") == [
        ("package.json", '"workspaces" in package.json declares 2 packages')]
    assert sorted(units) == ["packages/docs", "packages/web"]
    web, docs = units["packages/web"], units["packages/docs"]
    assert web.frameworks == ["vite", "vue"] and (web.test_framework, web.test_command) == ("vitest", "npm test")
    assert cited(analysis, "framework", "vue", "packages/web") == [
        ("packages/web/package.json", '"vue" in dependencies of package.json')]
    assert docs.frameworks == ["astro"] and docs.build_script == "build" and docs.test_command is None
    assert web.lockfile == docs.lockfile == "package-lock.json"  # the workspace root's lockfile
    assert docs.runtime_version and docs.runtime_version.source == ".node-version"


def test_a_sinatra_service_tested_with_minitest_and_its_jekyll_docs_site_are_two_units() -> None:
    analysis, units = run("ruby-sinatra-jekyll")
    api, docs = units[""], units["docs"]
    assert api.frameworks == ["sinatra"] and api.is_service
    assert (api.test_framework, api.test_command) == ("minitest", "bundle exec rake test")
    assert cited(analysis, "test_framework", "minitest") == [
        ("test/app_test.rb", "1 *_test.rb files (minitest); Rakefile runs them")]
    assert api.runtime_version and api.runtime_version.value == "3.3.6"
    assert api.runtime_version.source == ".ruby-version"
    assert docs.frameworks == ["jekyll"] and docs.build_script == "bundle exec jekyll build"
    assert cited(analysis, "build_tool", "jekyll", "docs") == [
        ("docs/_config.yml", "Jekyll site (_config.yml + jekyll gem)")]
    assert (docs.lockfile, docs.test_command, docs.is_service) == ("docs/Gemfile.lock", None, False)


def test_a_symfony_app_tested_with_pest_is_a_php_service() -> None:
    analysis, units = run("php-symfony-pest")
    app = units[""]
    assert app.frameworks == ["symfony"] and app.is_service
    assert (app.test_framework, app.test_command) == ("pest", "vendor/bin/pest")
    [(file, rule)] = cited(analysis, "test_framework", "pest")
    assert rule.startswith("2 *Test.php files; pestphp/pest in composer.json") and file.startswith("tests/")
    assert app.runtime_version and app.runtime_version.value == "8.2"
    assert (app.lockfile, app.lint_tools) == ("composer.lock", ["phpstan"])


def test_a_noxfile_is_the_repositorys_test_runner_over_pytest() -> None:
    analysis, units = run("python-nox")
    lib = units[""]
    assert (lib.test_framework, lib.test_command) == ("pytest", "nox")
    assert lib.extras["test_runner"]["tool"] == "nox"
    assert cited(analysis, "test_command", "nox") == [("noxfile.py", "noxfile.py present")]
    assert not lib.is_service


def test_minitest_without_a_rakefile_loads_the_test_files_itself() -> None:
    paths = ["Gemfile", "Gemfile.lock", "app.rb", "test/app_test.rb"]
    gemfile = 'source "https://rubygems.org"\ngem "sinatra"\ngem "minitest"\n'
    unit = analyze_snapshot(paths, {"Gemfile": gemfile}).units[0]
    assert unit.test_framework == "minitest"
    assert unit.test_command == ("bundle exec ruby -Itest -e "
                                 "'Dir.glob(\"./test/**/*_test.rb\").sort.each { |file| require file }'")


def test_a_jekyll_gem_without_config_cites_the_gemfile() -> None:
    analysis = analyze_snapshot(["Gemfile", "index.md"], {"Gemfile": 'gem "jekyll"\n'})
    assert cited(analysis, "build_tool", "jekyll") == [("Gemfile", "jekyll gem in Gemfile (no _config.yml)")]


def test_a_runner_neutral_e2e_script_is_not_guessed_when_both_e2e_runners_are_installed() -> None:
    package = ('{"scripts": {"e2e": "nx run-many -t e2e"}, '
               '"devDependencies": {"@playwright/test": "1.49.0", "cypress": "13.13.0"}}')
    unit = analyze_snapshot(["package.json", "package-lock.json"], {"package.json": package}).units[0]
    assert unit.extras["e2e"] == {"framework": "playwright", "command": "npx --no-install playwright test"}
