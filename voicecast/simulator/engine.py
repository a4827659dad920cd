"""The simulated carrier: a FIFO queue drained at the CPS limit, and a player per started call."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from voicecast.simulator.ledger import CallRecord, Ledger, now
from voicecast.simulator.mailboxes import MailboxBook
from voicecast.simulator.media import MediaCache
from voicecast.simulator.messages import MessageBook
from voicecast.simulator.numbers import NumberBook, buy
from voicecast.simulator.outcomes import OutcomeRules
from voicecast.simulator.recordings import RecordingBook
from voicecast.simulator.roughness import RoughBook

# Fixed development credentials (`voicecast dev` points the app at the simulator with these).
DEV_ACCOUNT_SID = "AC" + "5eed" * 8
DEV_AUTH_TOKEN = "simulator-dev-auth-token"
ABORT = "abort"  # hangup_status meaning: stop playing this call, send nothing more


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds of each phase before `time_scale`; the played media is sped up by
    `play_factor` (0.05: a 20 s message takes 1 s). Reported durations stay in media time."""

    initiate: float = 0.05
    ring: float = 0.2
    busy: float = 0.2
    no_answer: float = 0.5
    human_detection: float = 0.1
    greeting: float = 0.3
    play_factor: float = 0.05


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulator behaves; every field has a development default."""

    account_sid: str = DEV_ACCOUNT_SID
    auth_token: str = DEV_AUTH_TOKEN
    cps: float = 1.0
    time_scale: float = 1.0
    timings: Timings = field(default_factory=Timings)
    outcomes: str = "digit"
    seed: int | None = None
    webhook_timeout: float = 15.0
    max_live_calls: int = 256
    numbers: tuple[str, ...] = ()  # the account owns these from the start (E.164)
    roughness: str = "off"  # or "realistic" (`roughness.py`); /_sim/roughness changes it


class Simulator:
    """Owns the ledger, the outcome rules, the CPS queue and the call players, and the
    account's phone numbers, messages and recordings."""

    def __init__(self, config: SimulatorConfig) -> None:
        if config.cps <= 0:
            raise ValueError("cps must be positive")
        self.config = config
        self.ledger = Ledger()
        self.media_cache = MediaCache()
        self.rules = OutcomeRules(config.outcomes, config.seed)
        self.mailboxes = MailboxBook()
        self.roughness = RoughBook(config.roughness)
        self.numbers = NumberBook()
        self.messages = MessageBook()
        self.recordings = RecordingBook()
        self._own_configured_numbers()
        self.stopped = threading.Event()
        self._queue: deque[str] = deque()
        self._queue_ready = threading.Condition()
        self._last_start = float("-inf")
        self._starts: deque[float] = deque(maxlen=10_000)
        self._executor = ThreadPoolExecutor(config.max_live_calls, thread_name_prefix="sim-call")
        self._dispatcher = threading.Thread(target=self._dispatch, name="sim-cps", daemon=True)
        self._dispatcher.start()

    # -- calls from the REST API ------------------------------------------------------------
    def enqueue(self, call: CallRecord) -> None:
        """Record a new call and queue it for starting at the CPS pace."""
        self.ledger.add(call)
        with self._queue_ready:
            self._queue.append(call.sid)
            self._queue_ready.notify()

    def hang_up(self, call: CallRecord, status: str) -> None:
        """`Status=canceled|completed` from the API, with Twilio's rules for each state."""
        with self.ledger.lock:
            if call.terminal:
                return
            if call.status == "queued":
                with self._queue_ready:
                    if call.sid in self._queue:
                        self._queue.remove(call.sid)
                call.set_status("canceled")  # a queued call canceled sends no callback at all
                call.end_time = now()
                call.settled = True
                return
            if status == "canceled" and call.status == "in-progress":
                return  # "canceled" only ends calls that are not answered yet
            call.hangup_status = status
            call.interrupt.set()
        self.wait_terminal(call, timeout=2.0)

    def redirect(self, call: CallRecord, source: dict[str, str]) -> bool:
        """New TwiML (`{"twiml": ...}` or `{"url": ..., "method": ...}`) for a live call.

        A call not answered yet uses it when answered. False if the call has ended already.
        """
        with self.ledger.lock:
            if call.terminal:
                return False
            if call.status == "in-progress":
                call.redirect = source
                call.interrupt.set()
            else:
                for key in ("Twiml", "Url", "Method"):
                    call.params.pop(key, None)
                call.params.update({k.capitalize(): v for k, v in source.items()})
            return True

    def wait_terminal(self, call: CallRecord, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not call.terminal and time.monotonic() < deadline:
            time.sleep(0.01)
        return call.terminal

    def _own_configured_numbers(self) -> None:
        for phone_number in self.config.numbers:
            number = buy(self.config.account_sid, phone_number)
            number.origin = "configured"
            self.numbers.add(number)

    def reset(self) -> None:
        """Forget every call, rule, message, recording and number bought through the API
        (the configured numbers stay, unconfigured); players of live calls stop without
        callbacks."""
        with self._queue_ready:
            self._queue.clear()
        self.media_cache.clear()
        self.messages.clear()
        self.recordings.clear()
        self.numbers.clear()
        self._own_configured_numbers()
        for call in self.ledger.clear():
            with self.ledger.lock:
                call.hangup_status = ABORT
                call.interrupt.set()
        self.rules.reset()
        self.mailboxes.reset()
        self.roughness.reset(self.config.roughness)
        self._starts.clear()

    def stats(self) -> dict[str, Any]:
        with self._queue_ready:
            queued = len(self._queue)
        calls = self.ledger.all()
        with self.ledger.lock:
            live = sum(1 for call in calls if not call.terminal and call.status != "queued")
        return {
            "calls": len(calls),
            "queued": queued,
            "live": live,
            "cps": self.config.cps,
            "numbers": len(self.numbers.all()),
            "messages": len(self.messages.all()),
        }

    def close(self) -> None:
        """Stop the dispatcher and every player; wait for their threads. Idempotent."""
        if self.stopped.is_set():
            return
        self.stopped.set()
        with self._queue_ready:
            self._queue_ready.notify_all()
        self._dispatcher.join()
        for call in self.ledger.all():
            with self.ledger.lock:
                call.hangup_status = ABORT
                call.interrupt.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, function: Any, *args: Any) -> None:
        """Run `function(*args)` on the players' pool (ignored once closed)."""
        if not self.stopped.is_set():
            with contextlib.suppress(RuntimeError):  # shut down in between
                self._executor.submit(function, *args)

    # -- the CPS dispatcher -----------------------------------------------------------------
    def _dispatch(self) -> None:
        """Start queued calls first in, first out, at least 1/cps seconds apart."""
        spacing = 1.0 / self.config.cps
        while not self.stopped.is_set():
            with self._queue_ready:
                if not self._queue:
                    self._queue_ready.wait()
                    continue
                delay = self._last_start + spacing - time.monotonic()
                if delay > 0:
                    self._queue_ready.wait(delay)
                    continue
                sid = self._queue.popleft()
                self._last_start = time.monotonic()
            self._start(sid)

    def _queued_too_long(self, call: CallRecord) -> bool:
        """Whether the call waited in the CPS queue past the limit (24 h, scaled)."""
        scale = self.config.time_scale
        waited = (now() - call.date_created).total_seconds()
        return scale > 0 and waited > self.roughness.max_queue_s * scale

    def _start(self, sid: str) -> None:
        from voicecast.simulator.player import CallPlayer

        call = self.ledger.get(sid)
        if call is None:
            return
        with self.ledger.lock:
            if call.status != "queued":
                return
            if self._queued_too_long(call):
                return self.submit(refuse_queued, self, call)
            call.start_time = now()
            call.set_status("initiated")
        self._starts.append(time.time())
        self.submit(CallPlayer(self, call).run)


def refuse_queued(sim: Simulator, call: CallRecord) -> None:
    """A call queued past the limit fails without ringing (Twilio's 22005), its `completed`
    callback saying `failed`."""
    from voicecast.simulator.callbacks import Callbacks

    with sim.ledger.lock:
        call.error(22005, "Queue time exceeded: the call waited in the queue past its limit")
        call.rough.append({"what": "refused past the queue limit", "code": 22005})
        call.end_time = now()
        call.duration = 0
        call.sip_response_code = 503
        call.set_status("failed")
    try:
        Callbacks(sim, call).status("completed")
    finally:
        with sim.ledger.lock:
            call.settled = True
