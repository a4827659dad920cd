"""The RQ worker every Voicecast process runs jobs with: `python -m workers`, the test suite's
`run_jobs` and the benchmarks.

RQ's worker listens on a Redis pub/sub channel for commands (stop a job, shut down) in a thread
that redis-py starts with `run_in_thread(sleep_time=60)`. Since redis-py 8.2 that thread's
`stop()` joins it with no time limit, and the thread can be waiting up to 60 s for a message
that never comes (it read the reply to the worker's UNSUBSCRIBE before the stop flag was
cleared, and then waits to be subscribed again). Every burst worker's teardown, every stop of
`python -m workers` and every Ctrl-C of `voicecast dev` could hang that long. Our worker runs a
listener of its own that looks at its stop flag several times a second, so stopping never
depends on a wait inside redis-py.

It also supervises RQ's scheduler (see `voicecast.scheduling`). RQ's idle worker waits for a
job in one blocking Redis call of `worker_ttl - 15` s (405 s) and looks at its scheduler only
between two such waits, every maintenance interval: a scheduler that died with its worker was
replaced minutes later, or when an unrelated job happened to wake a worker. Ours waits at most
WAKE_EVERY_S, and at every wake-up (and between jobs, at most that often) starts a scheduler
of its own if none runs in this process and some queue's lock is free or its own.

And it outlives Redis: RQ's worker quits on any Redis error met outside its wait for a job (a
job whose failure it cannot record, a heartbeat, its maintenance), so a Redis lost mid-job, or a
Sentinel failover longer than the client's retries, stopped every busy worker. Ours waits for
Redis to answer again (the primary Sentinel names, for `redis+sentinel://`) and carries on; the
job it was running is settled from the database like any lost job.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from redis.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT

from voicecast.scheduling import LeasedScheduler, all_locked_by_others

log = logging.getLogger(__name__)

# How long the listener waits for a command before looking at its stop flag again: a stop takes
# at most this long. A wait is a poll on an idle socket, not a Redis round trip.
LISTEN_POLL_SECONDS = 0.1
# How long a stop waits for the listener before closing its connection under it.
LISTENER_JOIN_SECONDS = 1.0
# After a lost connection, how long the listener waits before reading again (redis-py
# subscribes again when it reconnects), checking its stop flag meanwhile.
RECONNECT_WAIT_SECONDS = 2.0
# The longest an idle worker waits in Redis for a job before looking at the scheduler again.
# With SCHEDULER_LEASE_S, how soon a dead scheduler is replaced; each wake-up costs an idle
# worker three round trips (its heartbeat, the next wait and an MGET of the scheduler locks).
WAKE_EVERY_S = 1
# Redis unreachable: the errors a worker waits out, and how often it looks again (doubling).
REDIS_LOST = (RedisConnectionError, RedisTimeoutError)
REDIS_LOOK_AGAIN_S = (0.5, 5.0)


class CommandListener(threading.Thread):
    """Reads the worker's command channel until `stop()`; the handlers RQ registered on the
    subscription run in this thread, as with redis-py's own listener."""

    def __init__(self, pubsub: PubSub, worker_name: str) -> None:
        super().__init__(name=f"rq-commands-{worker_name}", daemon=True)
        self.pubsub = pubsub
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.pubsub.get_message(ignore_subscribe_messages=True, timeout=LISTEN_POLL_SECONDS)
            except RedisConnectionError as error:
                if self._stopping.is_set():
                    return
                log.error("command channel lost (%s); reading again in %g s", error,
                          RECONNECT_WAIT_SECONDS)  # fmt: skip
                self._stopping.wait(RECONNECT_WAIT_SECONDS)
            except Exception:
                if self._stopping.is_set():  # the connection was closed under a late read
                    return
                log.exception("command listener stopped on an unexpected error")
                return

    def stop(self) -> None:
        """Ask the listener to finish; it notices within LISTEN_POLL_SECONDS."""
        self._stopping.set()


