"""The job queue: RQ on Redis, or on an embedded fakeredis server when REDIS_URL is not set."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue
from rq import Retry
from rq import SimpleWorker
from rq import Worker
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.timeouts import JobTimeoutException
from rq.timeouts import TimerDeathPenalty
from rq.worker import WorkerStatus

from bot import enqueue_template
from bot.settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "devops-bot"
# Onboarding after an install can mean hundreds of jobs; workers take them only when the main queue is empty.
ONBOARDING_QUEUE_NAME = "devops-bot-onboarding"
# GitHub redelivers for days on request; a delivery id stays known this long.
DELIVERY_TTL_SECONDS = 7 * 24 * 3600
FAILED_JOB_TTL_SECONDS = 7 * 24 * 3600
# Waits between retries of a job that failed on something transient (GitHub 5xx, rate limit, network).
RETRY_BACKOFF_SECONDS = (10, 60, 300, 900)
JOB_TIMEOUT_DEFAULT = 180  # RQ's own default, for a job that names none
# How often an idle worker moves due scheduled jobs (rollout ticks, retries) onto the queue. RQ's own
# scheduler looks once a second, so a tick ran up to a second late before any queueing.
SCHEDULE_POLL_SECONDS = 0.1
# Rollout ticks and gate timeouts are short, bounded, idempotent state-machine steps (a replayed one
# is stale) that come many times a minute per rollout: a work horse and RQ's per-job bookkeeping cost
# more than the step. The worker's scheduler runs them itself when due (with the job's timeout); one
# that raises goes onto the queue instead, where RQ runs it again with its retries. Every other job
# is queued and gets its own work horse.
IN_PROCESS_JOBS = frozenset({"bot.rollouts.engine.tick", "bot.rollouts.engine.gate_timeout"})
# Due steps run this many at a time: a step mostly waits (Redis, the platform's API, Prometheus, Slack),
# and each holds its own rollout's lock. The batch ends before the worker forks anything.
ROLLOUT_STEP_THREADS = 8
# A job whose worker died (SIGKILL, lost machine) stays "started" until RQ's heartbeat lapses (90 s) and a
# worker's registry maintenance retries it; RQ's default of every 10 minutes left such a job waiting that long.
ABANDONED_JOB_SCAN_SECONDS = 60
# A job whose worker died with no retries left goes to RQ's failed registry in silence; these jobs then
# queue a report of it (function path → the report's), so the person who asked learns it failed.
LOST_JOB_REPORTS = {"bot.jobs.run_github_command": "bot.jobs.report_lost_job"}
_shared: dict[tuple[int, str], redis.Redis] = {}

_embedded_lock = threading.Lock()
_embedded_server: Any = None

# Runs the enqueue commands RQ built only if the delivery id is new, so a delivery costs one
# round-trip and a redelivery can never slip in between check and enqueue. ARGV[1]: the id's TTL;
# ARGV[2]: each command's argument count; ARGV[3...]: every command's arguments in turn. (With
# hiredis the client packs ~60 arguments in C; Lua slicing them out of one string cost more.)
_ENQUEUE_ONCE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local pos = 3
for n in string.gmatch(ARGV[2], '%d+') do
  local last = pos + tonumber(n) - 1
  redis.call(unpack(ARGV, pos, last))
  pos = last + 1
end
return 1
"""


def connect(settings: Settings) -> redis.Redis:
    """A Redis client: REDIS_URL's server, or the process-wide embedded one."""
    if settings.redis_url:
        # Short, bounded retries: a health check or a webhook must not hang on a dead Redis.
        retry = RedisRetry(ExponentialBackoff(cap=0.5, base=0.05), retries=2)
        return redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=10,
                                    health_check_interval=30, retry=retry)
    import fakeredis

    global _embedded_server
    with _embedded_lock:
        if _embedded_server is None:
            _embedded_server = fakeredis.FakeServer()
    return fakeredis.FakeRedis(server=_embedded_server)


def shared_connection(settings: Settings) -> redis.Redis:
    """One client per process and Redis URL, for code that runs often outside a job (the worker's own steps)."""
    key = (os.getpid(), settings.redis_url or "")
    if key not in _shared:  # a forked child makes its own: sockets are not shared across a fork
        _shared[key] = connect(settings)
    return _shared[key]


def get_queue(conn: redis.Redis) -> Queue:
    """The bot's queue on this connection."""
    return Queue(QUEUE_NAME, connection=conn)


