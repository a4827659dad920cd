"""A seller's follow-through, against the carrier simulator: a customer calls back and misses
the seller; the seller's text carries a call-back link; its page's button rings the seller
from the dealership's number, and once the seller pressed 1, the customer; the call back is
recorded with its outcome, and the sellers' page and API show the answered rate and the
median time to call back."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from tests.helpers import create_tenant
from tests.test_callbacks_end_to_end import buy_numbers, sim
from tests.test_web_login import PASSWORD, csrf_token, log_in
from tests.twilio_conformance import conformance, twilio_spec
from voicecast.callbacks import sms

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
__all__ = ["conformance", "twilio_spec"]
SHARED = "+33159000000"  # the dealership's number, the one the customer calls
MARIE_PHONE = "+33611000001"
PIERRE = "+33612345611"
SENDER_ID = "Dupont Auto"
# Tuesday 8 December 2026, 10:30 in Paris: within French calling hours.
CALLED_AT = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
PRESSED_AT = CALLED_AT + timedelta(minutes=42)


@pytest.fixture
def garage(app, runner, client, carrier, public_app, conformance):
    """A French account under French calling rules, Marie its seller, Pierre her customer;
    every request to the carrier is checked against Twilio's definition (`conformance`)."""
    from voicecast.carrier import carrier_client

    with app.app_context():
        log = conformance(carrier_client(app))
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example", rules="FR")
    buy_numbers(carrier, [SHARED])
    synced = runner.invoke(args=["numbers", "sync", "--account", str(admin.account_id)])
    assert synced.exit_code == 0, synced.output
    marie = client.post(
        f"{API}/sellers", headers=admin.headers, json={"name": "Marie", "phone": MARIE_PHONE}
    ).json
    assert (
        client.patch(
            f"{API}/account", headers=admin.headers, json={"sms_sender": SENDER_ID}
        ).status_code
        == 200
    )
    contact = {"phone": PIERRE, "first_name": "Pierre", "last_name": "Durand",
               "seller_id": marie["id"]}  # fmt: skip
    assert client.post(f"{API}/contacts", headers=admin.headers, json=contact).status_code == 201
    return admin, marie, log


def missed_callback(app, carrier, set_clock, run_jobs) -> str:
    """Pierre calls, Marie does not answer, he leaves a message; returns Marie's text."""
    set_clock(CALLED_AT)
    missed = {"from": PIERRE, "to": SHARED, "seller": "no-answer", "voicemail_seconds": 7}
    sim(carrier, "/_sim/inbound", missed)
    run_jobs()
    messages = sim(carrier, "/_sim/messages")
    [text] = messages["messages"] if isinstance(messages, dict) else messages
    assert text["to"] == MARIE_PHONE
    return text["body"]


def press_the_button(client, app, link: str):
    path = link.removeprefix(app.config["PUBLIC_BASE_URL"])
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page, client.post(path, data={"csrf_token": csrf_token(page.text)})


def wait_for_outcome(client, admin, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [row] = client.get(f"{API}/call-backs", headers=admin.headers).json["items"]
        if row["outcome"] is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"the call back never ended: {row}")


def seller_legs(carrier) -> list[dict]:
    """The calls placed to Marie's phone for call backs (not the legs of inbound calls)."""
    calls = sim(carrier, "/_sim/calls")
    calls = calls["calls"] if isinstance(calls, dict) else calls
    return [call for call in calls
            if call["to"] == MARIE_PHONE and call.get("direction") != "outbound-dial"]  # fmt: skip


def seller_leg(carrier) -> dict:
    [leg] = seller_legs(carrier)
    return leg


