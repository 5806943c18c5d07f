"""RQ's enqueue commands, built by RQ once per kind of job and then only filled in per job.

Building an RQ Job (Job.create, to_dict, the pipeline's bookkeeping) cost about a third of a
webhook acknowledgement. For one queue, function, timeout, retry policy and failure TTL, RQ writes
the same commands every time except for the job id, its pickled arguments, its description and
two timestamps. So RQ builds them once, for a sentinel job, and each delivery swaps its own values
into those slots: the job in Redis is the one RQ itself would have written (tests/unit/
test_enqueue_template.py compares them field by field). When RQ's commands do not have the shape
this expects, `build` returns None and the caller lets RQ build every job.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from rq import Queue
from rq import Retry
from rq.utils import now
from rq.utils import utcformat

_SENTINEL_ID = "enqueue-template-sentinel-5f0c2a"
_SENTINEL_DESCRIPTION = "enqueue-template-description-5f0c2a"
_SENTINEL_ARG = "enqueue-template-argument-5f0c2a"
# Slots: what each per-job value is, by the hash field that precedes it or the argument it replaces.
_FIELD_SLOTS = {b"created_at": "time", b"enqueued_at": "time", b"data": "data", b"description": "description"}


def as_bytes(value: Any) -> bytes:
    """An argument as redis-py would send it."""
    if type(value) is bytes:
        return value
    if isinstance(value, str):  # str enums (JobStatus) included
        return value.encode()
    return repr(value).encode()  # int and float, as redis-py encodes them


def rq_commands(queue: Queue, func_path: str, payload: Any, *, job_id: str, timeout: int, retry: Retry | None,
                failure_ttl: int, description: str) -> list[list[bytes]]:
    """The commands RQ's own enqueue_call sends for this job, as bytes, without sending them."""
    pipe = queue.connection.pipeline()
    queue.enqueue_call(func_path, args=(payload,), job_id=job_id, timeout=timeout, retry=retry,
                       failure_ttl=failure_ttl, description=description, pipeline=pipe)
    commands = [[as_bytes(arg) for arg in args] for args, _options in pipe.command_stack]
    pipe.reset()
    return commands


@dataclass(frozen=True)
class EnqueueTemplate:
    """RQ's commands for one kind of job, with per-job slots; `commands(...)` fills them in."""

    func_path: str
    dumps: Any  # the queue's serializer
    # Per command, its arguments: bytes kept as they are, or a slot name ("id", "key", "time", "data",
    # "description").
    shape: tuple[tuple[bytes | str, ...], ...]

    def commands(self, job_id: str, payload: Any, description: str) -> list[list[bytes]]:
        """The commands RQ would send to enqueue `func_path(payload)` as job `job_id`."""
        values = {"id": job_id.encode(), "key": f"rq:job:{job_id}".encode(), "time": utcformat(now()).encode(),
                  "data": zlib.compress(self.dumps((self.func_path, None, (payload,), {}))),
                  "description": description.encode()}
        return [[values[arg] if type(arg) is str else arg for arg in command] for command in self.shape]


def build(queue: Queue, func_path: str, *, timeout: int, retry: Retry | None,
          failure_ttl: int) -> EnqueueTemplate | None:
    """The template for this kind of job, or None when RQ's commands are not of the expected shape."""
    commands = rq_commands(queue, func_path, _SENTINEL_ARG, job_id=_SENTINEL_ID, timeout=timeout, retry=retry,
                           failure_ttl=failure_ttl, description=_SENTINEL_DESCRIPTION)
    dumps = queue.serializer.dumps
    expected_data = zlib.compress(dumps((func_path, None, (_SENTINEL_ARG,), {})))
    sentinel_id, sentinel_key = _SENTINEL_ID.encode(), f"rq:job:{_SENTINEL_ID}".encode()
    shape: list[tuple[bytes | str, ...]] = []
    slots_seen: set[str] = set()
    for command in commands:
        filled: list[bytes | str] = []
        for index, arg in enumerate(command):
            field = command[index - 1] if command[0] == b"HSET" and index >= 3 and index % 2 == 1 else None
            slot = _FIELD_SLOTS.get(field) if field is not None else None
            if arg == sentinel_id:
                slot = "id"
            elif arg == sentinel_key:
                slot = "key"
            elif slot == "data" and zlib.decompress(arg) != zlib.decompress(expected_data):
                return None  # RQ serializes the job some other way
            elif slot == "description" and arg != _SENTINEL_DESCRIPTION.encode():
                return None
            elif slot is None and (sentinel_id in arg or _SENTINEL_ARG.encode() in arg):
                return None  # the id or the payload somewhere this does not know how to fill in
            if slot is not None:
                slots_seen.add(slot)
            filled.append(slot if slot is not None else arg)
        shape.append(tuple(filled))
    if not {"id", "key", "time", "data", "description"} <= slots_seen:
        return None
    return EnqueueTemplate(func_path=func_path, dumps=dumps, shape=tuple(shape))
