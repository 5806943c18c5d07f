"""The `devops-bot` command: serve, worker, run, setup-ci, setup-monitoring, setup-infra, analyze."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.errors import SettingsError
from bot.errors import UserError

log = logging.getLogger("devops_bot")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        return int(args.handler(args) or 0)
    except (UserError, SettingsError) as error:
        print(f"devops-bot: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devops-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app (and, without REDIS_URL, an in-process worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="web worker processes (with REDIS_URL only)")
    serve.add_argument("--public-url", help="the address GitHub reaches the bot at (default: PUBLIC_URL, "
                       "else the address the setup page was opened at)")
    serve.add_argument("--env-file", type=Path, help="settings file read at start-up, where the setup page saves "
                       "the App (default: DEVOPS_BOT_ENV_FILE, else .env)")
    serve.add_argument("--org", help="setup page: register the GitHub App under this organization")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run an RQ worker with its scheduler")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.set_defaults(handler=_worker)

    run = commands.add_parser("run", help="run a pipeline on a local checkout")
    run.add_argument("pipeline")
    run.add_argument("--input", action="append", default=[], metavar="KEY=VALUE",
                     help="a pipeline input; VALUE is read as YAML (numbers, lists, mappings)")
    run.add_argument("--inputs-file", type=Path, help="YAML or JSON file of inputs")
    run.add_argument("--out", type=Path, help="write generated files under this directory")
    run.set_defaults(handler=_run)

    setup = commands.add_parser("setup-ci", help="generate CI/CD for a local repository")
    setup.add_argument("path", type=Path)
    setup.add_argument("--platform", help="default: ci.platform in PATH/.devops.yml, else github_actions")
    setup.add_argument("--type", dest="project_type")
    setup.add_argument("--coverage", type=float)
    setup.add_argument("--branching")
    setup.add_argument("--shards", type=int, dest="test_shards", help="split each unit's tests into N parallel jobs")
    setup.add_argument("--out", type=Path, help="write the files here instead of committing a branch")
    setup.set_defaults(handler=_setup_ci)

    monitoring = commands.add_parser("setup-monitoring", help="generate monitoring for a local repository")
    monitoring.add_argument("path", type=Path)
    monitoring.add_argument("--stack", help="default: monitoring.stack in PATH/.devops.yml, else prometheus_grafana")
    monitoring.add_argument("--out", type=Path, help="write the files here instead of committing a branch")
    monitoring.set_defaults(handler=_setup_monitoring)

    infra = commands.add_parser("setup-infra", help="generate Terraform, a compliance mapping and a cost estimate "
                                "for a local repository")
    infra.add_argument("path", type=Path)
    infra.add_argument("--cloud", help="default: infrastructure.cloud_provider in PATH/.devops.yml")
    infra.add_argument("--environment", help="the environment the budget is about (default: production)")
    infra.add_argument("--compliance", help="frameworks separated by commas: hipaa,pci_dss,sox,gdpr,fedramp")
    infra.add_argument("--budget", help="monthly limit in US dollars")
    infra.add_argument("--priority", help="cost, balanced (default) or performance")
    infra.add_argument("--region",
                       help="default: infrastructure.region in PATH/.devops.yml, else the cloud's default region")
    infra.add_argument("--iac", help="terraform (default) or cloudformation (aws only); default: "
                       "infrastructure.iac_tool in PATH/.devops.yml")
    infra.add_argument("--out", type=Path, help="write the files here instead of committing a branch")
    infra.set_defaults(handler=_setup_infra)

    demo = commands.add_parser("deploy-demo", help="run a short real canary on a local HAProxy + Prometheus stack")
    demo.add_argument("--stage-seconds", type=float, default=4, help="how long each canary stage lasts")
    demo.add_argument("--approve", default="demo-approver", metavar="USER", help="who approves the 25%% gate")
    demo.add_argument("--fault", type=float, default=0.0, metavar="RATE",
                      help="inject this 5xx ratio into the new version (then it rolls back)")
    demo.set_defaults(handler=_deploy_demo)

    manifests = commands.add_parser("manifests", help="write the manifests a deploy of an apps-file app generates "
                                     "(ECS and Lambda CloudFormation, Kubernetes objects) without deploying")
    manifests.add_argument("app", help="an app of the apps file (DEVOPS_BOT_APPS_FILE)")
    manifests.add_argument("--environment", help="default: the app's first environment")
    manifests.add_argument("--version", help="default: the app's version")
    manifests.add_argument("--strategy", help="default: the app's strategy")
    manifests.add_argument("--out", type=Path, required=True, help="write the files under this directory")
    manifests.set_defaults(handler=_manifests)

    analyze = commands.add_parser("analyze", help="print what the bot detects in a local repository")
    analyze.add_argument("path", type=Path)
    analyze.add_argument("--json", action="store_true", help="machine-readable output")
    analyze.set_defaults(handler=_analyze)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.settings import dotenv_location
    from bot.settings import github_unconfigured
    from bot.settings import read_environment

    environ = read_environment(args.env_file)
    if args.public_url:
        environ["PUBLIC_URL"] = args.public_url
    if github_unconfigured(environ):
        args.env_file = dotenv_location(args.env_file)
        return _serve_setup(args, Settings.from_env(environ, require_github=False))
    settings = Settings.from_env(environ)
    if settings.redis_url:
        if args.env_file and dotenv_location(args.env_file).resolve() != dotenv_location().resolve():
            raise UserError("--env-file reaches only this process, not granian's web workers; with REDIS_URL "
                            "set DEVOPS_BOT_ENV_FILE instead, so that every process reads the same file.")
        from granian import Granian

        # Stateless web processes: the queue, dedupe keys and tokens all live in Redis.
        Granian("bot.web:create_app", address=args.host, port=args.port, interface="wsgi", factory=True,
                workers=args.workers).serve()
        return 0
    from werkzeug.serving import make_server

    from bot.queue import connect
    from bot.queue import start_embedded_worker
    from bot.web import create_app

    redis = connect(settings)
    start_embedded_worker(redis)
    server = make_server(args.host, args.port, create_app(settings, redis=redis), threaded=True)
    log.info("serving on http://%s:%s with an embedded queue and worker (no REDIS_URL)", args.host, args.port)
    server.serve_forever()
    return 0


def _serve_setup(args: argparse.Namespace, settings: Any) -> int:
    """No GitHub credentials at all: serve only the page that registers the App, then ask for a restart."""
    from werkzeug.serving import make_server

    from bot.web import create_setup_app

    app = create_setup_app(settings, env_path=args.env_file.resolve(), org=args.org)
    server = make_server(args.host, args.port, app, threaded=True)
    log.info("no GitHub App credentials: setup mode. Open http://%s:%s/setup to register the App "
             "(it saves to %s)", args.host, server.server_port, args.env_file.resolve())
    server.serve_forever()
    return 0


def _worker(args: argparse.Namespace) -> int:
    from bot.queue import run_worker
    from bot.settings import Settings

    run_worker(Settings.from_env(), burst=args.burst)
    return 0


def _run(args: argparse.Namespace) -> int:
    inputs: dict[str, Any] = {}
    if args.inputs_file:
        inputs.update(YAML(typ="safe").load(args.inputs_file.read_text(encoding="utf-8")) or {})
    for item in args.input:
        key, sep, raw = item.partition("=")
        if not sep:
            raise UserError(f"--input {item!r} must look like KEY=VALUE")
        inputs[key] = YAML(typ="safe").load(raw) if raw else ""
    run = _run_local(args.pipeline, inputs)
    files = _package_files(run.outputs)
    if args.out:
        _write(args.out, files)
    print(json.dumps(run.summary(), indent=2, default=str))
    return 0


def _setup_ci(args: argparse.Namespace) -> int:
    from bot.config import merge_ci_inputs
    from bot.publishers import LocalGitPublisher

    root = args.path.resolve()
    if not root.is_dir():
        raise UserError(f"{args.path} is not a directory")
    gates: dict[str, Any] = {}
    if args.coverage is not None:
        gates["test_coverage_threshold"] = args.coverage
    command = {"project_path": str(root), "ci_platform": args.platform or "github_actions",
               "project_type": args.project_type, "branching_strategy": args.branching, "quality_gates": gates,
               "test_shards": args.test_shards}
    # the options given here win, then PATH/.devops.yml (ConfigError lists its problems), then the analysis
    inputs = merge_ci_inputs({key: value for key, value in command.items() if value not in (None, {})},
                             {"ci_platform": args.platform}, _local_config(root))
    run = _run_local("ci_cd_setup", inputs)
    files = run.outputs["ci_cd_package"]["files"]
    guide = run.outputs["implementation_guide"]
    if args.out:
        _write(args.out, files)
        where = f"wrote {len(files)} files under {args.out}"
    else:
        result = LocalGitPublisher(root).publish(files, branch="devops-bot/setup-ci", message=guide["title"])
        where = f"committed {len(files)} files on branch devops-bot/setup-ci ({result})"
    print(f"# {guide['title']}\n\n{guide['body']}\n---\n{where}")
    return 0


def _setup_monitoring(args: argparse.Namespace) -> int:
    from bot.monitoring_job import BRANCH
    from bot.monitoring_job import monitoring_inputs
    from bot.publishers import LocalGitPublisher

    root = args.path.resolve()
    if not root.is_dir():
        raise UserError(f"{args.path} is not a directory")
    # the stack given here wins, then PATH/.devops.yml's monitoring section, then what the repository shows
    run = _run_local("monitoring_setup", monitoring_inputs(str(root), args.stack, _local_config(root)))
    package = run.outputs["monitoring_package"]
    files, text = package["files"], package["pull_request"]
    if args.out:
        _write(args.out, files)
        where = f"wrote {len(files)} files under {args.out}"
    else:
        result = LocalGitPublisher(root).publish(files, branch=BRANCH, message=text["title"])
        where = f"committed {len(files)} files on branch {BRANCH} ({result})"
    print(f"# {text['title']}\n\n{text['body']}\n---\n{where}")
    return 0


def _setup_infra(args: argparse.Namespace) -> int:
    from bot.infra_job import BRANCH
    from bot.infra_job import infra_inputs
    from bot.publishers import LocalGitPublisher
    from handlers.infra_command import parse_setup_infra

    root = args.path.resolve()
    if not root.is_dir():
        raise UserError(f"{args.path} is not a directory")
    config = _local_config(root)
    words = [args.cloud or config.infrastructure().get("cloud_provider") or "", args.environment or ""]
    for option in ("compliance", "budget", "priority", "region", "iac"):
        if getattr(args, option) is not None:
            words += [f"--{option}", getattr(args, option)]
    options, problems = parse_setup_infra([word for word in words if word])  # the comment's grammar and messages
    if problems:
        from bot.errors import InputError

        raise InputError(problems, heading="The infrastructure request has problems:")
    # the options given here win, then PATH/.devops.yml's infrastructure section, then what the repository shows
    run = _run_local("infrastructure", infra_inputs(str(root), options, config))
    package = run.outputs["infrastructure_package"]
    files, text = package["files"], package["pull_request"]
    if args.out:
        _write(args.out, files)
        where = f"wrote {len(files)} files under {args.out}"
    else:
        result = LocalGitPublisher(root).publish(files, branch=BRANCH, message=text["title"])
        where = f"committed {len(files)} files on branch {BRANCH} ({result})"
    print(f"# {text['title']}\n\n{text['body']}\n---\n{where}")
    return 0


def _local_config(root: Path) -> Any:
    """PATH/.devops.yml as a RepoConfig (every default when absent)."""
    from bot.config import CONFIG_PATH
    from bot.config import RepoConfig
    from bot.config import load_config

    path = root / CONFIG_PATH
    if not path.is_file():
        return RepoConfig()
    return load_config(path.read_bytes().decode("utf-8", "replace"), path=str(path))


def _deploy_demo(args: argparse.Namespace) -> int:
    from bot.rollouts.demo import run_demo

    succeeded = run_demo(sys.stdout, stage_seconds=args.stage_seconds, approve_as=args.approve,
                         fault_error_rate=args.fault)
    return 0 if succeeded or args.fault else 1


def _manifests(args: argparse.Namespace) -> int:
    from bot.app_manifests import app_manifest_files
    from bot.app_manifests import write_app_manifests
    from bot.settings import Settings

    files = app_manifest_files(Settings.from_env(require_github=False).deploy_apps_file, args.app,
                               environment=args.environment, version=args.version, strategy=args.strategy)
    for path in write_app_manifests(args.out, files):
        print(path)
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from bot.trees import LocalTree
    from generators.analysis import analyze
    from generators.analysis.report import to_text

    if not args.path.is_dir():
        raise UserError(f"{args.path} is not a directory")
    analysis = analyze(LocalTree(args.path.resolve()))
    print(json.dumps(analysis.to_dict(), indent=2, sort_keys=True) if args.json else to_text(analysis))
    return 0


def _run_local(pipeline: str, inputs: dict[str, Any]) -> Any:
    """Run a pipeline against local directories (project_path is a path on this machine)."""
    from bot.engine import run_pipeline
    from bot.registry import StepContext
    from bot.trees import LocalTree

    def open_tree(path: str) -> LocalTree:
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise UserError(f"project_path {path!r} is not a directory on this machine")
        return LocalTree(root)

    def show(event: Any) -> None:
        if event.status in ("succeeded", "skipped", "failed"):
            print(f"[{event.index + 1}/{event.total}] {event.step}: {event.status}", file=sys.stderr)

    inputs = {key: value for key, value in inputs.items() if value is not None}
    extras = {"default_branch": _default_branch(Path(str(inputs.get("project_path", "."))))}
    return run_pipeline(pipeline, inputs, StepContext(open_tree=open_tree, extras=extras), on_event=show)


def _default_branch(root: Path) -> str:
    """The branch pull requests would target: origin's HEAD, else the checked-out branch, else main."""
    import subprocess

    for args in (["symbolic-ref", "--short", "refs/remotes/origin/HEAD"], ["symbolic-ref", "--short", "HEAD"]):
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip().removeprefix("origin/")
    return "main"


def _package_files(outputs: dict[str, Any]) -> dict[str, str]:
    """Every file a pipeline's outputs carry under a `files` mapping."""
    files: dict[str, str] = {}
    for value in outputs.values():
        if isinstance(value, dict) and isinstance(value.get("files"), dict):
            files.update(value["files"])
    return files


def _write(out: Path, files: dict[str, str]) -> None:
    from bot.publishers import write_files

    write_files(out, files)


if __name__ == "__main__":
    sys.exit(main())
