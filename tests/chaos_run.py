"""A campaign run under every fault of tests/chaos_faults.py, then checked number by number
against the carrier's ledger (tests/test_campaign_chaos.py, bench/chaos.py)."""

from __future__ import annotations

import io
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.serving import make_server
from werkzeug.test import encode_multipart

from tests.audio import make_sounds
from tests.carrier_fixtures import FAST, SID, TOKEN
from tests.chaos_checks import Sample, check_run
from tests.chaos_faults import (
    INVALID,
    FaultyCarrier,
    RedisServer,
    ScriptedOutcomes,
    Workers,
    scripts,
)
from tests.helpers import create_tenant
from voicecast import create_app
from voicecast.extensions import db
from voicecast.models import Attempt, Campaign, Delivery, DeliveryStatus
from voicecast.models.base import utcnow
from voicecast.simulator.engine import SimulatorConfig

API = "/api/v1"


@dataclass(frozen=True)
class Plan:
    """One chaos run: the campaign, and the faults it meets."""

    contacts: int = 100
    max_attempts: int = 1
    workers: int = 3
    kill_every_s: float = 8.0  # mean time between random worker kills
    redis_persistence: str = "rdb"  # "rdb": back to a snapshot taken `snapshot_at_s`; "aof"
    snapshot_at_s: float = 2.0
    redis_restart_at_s: float = 5.0
    quiet_scheduler_kill: bool = False  # kill the scheduling worker while nothing else runs
    # Set in the database (the API's floor is 60 s): the first long enough for a quiet moment.
    retry_delays_s: tuple[int, ...] = (40, 10)
    fault_share: float = 0.15  # numbers whose first create-call request meets a fault
    invalid: int = 2  # numbers the carrier refuses as invalid
    # The reconciliation threshold (RECONCILE_UNSURE_SECONDS).
    reconcile_unsure_s: int = 20
    http_timeout_s: float = 2.0
    timeout_s: float = 240.0
    seed: int = 20261206

    def settings(self, redis_url: str, carrier_url: str) -> dict[str, str]:
        return {
            "REDIS_URL": redis_url,
            "TWILIO_API_URL": carrier_url,
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_CALLS_PER_SECOND": "50",
            "TWILIO_HTTP_TIMEOUT": str(self.http_timeout_s),
            "RECONCILE_UNSURE_SECONDS": str(self.reconcile_unsure_s),
            "RECONCILE_LOST_JOB_SECONDS": "4",
            "RECONCILE_SILENT_SECONDS": "15",
            "LOG_FORMAT": "json",  # timed lines in workers.log, to tell what held a delivery
        }


@dataclass
class Run:
    """What happened: the chaos dealt, and the samples taken while it ran."""

    plan: Plan
    phones: list[str]
    started: float = field(default_factory=time.monotonic)
    redis_restarts: int = 0
    quiet_kill: dict = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    wall_s: float = 0.0
    setup_s: float = 0.0
    url: str = ""
    refused: set[str] = field(default_factory=set)  # numbers the carrier refuses


def serve(app) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}", stop


