"""Outbound webhooks: the API that registers them, the signature, the in-order rule, and a
receiver that gets every event of real campaigns and callbacks once, even after being down."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import trustme
from sqlalchemy import select, update

from tests.audio import Sounds, make_sounds
from tests.helpers import add_manager, assert_error, create_tenant, field_errors, seller_key
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
from voicecast.outbound import events, retention, sender
from voicecast.outbound.signing import signature, signature_header, verify
from voicecast.redis_client import get_redis

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures", "tests.webhook_receiver"]  # carrier, receiver
ALL_EVENTS = ["delivery.finished", "callback.received", "opt_out", "campaign.finished"]


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("webhook-sounds"))


@pytest.fixture
def admin(app, runner, client, monkeypatch):
    """The account's admin; its webhooks may go to the tests' receiver on loopback (in the app
    and in the jobs, which build theirs from the environment)."""
    monkeypatch.setenv("WEBHOOK_PRIVATE_URLS", "1")
    app.config["WEBHOOK_PRIVATE_URLS"] = True
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


def register(client, tenant, url: str, events_wanted=None) -> dict:
    body = {"url": url, "events": events_wanted or ALL_EVENTS}
    made = client.post(f"{API}/webhooks", headers=tenant.headers, json=body)
    assert made.status_code == 201, made.json
    return made.json


def outbox(app) -> list[OutboxEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        db.session.expunge_all()
        return rows


# --- The signature --------------------------------------------------------------------------


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_raw_body():
    body = b'{"id":"evt_1","type":"opt_out"}'
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("whsec_test", 1700000000, body) == expected
    header = signature_header(["whsec_test"], 1700000000, body)
    assert header == f"t=1700000000,v1={expected}"
    assert verify("whsec_test", body, header, now=1700000100)


def test_a_signature_is_refused_when_anything_differs():
    body = b'{"id":"evt_1"}'
    header = signature_header(["whsec_test"], 1700000000, body)
    assert not verify("whsec_other", body, header, now=1700000000)
    assert not verify("whsec_test", body + b" ", header, now=1700000000)
    assert not verify("whsec_test", body, header, now=1700000000 + 301)  # a replay, too old
    assert not verify("whsec_test", body, header.replace("t=1700000000", "t=1700000001"),
                      now=1700000000)  # fmt: skip
    assert not verify("whsec_test", body, "garbage", now=1700000000)


def test_during_a_rotation_either_secret_verifies():
    body = b"{}"
    header = signature_header(["whsec_new", "whsec_old"], 1700000000, body)
    assert header.count("v1=") == 2
    assert verify("whsec_new", body, header, now=1700000000)
    assert verify("whsec_old", body, header, now=1700000000)


# --- The API --------------------------------------------------------------------------------


def test_a_webhook_is_registered_listed_changed_and_deleted(client, admin):
    made = register(client, admin, "https://crm.example.com/hooks", ["opt_out", "opt_out"])
    assert made["events"] == ["opt_out"] and made["active"] is True
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    url = f"{API}/webhooks/{made['id']}"

    shown = client.get(url, headers=admin.headers).json
    assert "secret" not in shown and shown["url"] == "https://crm.example.com/hooks"
    listed = client.get(f"{API}/webhooks", headers=admin.headers).json
    assert [item["id"] for item in listed["items"]] == [made["id"]]
    assert "secret" not in listed["items"][0]

    changed = client.patch(url, headers=admin.headers,
                           json={"events": ["campaign.finished", "delivery.finished"],
                                 "active": False, "url": "http://10.0.0.5:8080/in"})  # fmt: skip
    assert changed.status_code == 200, changed.json
    assert changed.json["events"] == ["campaign.finished", "delivery.finished"]
    assert (changed.json["active"], changed.json["url"]) == (False, "http://10.0.0.5:8080/in")

    rotated = client.post(f"{url}/rotate-secret", headers=admin.headers)
    assert rotated.status_code == 200
    assert rotated.json["secret"].startswith("whsec_") and rotated.json["secret"] != made["secret"]

    assert client.delete(url, headers=admin.headers).status_code == 204
    assert_error(client.get(url, headers=admin.headers), 404)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"url": "ftp://crm.example.com/x", "events": ["opt_out"]}, "body.url", "http://"),
        ({"url": "javascript:alert(1)", "events": ["opt_out"]}, "body.url", "http://"),
        ({"url": "https://", "events": ["opt_out"]}, "body.url", "host"),
        ({"url": "https://crm.example.com:99999/", "events": ["opt_out"]}, "body.url", "port"),
        ({"url": "crm.example.com/hooks", "events": ["opt_out"]}, "body.url", "http://"),
        ({"url": "https://crm.example.com", "events": []}, "body.events", "at least 1"),
        ({"url": "https://crm.example.com", "events": ["call.placed"]}, "body.events.0", "opt_out"),
        ({"url": "https://crm.example.com"}, "body.events", "required"),
        ({"url": "https://crm.example.com", "events": ["opt_out"], "secret": "mine"},
         "body.secret", "Unknown field"),
    ],
)  # fmt: skip
def test_bad_webhooks_are_refused_with_the_field_named(client, admin, body, field, words):
    error = assert_error(client.post(f"{API}/webhooks", headers=admin.headers, json=body), 422)
    assert words in field_errors(error)[field]


def test_a_change_cannot_null_the_url_or_use_another_scheme(client, admin):
    made = register(client, admin, "https://crm.example.com/hooks")
    url = f"{API}/webhooks/{made['id']}"
    for body in ({"url": None}, {"url": "file:///etc/passwd"}, {"events": None}):
        assert_error(client.patch(url, headers=admin.headers, json=body), 422)


def test_webhooks_stay_within_their_account_and_need_a_manager(runner, client, admin):
    made = register(client, admin, "https://crm.example.com/hooks")
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    url = f"{API}/webhooks/{made['id']}"
    for method, path in (
        ("get", url),
        ("patch", url),
        ("delete", url),
        ("post", f"{url}/rotate-secret"),
        ("get", f"{url}/deliveries"),
        ("post", f"{url}/deliveries/evt_0/retry"),
    ):
        kwargs = {"json": {"active": False}} if method == "patch" else {}
        response = getattr(client, method)(path, headers=other.headers, **kwargs)
        assert_error(response, 404)
    assert client.get(f"{API}/webhooks", headers=other.headers).json["items"] == []
    assert_error(client.get(f"{API}/webhooks/99999999999", headers=admin.headers), 404)
    assert_error(client.post(f"{url}/deliveries/evt_nope/retry", headers=admin.headers), 404)

    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Léa"}).json
    lea = seller_key(client, admin, seller["id"])
    assert_error(client.get(f"{API}/webhooks", headers=lea.headers), 403)
    body = {"url": "https://x.example", "events": ["opt_out"]}
    assert_error(client.post(f"{API}/webhooks", headers=lea.headers, json=body), 403)
    manager = add_manager(runner, admin.account_id, "vente@dupont.example")
    assert client.get(url, headers=manager.headers).status_code == 200


# --- Writing and sending --------------------------------------------------------------------


def test_only_active_endpoints_that_want_the_type_get_the_event(app, client, admin):
    register(client, admin, "https://a.example/hooks", ["opt_out"])
    register(client, admin, "https://b.example/hooks", ["campaign.finished"])
    paused = register(client, admin, "https://c.example/hooks", ["opt_out"])
    client.patch(f"{API}/webhooks/{paused['id']}", headers=admin.headers, json={"active": False})
    made = client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": "0612345678"})
    assert made.status_code == 201
    [row] = outbox(app)
    assert (row.type, row.status, row.attempts) == ("opt_out", OutboxStatus.PENDING, 0)
    payload = json.loads(row.body)
    assert payload["data"] == {
        "phone": "+33612345678",
        "source": "api",
        "reason": None,
        "created_at": made.json["created_at"],
        "campaign_id": None,
    }
    assert payload["account_id"] == admin.account_id and payload["id"] == row.event_id


def emit_for(app, account_id: int, campaign_id: int | None, name: str) -> str:
    with app.app_context():
        events.emit(account_id, "opt_out", campaign_id, {"name": name})
        db.session.commit()
        return db.session.scalar(select(OutboxEvent.event_id).order_by(OutboxEvent.id.desc()))


def names(requests) -> list[str]:
    return [r.payload["data"]["name"] for r in requests]


def test_events_of_a_campaign_wait_for_the_earlier_ones(app, client, admin, receiver):
    """A1 fails: A2 and A3 wait for it, while campaign B and campaign-less events go on."""
    made = register(client, admin, receiver.url, ["opt_out"])
    a1 = emit_for(app, admin.account_id, 1, "A1")
    emit_for(app, admin.account_id, 2, "B1")
    emit_for(app, admin.account_id, 1, "A2")
    emit_for(app, admin.account_id, None, "N1")
    emit_for(app, admin.account_id, 2, "B2")
    emit_for(app, admin.account_id, 1, "A3")
    receiver.status_for[a1] = 503
    with app.app_context():
        sender.run_round()
    assert names(receiver.requests) == ["A1", "B1", "N1", "B2"]
    log = client.get(f"{API}/webhooks/{made['id']}/deliveries", headers=admin.headers).json
    first = log["items"][0]
    assert (first["status"], first["attempts"], first["last_status_code"]) == ("pending", 1, 503)
    assert first["last_error"] == "HTTP 503: down" and first["attempt_log"][0]["status_code"] == 503
    assert first["next_attempt_at"] is not None
    held = [item for item in log["items"] if item["payload"]["data"]["name"] in ("A2", "A3")]
    assert [(item["status"], item["attempts"]) for item in held] == [("pending", 0)] * 2

    with app.app_context():  # A1's retry is due (as if its delay had passed)
        sender.run_round()
    assert names(receiver.requests) == ["A1", "B1", "N1", "B2"]  # not yet: A2 still waits
    del receiver.status_for[a1]
    with app.app_context():
        db.session.execute(update(OutboxEvent).values(next_attempt_at=utcnow()).where(
            OutboxEvent.status == OutboxStatus.PENDING))  # fmt: skip
        db.session.commit()
        sender.run_round()
    assert names(receiver.requests) == ["A1", "B1", "N1", "B2", "A1", "A2", "A3"]
    assert receiver.all_verified(made["secret"])
    assert {row.status for row in outbox(app)} == {OutboxStatus.DELIVERED}


def test_a_failed_event_no_longer_holds_its_campaign_back_and_can_be_sent_again(
    app, client, admin, receiver
):
    app.config["WEBHOOK_RETRY_SCHEDULE"] = (0, 0)  # three attempts at once, then failed
    made = register(client, admin, receiver.url, ["opt_out"])
    a1 = emit_for(app, admin.account_id, 7, "A1")
    emit_for(app, admin.account_id, 7, "A2")
    receiver.status_for[a1] = 500
    with app.app_context():
        sender.run_round()
    assert names(receiver.requests) == ["A1", "A1", "A1", "A2"]
    url = f"{API}/webhooks/{made['id']}/deliveries"
    failed = client.get(f"{url}?status=failed", headers=admin.headers).json["items"]
    assert [(item["event_id"], item["attempts"]) for item in failed] == [(a1, 3)]
    assert failed[0]["next_attempt_at"] is None and len(failed[0]["attempt_log"]) == 3

    del receiver.status_for[a1]
    retried = client.post(f"{url}/{a1}/retry", headers=admin.headers)
    assert retried.status_code == 202 and retried.json["status"] == "pending"
    assert_error(client.post(f"{url}/{a1}/retry", headers=admin.headers), 409)
    with app.app_context():
        sender.run_round()
    assert names(receiver.accepted()) == ["A2", "A1"]  # same id and body as before
    assert receiver.accepted()[-1].event_id == a1
    assert client.get(f"{url}?status=failed", headers=admin.headers).json["items"] == []
    assert client.delete(f"{API}/webhooks/{made['id']}", headers=admin.headers).status_code == 204
    assert outbox(app) == []  # its log goes with it


def test_settled_events_are_deleted_after_the_keep_days_and_owed_ones_never(
    app, client, admin, receiver
):
    from workers.__main__ import revive

    app.config["WEBHOOK_RETRY_SCHEDULE"] = (0,)  # a second attempt at once, then failed
    made = register(client, admin, receiver.url, ["opt_out"])
    old_ok, new_ok, old_failed = (emit_for(app, admin.account_id, None, name)
                                  for name in ("old ok", "new ok", "old failed"))  # fmt: skip
    receiver.status_for[old_failed] = 500
    with app.app_context():
        sender.run_round()
        owed = emit_for(app, admin.account_id, None, "owed")  # never sent: still pending
        month_ago = utcnow() - timedelta(days=31)
        db.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.event_id.in_([old_ok, old_failed, owed]))
            .values(last_attempt_at=month_ago, created_at=month_ago)
        )
        db.session.commit()
    by_id = {row.event_id: row.status for row in outbox(app)}
    assert by_id == {old_ok: OutboxStatus.DELIVERED, new_ok: OutboxStatus.DELIVERED,
                     old_failed: OutboxStatus.FAILED, owed: OutboxStatus.PENDING}  # fmt: skip

    revive(app)  # a worker's maintenance pass
    assert {row.event_id for row in outbox(app)} == {new_ok, owed}
    listed = client.get(f"{API}/webhooks/{made['id']}/deliveries", headers=admin.headers).json
    assert {item["event_id"] for item in listed["items"]} == {new_ok, owed}

    with app.app_context():  # within the hour, another worker's pass leaves the rest alone
        db.session.execute(update(OutboxEvent).values(last_attempt_at=month_ago))
        db.session.commit()
    revive(app)
    assert {row.event_id for row in outbox(app)} == {new_ok, owed}
    app.config["WEBHOOK_KEEP_DAYS"] = 40
    with app.app_context():
        get_redis().delete(retention.PRUNED_KEY)  # an hour later, keeping 40 days
    revive(app)
    assert {row.event_id for row in outbox(app)} == {new_ok, owed}
    app.config["WEBHOOK_KEEP_DAYS"] = 30
    with app.app_context():
        get_redis().delete(retention.PRUNED_KEY)
    revive(app)
    assert {row.event_id for row in outbox(app)} == {owed}


def test_an_unreachable_endpoint_is_a_failed_attempt_with_its_error(app, client, admin):
    register(client, admin, "http://127.0.0.1:9/hooks", ["opt_out"])  # nothing listens there
    emit_for(app, admin.account_id, None, "lost")
    with app.app_context():
        assert sender.run_round() == "retry 1"
    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_status_code) == (OutboxStatus.PENDING, 1, None)
    assert "Connection" in row.last_error or "refused" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=5)  # the first delay: 10 s


def test_an_endpoint_that_does_not_answer_costs_a_round_one_attempt(
    app, runner, client, admin, receiver
):
    down = register(client, admin, "http://127.0.0.1:9/hooks", ["opt_out"])  # nothing there
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    register(client, other, receiver.url, ["opt_out"])
    for n in range(4):
        emit_for(app, admin.account_id, None, f"lost {n}")
        emit_for(app, other.account_id, None, f"kept {n}")
    with app.app_context():
        # the others of its batch are no longer due when their turn comes ("taken")
        assert sender.run_round() == "delivered 4, retry 1, taken 3"
    assert sorted(names(receiver.accepted())) == [f"kept {n}" for n in range(4)]
    rows = [row for row in outbox(app) if row.endpoint_id == down["id"]]
    assert [row.attempts for row in rows] == [1, 0, 0, 0]
    # Its other events wait for its retry, all together (no attempt counted for them).
    assert len({row.next_attempt_at for row in rows}) == 1
    assert rows[0].next_attempt_at > utcnow() + timedelta(seconds=5)


def test_events_left_when_redis_was_lost_go_out_from_the_database(
    app, client, admin, receiver, run_jobs
):
    register(client, admin, receiver.url, ["opt_out"])
    emit_for(app, admin.account_id, None, "kept")
    with app.app_context():
        get_redis().flushdb()  # the wake-up job is gone
    run_jobs()
    assert receiver.requests == []
    with app.app_context():
        assert sender.revive_outbox()  # what the workers' periodic pass does
    run_jobs()
    assert names(receiver.accepted()) == ["kept"]
    with app.app_context():
        assert not sender.revive_outbox()


# --- Acceptance: real campaigns and callbacks, the receiver down for a while -----------------


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


def test_webhooks_go_to_public_addresses_only_by_default(app, runner, client, receiver):
    app.config["WEBHOOK_PRIVATE_URLS"] = False  # the default
    tenant = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/hook"):  # fmt: skip
        refused = client.post(f"{API}/webhooks", headers=tenant.headers,
                              json={"url": url, "events": ["opt_out"]})  # fmt: skip
        assert refused.status_code == 422, (url, refused.json)
        assert "private or local address" in refused.json["error"]["message"]

    app.config["WEBHOOK_PRIVATE_URLS"] = True  # registered while allowed...
    hook = register(client, tenant, receiver.url, ["opt_out"])
    app.config["WEBHOOK_PRIVATE_URLS"] = False  # ...then refused when sending
    emit_for(app, tenant.account_id, None, "x")
    with app.app_context():
        sender.run_round()
    assert receiver.requests == []
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json
    assert "private or local address" in log["items"][0]["last_error"]


def test_a_request_goes_to_the_address_checked_with_the_url_s_host(app, client, admin, receiver):
    port = receiver.server.server_port
    register(client, admin, f"http://localhost:{port}/hooks?shop=lyon", ["opt_out"])
    emit_for(app, admin.account_id, None, "by name")
    with app.app_context():
        assert sender.run_round() == "delivered 1"
    [request] = receiver.requests
    assert request.host == f"localhost:{port}"  # connected to 127.0.0.1, for localhost


def test_a_name_s_next_address_is_tried_when_one_refuses_the_connection(
    app, client, admin, receiver, monkeypatch
):
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):  # nothing listens on 127.0.0.2
        if host != "two.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0))
                for ip in ("127.0.0.2", "127.0.0.1")]  # fmt: skip

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = receiver.server.server_port
    register(client, admin, f"http://two.test:{port}/hooks", ["opt_out"])
    emit_for(app, admin.account_id, None, "second address")
    with app.app_context():
        assert sender.run_round() == "delivered 1"
    assert [request.host for request in receiver.requests] == [f"two.test:{port}"]


def test_a_name_that_resolves_inside_after_its_check_does_not_lead_the_request_there(
    app, runner, client, receiver, monkeypatch
):
    """DNS rebinding: the attacker's name answers a public address while it is checked, then
    the address of something inside our network (here, the receiver on loopback)."""
    app.config["WEBHOOK_PRIVATE_URLS"] = False
    app.config["WEBHOOK_TIMEOUT"] = 1.0
    tenant = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    real_getaddrinfo = socket.getaddrinfo
    asked = []

    def attacker_dns(host, port, *args, **kwargs):  # the resolver, as a hostile DNS answers
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        asked.append(host)
        address = "93.184.216.34" if len(asked) <= 2 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", attacker_dns)
    url = f"http://rebind.example:{receiver.server.server_port}/hooks"
    hook = register(client, tenant, url, ["opt_out"])  # checked once: a public address
    emit_for(app, tenant.account_id, None, "x")
    with app.app_context():
        sender.run_round()  # checked again, then connected to that same public address
    assert len(asked) == 2  # never resolved a third time, which would have led inside
    assert receiver.requests == []
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=tenant.headers).json
    assert log["items"][0]["attempts"] == 1 and log["items"][0]["status"] == "pending"


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch) -> Iterator[HTTPServer]:
    """An HTTPS receiver on loopback whose certificate names hooks.test, issued by a CA the
    sender trusts (SSL_CERT_FILE); hooks.test and other.test resolve to loopback. Its `hosts`
    are the Host headers it got."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    real_getaddrinfo = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host in ("hooks.test", "other.test"):
            host = "127.0.0.1"
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hosts.append(self.headers.get("Host"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    hosts: list[str] = []
    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("hooks.test").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.hosts = hosts
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_https_goes_to_the_checked_address_with_the_name_s_certificate(
    app, client, admin, tls_receiver
):
    port = tls_receiver.server_port
    good = register(client, admin, f"https://hooks.test:{port}/hooks", ["opt_out"])
    wrong = register(client, admin, f"https://other.test:{port}/hooks", ["opt_out"])
    emit_for(app, admin.account_id, None, "over TLS")
    with app.app_context():
        sender.run_round()
    assert tls_receiver.hosts == [f"hooks.test:{port}"]  # connected to loopback, as hooks.test
    delivered = client.get(f"{API}/webhooks/{good['id']}/deliveries", headers=admin.headers)
    assert delivered.json["items"][0]["status"] == "delivered"
    refused = client.get(f"{API}/webhooks/{wrong['id']}/deliveries", headers=admin.headers)
    assert "doesn't match 'hooks.test'" in refused.json["items"][0]["last_error"]
