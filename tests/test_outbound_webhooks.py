"""Outbound webhooks: the API that registers them, the signature, the in-order rule, and a
receiver that gets every event of real campaigns and callbacks once, even after being down."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.helpers import add_manager, assert_error, create_tenant, field_errors, seller_key
from voicecast.extensions import db
from voicecast.models import OutboxEvent, OutboxStatus
from voicecast.models.base import utcnow
from voicecast.outbound import events, retention, sender
from voicecast.outbound.signing import signature, signature_header, verify
from voicecast.redis_client import get_redis

API = "/api/v1"
pytest_plugins = ["tests.webhook_receiver"]  # receiver
ALL_EVENTS = ["delivery.finished", "callback.received", "opt_out", "campaign.finished"]


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
