"""Benchmark (not a test): analyse a generated 100,000-file monorepo locally and through the fake GitHub.

    .venv/bin/python -m bench.analysis [--files 100000] [--services 200] [--dir /dev/shm] [--count-calls]

Each analysis runs in a fresh child interpreter, so its peak RSS is the analysis's own plus the interpreter's;
the child's baseline RSS after imports is printed beside it. Peak RSS is the child's VmHWM: ru_maxrss would
carry over the parent's high-water mark through fork and exec (the parent holds the whole fake repository).
Wall time, the child's CPU time (user + system: less sensitive to other load on the machine than wall time;
for GitHub it leaves out the fake server, which runs in the parent), peak memory and, for GitHub, the API calls
the counting client made are printed per run.
--count-calls adds a second run of each under cProfile and prints its Python function-call count, a figure
that does not depend on how busy the machine's CPUs are.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("python", "node", "go")


def _manifests(kind: str, name: str) -> dict[str, str]:
    if kind == "python":
        return {"pyproject.toml": f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n'
                                  'dependencies = ["fastapi>=0.115", "libcommon"]\n\n[dependency-groups]\n'
                                  'dev = ["pytest>=8"]\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
                "uv.lock": 'version = 1\nrequires-python = ">=3.12"\n',
                "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nUSER 10001\nCMD [\"python\", \"-m\", \"app\"]\n"}
    if kind == "node":
        return {"package.json": json.dumps({"name": name, "version": "1.0.0", "private": True,
                                            "scripts": {"build": "tsc -p .", "test": "vitest run"},
                                            "dependencies": {"express": "^4.21.0", "@acme/shared": "workspace:*"},
                                            "devDependencies": {"typescript": "^5.6.0", "vitest": "^2.1.0"}},
                                           indent=2) + "\n"}
    return {"go.mod": f"module example.com/acme/{name}\n\ngo 1.23\n", "go.sum": ""}


def _source(kind: str) -> tuple[str, str]:
    if kind == "python":
        return ".py", "def handler(event):\n    return {'ok': True}\n"
    if kind == "node":
        return ".ts", "export const handler = (): boolean => true;\n"
    return ".go", "package handler\n\nfunc Handle() bool { return true }\n"


def generate(root: Path, files: int, services: int) -> int:
    """Write the monorepo; returns how many files it holds."""
    written = 0
    made: set[Path] = set()

    def put(path: str, text: str) -> None:
        nonlocal written
        target = root / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(text)
        written += 1

    put("package.json", json.dumps({"name": "acme", "private": True, "workspaces": ["services/node-*", "libs/*"]}) + "\n")
    put("package-lock.json", json.dumps({"name": "acme", "lockfileVersion": 3, "packages": {}}) + "\n")
    put("go.work", "go 1.23\n\n" + "".join(f"use ./services/go-{i:04d}\n" for i in range(services) if i % 3 == 2))
    put("libs/shared/package.json", json.dumps({"name": "@acme/shared", "version": "1.0.0"}) + "\n")
    put("README.md", "# acme monorepo\n")
    per_service = max(1, (files - written) // services)
    for index in range(services):
        kind = KINDS[index % 3]
        name = f"{kind}-{index:04d}"
        base = f"services/{name}"
        for path, text in _manifests(kind, name).items():
            put(f"{base}/{path}", text)
        suffix, body = _source(kind)
        remaining = per_service - len(_manifests(kind, name))
        for n in range(max(0, remaining)):
            # Deep trees: five levels of packages under each service.
            depth = "/".join(f"pkg{(n >> shift) % 4}" for shift in (0, 2, 4, 6, 8))
            put(f"{base}/src/{depth}/module_{n:05d}{suffix}", body)
    while written < files:
        put(f"docs/notes/page_{written:06d}.md", "notes\n")
    return written


def peak_rss_kb() -> int:
    """This process's own peak RSS in KiB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(mode: str, path: str, url: str, sha: str, count_calls: bool = False) -> None:
    """Runs in a fresh interpreter: one analysis, its figures printed as JSON."""
    sys.path.insert(0, str(ROOT))
    from generators.analysis import analyze

    baseline = peak_rss_kb()
    counter = None
    profile = None
    if count_calls:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    if mode == "local":
        from bot.trees import LocalTree

        tree: Any = LocalTree(Path(path))
    else:
        from bot.github_client import CallCounter
        from bot.github_client import make_github
        from bot.github_tree import GitHubTree

        counter = CallCounter()
        # The fake answers a 100,000-entry tree slower than GitHub does; the default 15 s would cut it off.
        github = make_github("ghs_bench", url, counter=counter, timeout=600)
        tree = GitHubTree(github.get_repo("acme/monorepo"), sha)
    analysis = analyze(tree)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    calls = 0
    if profile is not None:
        import pstats

        profile.disable()
        calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    print(json.dumps({"seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2),
                      "peak_rss_mb": round(peak_rss_kb() / 1024, 1),
                      "baseline_rss_mb": round(baseline / 1024, 1), "units": len(analysis.units),
                      "api_calls": counter.calls if counter else 0, "function_calls": calls,
                      "truncated": bool(getattr(tree, "truncated", False))}))


def run_child(*args: str, count_calls: bool = False) -> dict[str, Any]:
    flags = ["--count-calls"] if count_calls else []
    done = subprocess.run([sys.executable, "-m", "bench.analysis", *flags, "--child", *args], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{args[0]} analysis failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Generate, analyse locally and through the fake GitHub, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--dir", default=None, help="where to create the temporary tree (e.g. /dev/shm)")
    parser.add_argument("--count-calls", action="store_true",
                        help="also run each analysis under cProfile and print its function-call count")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "PATH", "URL", "SHA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, count_calls=args.count_calls)
        return
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="devops-bot-bench-", dir=args.dir) as tmp:
        root = Path(tmp) / "monorepo"
        started = time.perf_counter()
        count = generate(root, args.files, args.services)
        print(f"generated {count} files in {args.services} services under {root} "
              f"({time.perf_counter() - started:.1f} s)")
        local = run_child("local", str(root), "-", "-")
        print(f"local : {local['seconds']:.2f} s ({local['cpu_seconds']:.2f} s CPU), "
              f"peak RSS {local['peak_rss_mb']} MB "
              f"(interpreter after imports {local['baseline_rss_mb']} MB), {local['units']} units")
        if args.count_calls:
            print(f"local : {run_child('local', str(root), '-', '-', count_calls=True)['function_calls']} "
                  "Python function calls (cProfile)")

        from tests.fakes.git_objects import read_directory
        from tests.fakes.github_server import ServerThread

        with ServerThread() as fake:
            started = time.perf_counter()
            repo = fake.add_repo("acme/monorepo", read_directory(root))
            print(f"fake GitHub loaded the repository in {time.perf_counter() - started:.1f} s")
            remote = run_child("github", "-", fake.base_url, repo.branch_head("main") or "")
            if args.count_calls:
                counted = run_child("github", "-", fake.base_url, repo.branch_head("main") or "", count_calls=True)
        print(f"github: {remote['seconds']:.2f} s ({remote['cpu_seconds']:.2f} s client CPU), "
              f"peak RSS {remote['peak_rss_mb']} MB "
              f"(interpreter after imports {remote['baseline_rss_mb']} MB), {remote['units']} units, "
              f"{remote['api_calls']} API calls, tree truncated: {remote['truncated']}")
        if args.count_calls:
            print(f"github: {counted['function_calls']} Python function calls (cProfile, client side only)")


if __name__ == "__main__":
    main()
