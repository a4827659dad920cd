"""Benchmark: what the customer hears, over a whole campaign through the carrier simulator.

Run with `.venv/bin/python bench/customer_ear.py` (needs the local PostgreSQL, or
`--database-url sqlite`; `--calls 300` for a shorter run). Like `bench/end_to_end.py`: a private
Redis, a fresh database, the simulator in this process, our app under gunicorn and `python -m
workers`; a campaign over `--calls` contacts (max_attempts 1), mixed outcomes by number
(machines with a beep or a silence, people, faxes, unknown answers, busy, no answer, failed),
and one mailbox in seven that cuts the message 5 s after its beep; the message lasts 20 s
(`--message-seconds`), longer than every machine's greeting (4-12 s), so the first document
is still playing at the beep.

The simulator plays calls in real time by default (`--play-factor 1`): every latency counts as
it is (the TwiML request, the media download, the verdict's callback, our redirect). It prints:
- people: the median and 90th percentile time from the answer to the first audio (the
  seller's message), target median < 1.5 s;
- machines detected right (the verdict is the machine's own): messages started before the
  beep (target 0), the message's start after the beep, and how much of the first document
  still sounded after the beep (before the redirect stopped it);
- number by number: `voicemail_left` in our database against the simulator's ledger of
  complete plays after the beep (target: the same numbers, those answered `unknown` set
  apart), `voicemail_unsure` against the ledger's complete plays after an `unknown` verdict
  (no beep heard: target, the same numbers), and `voicemail_cut` against incomplete ones.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

from _common import DATABASE_HELP, DEFAULT_DATABASE_URL, REDIS_HELP, phone_number
from _stack import (
    FAST_CALLS,
    await_completion,
    http,
    prepare_app,
    run_in_scratch,
    serve_simulated_campaign,
    stop,
)

from voicecast.extensions import db
from voicecast.simulator.engine import SimulatorConfig
from voicecast.simulator.server import SimulatorServer

SID = "AC" + "ea70" * 8
TOKEN = "bench-auth-token"
TARGET_FIRST_AUDIO_S = 1.5
# By the number's last digits (the simulator's own default covers the rest: 0, 2-4 a machine
# with a beep, 5 a person, 6 busy, 7 no answer, 8 failed, 9 a machine ending in silence).
MIX = {"1": "human", "25": "unknown", "45": "fax", "35": "machine_end_other"}
CUT_EVERY = 7  # one number in seven has a mailbox that cuts...
CUT_AFTER_S = 5.0  # ...this long after its beep (shorter than the message)
MACHINES = ("machine_end_beep", "machine_end_silence", "machine_end_other")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2_000, help="default: %(default)s")
    parser.add_argument("--cps", type=float, default=50.0, help="calls/s (%(default)s)")
    parser.add_argument("--play-factor", type=float, default=1.0,
                        help="simulated media speed-up, 1 = real time (%(default)s)")  # fmt: skip
    parser.add_argument("--message-seconds", type=float, default=20.0,
                        help="the seller's message (%(default)s s)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="RQ workers (%(default)s)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per process")
    parser.add_argument("--max-in-flight", type=int, default=200, help="default: %(default)s")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds (%(default)s)")
    return parser.parse_args(argv)


def deliveries_by_phone(app, campaign_id: int) -> dict[str, str]:
    from voicecast.models import Delivery

    with app.app_context():
        rows = db.session.query(Delivery.phone, Delivery.status).filter_by(campaign_id=campaign_id)
        found = {phone: status.value for phone, status in rows}
        db.engine.dispose()
        return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(calls: list[dict], statuses: dict[str, str]) -> bool:
    """Print the figures; whether every target is met."""
    people = [c for c in calls if c["outcome"] == "human" and c.get("amd")]
    first = [c["amd"]["first_audio_s"] for c in people if c["amd"]["first_audio_s"] is not None]
    silent = len(people) - len(first)
    machines = [c for c in calls if c["outcome"] in MACHINES and c.get("amd")]
    right = [c for c in machines if c["amd"]["verdict"] == c["outcome"]]
    before = sum(c["voicemail"]["messages_before_beep"] for c in right)
    lag = [c["voicemail"]["message_started_s"] - c["voicemail"]["beep_s"] for c in right
           if c["voicemail"]["message_started_s"] is not None]  # fmt: skip
    overlap = [c["voicemail"]["greeting_after_beep_s"] for c in right]
    complete = {c["to"] for c in calls if c["voicemail"]["complete_plays"] > 0}
    # Unknown answers and faxes have no beep: their message starts from the verdict.
    started = {c["to"] for c in calls if c["voicemail"]["message_started_s"] is not None}
    # After `unknown` no beep was heard: the service counts such a message unsure, not left.
    unknown = {c["to"] for c in calls if c.get("answered_by") == "unknown"} & complete
    left = {phone for phone, status in statuses.items() if status == "voicemail_left"}
    unsure = {phone for phone, status in statuses.items() if status == "voicemail_unsure"}
    cut = {phone for phone, status in statuses.items() if status == "voicemail_cut"}
    median = statistics.median(first) if first else float("nan")
    print(
        f"people: {len(people)} calls, first audio after the answer median {median:.2f} s, "
        f"p90 {percentile(first, 0.9):.2f} s, max {max(first, default=float('nan')):.2f} s; "
        f"{silent} heard nothing; target median < {TARGET_FIRST_AUDIO_S:g} s"
    )
    print(
        f"machines: {len(machines)}, detected right {len(right)}; messages started before the "
        f"beep: {before} (target 0); message start after the beep median "
        f"{statistics.median(lag) if lag else float('nan'):.2f} s, p95 {percentile(lag, 0.95):.2f}"
        f" s; first document heard after the beep median "
        f"{statistics.median(overlap) if overlap else float('nan'):.2f} s, p95 "
        f"{percentile(overlap, 0.95):.2f} s, max {max(overlap, default=0.0):.2f} s"
    )
    heard = complete - unknown
    print(
        f"voicemail_left {len(left)}, ledger's numbers with a complete play after a beep or a "
        f"verdict other than unknown {len(heard)}: {len(left ^ heard)} numbers differ "
        f"{sorted(left ^ heard)[:10]}; voicemail_unsure {len(unsure)}, ledger's complete plays "
        f"after `unknown` {len(unknown)}: {len(unsure ^ unknown)} differ; voicemail_cut "
        f"{len(cut)}, ledger's numbers with only an incomplete play {len(started - complete)}: "
        f"{len(cut ^ (started - complete))} differ"
    )
    counted_right = left == heard and unsure == unknown
    return median < TARGET_FIRST_AUDIO_S and before == 0 and counted_right and not silent


def run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's request log
    timings = FAST_CALLS.__class__(**{**FAST_CALLS.__dict__, "play_factor": args.play_factor})
    config = SimulatorConfig(account_sid=SID, auth_token=TOKEN, cps=1000.0, timings=timings,
                             max_live_calls=max(256, 4 * args.max_in_flight))  # fmt: skip
    simulator = SimulatorServer(config).start()
    http("POST", f"{simulator.url}/_sim/rules", body=MIX)
    cuts = {phone_number(i): {"cut_after_s": CUT_AFTER_S} for i in range(3, args.calls, CUT_EVERY)}
    http("POST", f"{simulator.url}/_sim/mailboxes", body=cuts)
    prepared = prepare_app(
        instance, database_url, redis_url, simulator.url, (SID, TOKEN), args.cps, args.calls,
        args.message_seconds,
    )  # fmt: skip
    processes, url, logs = serve_simulated_campaign(
        prepared, args, redis_url, instance, "Bench ear", simulator
    )
    headers = prepared.tenant.headers
    try:
        started = time.monotonic()
        http("POST", f"{url}/launch", headers)
        state = await_completion(url, headers, args.timeout, processes, logs)
        took = time.monotonic() - started
        calls = [c for c in http("GET", f"{simulator.url}/_sim/calls")["calls"]
                 if c["direction"] == "outbound-api"]  # fmt: skip
    finally:
        stop(processes)
        simulator.close()
    print(f"campaign of {args.calls} contacts completed in {took:.1f} s: {state['counts']}; "
          f"{len(calls)} calls in the ledger (play factor {args.play_factor:g})")  # fmt: skip
    met = report(calls, deliveries_by_phone(prepared.app, int(url.rsplit("/", 1)[1])))
    print(f"customer's ear: targets {'met' if met else 'NOT met'}")
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    return run_in_scratch(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
