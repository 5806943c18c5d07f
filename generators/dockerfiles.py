"""Multi-stage Dockerfiles for Rust, Java/Kotlin, .NET, Ruby, PHP and Elixir services (non-root, pinned tags)."""

from __future__ import annotations

import json

from generators.analysis.model import Unit
from generators.ci.runtimes import runtime_image

DEFAULT_PORTS = {"rust": 8080, "java": 8080, "dotnet": 8080, "ruby": 3000, "php": 8000, "elixir": 4000}
COMPOSER_IMAGE = "composer:2.8"


def _local(unit: Unit, path: str) -> str:
    prefix = f"{unit.path}/" if unit.path else ""
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def _rust(unit: Unit, version: str, port: int) -> tuple[list[str], str]:
    binary = str(unit.extras.get("binary") or "app")
    lines = [f"FROM {runtime_image('rust', version)} AS build", "WORKDIR /src", "COPY . .",
             f"RUN cargo build --locked --release --bin {binary} && mkdir -p /out && cp target/release/{binary} /out/app",
             "", "FROM debian:bookworm-slim", "COPY --from=build /out/app /usr/local/bin/app", "USER 10001",
             f"EXPOSE {port}", 'ENTRYPOINT ["/usr/local/bin/app"]']
    return lines, f"the image runs the `{binary}` binary of the crate"


def _java(unit: Unit, version: str, port: int) -> tuple[list[str], str]:
    wrapper = unit.extras.get("wrapper")
    maven = unit.package_manager == "maven"
    if maven:
        build_image = runtime_image("java", version) if wrapper else f"maven:3.9-eclipse-temurin-{version}"
        tool = wrapper or "mvn"
        build = f"{tool} -B -ntp -DskipTests package && find . -path '*/target/*.jar' -exec cp {{}} /out/app.jar \\;"
    else:
        build_image = runtime_image("java", version) if wrapper else f"gradle:8-jdk{version}"
        tool = wrapper or "gradle"
        task = "bootJar" if "spring-boot" in unit.frameworks else "assemble"
        build = (f"{tool} --no-daemon {task} && find . -path '*/build/libs/*.jar' ! -name '*-plain.jar' "
                 "-exec cp {} /out/app.jar \\;")
    lines = [f"FROM {build_image} AS build", "WORKDIR /src", "COPY . .", f"RUN mkdir -p /out && {build}", "",
             f"FROM eclipse-temurin:{version}-jre", "WORKDIR /app", "COPY --from=build /out/app.jar /app/app.jar",
             "USER 10001", f"EXPOSE {port}", 'ENTRYPOINT ["java", "-jar", "/app/app.jar"]']
    note = "the image runs the executable jar the build produces; with several modules, check that the right jar is copied"
    return lines, note


def _dotnet(unit: Unit, version: str, port: int) -> tuple[list[str], str]:
    project = _local(unit, str(unit.extras.get("web_project") or unit.manifest))
    assembly = project.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    channel = version if "." in version else f"{version}.0"
    lines = [f"FROM {runtime_image('dotnet', version)} AS build", "WORKDIR /src", "COPY . .",
             f"RUN dotnet publish {json.dumps(project)} --configuration Release --output /out", "",
             f"FROM mcr.microsoft.com/dotnet/aspnet:{channel}", "WORKDIR /app", "COPY --from=build /out .",
             "ENV ASPNETCORE_HTTP_PORTS=" + str(port), "USER 10001", f"EXPOSE {port}",
             f"ENTRYPOINT {json.dumps(['dotnet', assembly + '.dll'])}"]
    return lines, f"the image publishes {project}"


def _ruby(unit: Unit, version: str, port: int) -> tuple[list[str], str]:
    image = runtime_image("ruby", version)
    env = 'ENV BUNDLE_DEPLOYMENT=1 BUNDLE_WITHOUT="development:test" BUNDLE_PATH=/usr/local/bundle'
    rails = "rails" in unit.frameworks
    command = ["bin/rails", "server", "-b", "0.0.0.0", "-p", str(port)] if rails else [
        "bundle", "exec", "rackup", "--host", "0.0.0.0", "--port", str(port)]
    lines = [f"FROM {image} AS build", "WORKDIR /app", env, "COPY Gemfile Gemfile.lock ./", "RUN bundle install --jobs 4",
             "COPY . .", "",
             # The full image keeps the client libraries database gems link against (libpq, libmysqlclient).
             f"FROM {image}", "WORKDIR /app", env + (" RAILS_ENV=production" if rails else ""),
             "COPY --from=build /usr/local/bundle /usr/local/bundle", "COPY --from=build /app /app", "USER 10001",
             f"EXPOSE {port}", f"CMD {json.dumps(command)}"]
    return lines, ("set SECRET_KEY_BASE and DATABASE_URL in the deployment environment; add "
                   "`RUN SECRET_KEY_BASE_DUMMY=1 bin/rails assets:precompile` if the app serves assets") if rails else \
        "the container starts config.ru with rackup; check CMD before merging"


def _php(unit: Unit, version: str, port: int) -> tuple[list[str], str]:
    laravel = "laravel" in unit.frameworks
    command = ["php", "artisan", "serve", "--host=0.0.0.0", f"--port={port}"] if laravel else [
        "php", "-S", f"0.0.0.0:{port}", "-t", "public"]
    lines = [f"FROM {COMPOSER_IMAGE} AS vendor", "WORKDIR /app", "COPY composer.json composer.lock ./",
             "RUN composer install --no-dev --no-interaction --prefer-dist --no-scripts --no-autoloader "
             "--ignore-platform-reqs", "COPY . .", "RUN composer dump-autoload --optimize --no-dev --classmap-authoritative",
             "", f"FROM {runtime_image('php', version)}", "WORKDIR /app", "COPY --from=vendor /app /app", "USER 10001",
             f"EXPOSE {port}", f"CMD {json.dumps(command)}"]
    return lines, ("PHP extensions beyond the image's defaults (pdo_pgsql, redis...) need `docker-php-ext-install`; "
                   "for production put php-fpm or FrankenPHP in front instead of the built-in server")


def _elixir(unit: Unit, version: str, port: int) -> tuple[list[str], str]:
    app = str(unit.extras.get("app") or "app")
    image = runtime_image("elixir", version)
    lines = [f"FROM {image} AS build", "ENV MIX_ENV=prod", "WORKDIR /app",
             "RUN mix local.hex --force && mix local.rebar --force", "COPY mix.exs mix.lock ./",
             "RUN mix deps.get --only prod && mix deps.compile", "COPY . .", "RUN mix compile && mix release --path /out",
             "", f"FROM {image}", "WORKDIR /app", f"ENV PHX_SERVER=true PORT={port}", "COPY --from=build /out /app",
             "USER 10001", f"EXPOSE {port}", f'CMD ["/app/bin/{app}", "start"]']
    return lines, "set SECRET_KEY_BASE and DATABASE_URL in the deployment environment; run `mix assets.deploy` first if the app has assets"


BUILDERS = {"rust": _rust, "java": _java, "dotnet": _dotnet, "ruby": _ruby, "php": _php, "elixir": _elixir}


def dockerfile_lines(unit: Unit, version: str, port: int | None) -> tuple[str, str]:
    """The Dockerfile text (without header) and a note for a service in one of these languages."""
    lines, note = BUILDERS[unit.language](unit, version, port or DEFAULT_PORTS[unit.language])
    return "\n".join(lines) + "\n", note
