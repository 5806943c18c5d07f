"""The fake GitHub's side of the App Manifest flow: the 'new GitHub App' form, then the code conversion.

`POST /settings/apps/new` stands in for the page a person confirms in their browser: it takes the
`manifest` form field and redirects to the manifest's `redirect_url` with `code` and `state`, as GitHub
does. `POST /app-manifests/{code}/conversions` answers in the shape of apps/create-from-manifest, with a
real RSA key, once per code.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask import Response
from flask import redirect
from flask import request

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

# The browser form and the conversion are not authenticated with an App JWT or a token.
UNAUTHENTICATED = re.compile(r"^/(settings/apps/new|organizations/[^/]+/settings/apps/new|app-manifests/[^/]+/conversions)$")
CONVERSION = "POST /app-manifests/{code}/conversions"


def register_manifest_routes(app: Flask, state: FakeGitHub, reply: Callable[..., Response]) -> None:
    """Add the manifest flow's routes to `app`; codes live in `state.manifest_codes`."""
    from tests.fakes.github_server import error

    def new_app(org: str | None) -> Response:
        try:
            manifest = json.loads(request.form["manifest"])
        except (KeyError, ValueError):
            return Response("Invalid GitHub App manifest", status=422)
        if not isinstance(manifest, dict) or not manifest.get("url") or not manifest.get("redirect_url"):
            return Response("The manifest needs url and redirect_url", status=422)
        code = secrets.token_hex(10)
        with state.lock:
            state.manifest_codes[code] = {"manifest": manifest, "org": org}
        query = {"code": code, **({"state": request.args["state"]} if request.args.get("state") else {})}
        return redirect(f"{manifest['redirect_url']}?{urlencode(query)}", code=302)  # type: ignore[return-value]

    @app.post("/settings/apps/new")
    def new_personal_app() -> Response:
        return new_app(None)

    @app.post("/organizations/<org>/settings/apps/new")
    def new_org_app(org: str) -> Response:
        return new_app(org)

    @app.post("/app-manifests/<code>/conversions")
    def convert(code: str) -> Response:
        with state.lock:
            entry = state.manifest_codes.pop(code, None)  # a code works once
        if entry is None:
            return error(404, "Not Found")
        return reply(_created_app(state, entry["manifest"], entry["org"]), 201)


def _created_app(state: FakeGitHub, manifest: dict[str, Any], org: str | None) -> dict[str, Any]:
    slug = re.sub(r"[^a-z0-9]+", "-", str(manifest.get("name", "my-app")).lower()).strip("-")
    data = state.shape(CONVERSION, id=1000 + len(state.manifest_codes) + secrets.randbelow(10_000), slug=slug,
                       name=manifest.get("name", slug), description=manifest.get("description", ""),
                       external_url=manifest["url"], html_url=f"https://github.com/apps/{slug}",
                       events=list(manifest.get("default_events", [])),
                       permissions=dict(manifest.get("default_permissions", {})),
                       client_id="Iv1." + secrets.token_hex(8), client_secret=secrets.token_hex(20),
                       webhook_secret=secrets.token_hex(20), pem=_pem())
    if org:
        data["owner"]["login"] = org
    return data


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()
