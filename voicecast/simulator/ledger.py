"""Every simulated call and what happened to it, kept in memory behind one lock."""

from __future__ import annotations

import copy
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from voicecast.simulator.async_amd import voicemail_summary

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
    direction: str = "outbound-api"  # inbound, outbound-dial (a <Dial> leg)
    parent_call_sid: str | None = None
    extra_params: dict[str, str] = field(default_factory=dict)  # sent with every webhook
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
    requests: list[dict[str, Any]] = field(default_factory=list)  # every webhook, in order
    digits: list[str] = field(default_factory=list)  # keys pressed at each <Gather> of this leg
    dials: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the simulator chose, in words
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Async AMD: the verdict, when it came, the beep, any cut (`async_amd.start`).
    amd: dict[str, Any] | None = None
    rough: list[dict[str, Any]] = field(default_factory=list)  # `rough_calls.note`
    held_callbacks: list[tuple] = field(default_factory=list, repr=False)  # sent after completed
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
            "direction": self.direction,
            "parent_call_sid": self.parent_call_sid,
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
            "amd": self.amd,
            "voicemail": voicemail_summary(self.amd, self.played),
            "said": self.said,
            "digits": self.digits,
            "dials": self.dials,
            "recordings": self.recordings,
            "ignored": self.ignored,
            "requests": self.requests,
            "callbacks": self.callbacks,
            "notes": self.notes,
            "rough": self.rough,
            "errors": self.errors,
            "warnings": self.warnings,
            "settled": self.settled,
        }


R = TypeVar("R")


class Book(Generic[R]):
    """Records (each with a `sid`) by sid, in creation order. Hold `lock` to read or change
    a record."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._records: dict[str, R] = {}

    def add(self, record: R) -> None:
        with self.lock:
            self._records[record.sid] = record

    def get(self, sid: str) -> R | None:
        with self.lock:
            return self._records.get(sid)

    def all(self) -> list[R]:
        with self.lock:
            return list(self._records.values())

    def remove(self, sid: str) -> bool:
        with self.lock:
            return self._records.pop(sid, None) is not None

    def clear(self) -> list[R]:
        """Forget every record; returns them."""
        with self.lock:
            records = list(self._records.values())
            self._records.clear()
            return records


class Ledger(Book[CallRecord]):
    """The calls. `clear` returns them so that their players can be told to stop."""

    def snapshot(self, sid: str | None = None) -> list[dict[str, Any]]:
        """Ledger views of one call (if `sid`) or all, taken consistently under the lock."""
        with self.lock:
            calls = [self._records[sid]] if sid in self._records else [] if sid else self.all()
            return [copy.deepcopy(call.to_ledger()) for call in calls]
