"""Injection through every string a user controls, into generated YAML, Groovy, HCL, shell and Markdown.

Each hostile string is either refused by input validation with an error that names it, or reaches the generated
files only quoted or escaped: the files still parse and pass their validators, zizmor finds no template injection,
no Jinja2 expression is evaluated, and no generated path leaves the output root.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any

import pytest
from ruamel.yaml import YAML

from bot.engine import run_pipeline
from bot.errors import UserError
from bot.messages import command_problems
from bot.registry import StepContext
from bot.trees import LocalTree
from handlers.commands import parse_comment
from tests.jenkins_shape import declarative_shape
from tests.unit.infra_support import run_infra
from tests.unit.monitoring_support import SHOP
from tests.unit.monitoring_support import inventory_inputs
from tests.unit.monitoring_support import run_monitoring

ROOT = Path(__file__).resolve().parents[2]
REPOS = ROOT / "tests" / "fixtures" / "repos"
PLATFORMS = ["github_actions", "gitlab_ci", "jenkins", "circleci", "azure_devops"]
# What people type into names, comments and config: expressions of GitHub, shell, Jinja2, Groovy, HCL, YAML, HTML.
HOSTILE = [
    "${{ github.event.issue.title }}", "'; rm -rf / #", "$(touch /tmp/pwned)", "`id`", "{{ 7*7 }}",
    "{{ 'INJ' ~ 'ECTED' }}", "{% raw %}x", "*anchor", "&anchor value", "key: value\nother: 1", "|\n  multi\n  line",
    "../../../etc/passwd", "%{ if true }x%{ endif }", "#{7*7}", "${env.HOME}", "<script>alert(1)</script>",
    "@octocat", '"; drop', "\\", "a\u202eb",
]
# The same, made of characters a directory or a branch can hold (no `/` runs, no newline).
HOSTILE_NAMES = ["x${{github.event.issue.title}}", "x';rm${IFS}-rf${IFS}~;'", "x$(id)", "x`id`", "x{{7*7}}",
                 "x\"y", "x;y", "x y", "x&y", "x|y", "x{y}", "x%{y}", "x*y", "x#y", "x\\y", "-x"]


def _tree(src: str, tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(REPOS / src, target)
    return target


def _setup_ci(path: Path, platform: str, branch: str = "main", **inputs: Any) -> dict[str, Any]:
    ctx = StepContext(open_tree=lambda p: LocalTree(Path(p)),
                      extras={"today": "2026-09-01", "default_branch": branch, "repository": "acme/shop"})
    values = {"project_path": str(path), "ci_platform": platform,
              "deployment_targets": [{"environment": "staging", "platform": "kubernetes"}], **inputs}
    return run_pipeline("ci_cd_setup", values, ctx).outputs


def _files(outputs: dict[str, Any]) -> dict[str, str]:
    return {**outputs["ci_cd_package"]["files"], "PULL_REQUEST.md": outputs["implementation_guide"]["body"]}


def assert_paths_stay_inside(files: dict[str, str]) -> None:
    for path in files:
        pure = PurePosixPath(path)
        assert not pure.is_absolute() and ".." not in pure.parts and "\\" not in path and "\x00" not in path, path


def assert_inert(files: dict[str, str], baseline: dict[str, str]) -> None:
    """No Jinja2 evaluated, no GitHub expression or raw hostile line in code files, every YAML file parses."""
    joined = "\n".join(files.values())
    assert "INJECTED" not in joined
    assert joined.count("49") == "\n".join(baseline.values()).count("49")  # `{{ 7*7 }}` was never evaluated
    for path, text in files.items():
        if path.endswith((".yml", ".yaml")):
            list(YAML(typ="safe").load_all(text))  # raises on a broken file
            assert "github.event.issue" not in text, path
        if not path.endswith(".md"):
            for hostile in ("rm -rf", "$(touch", "`id`", "<script>"):
                assert hostile not in text, (path, hostile)


def test_hostile_directory_names_and_branches_are_refused_by_name_on_every_platform(tmp_path: Path) -> None:
    refused = 0
    for number, name in enumerate(HOSTILE_NAMES):
        tree = _tree("monorepo-py-node", tmp_path / str(number))
        directory = name.split("/")[0]
        (tree / "services" / "web").rename(tree / "services" / directory)
        for platform in PLATFORMS:
            with pytest.raises(UserError) as raised:
                _setup_ci(tree, platform, branch=name)
            message = str(raised.value)
            assert f"services/{directory}" in message and "default branch" in message, message
            refused += 1

    assert refused == len(HOSTILE_NAMES) * len(PLATFORMS)


def test_ordinary_names_with_dots_dashes_and_slashes_are_accepted(tmp_path: Path) -> None:
    tree = _tree("monorepo-py-node", tmp_path)
    (tree / "services" / "web").rename(tree / "services" / "web_app-2.0")
    files = _files(_setup_ci(tree, "github_actions", branch="release/2026.09-rc_1"))
    assert "services/web_app-2.0" in files[".github/workflows/ci.yml"]


def _hostile_manifests(tree: Path) -> None:
    """Every free-text field of the manifests the analysis reads gets a hostile string."""
    package = tree / "services" / "web" / "package.json"
    data = json.loads(package.read_text(encoding="utf-8"))
    data.update(name="../../../" + HOSTILE[0], description="\n".join(HOSTILE), version=HOSTILE[4],
                author=HOSTILE[16])
    data.setdefault("scripts", {}).update(test="jest; " + HOSTILE[1], build=HOSTILE[2], lint=HOSTILE[5])
    package.write_text(json.dumps(data), encoding="utf-8")
    pyproject = tree / "services" / "api" / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(re.sub(r'(?m)^description = .*$', "description = " + json.dumps(" ".join(HOSTILE)), text)
                         if "description = " in text else text, encoding="utf-8")
    (tree / "README.md").write_text("\n".join(HOSTILE), encoding="utf-8")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hostile_manifest_fields_reach_no_generated_file_as_code(tmp_path: Path, platform: str) -> None:
    baseline = _files(_setup_ci(_tree("monorepo-py-node", tmp_path / "plain"), platform))
    tree = _tree("monorepo-py-node", tmp_path / "hostile")
    _hostile_manifests(tree)

    files = _files(_setup_ci(tree, platform))

    assert_paths_stay_inside(files)
    assert_inert(files, baseline)
    if platform == "jenkins":
        assert declarative_shape(files["Jenkinsfile"]) == []


@pytest.mark.validators
def test_hostile_manifests_leave_every_platform_file_valid_and_zizmor_finds_no_template_injection(
        tmp_path: Path) -> None:
    from tests import validators

    tree = _tree("monorepo-py-node", tmp_path / "hostile")
    _hostile_manifests(tree)
    checks = {".github/workflows/ci.yml": validators.check_github_workflow,
              ".gitlab-ci.yml": validators.check_gitlab_ci, ".circleci/config.yml": validators.check_circleci,
              "azure-pipelines.yml": validators.check_azure_pipelines,
              "Jenkinsfile": validators.check_jenkinsfile}
    findings: list[str] = []
    for platform in PLATFORMS:
        out = tmp_path / platform
        for path, text in _files(_setup_ci(tree, platform)).items():
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_text(text, encoding="utf-8")
        for path, check in checks.items():
            if (out / path).exists():
                findings += check(out / path)
    assert findings == []
    assert not [f for f in findings if "template-injection" in f]


def test_hostile_deploy_regions_are_refused_by_the_pipeline_inputs(tmp_path: Path) -> None:
    tree = _tree("node-npm", tmp_path)
    refused = 0
    for hostile in HOSTILE:
        with pytest.raises(UserError) as raised:
            _setup_ci(tree, "github_actions", deployment_targets=[
                {"environment": "staging", "platform": "ecs", "region": hostile}])
        assert "deployment_targets[0].region" in str(raised.value)
        refused += 1
    assert refused == len(HOSTILE)


def test_hostile_infrastructure_regions_are_refused_and_free_text_stays_text() -> None:
    refused = 0
    for hostile in HOSTILE:
        with pytest.raises(UserError) as raised:
            run_infra("python-pip", region=hostile)
        assert "`region`" in str(raised.value)
        refused += 1
    assert refused == len(HOSTILE)

    baseline = run_infra("python-pip")["infrastructure_package"]["files"]
    free_text = {"compute": {"type": "containers", "performance": HOSTILE[5]},
                 "storage": {"capacity": HOSTILE[4], "performance": HOSTILE[0]},
                 "networking": {"topology": HOSTILE[1], "security_zones": HOSTILE[:4]}}
    package = run_infra("python-pip", repository="acme/shop", application_requirements=free_text,
                        application_requirements_source=HOSTILE[13])["infrastructure_package"]
    files = {**package["files"], "PULL_REQUEST.md": json.dumps(package["pull_request"])}
    assert_paths_stay_inside(files)
    assert_inert(files, baseline)
    for path, text in files.items():
        if path.endswith(".tf") or path.endswith(".tfvars"):
            # HCL would interpolate `${` and `%{`: a hostile one must arrive doubled (escaped)
            assert not re.search(r"(?<!\$)\$\{\{", text) and not re.search(r"(?<!%)%\{ if", text), path


def test_hostile_monitoring_inventory_names_are_each_refused_by_name() -> None:
    inputs = inventory_inputs()
    inputs["project_path"] = str(SHOP)
    container = inputs["infrastructure_inventory"]["containers"][0]
    fields = {"containers[0].name": HOSTILE[0], "containers[0].health_path": "/" + HOSTILE[1],
              "databases[0].name": HOSTILE[4], "servers[0].name": HOSTILE[2]}
    container.update(name=HOSTILE[0], health_path="/" + HOSTILE[1])
    inputs["infrastructure_inventory"]["databases"][0]["name"] = HOSTILE[4]
    inputs["infrastructure_inventory"]["servers"][0]["name"] = HOSTILE[2]
    inputs["alerting_channels"][0]["config"]["channel"] = "#" + HOSTILE[9]

    with pytest.raises(UserError) as raised:
        run_monitoring(inputs)

    message = str(raised.value)
    for field in fields:
        assert field in message, (field, message)
    assert "`channel`" in message


def test_hostile_free_text_in_monitoring_stays_text() -> None:
    inputs = inventory_inputs()
    inputs["project_path"] = str(SHOP)
    baseline_run = run_monitoring(json.loads(json.dumps(inputs)))
    inputs["infrastructure_inventory"]["containers"][0]["team"] = "payments"
    inputs["inventory_source"] = HOSTILE[5] + HOSTILE[0]
    run = run_monitoring(inputs, repository="acme/shop")

    files = {path: text for path, text in run.outputs["monitoring_package"]["files"].items()}
    baseline = baseline_run.outputs["monitoring_package"]["files"]
    assert_paths_stay_inside(files)
    assert_inert(files, baseline)


def test_hostile_comment_words_are_echoed_only_inside_code_spans() -> None:
    echoed = 0
    for hostile in HOSTILE:
        word = hostile.split()[0] if hostile.split() else hostile
        for body in (f"/devops {word}", f"/devops setup ci {word}", f"/devops setup ci --{word}",
                     f"/devops help {word}"):
            try:
                parse_comment(body)
            except UserError as error:
                reply = command_problems(error)
                outside_code = re.sub(r"(`+)(?:.+?)\1", "", reply)
                assert word not in outside_code, (word, reply)  # shown only as code: no markup, no @mention
                assert "INJECTED" not in reply
                echoed += 1
    assert echoed >= 3 * len(HOSTILE)


def test_hostile_deploy_versions_are_refused_by_slash_deploy_and_by_the_deployment_pipeline() -> None:
    from bot.inputs import validate_inputs
    from bot.pipelines import load_pipeline
    from handlers.slack import parse_deploy
    from tests.security.test_properties import APPS

    schema = load_pipeline("deployment")["inputs"]
    refused = 0
    for hostile in HOSTILE:
        version = hostile.replace(" ", "").replace("\n", "") or "x"
        with pytest.raises(UserError) as raised:
            parse_deploy(f"checkout @{version}", APPS)
        assert "is not a version" in str(raised.value) or "is not a strategy" in str(raised.value)
        with pytest.raises(UserError) as raised:
            validate_inputs(schema, {"application_name": "checkout", "target_environment": "staging",
                                     "deployment_strategy": "canary", "artifact_source": {
                                         "type": "container_registry", "location": "ghcr.io/acme/checkout",
                                         "version": hostile}})
        assert "artifact_source.version" in str(raised.value)
        refused += 2
    assert refused == 2 * len(HOSTILE)
    assert parse_deploy("checkout @v2.1.0-rc_1+build.7", APPS)["version"] == "v2.1.0-rc_1+build.7"


def test_hostile_devops_yml_values_are_refused_before_any_file_is_generated(tmp_path: Path) -> None:
    from bot.config import ConfigError
    from bot.config import load_config
    from bot.config import merge_ci_inputs

    tree = _tree("node-npm", tmp_path)
    refused = by_pipeline = 0
    for hostile in HOSTILE:
        text = ("ci:\n  deployment_targets:\n    - {environment: staging, platform: ecs, region: "
                + json.dumps(hostile) + "}\ninfrastructure:\n  region: " + json.dumps(hostile) + "\n")
        try:
            config = load_config(text)
        except ConfigError as error:  # the schema may refuse it first, at its line and column
            assert error.problems
            refused += 1
            continue
        inputs = merge_ci_inputs({"project_path": str(tree), "ci_platform": "github_actions"}, {}, config)
        with pytest.raises(UserError) as raised:
            _setup_ci(tree, "github_actions", **{key: value for key, value in inputs.items()
                                                 if key not in ("project_path", "ci_platform")})
        assert "region" in str(raised.value)
        with pytest.raises(UserError):
            run_infra("python-pip", region=config.infrastructure()["region"])
        refused += 1
        by_pipeline += 1
    assert refused == len(HOSTILE)
    assert by_pipeline == len(HOSTILE)  # the schema lets them through (any string); the pipelines' inputs refuse
