"""Every RQ job, declared once: its name (the dotted path of its function in `workers`), the
queue it runs on and how long it may run. The application enqueues a job through its
declaration (`DIAL_ATTEMPTS.enqueue(batch, job_id=...)`), never by a name typed where it is
queued, so `voicecast` never imports `workers` and a job cannot be queued under a wrong name,
queue or timeout. `python -m workers` loads the modules named here (`job_modules()`);
`tests/test_job_registry.py` checks that each name resolves to a job of `workers` and that
`workers` has no job left undeclared.

The names are what RQ stores with each queued job: renaming one strands the jobs of that name
still queued when a new release starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rq.job import Job

from voicecast.queues import DEFAULT, DIALING, MEDIA, PLANNING, QUEUE_NAMES, get_queue


@dataclass(frozen=True)
class JobSpec:
    """One job: `name` is the dotted path of its function in `workers`; `timeout` (seconds)
    is how long RQ lets it run before counting it lost (None: RQ's default, 180 s)."""

    name: str
    queue: str
    timeout: int | None = None

    @property
    def module(self) -> str:
        return self.name.rpartition(".")[0]

    def options(self, job_id: str | None) -> dict[str, Any]:
        """RQ's options for one queuing: the declared timeout, and `job_id` when given."""
        options: dict[str, Any] = {}
        if job_id is not None:
            options["job_id"] = job_id
        if self.timeout is not None:
            options["job_timeout"] = self.timeout
        return options

    def enqueue(self, *args: Any, job_id: str | None = None) -> Job:
        """Queue the job now with `args` (ids and plain values only)."""
        return get_queue(self.queue).enqueue(self.name, *args, **self.options(job_id))

    def enqueue_at(self, at: datetime, *args: Any, job_id: str | None = None) -> Job:
        """Queue the job at `at` (RQ's scheduler moves it to its queue then)."""
        return get_queue(self.queue).enqueue_at(at, self.name, *args, **self.options(job_id))

    def enqueue_in(self, delay: timedelta, *args: Any, job_id: str | None = None) -> Job:
        """Queue the job `delay` from now."""
        return get_queue(self.queue).enqueue_in(delay, self.name, *args, **self.options(job_id))


JOBS: dict[str, JobSpec] = {}


def declare(name: str, queue: str, timeout: int | None = None) -> JobSpec:
    """Add a job to the registry (`JOBS`, which `python -m workers` and the tests read)."""
    if name in JOBS:
        raise ValueError(f"job {name!r} declared twice")
    if queue not in QUEUE_NAMES:
        raise ValueError(f"job {name!r}: unknown queue {queue!r}")
    JOBS[name] = JobSpec(name, queue, timeout)
    return JOBS[name]


def job_modules() -> tuple[str, ...]:
    """The modules of `workers` that hold the declared jobs."""
    return tuple(sorted({spec.module for spec in JOBS.values()}))


# A dial job places a batch of calls, each after its pace slot and then one carrier request
# (TWILIO_HTTP_TIMEOUT); past this RQ counts the job as lost.
DIAL_TIMEOUT_S = 120
# Each ffmpeg run is capped at 120 s by the pipeline; leave room for two and the bookkeeping.
PROCESS_TIMEOUT_S = 300
IMPORT_TIMEOUT_S = 3600
# Planning 10M contacts took 82 s (bench/dispatch_scale.py); chunks commit as they go, so a plan
# cut short resumes, but RQ's default 180 s would cut campaigns a little past 20M.
PLAN_TIMEOUT_S = 3600

MARK_KEY_USED = declare("workers.accounts.mark_key_used", DEFAULT)
NOTIFY_MISSED_CALLBACK = declare("workers.callbacks.notify_missed_callback", DEFAULT)
KEEP_VOICEMAIL = declare("workers.callbacks.keep_voicemail", DEFAULT)
PLAN_CAMPAIGN = declare("workers.campaigns.plan_campaign", PLANNING, PLAN_TIMEOUT_S)
DISPATCH_CAMPAIGN = declare("workers.campaigns.dispatch_campaign", DIALING)
DIAL_ATTEMPTS = declare("workers.dialing.dial_attempts", DIALING, DIAL_TIMEOUT_S)
EVALUATE_JOURNEYS = declare("workers.journeys.evaluate_journeys", PLANNING, PLAN_TIMEOUT_S)
RUN_IMPORT = declare("workers.imports.run_import", DEFAULT, IMPORT_TIMEOUT_S)
PROCESS_RECORDING = declare("workers.media.process_recording", MEDIA, PROCESS_TIMEOUT_S)
SEND_EVENTS = declare("workers.outbound.send_events", DEFAULT)
PRICE_CALLS = declare("workers.pricing.price_calls", DEFAULT)
