"""Exactly once under failure: worker processes are SIGKILLed at random moments and Redis is
restarted empty once while a 500-contact campaign runs. No number may get two messages, and
no delivery may be lost or left stuck: the database is the truth, Redis is rebuilt from it."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.serving import make_server
from werkzeug.test import encode_multipart

from tests.audio import make_sounds
from tests.carrier_fixtures import FAST, SID, TOKEN
from tests.helpers import create_tenant
from voicecast import create_app, embedded_redis
from voicecast.config import default_redis_url
from voicecast.simulator.engine import SimulatorConfig
from voicecast.simulator.server import SimulatorServer

API = "/api/v1"
CONTACTS = 500
WORKERS = 3

pytestmark = pytest.mark.slow


class RedisServer:
    """A Redis of this test's own, on a unix socket, that keeps nothing: a restart loses all."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.url = default_redis_url(folder)

    def start(self) -> None:
        socket_path = embedded_redis.prepare(self.folder)
        self.process = subprocess.Popen(
            [*embedded_redis.build_argv(self.folder), "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        embedded_redis.wait_until_ready(socket_path, self.process)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


class Workers:
    """`python -m workers` processes, replaced as they are killed."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log = env, log.open("ab")
        self.processes: list[subprocess.Popen] = []

    def start_one(self) -> None:
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "workers"], env=self.env, stdout=self.log, stderr=self.log
        ))  # fmt: skip

    def kill_random(self) -> None:
        victim = random.choice(self.processes)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.processes.remove(victim)
        self.start_one()

    def replace_exited(self) -> None:
        for process in [p for p in self.processes if p.poll() is not None]:
            self.processes.remove(process)
            self.start_one()

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGKILL)
            process.wait()
        self.log.close()


def serve(app) -> tuple[str, callable]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}", stop


def wait_for(condition, timeout: float, what: str, tick=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tick:
            tick()
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def print_stuck(web) -> None:
    from sqlalchemy import select, text

    from voicecast.extensions import db
    from voicecast.models import Attempt, Delivery, DeliveryStatus
    from voicecast.models.base import utcnow

    with web.app_context():
        rows = db.session.execute(
            select(
                Attempt.state,
                Attempt.call_sid,
                Attempt.dialed_at,
                Attempt.created_at,
                Attempt.last_sequence,
            )
            .join(Delivery, Delivery.id == Attempt.delivery_id)
            .where(Delivery.status == DeliveryStatus.DIALING)
        ).all()
        print("stuck attempts:", Counter(r[0].value for r in rows), rows[:5])
        waiting = db.session.execute(
            select(Delivery.reason, Delivery.next_attempt_at, Delivery.attempt_count).where(
                Delivery.status == DeliveryStatus.PENDING
            )
        ).all()
        print("pending:", waiting[:10], "now:", utcnow())
        if db.engine.dialect.name == "postgresql":
            sessions = db.session.execute(text(
                "SELECT pid, state, now() - xact_start, left(query, 120) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state <> 'idle'"
            )).all()  # fmt: skip
            print("busy database sessions:", sessions)


def test_no_double_message_and_nothing_stuck_when_workers_and_redis_die(app, tmp_path, monkeypatch):
    random.seed(20261126)
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    simulator = SimulatorServer(
        SimulatorConfig(account_sid=SID, auth_token=TOKEN, cps=200.0, timings=FAST)
    ).start()
    settings = {
        "REDIS_URL": redis.url,
        "TWILIO_API_URL": simulator.url,
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_CALLS_PER_SECOND": "50",
        "TWILIO_HTTP_TIMEOUT": "3",
        "RECONCILE_UNSURE_SECONDS": "10",
        "RECONCILE_LOST_JOB_SECONDS": "5",
        "RECONCILE_SILENT_SECONDS": "20",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    web = create_app({"TESTING": True})
    public_url, stop_web = serve(web)
    monkeypatch.setenv("PUBLIC_BASE_URL", public_url)
    web.config["PUBLIC_BASE_URL"] = public_url
    workers = Workers(dict(os.environ), tmp_path / "workers.log")
    try:
        for _ in range(WORKERS):
            workers.start_one()
        client, runner = web.test_client(), web.test_cli_runner()
        admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
        runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
        seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
        (tmp_path / "sounds").mkdir()
        speech = make_sounds(tmp_path / "sounds").speech
        boundary, body = encode_multipart({
            "file": FileStorage(io.BytesIO(speech.read_bytes()), filename="m.wav"),
            "seller_id": str(seller["id"]),
        })  # fmt: skip
        recording = client.post(
            f"{API}/recordings",
            headers=admin.headers,
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        ).json
        wait_for(lambda: client.get(f"{API}/recordings/{recording['id']}", headers=admin.headers)
                 .json["status"] == "ready", 60, "the recording")  # fmt: skip
        phones = [f"+3361{n:06d}{n % 5}" for n in range(CONTACTS)]  # 0-4: answering machines
        for phone in phones:
            made = client.post(
                f"{API}/contacts",
                headers=admin.headers,
                json={"phone": phone, "seller_id": seller["id"]},
            )
            assert made.status_code == 201, made.json
        campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
            "name": "Entretien", "audience": {"kind": "all"}, "max_attempts": 3,
            "retry_delays_seconds": [60],
            "calls_per_second": 50, "max_in_flight": 50,
            "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
        }).json  # fmt: skip
        url = f"{API}/campaigns/{campaign['id']}"
        assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202

        started, redis_restarted = time.monotonic(), False
        kills = 0

        def chaos() -> None:
            nonlocal redis_restarted, kills
            workers.replace_exited()
            if random.random() < 0.08:  # about one kill every 3 s
                workers.kill_random()
                kills += 1
            if not redis_restarted and time.monotonic() - started > 3:
                redis.kill()
                redis.start()
                redis_restarted = True

        last: dict = {}

        def completed() -> bool:
            last.update(client.get(url, headers=admin.headers).json)
            return last["status"] == "completed"

        try:
            wait_for(completed, 240, "the campaign to complete", tick=chaos)
        except BaseException:
            log = (tmp_path / "workers.log").read_text(errors="replace")[-3000:]
            print(f"last state: {last.get('status')} {last.get('counts')}\n{log}")
            print_stuck(web)
            raise
        assert redis_restarted and kills > 0

        state = client.get(url, headers=admin.headers).json
        assert state["counts"] == {"voicemail_left": CONTACTS}, state["counts"]
        calls = simulator.simulator.ledger.all()
        per_number = Counter(call.to for call in calls)
        assert set(per_number) == set(phones)
        doubled = {number: count for number, count in per_number.items() if count > 1}
        assert doubled == {}, f"numbers dialed twice: {doubled}"
    finally:
        workers.stop()
        stop_web()
        simulator.close()
        redis.kill()
        with web.app_context():
            from voicecast.extensions import db

            db.engine.dispose()
