"""Check a fake's response body against the schema GitHub's OpenAPI description gives that response.

The description is OpenAPI 3.0: `nullable: true` becomes a JSON Schema "null" alternative, then the
body is validated (jsonschema, draft 4 semantics, formats not enforced) with every `$ref` resolved.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft4Validator

from tests.fakes.github_server import OPENAPI


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    spec = json.loads(gzip.decompress(OPENAPI.read_bytes()))
    return {"components": _nullable(spec["components"]), "paths": spec["paths"]}


def response_problems(key: str, status: str, body: Any) -> list[str]:
    """Every way `body` breaks the documented schema of 'METHOD /path' answering `status` ([] when none)."""
    spec = _spec()
    method, path = key.split(" ", 1)
    response = spec["paths"][path][method.lower()]["responses"][status]
    while "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = _nullable(response["content"]["application/json"]["schema"])
    root = {"components": spec["components"], **schema}
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in Draft4Validator(root).iter_errors(body)]