class JobWorker(SimpleWorker):
    """RQ's worker running jobs in its own process (a forked work horse per job cost about
    250 ms of CPU per dial job, measured with bench/pacing.py), with a command listener that
    stops at once whatever the installed redis-py does, and a supervised scheduler.

    RQ's maintenance (cleaning registries) still runs every `maintenance_interval`; subclasses
    add theirs in `periodic_maintenance`."""

    _supervising = False
    _next_scheduler_check = 0.0

    @property
    def dequeue_timeout(self) -> int:
        return WAKE_EVERY_S

    @property
    def connection_timeout(self) -> int:
        # RQ's socket timeout, derived from the wait for jobs (worker_ttl - 15 + 10 s), kept as
        # it was: a Redis call timing out between two jobs stops RQ's worker.
        return max(1, self.worker_ttl - 15) + 10

    def work(self, burst: bool = False, *args: Any, with_scheduler: bool = False, **kwargs: Any):
        # A burst worker moves the due jobs once, at its start (RQ does), and starts no
        # scheduler process.
        self._supervising = with_scheduler and not burst
        return super().work(burst, *args, with_scheduler=with_scheduler, **kwargs)

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | int | None = None,
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """RQ's own (rq 3.0), building our scheduler: RQ's names its class, with no way to
        choose another. A burst worker moves the due jobs and stops there."""
        self.scheduler = LeasedScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return  # another worker schedules; supervise_scheduler takes over if it dies
        if burst:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()
        else:
            self.scheduler.start()

    @property
    def should_run_maintenance_tasks(self) -> bool:
        if self._supervising and time.monotonic() >= self._next_scheduler_check:
            return True
        return super().should_run_maintenance_tasks

    def run_maintenance_tasks(self) -> None:
        self.supervise_scheduler()
        if super().should_run_maintenance_tasks:
            try:
                super().run_maintenance_tasks()
                self.periodic_maintenance()
            except REDIS_LOST as error:
                self.wait_for_redis("in its maintenance", error)

    def periodic_maintenance(self) -> None:
        """Work of a subclass's own, every `maintenance_interval`."""

    def execute_job(self, job: Any, queue: Any) -> None:
        try:
            super().execute_job(job, queue)
        except REDIS_LOST as error:
            self.wait_for_redis(f"around job {job.id}", error)

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().heartbeat(*args, **kwargs)
        except REDIS_LOST as error:
            self.wait_for_redis("for its heartbeat", error)

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except REDIS_LOST as error:
            self.wait_for_redis("for its suspension flag", error)

    def wait_for_redis(self, doing: str, error: Exception) -> None:
        """Wait until Redis answers again (or a stop is asked), instead of quitting."""
        self.log.warning("Worker %s: Redis lost %s (%s); waiting for it", self.name, doing, error)
        started, wait = time.monotonic(), REDIS_LOOK_AGAIN_S[0]
        while not self._stop_requested:
            time.sleep(wait)
            try:
                self.connection.ping()
            except REDIS_LOST:
                wait = min(wait * 2, REDIS_LOOK_AGAIN_S[1])
                continue
            self.log.warning("Worker %s: Redis back after %.1f s", self.name,
                             time.monotonic() - started)  # fmt: skip
            return

    def supervise_scheduler(self) -> None:
        """Start a scheduler process if this worker runs none and a queue's scheduler lock is
        free, or still ours (our scheduler process died). Best effort: Redis being away must
        not stop the worker (the next look is a second away). Never once a stop is asked: the
        warm shutdown has stopped the scheduler, and one started again would outlive the worker."""
        if not self._supervising or self._stop_requested:
            return
        self._next_scheduler_check = time.monotonic() + WAKE_EVERY_S
        scheduler = self.scheduler
        if scheduler is None or (scheduler._process is not None and scheduler._process.is_alive()):
            return
        try:
            if not all_locked_by_others(self.connection, scheduler._queue_names, scheduler.name):
                scheduler.acquire_locks(auto_start=True)
        except RedisError as error:
            self.log.warning("Worker %s: could not look at the scheduler (%s)", self.name, error)

    def subscribe(self) -> None:
        self.log.debug("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        listener = CommandListener(self.pubsub, self.name)
        listener.start()
        self.pubsub_thread = listener

    def unsubscribe(self) -> None:
        listener, pubsub = self.pubsub_thread, self.pubsub
        if listener is None or pubsub is None:
            return
        started = time.monotonic()
        listener.stop()
        listener.join(timeout=LISTENER_JOIN_SECONDS)
        # Closing the connection ends the subscription on the server: no UNSUBSCRIBE round trip.
        pubsub.close()
        self.pubsub_thread = None
        self.log.debug(
            "Worker %s: command listener stopped in %.3f s", self.name, time.monotonic() - started
        )
