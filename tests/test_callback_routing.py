"""Who a callback reaches, through our signed voice webhook: the owner of a seller's line, else
the seller whose message the caller got last within the attribution window, else the contact's
seller, else the account's fallback number, else voicemail."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.callback_world import (
    API,
    add_campaign,
    add_contact,
    add_number,
    find,
    incoming,
    last_callback,
    open_shop,
    record_drop,
    signed_post,
    verbs,
)
from voicecast.models.base import utcnow

SHARED = "+33159000000"
MARIE, PAUL, DESK = "+33611000001", "+33611000002", "+33144000000"
CUSTOMER = "+33612345678"


@pytest.fixture
def shop(app, runner, client):
    shop = open_shop(app, runner, client, {"Marie": MARIE, "Paul": PAUL})
    add_number(client, shop, SHARED)
    return shop


def dialed(response) -> str | None:
    """The number the caller's document dials (None: no dial)."""
    number = find(verbs(response), "Number")
    return number.text if number is not None else None


def test_each_callback_goes_to_the_seller_whose_message_the_customer_got_last(app, client, shop):
    other = "+33612345679"
    add_contact(client, shop, CUSTOMER, first_name="Jeanne", last_name="Petit")
    add_contact(client, shop, other)
    entretien = add_campaign(client, shop, "Entretien 2 ans")
    reprise = add_campaign(client, shop, "Reprise")
    now = utcnow()
    # Both customers got both sellers' messages, in opposite orders.
    record_drop(app, shop, entretien, CUSTOMER, "Marie", now - timedelta(days=5))
    latest = record_drop(app, shop, reprise, CUSTOMER, "Paul", now - timedelta(days=2))
    record_drop(app, shop, reprise, other, "Paul", now - timedelta(days=5))
    record_drop(app, shop, entretien, other, "Marie", now - timedelta(days=1))

    assert dialed(incoming(client, app, CUSTOMER, SHARED, "CA" + "a" * 32)) == PAUL
    call = last_callback(app)
    assert (call.route, call.delivery_id, call.campaign_id) == ("last_message", latest, reprise)
    assert dialed(incoming(client, app, other, SHARED, "CA" + "b" * 32)) == MARIE
    assert last_callback(app).campaign_id == entretien


@pytest.mark.parametrize(
    ("age", "expected_route", "expected_phone"),
    [
        (timedelta(days=30) - timedelta(minutes=1), "last_message", PAUL),
        (timedelta(days=30) + timedelta(minutes=1), "assigned_seller", MARIE),
    ],
)
def test_the_attribution_window_s_edges(app, client, shop, age, expected_route, expected_phone):
    add_contact(client, shop, CUSTOMER, seller_id=shop.sellers["Marie"]["id"])
    campaign = add_campaign(client, shop, "Entretien")
    record_drop(app, shop, campaign, CUSTOMER, "Paul", utcnow() - age)

    assert dialed(incoming(client, app, CUSTOMER, SHARED)) == expected_phone
    assert last_callback(app).route == expected_route


def test_a_shorter_window_set_on_the_account_is_honoured(app, client, shop):
    patched = client.patch(
        f"{API}/account", headers=shop.admin.headers, json={"attribution_days": 7}
    )
    assert patched.status_code == 200 and patched.json["attribution_days"] == 7
    campaign = add_campaign(client, shop, "Entretien")
    record_drop(app, shop, campaign, CUSTOMER, "Paul", utcnow() - timedelta(days=8))

    response = incoming(client, app, CUSTOMER, SHARED)
    assert dialed(response) is None  # nobody: the voicemail
    assert find(verbs(response), "Record") is not None
    assert last_callback(app).route == "none"


def test_a_seller_s_own_line_rings_that_seller_whoever_called_last(app, client, shop):
    add_number(client, shop, "+33159000001", seller="Marie")
    campaign = add_campaign(client, shop, "Entretien")
    mine = record_drop(app, shop, campaign, CUSTOMER, "Marie", utcnow() - timedelta(days=9))
    record_drop(app, shop, campaign + 0, "+33612345670", "Paul", utcnow())

    assert dialed(incoming(client, app, CUSTOMER, "+33159000001")) == MARIE
    call = last_callback(app)
    assert (call.route, call.delivery_id) == ("seller_line", mine)


