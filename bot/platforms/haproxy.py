"""HAProxy's runtime API over its admin socket (one command per connection)."""

from __future__ import annotations

import csv
import io
import socket


def runtime_command(socket_path: str, line: str, timeout: float = 5) -> str:
    """Send one runtime-API line and return the reply text ('' is success for `set weight`)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        sock.sendall((line + "\n").encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def set_weight(socket_path: str, backend: str, server: str, weight: int) -> None:
    """Absolute weight 0-256; any reply is an error (HAProxy prints nothing on success)."""
    reply = runtime_command(socket_path, f"set weight {backend}/{server} {int(weight)}").strip()
    if reply:
        raise RuntimeError(f"HAProxy refused set weight {backend}/{server} {weight}: {reply}")


def server_stats(socket_path: str, backend: str) -> dict[str, dict[str, str]]:
    """`show stat` for the backend's servers, by server name (status, weight, stot, hrsp_5xx, rtime, ...)."""
    reply = runtime_command(socket_path, f"show stat {backend} 4 -1")
    if not reply.startswith("#"):
        raise RuntimeError(f"HAProxy answered show stat with: {reply.strip()}")
    rows = csv.DictReader(io.StringIO(reply.removeprefix("# ")))
    return {row["svname"]: dict(row) for row in rows if row.get("svname")}