def test_the_text_s_link_rings_the_seller_then_the_customer_from_the_dealership(
    app, client, carrier, garage, set_clock, run_jobs
):
    admin, marie, log = garage
    body = missed_callback(app, carrier, set_clock, run_jobs)
    # One GSM-7 segment: who, when, the voicemail's length and the call-back link.
    assert (sms.encoding(body), sms.segments(body)) == ("gsm7", 1), body
    assert "Pierre Durand (06 12 34 56 11)" in body and "Message (7 s). Rappeler : " in body
    link = body.split("Rappeler : ")[1]
    assert link.startswith(app.config["PUBLIC_BASE_URL"] + "/cb/")

    sim(carrier, "/_sim/rules", {MARIE_PHONE: "human", PIERRE: "human"})
    sim(carrier, "/_sim/mailboxes", {MARIE_PHONE: {"presses": "1", "presses_at_s": 1}})
    set_clock(PRESSED_AT)
    page, pressed = press_the_button(client, app, link)
    # The page: French, the customer, his message, one button.
    assert "Rappel manqué" in page.text and "Pierre Durand" in page.text
    assert "Durée : 0:07" in page.text and 'preload="metadata"' in page.text
    assert page.text.count("<button") == 1 and "Rappeler Pierre Durand" in page.text
    assert "depuis le 01 59 00 00 00" in page.text
    assert pressed.status_code == 302
    row = wait_for_outcome(client, admin)

    assert (row["outcome"], row["seller_id"], row["from_number"]) == (
        "reached", marie["id"], SHARED)  # fmt: skip
    assert row["talk_seconds"] == 20 and row["customer_dialed_at"] is not None
    [placed] = [form for form in log.forms() if "Url" in form]  # the one call we placed
    assert (placed["To"], placed["From"]) == ([MARIE_PHONE], [SHARED])
    leg = seller_leg(carrier)
    said = " ".join(entry["text"] for entry in leg["said"])
    assert "Rappel de Pierre Durand. Appuyez sur 1 pour l'appeler." in said
    assert leg["digits"] == ["1"]
    [dial] = leg["dials"]
    assert (dial["to"], dial["caller_id"], dial["dial_call_status"]) == (
        PIERRE, SHARED, "completed")  # fmt: skip
    callback = client.get(f"{API}/callbacks", headers=admin.headers).json["items"][0]
    assert row["inbound_call_id"] == callback["id"]
    followed = client.get(pressed.headers["Location"])
    assert "Pierre Durand a répondu (20 s)." in followed.text

    # The sellers' figures: one callback, missed; called back 42 minutes later.
    [figures] = client.get(f"{API}/sellers/follow-through", headers=admin.headers).json["items"]
    assert figures == {
        "seller_id": marie["id"], "seller_name": "Marie", "answered": 0, "missed": 1,
        "answered_rate": 0.0, "called_back": 1, "median_seconds_to_call_back": 2520.0,
    }  # fmt: skip
    runner_output = app.test_cli_runner().invoke(
        args=["user", "set-password", "chef@dupont.example"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert runner_output.exit_code == 0, runner_output.output
    log_in(client, "chef@dupont.example", PASSWORD)
    sellers = client.get("/sellers").text
    assert '<td data-field="called-back">1</td>' in sellers
    assert '<td data-field="median-call-back">42 min</td>' in sellers
    assert "Délai médian de rappel" in sellers


@pytest.mark.parametrize(
    ("rules", "script", "outcome", "dialed"),
    [
        ({MARIE_PHONE: "no-answer"}, {}, "seller_no_answer", False),
        ({MARIE_PHONE: "machine_end_beep"}, {}, "seller_no_answer", False),
        ({MARIE_PHONE: "human"}, {}, "seller_no_answer", False),  # picked up, never pressed 1
        ({MARIE_PHONE: "human", PIERRE: "no-answer"}, {"presses": "1"}, "no_answer", True),
        ({MARIE_PHONE: "human", PIERRE: "busy"}, {"presses": "1"}, "no_answer", True),
    ],
)
def test_each_way_a_call_back_ends_is_recorded(
    app, client, carrier, garage, set_clock, run_jobs, rules, script, outcome, dialed
):
    admin, _, _ = garage
    body = missed_callback(app, carrier, set_clock, run_jobs)
    sim(carrier, "/_sim/rules", rules)
    if script:
        sim(carrier, "/_sim/mailboxes", {MARIE_PHONE: {**script, "presses_at_s": 1}})
    set_clock(PRESSED_AT)
    _, pressed = press_the_button(client, app, body.split("Rappeler : ")[1])
    row = wait_for_outcome(client, admin)

    assert row["outcome"] == outcome
    assert (row["customer_dialed_at"] is not None) == dialed
    assert len(seller_leg(carrier)["dials"]) == (1 if dialed else 0)
    [figures] = client.get(f"{API}/sellers/follow-through", headers=admin.headers).json["items"]
    # Only a call back that rang the customer counts as calling back.
    assert figures["called_back"] == (1 if dialed else 0)
    words = unescape(client.get(pressed.headers["Location"]).text)
    expected = {
        "seller_no_answer": "Vous n'avez pas répondu (ou pas appuyé sur 1)",
        "no_answer": "Pierre Durand n'a pas répondu.",
    }[outcome]
    assert expected in words


def test_a_call_back_whose_status_callback_was_lost_is_settled_from_the_carrier(
    app, client, carrier, garage, set_clock, run_jobs
):
    """Marie does not answer and the carrier's report of her leg's end is lost: the call back
    stays under way while it may still ring, then the workers' pass asks the carrier and
    records that she did not answer, so the page stops saying "Rappel en cours"."""
    from workers.__main__ import revive

    admin, _, _ = garage
    body = missed_callback(app, carrier, set_clock, run_jobs)
    sim(carrier, "/_sim/rules", {MARIE_PHONE: "no-answer"})
    sim(carrier, "/_sim/roughness", {"numbers": {MARIE_PHONE: {"drop_callbacks": ["completed"]}}})
    set_clock(PRESSED_AT)
    _, pressed = press_the_button(client, app, body.split("Rappeler : ")[1])
    deadline = time.monotonic() + 30
    while seller_leg(carrier)["status"] != "no-answer":
        assert time.monotonic() < deadline, seller_leg(carrier)
        time.sleep(0.1)
    revive(app)  # within UNDER_WAY of the press: still under way, the carrier not asked
    [row] = client.get(f"{API}/call-backs", headers=admin.headers).json["items"]
    assert row["outcome"] is None, row

    set_clock(PRESSED_AT + timedelta(minutes=4))
    revive(app)
    [row] = client.get(f"{API}/call-backs", headers=admin.headers).json["items"]
    assert (row["outcome"], row["customer_dialed_at"]) == ("seller_no_answer", None), row
    assert row["ended_at"] is not None
    words = unescape(client.get(pressed.headers["Location"]).text)
    assert "Vous n'avez pas répondu (ou pas appuyé sur 1)" in words


def test_a_call_back_the_carrier_never_received_says_so(
    app, client, carrier, garage, set_clock, run_jobs
):
    """A press recorded here whose call never reached the carrier (the process died before
    its request): once it can no longer be ringing, the carrier has no such call, and the
    call back ends refused, `not_placed`, with words the seller can act on."""
    from voicecast.extensions import db
    from voicecast.follow_through.models import CallBack
    from workers.__main__ import revive

    admin, marie, _ = garage
    missed_callback(app, carrier, set_clock, run_jobs)
    callback = client.get(f"{API}/callbacks", headers=admin.headers).json["items"][0]
    with app.app_context():
        db.session.add(CallBack(account_id=admin.account_id, inbound_call_id=callback["id"],
                                seller_id=marie["id"], seller_phone=MARIE_PHONE,
                                customer_number=PIERRE, from_number=SHARED,
                                requested_at=PRESSED_AT))  # fmt: skip
        db.session.commit()
    set_clock(PRESSED_AT + timedelta(minutes=4))
    revive(app)
    [row] = client.get(f"{API}/call-backs", headers=admin.headers).json["items"]
    assert (row["outcome"], row["refusal"]) == ("refused", "not_placed"), row
    assert seller_legs(carrier) == []


def test_a_call_back_whose_placing_answer_was_lost_goes_on_as_the_carrier_places_it(
    app, client, carrier, garage, set_clock, run_jobs
):
    """The carrier takes the seller's call but its answer never reaches us: the call back is
    not taken for refused, the seller's leg's webhooks carry it on, and the customer reached
    is recorded so."""
    admin, _, _ = garage
    body = missed_callback(app, carrier, set_clock, run_jobs)
    sim(carrier, "/_sim/rules", {MARIE_PHONE: "human", PIERRE: "human"})
    sim(carrier, "/_sim/mailboxes", {MARIE_PHONE: {"presses": "1", "presses_at_s": 1}})
    sim(carrier, "/_sim/roughness", {"numbers": {MARIE_PHONE: {"create_response_lost": True}}})
    set_clock(PRESSED_AT)
    press_the_button(client, app, body.split("Rappeler : ")[1])
    row = wait_for_outcome(client, admin)
    assert (row["outcome"], row["refusal"]) == ("reached", None), row
    assert row["customer_dialed_at"] is not None and len(seller_legs(carrier)) == 1
