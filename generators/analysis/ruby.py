"""Ruby: Bundler, Rails, Sinatra, Jekyll, RSpec and minitest, .ruby-version, database gems."""

from __future__ import annotations

import re

from generators.analysis import common
from generators.analysis.layout import join
from generators.analysis.model import Unit
from generators.analysis.record import Record
from generators.analysis.versions import Declared
from generators.analysis.versions import choose
from generators.analysis.versions import first_line
from generators.analysis.versions import tool_versions

FRAMEWORKS = {"rails": "rails", "sinatra": "sinatra", "hanami": "hanami", "jekyll": "jekyll"}
SERVERS = frozenset({"rails", "sinatra", "hanami"})
DRIVERS = {"pg": "postgres", "mysql2": "mysql", "trilogy": "mysql", "redis": "redis", "mongoid": "mongodb",
           "bunny": "rabbitmq", "sidekiq": "redis"}
RUBY_FILES = (".ruby-version", "config/database.yml", "_config.yml", ".rspec")
RAKEFILES = ("Rakefile", "rakefile", "Rakefile.rb", "rakefile.rb")  # the names rake looks for


def gems(text: str) -> dict[str, str]:
    """Gem names in a Gemfile, with the group they were declared in."""
    found: dict[str, str] = {}
    group = "default group"
    for line in text.splitlines():
        stripped = line.split("#")[0].strip()
        match = re.match(r"^group\s+(.+?)\s+do\b", stripped)
        if match:
            group = f"group {match.group(1)}"
        elif stripped == "end":
            group = "default group"
        match = re.match(r"""^gem\s+['"]([\w.-]+)['"]""", stripped)
        if match:
            found.setdefault(match.group(1), group)
    return found


def detect_ruby(record: Record, directory: str) -> Unit:
    """One Bundler project."""
    manifest = join(directory, "Gemfile")
    text = record.text(manifest) or ""
    unit = common.new_unit(record, directory, "ruby", "bundler", manifest, "Gemfile present (Bundler)")
    common.lockfile(record, unit, ("Gemfile.lock",))
    listed = gems(text)
    unit.extras["gems"] = sorted(listed)  # decides the JUnit formatter and coverage check in CI
    where = {name: f"{group} of Gemfile" for name, group in listed.items()}
    for name, framework in sorted(FRAMEWORKS.items()):
        if name in listed:
            common.framework(record, unit, framework, manifest, f"gem '{name}' in the {listed[name]} of Gemfile")
    if "jekyll" in unit.frameworks:
        unit.build_script = "bundle exec jekyll build"
        config = join(directory, "_config.yml")
        if record.layout.has(config):
            record.fact(directory, "build_tool", "jekyll", config, "Jekyll site (_config.yml + jekyll gem)")
        else:
            record.fact(directory, "build_tool", "jekyll", manifest, "jekyll gem in Gemfile (no _config.yml)")
    common.services(record, unit, where, DRIVERS, manifest, "gem")
    database = record.text(join(directory, "config/database.yml")) or ""
    for adapter, service in (("postgresql", "postgres"), ("mysql2", "mysql"), ("trilogy", "mysql")):
        if re.search(rf"adapter:\s*{adapter}\b", database):
            common.services(record, unit, {adapter: "config/database.yml"}, {adapter: service},
                            join(directory, "config/database.yml"), "adapter")
    for name, lint in (("rubocop", "rubocop"), ("standard", "standard")):
        if name in listed:
            unit.lint_tools.append(lint)
            record.fact(directory, "lint_tool", lint, manifest, f"gem '{name}' in Gemfile")
    _tests(record, unit, listed)
    unit.runtime_version = choose(record, directory, "ruby version", _versions(record, directory, text))
    return unit


def _tests(record: Record, unit: Unit, listed: dict[str, str]) -> None:
    owned = record.layout.owned(unit.path)
    specs = [p for p in owned if p.endswith("_spec.rb")]
    minitests = [p for p in owned if p.endswith("_test.rb")]
    rspec = "rspec-rails" in listed or "rspec" in listed or "rspec-core" in listed
    if specs and rspec:
        common.tests(record, unit, "rspec", "bundle exec rspec", specs[0],
                     f"{len(specs)} *_spec.rb files; rspec in Gemfile")
    elif minitests:
        rakefile = next((name for name in RAKEFILES if record.layout.has(join(unit.path, name))), None)
        if "rails" in unit.frameworks:
            command = "bin/rails test"
        elif rakefile:
            command = "bundle exec rake test"
        else:  # `rake test` needs a Rakefile's TestTask; without one, load every test file the way it would
            command = "bundle exec ruby -Itest -e 'Dir.glob(\"./test/**/*_test.rb\").sort.each { |file| require file }'"
        runs = "" if "rails" in unit.frameworks else f"; {rakefile} runs them" if rakefile else "; no Rakefile"
        common.tests(record, unit, "minitest", command, minitests[0],
                     f"{len(minitests)} *_test.rb files (minitest){runs}")
    else:
        common.tests(record, unit, None, None, unit.manifest, "no *_spec.rb or *_test.rb files")


def _versions(record: Record, directory: str, gemfile: str) -> list[Declared]:
    declared = []
    for where in dict.fromkeys([directory, ""]):
        path = join(where, ".ruby-version")
        if (text := record.text(path)) is not None and first_line(text):
            raw = first_line(text)
            declared.append(Declared(raw, ruby_version(raw), path, f".ruby-version pins {raw}"))
        path = join(where, ".tool-versions")
        if (text := record.text(path)) is not None and (raw := tool_versions(text, ("ruby",))):
            declared.append(Declared(raw, ruby_version(raw), path, f"ruby {raw} in .tool-versions"))
    match = re.search(r"""^ruby\s+['"]([^'"]+)['"]""", gemfile, re.M)
    if match:
        declared.append(Declared(match.group(1), ruby_version(match.group(1).lstrip("~>= ")), join(directory, "Gemfile"),
                                 f"ruby '{match.group(1)}' in Gemfile"))
    return declared


def ruby_version(raw: str) -> str | None:
    """Normalise "ruby-3.3.5" to "3.3.5": Bundler insists on the exact version a Gemfile's `ruby` line names."""
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", raw)
    return match.group(1) if match else None
