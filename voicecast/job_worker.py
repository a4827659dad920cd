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
"""

from __future__ import annotations

import logging
import threading
import time

from redis.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

log = logging.getLogger(__name__)

# How long the listener waits for a command before looking at its stop flag again: a stop takes
# at most this long. A wait is a poll on an idle socket, not a Redis round trip.
LISTEN_POLL_SECONDS = 0.1
# How long a stop waits for the listener before closing its connection under it.
LISTENER_JOIN_SECONDS = 1.0
# After a lost connection, how long the listener waits before reading again (redis-py
# subscribes again when it reconnects), checking its stop flag meanwhile.
RECONNECT_WAIT_SECONDS = 2.0


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
    stops at once whatever the installed redis-py does."""

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
