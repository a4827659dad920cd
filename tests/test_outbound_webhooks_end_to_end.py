"""Outbound webhooks, accepted end to end: real campaigns and callbacks against the carrier
simulator, with the receiver down for a while, get every event once, signed, in order per
campaign."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from tests import test_outbound_webhooks as hooks
from tests.audio import Sounds, make_sounds
from tests.test_callbacks_end_to_end import (
    EVERY_DAY,
    JEANNE,
    MARIE_LINE,
    MARIE_PHONE,
    PIERRE,
    SHARED,
    buy_numbers,
    sim,
)
from tests.test_campaign_delivery import run_until, upload
from voicecast.extensions import db
from voicecast.models import OutboxEvent, OutboxStatus
from voicecast.models.base import utcnow
from voicecast.outbound import sender

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures", "tests.webhook_receiver"]  # carrier, receiver
ALL_EVENTS = hooks.ALL_EVENTS
admin = hooks.admin  # the account's admin, its webhooks allowed on loopback (a fixture)
register, outbox, names = hooks.register, hooks.outbox, hooks.names


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("webhook-sounds"))


def shop(client, runner, carrier, sounds, run_jobs, admin) -> None:
    """Marie's account as in tests/test_callbacks_end_to_end.py: her own line, a shared line,
    Jeanne and Pierre her customers (answering machines), her recording ready."""
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), SHARED])
    buy_numbers(carrier, [SHARED, MARIE_LINE])
    synced = runner.invoke(args=["numbers", "sync", "--account", str(admin.account_id)])
    assert synced.exit_code == 0, synced.output
    marie = client.post(f"{API}/sellers", headers=admin.headers, json={
        "name": "Marie", "phone": MARIE_PHONE, "callback_number": MARIE_LINE}).json  # fmt: skip
    upload(client, admin.headers, sounds.speech, marie["id"])
    for phone in (JEANNE, PIERRE):
        made = client.post(f"{API}/contacts", headers=admin.headers,
                           json={"phone": phone, "seller_id": marie["id"]})  # fmt: skip
        assert made.status_code == 201, made.json
    run_jobs()  # the recording gets ready


def run_campaign(client, admin, run_jobs, name: str) -> int:
    made = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": name, "audience": {"kind": "all"}, "max_attempts": 1,
        "calling_window": EVERY_DAY, "calls_per_second": 20})  # fmt: skip
    url = f"{API}/campaigns/{made.json['id']}"
    assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202
    run_until(
        run_jobs, lambda: client.get(url, headers=admin.headers).json["status"] == "completed"
    )
    return made.json["id"]


def pending(app) -> int:
    return sum(row.status == OutboxStatus.PENDING for row in outbox(app))


def by_campaign(requests) -> dict[int | None, list[str]]:
    streams: dict[int | None, list[str]] = {}
    for request in requests:
        data = request.payload["data"]
        campaign = data["id"] if request.event_type == "campaign.finished" else (
            data.get("campaign_id"))  # fmt: skip
        streams.setdefault(campaign, []).append(request.event_id)
    return streams


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order(
    app, runner, client, carrier, public_app, sounds, run_jobs, receiver, admin
):
    hook = register(client, admin, receiver.url)
    shop(client, runner, carrier, sounds, run_jobs, admin)
    receiver.status = 503  # down from before the campaign to after the callbacks

    first = run_campaign(client, admin, run_jobs, "Entretien 2 ans")
    sim(carrier, "/_sim/inbound", {"from": JEANNE, "to": SHARED, "caller_presses": "9"})
    sim(carrier, "/_sim/inbound", {"from": PIERRE, "to": MARIE_LINE, "seller": "answers"})
    run_jobs()

    rows = outbox(app)
    assert [row.type for row in rows].count("delivery.finished") == 2
    assert {row.campaign_id for row in rows} == {first}  # callbacks and opt-out: its too
    assert receiver.accepted() == [] and len(receiver.requests) >= 1
    # Only the campaign's first event was tried: the others wait for it, in order.
    assert {r.event_id for r in receiver.requests} == {rows[0].event_id}
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=admin.headers).json
    head = log["items"][0]
    assert (head["last_status_code"], head["status"]) == (503, "pending")
    assert head["next_attempt_at"] is not None
    assert all(item["attempts"] == 0 for item in log["items"][1:])

    receiver.status = 200  # back up; its next retry is due (time moved on, in the database)
    with app.app_context():
        db.session.execute(update(OutboxEvent).values(next_attempt_at=utcnow()).where(
            OutboxEvent.status == OutboxStatus.PENDING))  # fmt: skip
        db.session.commit()
        sender.revive_outbox()
    deadline = time.monotonic() + 30
    while pending(app) and time.monotonic() < deadline:
        run_jobs()
        time.sleep(0.05)
    assert pending(app) == 0

    second = run_campaign(client, admin, run_jobs, "Reprise")  # the receiver up all along
    deadline = time.monotonic() + 30
    while pending(app) and time.monotonic() < deadline:
        run_jobs()
        time.sleep(0.05)
    assert pending(app) == 0

    rows = outbox(app)
    accepted = receiver.accepted()
    ids = [r.event_id for r in accepted]
    assert len(ids) == len(set(ids)) == len(rows)  # every event, none twice
    assert receiver.all_verified(hook["secret"])
    for request in accepted:
        assert request.payload["id"] == request.event_id
        assert request.payload["type"] == request.event_type
        assert request.payload["account_id"] == admin.account_id
    # In order per campaign: as written in the outbox.
    written = by_campaign_rows(rows)
    assert by_campaign(accepted) == written

    events_of = {}
    for request in accepted:
        events_of.setdefault(request.event_type, []).append(request.payload["data"])
    deliveries = sorted((d["campaign_id"], d["phone"], d["status"], d["attempts"])
                        for d in events_of["delivery.finished"])  # fmt: skip
    # Jeanne opted out: the second campaign left her out at planning (no event for her).
    assert deliveries == [
        (first, JEANNE, "voicemail_left", 1),
        (first, PIERRE, "voicemail_left", 1),
        (second, PIERRE, "voicemail_left", 1),
    ]
    [opt_out] = events_of["opt_out"]
    assert (opt_out["phone"], opt_out["source"], opt_out["campaign_id"]) == (
        JEANNE, "callback", first)  # fmt: skip
    outcomes = sorted((c["from_number"], c["outcome"]) for c in events_of["callback.received"])
    assert outcomes == [(JEANNE, "opted_out"), (PIERRE, "connected")]
    finished = {c["id"]: c for c in events_of["campaign.finished"]}
    assert finished[first]["counts"] == {"voicemail_left": 2}
    assert finished[second]["counts"] == {"voicemail_left": 1, "excluded": 1}
    assert finished[first]["status"] == "completed" and finished[first]["name"] == "Entretien 2 ans"
    for stream in (first, second):  # a campaign's end comes after its deliveries
        types = [r.event_type for r in accepted if r.event_id in written[stream]]
        assert types.index("campaign.finished") > max(
            i for i, name in enumerate(types) if name == "delivery.finished")  # fmt: skip
    # The log tells the story: the first event took a retry, the rest went at their first.
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries?limit=500", headers=admin.headers)
    items = log.json["items"]
    assert items[0]["attempts"] >= 2 and items[0]["attempt_log"][0]["status_code"] == 503
    assert all(item["status"] == "delivered" and item["last_status_code"] == 200 for item in items)
    assert all(item["attempts"] == 1 for item in items[1:])


def by_campaign_rows(rows: list[OutboxEvent]) -> dict[int | None, list[str]]:
    streams: dict[int | None, list[str]] = {}
    for row in rows:
        streams.setdefault(row.campaign_id, []).append(row.event_id)
    return streams
