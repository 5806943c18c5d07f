""".NET: solutions and projects, global.json SDK pin, TargetFramework, xUnit/NUnit/MSTest, ASP.NET Core, lockfiles."""

from __future__ import annotations

import json
import re

from generators.analysis import common
from generators.analysis.layout import Layout
from generators.analysis.layout import base
from generators.analysis.layout import join
from generators.analysis.layout import parent
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.versions import Declared
from generators.analysis.versions import choose

PROJECTS = (".csproj", ".fsproj", ".vbproj")
MAX_PROJECTS = 10
TEST_PACKAGES = (("xunit", "xunit"), ("NUnit", "nunit"), ("MSTest.TestFramework", "mstest"), ("MSTest", "mstest"))
DRIVERS = {"Npgsql": "postgres", "Npgsql.EntityFrameworkCore.PostgreSQL": "postgres", "MySqlConnector": "mysql",
           "Pomelo.EntityFrameworkCore.MySql": "mysql", "StackExchange.Redis": "redis", "MongoDB.Driver": "mongodb",
           "RabbitMQ.Client": "rabbitmq"}


def wanted(layout: Layout, directory: str) -> list[str]:
    """global.json and the project files below the solution (bounded)."""
    found = [join(directory, "global.json")] if layout.has(join(directory, "global.json")) else []
    prefix = f"{directory}/" if directory else ""
    projects = [p for p in layout.paths if p.startswith(prefix) and p.endswith(PROJECTS) and layout.owner(p) is not None]
    return found + sorted(projects, key=lambda path: (path.count("/"), path))[:MAX_PROJECTS]


def detect_dotnet(record: Record, directory: str) -> Unit:
    """One unit per solution (or project without a solution above it)."""
    names = record.layout.names(directory)
    solution = next((n for n in sorted(names) if n.endswith((".sln", ".slnx"))), None)
    projects = [p for p in wanted(record.layout, directory) if p.endswith(PROJECTS)]
    manifest = join(directory, solution) if solution else projects[0]
    unit = common.new_unit(record, directory, "dotnet", "nuget", manifest,
                           f"{base(manifest)} present (dotnet restore with NuGet)")
    unit.build_script = "dotnet build"
    record.fact(directory, "build_tool", "dotnet", manifest, f"{base(manifest)} present")
    locks = [parent(p) for p in record.layout.paths if base(p) == "packages.lock.json" and p.startswith(directory)]
    if locks:
        unit.lockfile = join(locks[0], "packages.lock.json")
        unit.extras["lockfiles"] = sorted(join(d, "packages.lock.json") for d in locks)
        record.fact(directory, "lockfile", "packages.lock.json", unit.lockfile,
                    f"packages.lock.json present ({len(locks)} projects); restore runs in locked mode")
    else:
        record.fact(directory, "lockfile", "none", manifest, "no packages.lock.json (RestorePackagesWithLockFile is off)")
        record.warn(f"{directory or 'root'}: no packages.lock.json; dotnet restore will not be frozen")
    packages: dict[str, str] = {}
    targets: list[tuple[str, str]] = []
    test_project = None
    for path in projects:
        text = record.text(path) or ""
        for name in re.findall(r'<PackageReference\s+Include="([^"]+)"', text):
            packages.setdefault(name, path)
        match = re.search(r"<TargetFrameworks?>\s*([^<;]+)", text)
        if match:
            targets.append((match.group(1).strip(), path))
        if 'Sdk="Microsoft.NET.Sdk.Web"' in text:
            unit.extras.setdefault("web_project", path)  # what a generated Dockerfile publishes
            common.framework(record, unit, "aspnetcore", path, 'Sdk="Microsoft.NET.Sdk.Web" in the project file')
        if test_project is None and any(pkg in text for pkg, _ in TEST_PACKAGES) or "Microsoft.NET.Test.Sdk" in text:
            test_project = test_project or path
    unit.extras["packages"] = sorted(packages)  # decides the JUnit logger and coverlet flavour in CI
    found = {name: f"PackageReference of {packages[name]}" for name in packages}
    common.services(record, unit, found, DRIVERS, manifest, "package")
    framework = next((fw for pkg, fw in TEST_PACKAGES if any(name == pkg or name.startswith(pkg + ".") for name in packages)), None)
    if test_project:
        target = "" if not solution else f" {solution}"
        common.tests(record, unit, framework, f"dotnet test{target}", test_project,
                     f"test project {base(test_project)} references {framework or 'Microsoft.NET.Test.Sdk'}")
    else:
        common.tests(record, unit, None, None, manifest, "no project references a test framework")
    unit.runtime_version = choose(record, directory, "dotnet version", _versions(record, directory, targets))
    return unit


def dotnet_version(raw: str) -> str | None:
    """Normalise "net8.0" / "8.0.401" to the channel "8.0"; netstandard and .NET Framework are not runtimes."""
    match = re.match(r"^(?:net)?(\d+)\.(\d+)", raw.strip())
    if not match or int(match.group(1)) < 5 and raw.startswith("net") and "." not in raw[3:5]:
        return None
    return f"{match.group(1)}.{match.group(2)}"


def _versions(record: Record, directory: str, targets: list[tuple[str, str]]) -> list[Declared]:
    declared = []
    path = join(directory, "global.json")
    try:
        sdk = json.loads(record.text(path) or "{}").get("sdk", {}).get("version")
    except ValueError:
        sdk = None
    if isinstance(sdk, str):
        declared.append(Declared(sdk, dotnet_version(sdk), path, f'sdk.version "{sdk}" in global.json'))
    for target, file in targets:
        if target.startswith("net") and not target.startswith(("netstandard", "netcoreapp")) and "." in target:
            declared.append(Declared(target, dotnet_version(target), file, f"<TargetFramework>{target}</TargetFramework>"))
    return declared