def test_an_unknown_caller_goes_to_the_fallback_number(app, client, shop):
    client.patch(f"{API}/account", headers=shop.admin.headers, json={"fallback_number": DESK})

    response = incoming(client, app, "+33699999999", SHARED)
    dial = find(verbs(response), "Dial")
    assert dialed(response) == DESK
    assert dial.get("callerId") == "+33699999999"  # the seller sees who calls
    call = last_callback(app)
    assert (call.route, call.contact_id, call.seller_id) == ("fallback", None, None)


def test_outside_the_seller_s_hours_the_caller_goes_straight_to_voicemail(
    app, client, shop, set_clock
):
    seller = shop.sellers["Marie"]
    add_contact(client, shop, CUSTOMER, seller_id=seller["id"])
    set_clock(datetime(2026, 11, 26, 11, 0, tzinfo=ZoneInfo("Europe/Paris")))  # a Thursday
    closed_all_day = {"days": [6], "start": "08:00", "end": "20:00"}  # Sundays only
    patched = client.patch(
        f"{API}/sellers/{seller['id']}",
        headers=shop.admin.headers,
        json={"available_hours": closed_all_day},
    )
    assert patched.status_code == 200, patched.json

    response = incoming(client, app, CUSTOMER, SHARED)
    assert dialed(response) is None
    say = [element.text for element in verbs(response) if element.tag == "Say"]
    assert say[0] == "Marie n'est pas disponible. Laissez votre message après le bip."
    assert last_callback(app).seller_id == seller["id"]


def test_a_number_nobody_registered_is_not_in_service(app, client, shop):
    response = incoming(client, app, CUSTOMER, "+33159999999")
    assert [element.tag for element in verbs(response)] == ["Say", "Hangup"]
    assert last_callback(app) is None


def test_a_forged_request_is_refused_and_changes_nothing(app, client, shop):
    params = {"CallSid": "CA" + "1" * 32, "From": CUSTOMER, "To": SHARED}
    forged = signed_post(client, app, "/twilio/voice", params, token="not-our-token")
    assert forged.status_code == 403
    assert last_callback(app) is None
    unknown = signed_post(client, app, "/twilio/callbacks/999/menu", {"CallSid": "CA" + "1" * 32})
    assert unknown.status_code == 404


def test_a_repeated_request_records_one_callback_and_answers_the_same(app, client, shop):
    first = incoming(client, app, CUSTOMER, SHARED)
    again = incoming(client, app, CUSTOMER, SHARED)
    assert first.get_data() == again.get_data()
    callbacks = client.get(f"{API}/callbacks", headers=shop.admin.headers).json["items"]
    assert len(callbacks) == 1


def test_a_dial_answered_by_the_seller_s_voicemail_is_not_a_connected_call(app, client, shop):
    """Twilio may report the dial `completed` when the seller's own voicemail picked up and the
    whisper hung up on it: only the seller's key press makes it connected."""
    sid = "CA" + "c" * 32
    add_contact(client, shop, CUSTOMER, seller_id=shop.sellers["Marie"]["id"])
    incoming(client, app, CUSTOMER, SHARED, sid)
    call_id = last_callback(app).id
    dial_end = {"CallSid": sid, "DialCallStatus": "completed", "DialCallDuration": "9"}

    answer = signed_post(client, app, f"/twilio/callbacks/{call_id}/dialed", dial_end)
    assert find(verbs(answer), "Record") is not None  # the caller is offered the voicemail
    assert last_callback(app).outcome is None

    leg = {"CallSid": "CA" + "d" * 32, "ParentCallSid": sid}
    signed_post(client, app, f"/twilio/callbacks/{call_id}/accept", {**leg, "Digits": "1"})
    signed_post(client, app, f"/twilio/callbacks/{call_id}/dialed", dial_end)
    assert last_callback(app).outcome.value == "connected"


