"""File and resource names derived from user-given service names: lowercase DNS labels, never a path."""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^a-z0-9-]+")


def slug(name: str, limit: int = 63) -> str:
    """A DNS-label-safe name for files and resources; a name that had to change keeps a short hash suffix."""
    cleaned = _UNSAFE.sub("-", name.lower()).strip("-") or "service"
    if cleaned == name and len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{cleaned[:limit - 9].strip('-')}-{digest}"
