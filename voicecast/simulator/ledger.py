"""Every simulated call and what happened to it, kept in memory behind one lock."""

from __future__ import annotations

import copy
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TERMINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment else None


def new_sid(prefix: str = "CA") -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class CallRecord:
    """One call: what was asked for, its state, and everything the simulator did for it.

    Mutated only with `Ledger.lock` held (the player thread and the REST handlers share it).
    """

    sid: str
    account_sid: str
    to: str
    from_: str
    params: dict[str, Any]  # the create request, list values for repeated keys
    status: str = "queued"
    answered_by: str | None = None
    outcome: str | None = None
    rule: str | None = None
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    start_time: datetime | None = None
    answered_at: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    sip_response_code: int | None = None
    sequence: int = 0
    twiml: list[dict[str, Any]] = field(default_factory=list)
    played: list[dict[str, Any]] = field(default_factory=list)
    said: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    settled: bool = False  # True once nothing more will happen to the call (callbacks sent)
    # Requests from `POST .../Calls/{Sid}.json` for the player: hang up, or new TwiML.
    hangup_status: str | None = None
    redirect: dict[str, str] | None = None
    interrupt: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def queue_time_ms(self) -> int:
        started = self.start_time or self.end_time or now()
        return max(0, round((started - self.date_created).total_seconds() * 1000))

    def set_status(self, status: str) -> None:
        self.status = status
        self.date_updated = now()

    def error(self, code: int | None, message: str, **extra: Any) -> None:
        """Note a problem with what our app sent or served (`code`: Twilio's, where one fits)."""
        self.errors.append({"code": code, "message": message, "at": iso(now()), **extra})

    def to_ledger(self) -> dict[str, Any]:
        """The `/_sim/calls` view: everything, with ISO 8601 timestamps."""
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "to": self.to,
            "from": self.from_,
            "status": self.status,
            "answered_by": self.answered_by,
            "outcome": self.outcome,
            "outcome_rule": self.rule,
            "queued_at": iso(self.date_created),
            "started_at": iso(self.start_time),
            "answered_at": iso(self.answered_at),
            "ended_at": iso(self.end_time),
            "queue_time_ms": self.queue_time_ms,
            "duration": self.duration,
            "sip_response_code": self.sip_response_code,
            "request": self.params,
            "twiml": self.twiml,
            "played": self.played,
            "said": self.said,
            "ignored": self.ignored,
            "callbacks": self.callbacks,
            "errors": self.errors,
            "warnings": self.warnings,
            "settled": self.settled,
        }


class Ledger:
    """The calls by sid, in creation order. Hold `lock` to read or change a record."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._calls: dict[str, CallRecord] = {}

    def add(self, call: CallRecord) -> None:
        with self.lock:
            self._calls[call.sid] = call

    def get(self, sid: str) -> CallRecord | None:
        with self.lock:
            return self._calls.get(sid)

    def all(self) -> list[CallRecord]:
        with self.lock:
            return list(self._calls.values())

    def snapshot(self, sid: str | None = None) -> list[dict[str, Any]]:
        """Ledger views of one call (if `sid`) or all, taken consistently under the lock."""
        with self.lock:
            calls = [self._calls[sid]] if sid in self._calls else [] if sid else self.all()
            return [copy.deepcopy(call.to_ledger()) for call in calls]

    def clear(self) -> list[CallRecord]:
        """Forget every call; returns them so their players can be told to stop."""
        with self.lock:
            calls = list(self._calls.values())
            self._calls.clear()
            return calls
