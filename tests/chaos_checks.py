"""What a chaos run must show, number by number: the API (GET campaign, its deliveries, its CSV
export) agrees with the carrier's ledger; no number dialed more often than the attempts the API
reports, nor more than max_attempts; every customer dialed, or refused with a reason; nothing
left due or dialing for more than twice the reconciliation threshold; the work due after the
scheduling worker's death run within seconds."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from tests.chaos_faults import FaultyCarrier, Workers
from voicecast.delivery.calls import RETRY_NEVER_PLACED
from voicecast.rules.eligibility import NEVER_PLACED
from voicecast.scheduling import SCHEDULER_LEASE_S
from voicecast.simulator.async_amd import voicemail_summary

# How late the first retry may run after its scheduler's death: the dead lease, a second for
# an idle worker to notice, a second for the scheduler's pass, a round, a dial.
SCHEDULER_TAKEOVER_S = SCHEDULER_LEASE_S + 5


@dataclass(frozen=True)
class Sample:
    """The campaign's unfinished deliveries at `now`."""

    now: datetime
    # delivery id: (seconds due and not dialed, or dialing; "status/its last attempt's state")
    overdue: dict[int, tuple[float, str]]
    dialing: int
    waiting: list[datetime | None]  # next_attempt_at of the pending ones


def api_deliveries(client, url: str, headers: dict) -> dict[str, dict]:
    found, cursor = {}, ""
    while True:
        page = client.get(f"{url}/deliveries?limit=500&cursor={cursor}", headers=headers).json
        found.update({item["phone"]: item for item in page["items"]})
        if not page["next_cursor"]:
            return found
        cursor = page["next_cursor"]


def exported(client, url: str, headers: dict) -> dict[str, dict]:
    # In English: the columns titled by their codes (a French account's export is in French).
    export = client.get(f"{url}/deliveries.csv?lang=en", headers=headers)
    text = export.get_data(as_text=True)
    return {row["phone"]: row for row in csv.DictReader(io.StringIO(text))}


# The statuses that say a message was played to its end.
CLAIMS_HEARD = ("voicemail_left", "voicemail_unsure")


def call_story(call) -> str:
    """What the carrier did on a call, for a failure message: its verdict, what it played
    when, its documents, errors and notes."""
    played = [{k: entry.get(k) for k in ("document", "started_s", "ended_s", "complete")}
              for entry in call.played]  # fmt: skip
    documents = [(entry.get("url") or entry.get("source"), entry.get("http_status"),
                  entry.get("received_at")) for entry in call.twiml]  # fmt: skip
    return (
        f"status {call.status}, answered_by {call.answered_by}, amd {call.amd}, played"
        f" {played}, documents {documents}, errors {call.errors}, notes {call.notes}"
    )


def check_number(phone: str, delivery: dict, calls: list, row: dict | None, run) -> list[str]:
    """What one number's delivery, attempts and export row must say, given its calls."""
    problems = []
    said = f"{phone} ({delivery['status']}, reason {delivery['reason']!r})"
    attempts = delivery["attempts"]
    by_sid = {call.sid: call for call in calls}
    sids = {a["call_sid"] for a in attempts if a["call_sid"]}
    counted = [a for a in attempts if a["outcome"] != NEVER_PLACED]
    if sids != set(by_sid):
        problems.append(f"{said}: calls at the carrier {sorted(by_sid)}, in the API {sorted(sids)}")
    if len(calls) > max(len(counted), 0) or len(calls) > run.plan.max_attempts:
        problems.append(f"{said}: dialed {len(calls)} times for {len(counted)} attempts")
    if delivery["attempt_count"] != len(counted):
        problems.append(f"{said}: attempt_count {delivery['attempt_count']}, {len(counted)} made")
    if delivery["status"] in ("pending", "dialing"):
        problems.append(f"{said}: never settled")
    if not calls and phone not in run.refused:
        problems.append(f"{said}: never dialed")
    if not calls and (not delivery["reason"] or delivery["reason"] == RETRY_NEVER_PLACED):
        problems.append(f"{said}: not dialed, with no reason a user can read")
    if phone in run.refused and (delivery["status"], delivery["reason"]) != (
        "undeliverable", "invalid_number"):  # fmt: skip
        problems.append(f"{said}: the carrier refused the number as invalid")
    for attempt in attempts:
        call = by_sid.get(attempt["call_sid"])
        if call is not None and (attempt["state"], attempt["answered_by"]) != (
            call.status,
            call.answered_by,
        ):
            problems.append(f"{said}: attempt {attempt['state']}/{attempt['answered_by']},"
                            f" carrier {call.status}/{call.answered_by}")  # fmt: skip
    if calls:
        last = max(calls, key=lambda call: call.date_created)
        # Left: the mailbox recorded the message to its end after its beep; after `unknown`
        # no beep was heard, so the service can only count it unsure.
        heard = voicemail_summary(last.amd, last.played)["complete_plays"] > 0
        unsure = last.answered_by == "unknown"
        expected = ("voicemail_unsure" if unsure else "voicemail_left") if heard else None
        claimed = delivery["status"] if delivery["status"] in CLAIMS_HEARD else None
        if claimed != expected:
            problems.append(
                f"{said}: its last call played {len(last.played)} message(s) ({call_story(last)})"
            )
    exported_as = row and (row["status"], int(row["attempts"]), row["call_sid"] or None)
    last_sid = attempts[-1]["call_sid"] if attempts else None
    if exported_as != (delivery["status"], delivery["attempt_count"], last_sid):
        problems.append(f"{said}: exported as {exported_as}")
    return problems


