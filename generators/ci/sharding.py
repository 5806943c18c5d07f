"""Test splitting: a unit's tests run in N parallel shards, and one coverage gate job merges their coverage.

The shards only measure: each writes its coverage data into `coverage-shards/` under the unit and publishes it.
The gate job runs after every shard, merges that data with the test tool's own merge command (`coverage combine`,
`nyc merge`, Go profiles joined under one mode line) and enforces the coverage threshold there. Renderers give
each shard SHARD_INDEX (1-based) and SHARD_TOTAL and move `coverage-shards/` from the shards to the gate.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from dataclasses import field

from generators.analysis.model import Unit
from generators.ci import testing
from generators.ci import toolchains as tc
from generators.ci.coverage_out import GOCOVER_COBERTURA
from generators.ci.coverage_out import NODE_COBERTURA

MAX_SHARDS = 50
SHARD_DIR = "coverage-shards"  # unit-relative; what the shards publish and the gate merges
FILES = "test-files.txt"  # every test file (or Go package) of the unit
SHARD_FILES = "test-shard.txt"  # this shard's part of FILES
NYC = "nyc@18.0.0"
COBERTURA = "coverage.xml"  # unit-relative Cobertura file the Python and Go gates write
# Platforms that read a Cobertura report (GitHub Actions has no coverage view of its own).
COBERTURA_PLATFORMS = ["gitlab_ci", "circleci", "azure_devops", "jenkins"]
CANNOT_SHARD = {
    "rust": "cargo-llvm-cov merges only the profiles of runs on one machine, so sharded coverage could not be gated",
    "java": "Maven Surefire and Gradle have no built-in test splitting; it would need a build change",
    "dotnet": "dotnet test has no built-in test splitting",
    "ruby": "RSpec and minitest have no built-in test splitting (knapsack or parallel_tests would be a Gemfile change)",
    "php": "the coverage of PHPUnit and Pest shards cannot be merged without phpcov, which is not a dependency",
    "elixir": "`mix test --partitions` needs `mix test.coverage` and an export path set in mix.exs to merge coverage",
}


@dataclass
class ShardPlan:
    """Commands of a sharded unit: each shard's, and the gate's."""

    pre: list[str] = field(default_factory=list)
    select: str | None = None  # writes SHARD_FILES; None when the test tool splits by itself (--shard)
    listing: str | None = None  # writes FILES; CircleCI splits it by timings instead of by position
    timings: str = "filename"  # how CircleCI matches FILES lines to JUnit timings
    command: str = ""
    env: dict[str, str] = field(default_factory=dict)
    junit: str = tc.JUNIT_FILE
    gate_pre: list[str] = field(default_factory=list)
    merge: str = ""  # merges SHARD_DIR with the tool's own command
    cobertura: str = ""  # writes the Cobertura report from the merged data
    report: str = COBERTURA  # that report, unit-relative
    check: str = ""  # enforces the threshold on the merged data
    gate_installs_dependencies: bool = False
    note: str = ""


def by_position(listing: str) -> str:
    """Shell lines that keep every SHARD_TOTAL-th line of the listing for this shard and refuse an empty shard."""
    return "\n".join([
        listing,
        f"awk -v i=\"$SHARD_INDEX\" -v n=\"$SHARD_TOTAL\" '(NR - 1) % n == i - 1' {FILES} > {SHARD_FILES}",
        _not_empty(),
    ])


def by_timings(listing: str, timings: str) -> str:
    """CircleCI's own split of the listing by recorded test timings (files or Go packages)."""
    return "\n".join([
        listing,
        f"circleci tests split --split-by=timings --timings-type={timings} {FILES} > {SHARD_FILES}",
        _not_empty(),
    ])


def _not_empty() -> str:
    return (f'if [ ! -s {SHARD_FILES} ]; then echo "shard $SHARD_INDEX of $SHARD_TOTAL has no tests; '
            'lower test_shards"; exit 1; fi')


def _python(unit: Unit, threshold: int) -> ShardPlan | str:
    plan = testing.test_plan(unit, threshold)
    suffix = " " + " ".join(testing.python_gate_args(threshold))
    if plan is None or not plan.command.endswith(suffix):
        return "its tests run through tox, whose environments the shards cannot split"
    base = plan.command[: -len(suffix)]
    words = shlex.split(base)
    if "pytest" not in words or words[words.index("pytest") + 1:]:
        return (f"its test command `{base}` passes its own arguments; move them to the pytest configuration "
                "(addopts, testpaths) to split the tests")
    run = tc.python_runner(unit)
    coverage = f"{run}python -m coverage"
    # Coverage data holds absolute paths; each shard records its checkout so the gate can map them onto its own.
    paths_rc = '"${RUNNER_TEMP:-/tmp}/coverage-paths.rc"'
    return ShardPlan(
        pre=plan.pre,
        # `-q` prints node ids (path::name), `-qq` (with -q in addopts) "path: count": both start with the file.
        listing=f"{base} --collect-only -q | grep -Eo '^[^:[:space:]]+\\.py' | sort -u > {FILES}",
        command="\n".join([
            f"mkdir -p {SHARD_DIR}",
            f"printf '%s\\n' \"$PWD\" > \"{SHARD_DIR}/root-$SHARD_INDEX.txt\"",
            f"export COVERAGE_FILE=\"{SHARD_DIR}/coverage.$SHARD_INDEX\"",
            # The shards only measure: the gate job enforces the threshold on the merged data.
            f"xargs {base} --cov --cov-report= --cov-fail-under=0 --junitxml={tc.JUNIT_FILE} -o junit_family=xunit1 "
            f"--reruns {testing.RETRIES} < {SHARD_FILES}",
        ]),
        gate_pre=plan.pre,
        merge="\n".join([
            f"{{ printf '[paths]\\nsource =\\n    %s/\\n' \"$PWD\"; sed 's|^|    |; s|$|/|' {SHARD_DIR}/root-*.txt; }} "
            f"> {paths_rc}",
            f"{coverage} combine --rcfile={paths_rc} --keep {SHARD_DIR}/coverage.*",
        ]),
        cobertura=f"{coverage} xml --data-file=.coverage --fail-under=0 -o {COBERTURA}",
        check=f"{coverage} report --data-file=.coverage --fail-under={threshold}",
        gate_installs_dependencies=True,
        note="pytest collects the test files and each shard runs its share of them; `coverage combine` merges the "
             "shards' data in the coverage gate job, which runs `coverage report --fail-under` with the "
             "repository's coverage configuration",
    )


