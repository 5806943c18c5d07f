"""Static sites built by Hugo, and infrastructure code the repository carries: Helm charts and Terraform."""

from __future__ import annotations

import re

from generators.analysis import common
from generators.analysis.layout import base
from generators.analysis.layout import is_project_file
from generators.analysis.layout import join
from generators.analysis.layout import parent
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.versions import Declared
from generators.analysis.versions import choose

HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.json", "config.toml")
MAX_INFRA_FACTS = 20
KUBERNETES_DIRS = re.compile(r"(^|/)(k8s|kubernetes|kube)/")
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml")


def detect_hugo(record: Record, directory: str) -> Unit:
    """A Hugo site: built with `hugo --minify`, nothing to test."""
    names = record.layout.names(directory)
    manifest = join(directory, next(name for name in HUGO_CONFIGS if name in names))
    unit = common.new_unit(record, directory, "hugo", "hugo", manifest, f"{base(manifest)} with Hugo's site layout")
    common.framework(record, unit, "hugo", manifest, f"{base(manifest)} present")
    unit.build_script = "hugo --minify"
    record.fact(directory, "build_tool", "hugo", manifest, "Hugo site")
    record.fact(directory, "lockfile", "none", manifest, "Hugo sites have no package lockfile")
    if record.layout.has(join(directory, "go.mod")):
        unit.extras["hugo_modules"] = True
    common.tests(record, unit, None, None, manifest, "a static site has no test suite; the build is the check")
    declared = []
    for name, pattern in (("netlify.toml", r"HUGO_VERSION\s*=\s*[\"']?v?(\d+\.\d+\.\d+)"),
                          (".hugo-version", r"^v?(\d+\.\d+\.\d+)")):
        match = re.search(pattern, record.text(join(directory, name)) or "", re.M)
        if match:
            declared.append(Declared(match.group(1), match.group(1), join(directory, name), f"Hugo {match.group(1)} in {name}"))
    unit.runtime_version = choose(record, directory, "hugo version", declared)
    return unit


def infrastructure_facts(record: Record) -> None:
    """Helm charts, Kubernetes manifest folders and Terraform root modules, recorded as facts for the deploy and
    infrastructure steps."""
    charts = [p for p in record.layout.paths if is_chart(p) and is_project_file(p)][:MAX_INFRA_FACTS]
    for path in charts:
        record.fact("", "helm_chart", parent(path) or ".", path, "Chart.yaml present")
    manifests = sorted(p for p in record.layout.paths if is_project_file(p) and is_kubernetes_manifest(p))
    for directory in sorted({parent(p) for p in manifests})[:MAX_INFRA_FACTS]:
        first = next(p for p in manifests if parent(p) == directory)
        rule = "kustomization.yaml present" if base(first) in KUSTOMIZATIONS else "YAML in a Kubernetes folder"
        record.fact("", "kubernetes_manifest", directory or ".", first, rule)
    modules = sorted({parent(p) for p in record.layout.paths if is_terraform(p) and is_project_file(p)})
    for directory in modules[:MAX_INFRA_FACTS]:
        first = next(p for p in record.layout.paths if p.endswith(".tf") and parent(p) == directory)
        record.fact("", "terraform", directory or ".", first, "*.tf files present")


def is_chart(path: str) -> bool:
    return base(path) == "Chart.yaml"


def is_kubernetes_manifest(path: str) -> bool:
    """A kustomization, or YAML in a k8s/kubernetes/kube folder; a chart's templates are the chart's."""
    return "/templates/" not in f"/{path}" and (
        base(path) in KUSTOMIZATIONS or (path.endswith((".yaml", ".yml")) and bool(KUBERNETES_DIRS.search(path))))


def is_terraform(path: str) -> bool:
    return path.endswith(".tf")


def is_infrastructure_file(path: str) -> bool:
    """A file whose presence or content the infrastructure facts, the infra requirements and the monitoring
    inventory read: Helm charts, Kubernetes manifests, Terraform."""
    return is_project_file(path) and (is_chart(path) or is_kubernetes_manifest(path) or is_terraform(path))