def run_chaos(plan: Plan, folder: Path, setenv: Callable[[str, str], None]) -> dict:
    """Run `plan` (the database and instance folder come from the environment); returns
    {"problems": [...], "figures": {...}}."""
    rng = random.Random(plan.seed)
    phones = [f"+3361{n:07d}" for n in range(plan.contacts)]
    outcome_scripts, fault_scripts = scripts(
        phones, plan.max_attempts, rng, plan.fault_share, plan.invalid
    )
    redis = RedisServer(folder / "redis", plan.redis_persistence)
    redis.start()
    setenv("REDIS_URL", redis.url)
    workers = Workers(dict(os.environ), folder / "workers.log", plan.workers)
    carrier = FaultyCarrier(
        SimulatorConfig(account_sid=SID, auth_token=TOKEN, cps=200.0, timings=FAST),
        fault_scripts, workers, slow_seconds=plan.http_timeout_s + 1.5,
    )  # fmt: skip
    carrier.simulator.rules = ScriptedOutcomes(outcome_scripts)
    for name, value in plan.settings(redis.url, carrier.url).items():
        setenv(name, value)
    web = create_app({"TESTING": True})
    public_url, stop_web = serve(web)
    setenv("PUBLIC_BASE_URL", public_url)
    web.config["PUBLIC_BASE_URL"] = public_url
    workers.env = dict(os.environ)
    run = Run(plan, phones, refused={p for p, f in fault_scripts.items() if f == [INVALID]})
    try:
        workers.fill()
        client, url, headers = launch(web, folder, phones, plan)
        # The first dials meet the kills in mid-request, which spare the last worker up: all
        # must be up by then (a fast set-up, on an idle machine, launched before they were).
        until(lambda: len(workers.up()) == plan.workers, 60, "the workers to be up")
        assert client.post(f"{url}/launch", headers=headers).status_code == 202
        run.url, run.setup_s = url, time.monotonic() - run.started
        run.started = time.monotonic()
        drive(run, web, client, url, headers, workers, redis, carrier, rng)
        run.wall_s = time.monotonic() - run.started
        return check_run(run, web, client, url, headers, carrier, workers)
    except BaseException:
        print((folder / "workers.log").read_text(errors="replace")[-4000:])
        raise
    finally:
        workers.stop()
        stop_web()
        carrier.close()
        redis.kill()
        with web.app_context():
            db.engine.dispose()


def launch(web, folder: Path, phones: list[str], plan: Plan):
    """An account, a seller, a ready recording, a contact per number, a campaign to launch."""
    client, runner = web.test_client(), web.test_cli_runner()
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    (folder / "sounds").mkdir(exist_ok=True)
    speech = make_sounds(folder / "sounds").speech
    boundary, body = encode_multipart({
        "file": FileStorage(io.BytesIO(speech.read_bytes()), filename="m.wav"),
        "seller_id": str(seller["id"]),
    })  # fmt: skip
    recording = client.post(
        f"{API}/recordings", headers=admin.headers, data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    ).json  # fmt: skip
    until(lambda: client.get(f"{API}/recordings/{recording['id']}", headers=admin.headers)
          .json["status"] == "ready", 60, "the recording")  # fmt: skip
    for phone in phones:
        made = client.post(
            f"{API}/contacts", headers=admin.headers,
            json={"phone": phone, "seller_id": seller["id"]},
        )  # fmt: skip
        assert made.status_code == 201, made.json
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": "Entretien", "audience": {"kind": "all"}, "max_attempts": plan.max_attempts,
        "retry_delays_seconds": [60], "calls_per_second": 50, "max_in_flight": 50,
        "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
    }).json  # fmt: skip
    with web.app_context():
        db.session.get(Campaign, campaign["id"]).retry_delays_seconds = list(plan.retry_delays_s)
        db.session.commit()
    return client, f"{API}/campaigns/{campaign['id']}", admin.headers


