"""RQ queues named by purpose, and what a queued job's id says about it. Jobs are queued
through their declarations in `voicecast.jobs`."""

from __future__ import annotations

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from voicecast.redis_client import get_redis

DEFAULT = "default"
MEDIA = "media"  # audio processing: slow, CPU-bound, kept apart from the rest
PLANNING = "planning"  # turning a launched campaign into deliveries
DIALING = "dialing"  # dispatching and dialing: short jobs, latency matters
QUEUE_NAMES = (DIALING, PLANNING, DEFAULT, MEDIA)


def get_queue(name: str = DEFAULT) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}; known: {', '.join(QUEUE_NAMES)}")
    return Queue(name, connection=get_redis())


PENDING_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def job_pending(job_id: str) -> bool:
    """Whether the job `job_id` is still waiting or running (False if Redis forgot it)."""
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in PENDING_STATUSES


def job_waiting(job_id: str) -> bool:
    """Whether the job `job_id` really waits: scheduled, or queued and still in its queue (a
    worker killed between taking a job and starting it leaves it "queued" in no queue)."""
    redis = get_redis()
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        return redis.lpos(Queue(job.origin, connection=redis).key, job_id) is not None
    return status in (JobStatus.SCHEDULED, JobStatus.DEFERRED)
