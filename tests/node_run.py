"""A campaign run by real processes (gunicorn by the Procfile's web line, `python -m workers`)
against the carrier simulator, and what the carrier saw of our webhooks: for
tests/test_pgbouncer.py and tests/test_rolling_restart.py.

The processes share the test's database and Redis, and a recordings folder on this machine
(one machine: a bucket is tests/test_two_nodes.py's matter); the test's own app sets the
account up through the same database.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.audio import make_sounds
from tests.campaign_run import MARIE_LINE, garage_with_marie
from tests.two_nodes import wait_until

API = "/api/v1"
EVERY_DAY = {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}


def share_this_machine(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """What every process must share besides the database and Redis: the key that signs
    links, and where recordings are kept. Set before the app is built."""
    monkeypatch.setenv("SECRET_KEY", "the same in every process")
    monkeypatch.setenv("RECORDINGS_STORAGE_URL", str(folder / "recordings"))


def api(base: str, method: str, path: str, headers: dict, **kwargs) -> dict:
    answer = requests.request(method, base + API + path, headers=headers, timeout=60, **kwargs)
    assert answer.status_code in (200, 201, 202), f"{method} {path}: {answer.text}"
    return answer.json()


def account_with_a_message(app, runner, client, carrier, base: str, folder: Path):
    """Garage Dupont with Marie and her line (set up by the test's app), and Marie's message
    uploaded to the web node at `base` and made ready by a worker process."""
    admin, marie = garage_with_marie(runner, client, carrier, "Marie")
    (folder / "sounds").mkdir()
    speech = make_sounds(folder / "sounds").speech
    with speech.open("rb") as sound:
        recording = api(
            base, "POST", "/recordings", admin.headers,
            files={"file": ("marie.wav", sound, "audio/wav")}, data={"seller_id": str(marie["id"])},
        )  # fmt: skip
    wait_until(
        lambda: api(base, "GET", f"/recordings/{recording['id']}", admin.headers)["status"]
        == "ready", 120, "the recording to be ready",
    )  # fmt: skip
    return admin, marie


def launch_campaign(base: str, headers: dict, calls_per_second: float) -> str:
    """A campaign to every contact, one attempt each, launched; its API path."""
    campaign = api(base, "POST", "/campaigns", headers, json={
        "name": "Entretien", "audience": {"kind": "all"}, "max_attempts": 1,
        "calling_window": EVERY_DAY, "calls_per_second": calls_per_second, "max_in_flight": 20,
    })  # fmt: skip
    path = f"/campaigns/{campaign['id']}"
    api(base, "POST", path + "/launch", headers)
    return path


def leave_a_voicemail(carrier, phone: str) -> None:
    """A customer calls Marie's line back, misses her and leaves a message."""
    missed = {"from": phone, "to": MARIE_LINE, "seller": "no-answer", "voicemail_seconds": 5}
    sim = requests.post(carrier.url + "/_sim/inbound", json=missed, timeout=60)
    assert sim.status_code == 200, sim.text


def webhooks_sent(carrier) -> list[dict]:
    """Every request the carrier sent us (status callbacks, TwiML requests, AMD verdicts), of
    every call, outbound and inbound, with the answer it got."""
    with carrier.simulator.ledger.lock:
        return [dict(request) for call in carrier.simulator.ledger.all()
                for request in call.requests]  # fmt: skip


def unanswered(sent: list[dict]) -> list[str]:
    """The webhooks that got no 2xx, each as the carrier saw it."""
    return [f"{r['kind']} {r['url']} -> {r['http_status']} {r['error'] or ''}".strip()
            for r in sent if not (r["http_status"] and 200 <= r["http_status"] < 300)]  # fmt: skip


def by_kind(sent: list[dict]) -> dict[str, int]:
    return dict(Counter(request["kind"] for request in sent))