def get_onboarding_queue(conn: redis.Redis) -> Queue:
    """The low-priority queue of onboarding jobs on this connection."""
    return Queue(ONBOARDING_QUEUE_NAME, connection=conn)


def worker_queues(conn: redis.Redis) -> list[Queue]:
    """The queues a worker listens to, most urgent first (RQ always drains earlier queues first)."""
    return [get_queue(conn), get_onboarding_queue(conn)]


def enqueue_job(queue: Queue, func_path: str, payload: dict[str, Any], *, job_id: str, timeout: int,
                retries: int) -> bool:
    """Queue `func_path(payload)` once per job id; False when that id was already accepted."""
    description = f"{func_path} {job_id}"
    template = _template(queue, func_path, timeout, retries)
    if template is not None:
        commands = template.commands(job_id, payload, description)
    else:
        commands = enqueue_template.rq_commands(queue, func_path, payload, job_id=job_id, timeout=timeout,
                                                retry=_retry(retries), failure_ttl=FAILED_JOB_TTL_SECONDS,
                                                description=description)
    layout = " ".join(str(len(command)) for command in commands)
    accepted = _script(queue)(keys=[f"delivery:{job_id}"],
                              args=[DELIVERY_TTL_SECONDS, layout, *(arg for command in commands for arg in command)])
    return bool(accepted)


def _retry(retries: int) -> Retry | None:
    return Retry(max=retries, interval=list(RETRY_BACKOFF_SECONDS[:retries])) if retries > 0 else None


def _template(queue: Queue, func_path: str, timeout: int, retries: int) -> enqueue_template.EnqueueTemplate | None:
    """RQ's commands for this kind of job, built once per queue object (see bot/enqueue_template.py)."""
    cache = queue.__dict__.setdefault("_bot_enqueue_templates", {})
    key = (func_path, timeout, retries)
    if key not in cache:
        cache[key] = enqueue_template.build(queue, func_path, timeout=timeout, retry=_retry(retries),
                                            failure_ttl=FAILED_JOB_TTL_SECONDS)
    return cache[key]


def _script(queue: Queue) -> Any:
    # register_script sends EVALSHA, falling back to EVAL once per server; its sha1 is computed once here.
    script = queue.__dict__.get("_bot_enqueue_once")
    if script is None or script.registered_client is not queue.connection:
        script = queue.__dict__["_bot_enqueue_once"] = queue.connection.register_script(_ENQUEUE_ONCE)
    return script


class SchedulesDueJobs:
    """Mixed into an RQ worker: move due scheduled jobs onto the queue before each dequeue and while idle."""

    poll_seconds: float = 1

    def run_due_here(self, jobs: list[Job]) -> list[Job]:
        """Run some due jobs now instead of queueing them; returns the ones still to queue (all, by default)."""
        return jobs

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        """Wait for a job in short slices, moving due retries onto the queue between slices."""
        while True:
            for queue in self.queues:
                enqueue_due_jobs(queue, self.run_due_here)
            if timeout is None:  # burst mode: one look at the queues
                return super().dequeue_job_and_maintain_ttl(None, max_idle_time)
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time=self.poll_seconds)
            if result is not None or self._stop_requested:
                return result


class EmbeddedWorker(SchedulesDueJobs, SimpleWorker):
    """An RQ worker that runs jobs in a thread of the web process, and schedules its own retries."""

    # SIGALRM timeouts only work on the main thread; a timer thread works anywhere.
    death_penalty_class = TimerDeathPenalty
    poll_seconds = 1

    def _install_signal_handlers(self) -> None:
        # signal.signal() fails outside the main thread; the web server owns the signals.
        pass


class BotWorker(SchedulesDueJobs, Worker):
    """`devops-bot worker`: RQ's forking worker that is its own scheduler, every SCHEDULE_POLL_SECONDS.

    Due rollout steps (IN_PROCESS_JOBS) run in this process as the scheduler finds them, or, when one
    was queued (a retry), like RQ's SimpleWorker; any other job runs in a forked work horse.
    """

    poll_seconds = SCHEDULE_POLL_SECONDS

    _pool: ThreadPoolExecutor | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", ABANDONED_JOB_SCAN_SECONDS)
        super().__init__(*args, **kwargs)
        self.push_exc_handler(_report_abandoned)  # RQ's registry maintenance calls it for each abandoned job

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: Any) -> None:
        """The work horse died (OOM killer, SIGKILL): report the job when RQ will not retry it."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        report_lost_job(job)

    def run_due_here(self, jobs: list[Job]) -> list[Job]:
        """Run the due rollout steps now, several at once; returns other jobs and steps that raised, to queue."""
        steps = [job for job in jobs if job.func_name in IN_PROCESS_JOBS]
        if not steps:
            return jobs
        if self._pool is None:
            self._pool = ThreadPoolExecutor(ROLLOUT_STEP_THREADS, thread_name_prefix="rollout-step")
        done = dict(zip((job.id for job in steps), self._pool.map(_run_step, steps), strict=True))
        return [job for job in jobs if not done.get(job.id, False)]

    def execute_job(self, job: Any, queue: Queue) -> None:
        """Rollout steps here, like RQ's SimpleWorker; the rest in a work horse."""
        if job.func_name not in IN_PROCESS_JOBS:
            super().execute_job(job, queue)
            return
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)


