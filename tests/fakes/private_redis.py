"""A Redis server of one's own on loopback, for tests whose queues must not meet another test run's.

Several suites may run at once against the shared test Redis; RQ queue names are global, so a
flush or a worker there can take another run's jobs. A private server (no persistence) avoids that.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

ATTEMPTS = 5  # another process (a parallel test worker) may take the free port before redis-server binds it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(binary: str) -> tuple[subprocess.Popen[bytes], str] | None:
    """A redis-server on a free port once it answers as itself; None if it lost its port and exited."""
    port = _free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--daemonize", "no", "--loglevel", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while process.poll() is None:
        try:
            with redis.Redis.from_url(url) as probe:
                # A server answering on the port may be another worker's that bound it first.
                if probe.info("server")["process_id"] == process.pid:
                    return process, url
        except redis.ConnectionError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=10)
            raise RuntimeError("the private redis-server did not start")
        time.sleep(0.02)
    return None


@contextmanager
def private_redis_url() -> Iterator[str]:
    """The URL of a fresh redis-server on 127.0.0.1, stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; the tests need it (apt-get install redis-server)")
    for _ in range(ATTEMPTS):
        started = _start(binary)
        if started:
            break
    else:
        raise RuntimeError(f"the private redis-server exited {ATTEMPTS} times: no free port stayed free")
    process, url = started
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
