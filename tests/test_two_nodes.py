"""Two web nodes and two workers sharing only PostgreSQL, Redis and the bucket (issue 20, point 2).

Each node runs in a folder of its own (working folder and instance folder), started as the
Procfile starts it; a router in front of the web nodes (`tests/two_nodes.py`) is the platform's.
A seller records on node A, the carrier fetches the file from node B, a campaign and a callback
run across them, and web node A and one worker are SIGKILLed midway: nothing is lost.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests

from tests.audio import make_sounds
from tests.campaign_run import MARIE_LINE, garage_with_marie
from tests.s3_server import free_port, objects
from tests.test_callbacks_end_to_end import sim
from tests.two_nodes import Balancer, wait_until, web_node, worker_node

pytest_plugins = ["tests.s3_fixtures", "tests.carrier_fixtures"]
API = "/api/v1"
CONTACTS = 40
EVERY_DAY = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}
# Settled sooner than by default: what a killed node was doing is reconciled within the test.
FAST_RECONCILING = {"RECONCILE_UNSURE_SECONDS": "10", "RECONCILE_LOST_JOB_SECONDS": "4",
                    "RECONCILE_SILENT_SECONDS": "15"}  # fmt: skip


def sounds_folder(folder: Path) -> Path:
    (folder / "sounds").mkdir()
    return folder / "sounds"


def get(base: str, path: str, headers: dict) -> dict:
    answer = requests.get(base + API + path, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def set_up_account(app, runner, client, carrier, folder: Path):
    """An account with the carrier's numbers synced to the router, a seller with her own line,
    and CONTACTS contacts of hers (set up through the test's own app, on the shared database)."""
    admin, marie = garage_with_marie(runner, client, carrier, "Marie")
    phones = [f"+3361234{n:04d}" for n in range(CONTACTS)]
    for phone in phones:
        made = client.post(f"{API}/contacts", headers=admin.headers,
                           json={"phone": phone, "seller_id": marie["id"]})  # fmt: skip
        assert made.status_code == 201, made.json
    return admin, marie, phones, make_sounds(sounds_folder(folder)).speech


@pytest.mark.slow
@pytest.mark.timeout(480)
def test_two_nodes_share_only_the_database_redis_and_the_bucket(
    bucket, s3_server, app, runner, client, carrier, database_url, tmp_path, monkeypatch
):
    if not database_url.startswith("postgresql"):
        pytest.skip("nodes share a PostgreSQL database (TEST_POSTGRES_URL)")
    timings: dict[str, float] = {}
    started = time.monotonic()
    ports = {"A": free_port(), "B": free_port()}
    bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    router = Balancer(bases, media_node="B")
    monkeypatch.setenv("PUBLIC_BASE_URL", router.url)
    app.config["PUBLIC_BASE_URL"] = router.url
    for name, value in FAST_RECONCILING.items():
        monkeypatch.setenv(name, value)
    admin, marie, phones, speech = set_up_account(app, runner, client, carrier, tmp_path)
    env = dict(os.environ, LOG_FORMAT="json")
    webs = {name: web_node(f"web-{name}", tmp_path / f"web-{name}", env, ports[name])
            for name in ports}  # fmt: skip
    workers = [worker_node(f"worker-{n}", tmp_path / f"worker-{n}", env) for n in (1, 2)]
    nodes = [*webs.values(), *workers]
    try:
        for name, base in bases.items():
            wait_until(lambda n=name, b=base: webs[n].answers(b), 90, f"web {name}")
        timings["nodes up"] = time.monotonic() - started

        # Marie records on node A; a worker processes it; node B says it is ready.
        with speech.open("rb") as sound:
            uploaded = requests.post(
                bases["A"] + API + "/recordings", headers=admin.headers,
                files={"file": ("marie.wav", sound, "audio/wav")},
                data={"seller_id": str(marie["id"])}, timeout=60,
            )  # fmt: skip
        assert uploaded.status_code in (201, 202), uploaded.text
        recording = uploaded.json()["id"]
        timings["recording ready"] = wait_until(
            lambda: get(bases["B"], f"/recordings/{recording}", admin.headers)["status"]
            == "ready", 120, "the recording to be ready",
        )  # fmt: skip

        # The campaign is created on B and launched on A; its webhooks go through the router.
        campaign = requests.post(bases["B"] + API + "/campaigns", headers=admin.headers, json={
            "name": "Entretien", "audience": {"kind": "all"}, "max_attempts": 1,
            "calling_window": EVERY_DAY, "calls_per_second": 2, "max_in_flight": 4,
        }).json()  # fmt: skip
        url = f"/campaigns/{campaign['id']}"
        launched = requests.post(bases["A"] + API + url + "/launch", headers=admin.headers)
        assert launched.status_code == 202, launched.text
        launch_at = time.monotonic()

        # Midway, web node A and the first worker die with whatever they were doing.
        wait_until(lambda: len(sim(carrier, "/_sim/calls")["calls"]) >= CONTACTS // 3, 120,
                   "a third of the calls")  # fmt: skip
        webs["A"].kill()
        workers[0].kill()
        timings["killed at"] = time.monotonic() - launch_at

        # A customer calls Marie's line back, misses her and leaves a voicemail: on B.
        missed = {"from": phones[1], "to": MARIE_LINE, "seller": "no-answer",
                  "voicemail_seconds": 5}  # fmt: skip
        sim(carrier, "/_sim/inbound", missed)

        timings["campaign completed"] = wait_until(
            lambda: get(bases["B"], url, admin.headers)["status"] == "completed", 240,
            "the campaign to complete", every=1.0,
        )  # fmt: skip
        callbacks = wait_until(
            lambda: any(k.endswith(".wav") and "/voicemails/" in k
                        for k in objects(s3_server, bucket)), 60, "the voicemail in the bucket",
        )  # fmt: skip
        timings["voicemail kept"] = callbacks
        state = get(bases["B"], url, admin.headers)
        ledger = sim(carrier, "/_sim/calls")["calls"]
        outbound = [call for call in ledger if call["to"] in phones]
        records = get(bases["B"], "/callbacks", admin.headers)["items"]
    finally:
        for node in nodes:
            node.stop()
        router.close()
    timings["total"] = time.monotonic() - started
    print("two nodes: " + ", ".join(f"{what} {took:.1f} s" for what, took in timings.items()))
    print(f"router: {dict(router.served)}; campaign counts {state['counts']}")

    # Nothing lost: every contact called exactly once, every delivery settled.
    assert sorted(call["to"] for call in outbound) == sorted(phones)
    assert state["counts"].get("pending", 0) == 0 and state["counts"].get("dialing", 0) == 0
    assert sum(state["counts"].values()) == CONTACTS
    # The carrier fetched Marie's message from node B (uploaded to A, processed by a worker,
    # its link signed there): every fetch served, none refused.
    fetches = {(node, status): n for (node, kind, status), n in router.served.items()
               if kind == "recordings"}  # fmt: skip
    assert fetches and all(node == "B" and status in (200, 206, 304)
                           for node, status in fetches), fetches  # fmt: skip
    # The callback was recorded, its voicemail kept in the bucket.
    assert [record["from_number"] for record in records] == [phones[1]]
    # Nothing a request or job needed was on a node's disk.
    for node in nodes:
        assert node.files() == [], f"{node.name} left {node.files()}"