class EmbeddedWorkerThread(threading.Thread):
    """The daemon thread running an EmbeddedWorker; `stop()` ends it after the current job."""

    def __init__(self, conn: redis.Redis) -> None:
        super().__init__(name="devops-bot-embedded-worker", daemon=True)
        self.worker = EmbeddedWorker(worker_queues(conn), connection=conn)

    def run(self) -> None:
        self.worker.work(logging_level="WARNING")

    def stop(self, timeout: float = 10) -> None:
        """Ask the worker to stop and wait for it."""
        # Not request_stop(): it installs signal handlers and raises in the caller's thread.
        self.worker._stop_requested = True
        self.join(timeout)


def _run_step(job: Job) -> bool:
    """Run one due rollout step in this thread under its job timeout; False when it raised."""
    try:
        with TimerDeathPenalty(job.timeout or JOB_TIMEOUT_DEFAULT, JobTimeoutException, job_id=job.id):
            job.func(*job.args, **job.kwargs)
    except Exception:
        log.exception("rollout step %s failed; queued for RQ's retries", job.id)
        return False
    job.delete()
    return True


def report_lost_job(job: Job) -> None:
    """Queue the report of a job that died with its worker, when it has no retries left and has a report."""
    report = LOST_JOB_REPORTS.get(job.func_name or "")
    if report is None or (job.retries_left or 0) > 0:
        return
    try:
        Queue(job.origin, connection=job.connection).enqueue(
            report, job.args[0], job.id, job_id=f"{job.id}-lost", retry=Retry(max=2, interval=[10, 60]),
            failure_ttl=FAILED_JOB_TTL_SECONDS)
    except Exception:  # the worker goes on; the failed registry still holds the job
        log.exception("job %s died with its worker; its report could not be queued", job.id)


def _report_abandoned(job: Job, exc_type: type, exc_value: BaseException, traceback: Any) -> bool:
    if exc_type is AbandonedJobError:
        report_lost_job(job)
    return True  # let RQ's other handlers run


def enqueue_due_jobs(queue: Queue, run_here: Callable[[list[Job]], list[Job]] | None = None) -> int:
    """Move scheduled jobs (ticks, retries after a backoff) whose time has come onto the queue, each once.

    `run_here(jobs)` may run some of them at once instead; it returns those still to queue.
    """
    registry = ScheduledJobRegistry(queue=queue)
    claimed: list[Job] = []
    for job_id in registry.get_jobs_to_schedule():
        # Removing it is the claim: of several workers looking at once, only one gets 1 back.
        if not queue.connection.zrem(registry.key, job_id):
            continue
        job = queue.fetch_job(job_id)
        if job is not None:
            claimed.append(job)
    for job in run_here(claimed) if run_here is not None else claimed:
        queue._enqueue_job(job)  # what RQ's scheduler does, without its separate process
    return len(claimed)


def start_embedded_worker(conn: redis.Redis) -> EmbeddedWorkerThread:
    """Run an in-process worker on a daemon thread (the queue when REDIS_URL is not set)."""
    thread = EmbeddedWorkerThread(conn)
    thread.start()
    return thread


def run_worker(settings: Settings, burst: bool = False) -> None:
    """Run the bot's worker, its own scheduler included, on the bot's queues (`devops-bot worker`)."""
    conn = connect(settings)
    if not settings.redis_url:
        log.warning("REDIS_URL is not set: this worker only sees its own embedded queue, which nothing feeds")
    worker = BotWorker(worker_queues(conn), connection=conn)
    # No RQ scheduler process: BotWorker moves due jobs itself, more often, and claims each one atomically.
    worker.work(burst=burst, with_scheduler=False)
