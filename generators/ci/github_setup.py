"""GitHub Actions setup steps for the toolchains that are not Python, Node.js or Go, from the pins table."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from generators.ci.pins import Pin
from generators.ci.pins import pins_table
from generators.ci.yaml_out import shell
from generators.ci.yaml_out import to_commented

TOOLS = frozenset({"rust", "java", "dotnet", "ruby", "php", "elixir", "hugo"})
# dtolnay/rust-toolchain publishes no vX.Y.Z tags; its moving v1 tag takes the toolchain as an input.
RUST_REF = "tag v1"


def _pinned(pin: Pin, name: str, with_: dict[str, Any]) -> CommentedMap:
    step = CommentedMap()
    step["name"] = name
    step["uses"] = pin.ref
    step.yaml_add_eol_comment(pin.tag, "uses")
    step["with"] = to_commented(with_)
    return step


def rust_pin() -> Pin:
    """The dtolnay/rust-toolchain reference recorded in the pins table's other_refs."""
    ref = pins_table()["actions"]["dtolnay/rust-toolchain"]["other_refs"][RUST_REF]
    return Pin(action="dtolnay/rust-toolchain", sha=ref["sha"], tag=RUST_REF.split()[-1])


def setup_step(step: dict[str, Any], uses: Any) -> CommentedMap:
    """One neutral `setup` step of a new toolchain; `uses` is github_steps.uses (pinned action steps)."""
    tool, version = step["tool"], str(step["version"])
    if tool == "rust":
        with_: dict[str, Any] = {"toolchain": version}
        if step.get("components"):
            with_["components"] = ", ".join(step["components"])
        return _pinned(rust_pin(), "Set up Rust", with_)
    if tool == "java":
        return uses("actions/setup-java", "Set up Java", {"distribution": step.get("distribution", "temurin"),
                                                           "java-version": version})
    if tool == "dotnet":
        return uses("actions/setup-dotnet", "Set up .NET", {"dotnet-version": version})
    if tool == "ruby":
        return uses("ruby/setup-ruby", "Set up Ruby", {"ruby-version": version})
    if tool == "php":
        return uses("shivammathur/setup-php", "Set up PHP", {
            "php-version": version, "tools": "composer:v2", "coverage": step.get("coverage", "none"),
            "extensions": ", ".join(step.get("extensions", [])),
        })
    if tool == "elixir":
        return uses("erlef/setup-beam", "Set up Elixir", {"elixir-version": version, "otp-version": step["otp"]})
    if tool == "hugo":
        # No Hugo action is pinned in the table; the release .deb of the exact version is installed instead.
        out = CommentedMap()
        out["name"] = "Set up Hugo"
        out["env"] = to_commented({"HUGO_VERSION": version})
        out["run"] = shell(
            'curl -fsSLo "$RUNNER_TEMP/hugo.deb" '
            '"https://github.com/gohugoio/hugo/releases/download/v${HUGO_VERSION}/hugo_extended_${HUGO_VERSION}_linux-amd64.deb"\n'
            'sudo dpkg -i "$RUNNER_TEMP/hugo.deb"'
        )
        return out
    raise ValueError(f"no GitHub Actions setup for {tool!r}")