def until(condition, timeout: float, what: str, tick=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def drive(run: Run, web, client, url, headers, workers, redis, carrier, rng) -> None:
    """Deal the chaos until the campaign completes."""
    plan, state = run.plan, {"snapshot": False, "last_sample": 0.0}

    def tick() -> None:
        elapsed = time.monotonic() - run.started
        workers.fill()
        quiet = run.quiet_kill.get("phase") == "waiting"
        # A tick is about 0.2 s. The first kill comes by `kill_every_s` at the latest, of a
        # worker up 10 s with another (the kills in mid-request may have left only one up
        # 20 s): a short run (an idle machine) meets one too. Killing the last one ready
        # left none for 16 s at load 7 (a worker also quits when Redis goes).
        overdue = not quiet and not workers.kills["random"] and elapsed > plan.kill_every_s
        if overdue:
            workers.kill_random(rng, min_age_s=10.0)
        elif not quiet and rng.random() < 0.2 / plan.kill_every_s:
            workers.kill_random(rng)
        if (
            plan.redis_persistence == "rdb"
            and not state["snapshot"]
            and elapsed > plan.snapshot_at_s
        ):
            redis.snapshot()
            state["snapshot"] = True
        if not run.redis_restarts and elapsed > plan.redis_restart_at_s:
            redis.restart()
            run.redis_restarts += 1
        if time.monotonic() - state["last_sample"] >= 1.0:
            state["last_sample"] = time.monotonic()
            with web.app_context():
                run.samples.append(sample(url))
                if plan.quiet_scheduler_kill:
                    quiet_kill(run, workers, carrier)

    last: dict = {}

    def completed() -> bool:
        last.update(client.get(url, headers=headers).json)
        return last["status"] == "completed"

    try:
        until(completed, plan.timeout_s, "the campaign to complete", tick=tick)
    except AssertionError as error:
        with web.app_context():
            dealt = f"kills {dict(workers.kills)}, quiet kill {run.quiet_kill}"
            raise AssertionError(
                f"{error}: {last.get('counts')}; {dealt}; {unfinished(url)}"
            ) from None


def unfinished(url: str) -> list:
    """The unfinished deliveries and their attempts, to say why a run did not end."""
    rows = db.session.execute(
        select(Delivery.phone, Delivery.status, Delivery.reason, Delivery.next_attempt_at,
               Attempt.state, Attempt.outcome, Attempt.call_sid, Attempt.created_at,
               Attempt.dialed_at)
        .outerjoin(Attempt, Attempt.delivery_id == Delivery.id)
        .where(Delivery.campaign_id == campaign_id_of(url))
        .where(Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.DIALING)))
    ).all()  # fmt: skip
    return [tuple(map(str, row)) for row in rows[:20]] + [f"now {utcnow()}"]


def campaign_id_of(url: str) -> int:
    return int(url.rsplit("/", 1)[1])


def sample(url: str) -> Sample:
    """The unfinished deliveries now: how long each has been due or dialing."""
    campaign_id, now = campaign_id_of(url), utcnow()
    latest = (
        select(Attempt.delivery_id, func.max(Attempt.id).label("id"))
        .where(Attempt.campaign_id == campaign_id)
        .group_by(Attempt.delivery_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Delivery.id,
            Delivery.status,
            Delivery.next_attempt_at,
            Attempt.created_at,
            Attempt.state,
        )
        .outerjoin(latest, latest.c.delivery_id == Delivery.id)
        .outerjoin(Attempt, Attempt.id == latest.c.id)
        .where(Delivery.campaign_id == campaign_id)
        .where(Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.DIALING)))
    ).all()
    db.session.commit()
    overdue: dict[int, tuple[float, str]] = {}
    for delivery_id, status, due, last, state in rows:
        since = last if status == DeliveryStatus.DIALING else due
        if since is not None and since <= now:
            overdue[delivery_id] = ((now - since).total_seconds(), f"{status.value}/{state}")
    dialing = sum(1 for row in rows if row.status == DeliveryStatus.DIALING)
    waiting = [row.next_attempt_at for row in rows if row.status == DeliveryStatus.PENDING]
    return Sample(now, overdue, dialing, waiting)


def quiet_kill(run: Run, workers: Workers, carrier: FaultyCarrier) -> None:
    """Once nothing is in flight and retries wait, kill the worker holding RQ's scheduler (and
    its scheduler) just before they are due, with no replacement until the retries run: an
    idle worker must take the scheduling over."""
    latest, kill = run.samples[-1], run.quiet_kill
    phase = kill.get("phase")
    if phase is None and latest.dialing == 0 and latest.waiting and not carrier.live_calls():
        due = min(w for w in latest.waiting if w is not None)
        if due - latest.now <= timedelta(seconds=2) and due > latest.now:
            scheduling = workers.scheduling()
            if scheduling and len(workers.pids()) > 1:
                workers.hold_replacements = True
                workers.kill(scheduling[0], "holding the scheduler", scheduler_too=True)
                kill.update(phase="waiting", due=due, killed_at=latest.now)
    elif phase == "waiting":
        first = db.session.scalar(
            select(func.min(Attempt.created_at)).where(
                Attempt.campaign_id == campaign_id_of(run.url),
                Attempt.created_at > kill["killed_at"],
            )
        )
        db.session.commit()
        if first is not None:
            kill.update(phase="done", late_s=(first - kill["due"]).total_seconds())
            workers.hold_replacements = False