def check_run(run, web, client, url: str, headers: dict, carrier: FaultyCarrier,
              workers: Workers) -> dict:  # fmt: skip
    deliveries = api_deliveries(client, url, headers)
    rows = exported(client, url, headers)
    counts = client.get(url, headers=headers).json["counts"]
    ledger = carrier.ledger_by_number()
    problems = []
    if set(deliveries) != set(run.phones):
        problems.append(f"{len(set(run.phones) - set(deliveries))} customers without a delivery")
    for phone, delivery in sorted(deliveries.items()):
        problems += check_number(phone, delivery, ledger.get(phone, []), rows.get(phone), run)
    statuses = Counter(delivery["status"] for delivery in deliveries.values())
    if counts != dict(statuses):
        problems.append(f"campaign counts {counts}, its deliveries {dict(statuses)}")
    longest = longest_waits(run.samples)
    worst = max((seconds for seconds, _ in longest.values()), default=0.0)
    bound = 2 * run.plan.reconcile_unsure_s
    by_id = {delivery["id"]: delivery for delivery in deliveries.values()}
    over = [
        f"{by_id[i]['phone']} {seconds} s {state}, attempts {timeline(by_id[i])}"
        for i, (seconds, state) in sorted(longest.items(), key=lambda item: -item[1][0])[:5]
    ]
    if worst > bound:
        problems.append(f"deliveries due or dialing over {bound} s: " + "; ".join(over))
    problems += chaos_dealt(run, carrier, workers)
    calls = [call for calls in ledger.values() for call in calls]
    return {
        "problems": problems,
        "figures": {
            "contacts": len(run.phones),
            "max_attempts": run.plan.max_attempts,
            "carrier calls": len(calls),
            "calls by outcome": dict(Counter(call.outcome or call.status for call in calls)),
            "create-call faults met": dict(carrier.met),
            "worker kills": dict(workers.kills),
            "redis restarts from disk": run.redis_restarts,
            "retry late after the scheduler's death (s)": run.quiet_kill.get("late_s"),
            "longest due or dialing (s)": round(worst, 1),
            "the five longest": over,
            "numbers dialed more than their attempts": sum("times for" in p for p in problems),
            "customers never dialed": sum("never dialed" in p for p in problems),
            "deliveries by status": dict(statuses),
            "setup (s)": round(run.setup_s, 1),
            "launch to completion (s)": round(run.wall_s, 1),
        },
    }


def timeline(delivery: dict) -> list[tuple]:
    """A delivery's attempts: state, outcome, and when created, dialed and ended (h:m:s)."""
    clock = lambda moment: moment and moment[11:19]  # noqa: E731
    return [
        (a["state"], a["outcome"], *(clock(a[k]) for k in ("created_at", "dialed_at", "ended_at")))
        for a in delivery["attempts"]
    ]


def longest_waits(samples: list[Sample]) -> dict[int, tuple[float, str]]:
    """Each delivery's longest time due or dialing, and its state then."""
    longest: dict[int, tuple[float, str]] = {}
    for sample in samples:
        for delivery_id, (seconds, state) in sample.overdue.items():
            if seconds > longest.get(delivery_id, (0.0, ""))[0]:
                longest[delivery_id] = (round(seconds, 1), state)
    return longest


def chaos_dealt(run, carrier: FaultyCarrier, workers: Workers) -> list[str]:
    """The faults the plan asked for did happen (a run that dealt none proves nothing)."""
    problems = []
    if not workers.kills["random"] or not workers.kills["during a dial request"]:
        problems.append(f"kills dealt: {dict(workers.kills)}")
    if run.redis_restarts != 1:
        problems.append("Redis was not restarted")
    if run.plan.quiet_scheduler_kill:
        late = run.quiet_kill.get("late_s")
        if late is None:
            problems.append(
                f"the scheduling worker was not killed in a quiet moment: {run.quiet_kill}"
            )
        elif late > SCHEDULER_TAKEOVER_S:
            problems.append(f"retries ran {late:.1f} s late after the scheduler's death")
    return problems