# Istanbul keys files by absolute path; shards checked out elsewhere would not merge, so the keys become relative.
RELATIVE_JSON = "\n".join([
    "node -e '",
    'const fs = require("fs"), path = require("path");',
    "const [from, to] = process.argv.slice(1);",
    "const out = {};",
    'for (const [file, data] of Object.entries(JSON.parse(fs.readFileSync(from, "utf8")))) {',
    "  const name = path.relative(process.cwd(), file);",
    "  out[name] = { ...data, path: name };",
    "}",
    "fs.writeFileSync(to, JSON.stringify(out));",
    "'",
])


def _node(unit: Unit, threshold: int) -> ShardPlan | str:
    framework = unit.test_framework
    if framework not in ("jest", "vitest"):
        return f"{framework or 'its test runner'} has no built-in test splitting (jest and vitest have `--shard`)"
    plan = testing.test_plan(unit, threshold)
    assert plan is not None
    command = unit.test_command or f"{unit.package_manager} test"
    shard = '--shard="$SHARD_INDEX/$SHARD_TOTAL"'
    if framework == "jest":
        # An empty threshold overrides one in the jest config: the shards only measure.
        args = ["--ci", "--coverage", "--coverageThreshold='{}'", "--coverageReporters=json",
                "--coverageDirectory=coverage", shard, "--reporters=default",
                '--reporters="$RUNNER_TEMP/jest-junit/node_modules/jest-junit"']
    else:
        zero = [f"--coverage.thresholds.{kind}=0" for kind in ("lines", "functions", "branches", "statements")]
        args = ["--run", f"--retry={testing.RETRIES}", "--coverage.enabled=true", *zero, "--coverage.reporter=json",
                "--coverage.reportsDirectory=coverage", shard, "--reporter=default", "--reporter=junit",
                f"--outputFile.junit={tc.JUNIT_FILE}"]
    nyc = '"$RUNNER_TEMP/nyc/node_modules/.bin/nyc"'
    # Shards ran elsewhere, under other absolute paths: nothing is excluded after the merge.
    common = "--temp-dir .nyc_output --exclude-after-remap=false"
    return ShardPlan(
        pre=plan.pre,
        command="\n".join([testing.script_args(unit, command, args), f"mkdir -p {SHARD_DIR}",
                           f'{RELATIVE_JSON} coverage/coverage-final.json "{SHARD_DIR}/coverage-$SHARD_INDEX.json"']),
        env=plan.env,
        gate_pre=[f'npm install --no-save --prefix "$RUNNER_TEMP/nyc" {NYC}'],
        merge=f"mkdir -p .nyc_output\n{nyc} merge {SHARD_DIR} .nyc_output/out.json",
        cobertura=f"{nyc} report {common} --reporter=cobertura --report-dir coverage",
        report=NODE_COBERTURA,
        check=f"{nyc} report {common} --reporter=text\n{nyc} check-coverage {common} --lines {threshold}",
        note=f"{framework} `--shard` splits the tests; `nyc merge` joins the shards' Istanbul coverage in the coverage "
             "gate job, where `nyc check-coverage` enforces the threshold",
    )


def _go(unit: Unit, threshold: int) -> ShardPlan:
    check = testing.test_plan(unit, threshold).post[0]  # type: ignore[union-attr]
    return ShardPlan(
        pre=[f"go install {tc.GOTESTSUM}"],
        listing=f"go list ./... > {FILES}",
        timings="classname",  # gotestsum names each JUnit test case's class after its package
        command="\n".join([
            f"mkdir -p {tc.JUNIT_DIR} {SHARD_DIR}",
            f"xargs gotestsum --junitfile {tc.JUNIT_FILE} -- -race "
            f"-coverprofile=\"{SHARD_DIR}/coverage-$SHARD_INDEX.out\" -covermode=atomic < {SHARD_FILES}",
        ]),
        # A profile is a mode line and blocks; the shards test disjoint packages, so their blocks are joined as-is.
        merge=f"{{ echo 'mode: atomic'; for profile in {SHARD_DIR}/coverage-*.out; do tail -n +2 \"$profile\"; done; }} "
              "> coverage.out",
        cobertura=f"go run {GOCOVER_COBERTURA} < coverage.out > {COBERTURA}",
        check=check,
        note="`go list ./...` names the packages and each shard tests its share; the coverage gate job joins the "
             "shards' profiles under one mode line and checks `go tool cover -func`",
    )


def shard_plan(unit: Unit, threshold: int) -> ShardPlan | str:
    """How the unit's tests split and merge, or why they cannot."""
    if unit.language == "python":
        return _python(unit, threshold)
    if unit.language == "node":
        return _node(unit, threshold)
    if unit.language == "go":
        return _go(unit, threshold)
    return CANNOT_SHARD.get(unit.language, f"no test splitting is known for {unit.language}")