def test_numbers_and_callbacks_stay_within_their_account(app, runner, client, shop):
    from tests.helpers import assert_error, create_tenant, seller_key

    add_contact(client, shop, CUSTOMER, seller_id=shop.sellers["Marie"]["id"])
    incoming(client, app, CUSTOMER, SHARED)
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")

    taken = client.post(f"{API}/numbers", headers=other.headers, json={"number": SHARED})
    assert "registered to another account" in assert_error(taken, 409)["message"]
    stranger = client.post(
        f"{API}/numbers",
        headers=other.headers,
        json={"number": "+33159000099", "seller_id": shop.sellers["Paul"]["id"]},
    )
    assert_error(stranger, 422)
    assert client.get(f"{API}/callbacks", headers=other.headers).json["items"] == []
    [mine] = client.get(f"{API}/callbacks", headers=shop.admin.headers).json["items"]
    assert_error(client.get(f"{API}/callbacks/{mine['id']}", headers=other.headers), 404)
    numbers = client.get(f"{API}/numbers", headers=shop.admin.headers).json["items"]
    assert_error(client.get(f"{API}/numbers/{numbers[0]['id']}", headers=other.headers), 404)

    marie = seller_key(client, shop.admin, shop.sellers["Marie"]["id"])
    paul = seller_key(client, shop.admin, shop.sellers["Paul"]["id"])
    assert [
        c["id"] for c in client.get(f"{API}/callbacks", headers=marie.headers).json["items"]
    ] == [mine["id"]]
    assert client.get(f"{API}/callbacks", headers=paul.headers).json["items"] == []
    assert_error(client.get(f"{API}/numbers", headers=paul.headers), 403)


def test_a_seller_gets_one_line_of_their_own(app, client, shop):
    from tests.helpers import assert_error

    marie = shop.sellers["Marie"]["id"]
    line = add_number(client, shop, "+33159000001", seller="Marie")
    assert (line["kind"], line["seller_id"]) == ("seller", marie)
    seller = client.get(f"{API}/sellers/{marie}", headers=shop.admin.headers).json
    assert seller["callback_number"] == "+33159000001"
    second = client.post(
        f"{API}/numbers", headers=shop.admin.headers,
        json={"number": "+33159000002", "seller_id": marie},
    )  # fmt: skip
    assert "already has a line of their own" in assert_error(second, 409)["message"]

    # Moving her line through the seller: the old one stays, shared.
    moved = client.patch(
        f"{API}/sellers/{marie}", headers=shop.admin.headers,
        json={"callback_number": "01 59 00 00 03"},
    )  # fmt: skip
    assert moved.json["callback_number"] == "+33159000003"
    numbers = client.get(f"{API}/numbers", headers=shop.admin.headers).json["items"]
    kinds = {n["number"]: n["kind"] for n in numbers}
    assert kinds == {SHARED: "shared", "+33159000001": "shared", "+33159000003": "seller"}
    gone = client.delete(f"{API}/numbers/{line['id']}", headers=shop.admin.headers)
    assert gone.status_code == 204
    assert [element.tag for element in verbs(incoming(client, app, CUSTOMER, "+33159000001"))] == [
        "Say",
        "Hangup",
    ]


def test_a_callback_ending_while_redis_is_down_answers_2xx_and_is_kept(app, client, shop):
    from redis import Redis

    from voicecast.redis_client import EXTENSION_KEY

    sid = "CA" + "e" * 32
    incoming(client, app, CUSTOMER, SHARED, sid)
    redis = app.extensions[EXTENSION_KEY]
    app.extensions[EXTENSION_KEY] = Redis.from_url("redis://127.0.0.1:9/0")  # nothing there
    try:
        # Nobody took it: the caller gave up, and the seller's notification cannot be queued.
        ended = {"CallSid": sid, "CallStatus": "completed", "CallDuration": "12"}
        response = signed_post(client, app, "/twilio/voice/status", ended)
    finally:
        app.extensions[EXTENSION_KEY] = redis
    assert response.status_code == 204
    call = last_callback(app)
    assert (call.outcome.value, call.ended_at is not None) == ("abandoned", True)
