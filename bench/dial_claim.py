"""Benchmark: the dial claim compiled from the rules (`voicecast.delivery.claim`) against the
hand-written claim it replaced (issue 16), statement against statement, in one run.

Run with `.venv/bin/python bench/dial_claim.py` (needs the local PostgreSQL, or
`--database-url sqlite`). In a fresh schema: an account under the FR preset, `--contacts`
contacts with consent, each number with three attempts dialed this month in an earlier
campaign (so the attempt cap reads them and still lets the call go), and a running campaign
with one attempt `created` per number. Each attempt is then claimed by both statements, one
after the other in alternating order, each claim rolled back (the pool's reset), as the dial
job runs it through `voicecast.driver_sql`: the driver call and the rollback are timed, wall and
this process's CPU. The baseline is the claim module as it stood at commit BASELINE, read
from git. It prints the median and p90 per claim of each and their ratio; both must claim
every attempt.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import types
from datetime import timedelta
from pathlib import Path

from _common import DATABASE_HELP, DEFAULT_DATABASE_URL, ROOT, phone_number, scratch_database

from voicecast import create_app, dialects, driver_sql
from voicecast.config import normalize_database_url
from voicecast.extensions import db

BASELINE = "8994557"  # main before the claim was compiled from the rules


def baseline_claim() -> types.ModuleType:
    """The claim module as it stood at BASELINE."""
    source = subprocess.check_output(
        ["git", "show", f"{BASELINE}:voicecast/delivery/claim.py"], cwd=ROOT, text=True
    )
    module = types.ModuleType("baseline_claim")
    exec(compile(source, "baseline_claim.py", "exec"), module.__dict__)
    # Its timestamp binding has since moved from driver_sql to dialects: lend it back.
    module.driver_sql = types.SimpleNamespace(bind_datetime=dialects.bind_datetime)
    return module


def populate(contacts: int) -> list[int]:
    """The account, its contacts and their histories, the running campaign and its attempts
    `created`; returns the attempt ids."""
    from voicecast.models import Attempt, AttemptState, Contact, Delivery
    from voicecast.models.base import utcnow
    from voicecast.models.campaign import Campaign
    from voicecast.people import create_account

    account, _, _ = create_account("Bench Motors", "bench@x.test", calling_rules="FR")
    now = utcnow()
    campaigns = [
        Campaign(
            account_id=account.id, name=name, status=status, audience={"kind": "all"},
            message_policy="recording", caller_id_policy="account", human_policy="play",
            unknown_policy="play", max_attempts=3, retry_delays_seconds=[60],
            calling_window={"days": list(range(7)), "start": "00:00", "end": "23:59"},
            calls_per_second=10.0, max_in_flight=1000,
        )
        for name, status in (("earlier", "completed"), ("now", "running"))
    ]  # fmt: skip
    db.session.add_all(campaigns)
    db.session.flush()
    earlier, running = campaigns
    attempts = []
    for i in range(contacts):
        phone = phone_number(i)
        db.session.add(
            Contact(account_id=account.id, phone=phone, attributes={},
                    consent_at=now - timedelta(days=400), consent_source="web form")
        )  # fmt: skip
        old = Delivery(campaign_id=earlier.id, account_id=account.id, phone=phone,
                       status="no_answer", next_attempt_at=None)  # fmt: skip
        new = Delivery(campaign_id=running.id, account_id=account.id, phone=phone,
                       status="dialing", next_attempt_at=now)  # fmt: skip
        db.session.add_all([old, new])
        db.session.flush()
        for number in range(1, 4):
            at = now - timedelta(days=3 * number)
            db.session.add(
                Attempt(delivery_id=old.id, campaign_id=earlier.id, number=number,
                        state=AttemptState.NO_ANSWER, created_at=at, dialed_at=at, ended_at=at)
            )  # fmt: skip
        attempt = Attempt(delivery_id=new.id, campaign_id=running.id, number=1,
                          state=AttemptState.CREATED)  # fmt: skip
        db.session.add(attempt)
        attempts.append(attempt)
    db.session.flush()
    contact_ids = db.session.scalars(db.select(Contact.id).order_by(Contact.id)).all()
    deliveries = db.session.scalars(
        db.select(Delivery).where(Delivery.campaign_id == running.id).order_by(Delivery.id)
    ).all()
    for contact_id, delivery in zip(contact_ids, deliveries, strict=True):
        delivery.contact_id = contact_id
    attempt_ids = [attempt.id for attempt in attempts]
    db.session.commit()  # no transaction left open while the claims are timed
    return attempt_ids


def timed_claim(sql: str, params: dict) -> tuple[float, float, int]:
    """One claim and its rollback: wall and CPU seconds, rows claimed."""
    wall, cpu = time.perf_counter(), time.process_time()
    claimed, _ = driver_sql.execute(sql, params)
    driver_sql.rollback()  # the next claim finds the attempt `created`
    return time.perf_counter() - wall, time.process_time() - cpu, claimed


def measure(attempt_ids: list[int], rounds: int) -> dict[str, dict[str, list[float]]]:
    from voicecast.delivery import claim as compiled
    from voicecast.models.base import utcnow
    from voicecast.rules.presets import FR

    old = baseline_claim()
    dialect = dialects.name()
    ways = {
        "baseline": (old.claim_sql(FR), old.claim_params),
        "compiled": (compiled.claim_sql(FR, dialect), compiled.claim_params),
    }
    found: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in ways}
    order = list(ways)
    for _ in range(rounds):
        for attempt_id in attempt_ids:
            order.reverse()  # alternate which goes first
            for name in order:
                sql, params = ways[name]
                wall, cpu, claimed = timed_claim(sql, params(attempt_id, FR, utcnow()))
                if claimed != 1:
                    raise SystemExit(f"{name}: attempt {attempt_id} not claimed")
                found[name]["wall"].append(wall)
                found[name]["cpu"].append(cpu)
    return found


def report(found: dict[str, dict[str, list[float]]]) -> None:
    def quantiles(values: list[float]) -> tuple[float, float]:
        cuts = statistics.quantiles(values, n=10)
        return statistics.median(values) * 1e6, cuts[8] * 1e6

    for name, series in found.items():
        wall, cpu = quantiles(series["wall"]), quantiles(series["cpu"])
        print(
            f"{name:9s} claims {len(series['wall'])}: wall median {wall[0]:.0f} us "
            f"(p90 {wall[1]:.0f}), CPU here median {cpu[0]:.0f} us (p90 {cpu[1]:.0f})"
        )
    for kind in ("wall", "cpu"):
        ratio = statistics.median(found["compiled"][kind]) / statistics.median(
            found["baseline"][kind]
        )
        print(f"compiled / baseline, median {kind}: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_database(args.database_url, Path(folder)) as url,
    ):
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url)})
        with app.app_context():
            attempt_ids = populate(args.contacts)
            print(f"{db.engine.dialect.name}: {args.contacts} attempts, {args.rounds} rounds")
            report(measure(attempt_ids, args.rounds))
            db.engine.dispose()


if __name__ == "__main__":
    main()
