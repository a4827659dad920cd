"""The call-back link and its page, without the carrier: a forged, expired or other account's
link is refused; the calling rules a call back obeys (the do-not-call list, the customer's
calling hours) are said on the page and recorded when the button is pressed anyway; the page
speaks the account's language; the link never reaches a log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from tests.helpers import create_tenant
from tests.test_web_login import csrf_token
from voicecast.observability.redaction import redact

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier
# Tuesday 8 December 2026, 10:30 in Paris (within French calling hours), 04:30 in New York.
TUESDAY = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
EVENING = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)  # 20:30 in Paris: French hours are over


def account_with_a_missed_callback(app, runner, client, country: str, email: str, caller: str,
                                   line: str, seller_phone: str, first_name: str):  # fmt: skip
    """An account under its country's rules, a seller, a contact of theirs who called `line`
    and missed them (written as the callback's webhooks leave it). Returns (admin, call id)."""
    admin = create_tenant(runner, client, f"Garage {email}", email, country, rules=country)
    seller = client.post(f"{API}/sellers", headers=admin.headers,
                         json={"name": "Marie", "phone": seller_phone}).json  # fmt: skip
    contact = client.post(f"{API}/contacts", headers=admin.headers, json={
        "phone": caller, "first_name": first_name, "last_name": "Durand",
        "seller_id": seller["id"]}).json  # fmt: skip
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import CallbackOutcome, InboundCall

        call = InboundCall(
            account_id=admin.account_id, call_sid=f"CA{admin.account_id:032d}",
            from_number=contact["phone"], to_number=line, contact_id=contact["id"],
            seller_id=seller["id"], route="assigned_seller", dialed_number=seller_phone,
            outcome=CallbackOutcome.ABANDONED, started_at=TUESDAY,
        )  # fmt: skip
        db.session.add(call)
        db.session.commit()
        return admin, call.id


@pytest.fixture
def french(app, runner, client):
    return account_with_a_missed_callback(app, runner, client, "FR", "chef@dupont.example",
                                          "+33612345611", "+33159000000", "+33611000001",
                                          "Pierre")  # fmt: skip


def link_path(app, call_id: int) -> str:
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.follow_through.links import link_of
        from voicecast.models import InboundCall

        return link_of(db.session.get(InboundCall, call_id)).removeprefix(
            app.config["PUBLIC_BASE_URL"]
        )


def test_a_forged_or_expired_link_is_refused(app, client, french, set_clock):
    _, call_id = french
    set_clock(TUESDAY + timedelta(minutes=5))
    path = link_path(app, call_id)
    page = client.get(path)
    assert page.status_code == 200
    form = {"csrf_token": csrf_token(page.text)}
    token = path.rsplit("/", 1)[1]
    number, signature = token.split(".")
    altered = signature[:-1] + ("B" if signature.endswith("A") else "A")
    for forged in (f"{number}.{altered}", f"{int(number) + 1}.{signature}", number, "x.y",
                   f"{number}.", "9" * 40 + ".AAAA", f"{number}.{signature}é"):  # fmt: skip
        assert client.get(f"/cb/{forged}").status_code == 404, forged
        assert client.post(f"/cb/{forged}", data=form).status_code == 404, forged
    # The voicemail link of the same call is no call-back link (another salt).
    with app.app_context():
        from voicecast.callbacks.notify import voicemail_token

        assert client.get(f"/cb/{voicemail_token(call_id)}").status_code == 404
    set_clock(TUESDAY + timedelta(hours=app.config["CALL_BACK_LINK_HOURS"], seconds=1))
    expired = client.get(path)
    assert expired.status_code == 410 and "Ce lien de rappel a expiré." in expired.text
    assert client.post(path, data=form).status_code == 410


def test_another_account_s_link_and_call_backs_are_not_found(app, runner, client, french,
                                                              set_clock):  # fmt: skip
    admin, call_id = french
    other, other_call = account_with_a_missed_callback(
        app, runner, client, "FR", "chef@martin.example", "+33612345622", "+33159000099",
        "+33611000002", "Paul")  # fmt: skip
    set_clock(TUESDAY + timedelta(minutes=5))
    mine, theirs = link_path(app, call_id), link_path(app, other_call)
    # The other account's signature on my call's id (and the reverse) opens nothing.
    my_id, my_signature = mine.rsplit("/", 1)[1].split(".")
    their_id, their_signature = theirs.rsplit("/", 1)[1].split(".")
    assert client.get(f"/cb/{my_id}.{their_signature}").status_code == 404
    assert client.get(f"/cb/{their_id}.{my_signature}").status_code == 404
    # The other account presses its button (refused: no carrier here, recorded all the same).
    page = client.get(theirs)
    pressed = client.post(theirs, data={"csrf_token": csrf_token(page.text)})
    assert pressed.status_code == 302
    their_call_back = int(pressed.headers["Location"].rsplit("/", 1)[1])
    assert client.get(pressed.headers["Location"]).status_code == 200
    # ...which my link cannot follow, nor my key list.
    assert client.get(f"{mine}/{their_call_back}").status_code == 404
    assert client.get(f"{API}/call-backs", headers=admin.headers).json["items"] == []
    [listed] = client.get(f"{API}/call-backs", headers=other.headers).json["items"]
    assert listed["id"] == their_call_back and listed["inbound_call_id"] == other_call
    mine_figures = client.get(f"{API}/sellers/follow-through", headers=admin.headers).json
    assert [item["seller_name"] for item in mine_figures["items"]] == ["Marie"]
    assert mine_figures["items"][0]["missed"] == 1


def test_a_customer_on_the_do_not_call_list_is_not_called_back(app, client, french, set_clock):
    admin, call_id = french
    set_clock(TUESDAY + timedelta(minutes=5))
    path = link_path(app, call_id)
    page = client.get(path)
    assert page.text.count("<button") == 1
    added = client.post(f"{API}/suppressions", headers=admin.headers,
                        json={"phone": "+33612345611"})  # fmt: skip
    assert added.status_code == 201, added.json
    refused = unescape(client.get(path).text)
    assert "<button" not in refused
    assert "Pierre Durand est sur la liste d'opposition du compte" in refused
    # A button pressed on a page loaded before the opt-out: recorded as refused, nobody rung.
    pressed = client.post(path, data={"csrf_token": csrf_token(page.text)})
    [row] = client.get(f"{API}/call-backs", headers=admin.headers).json["items"]
    assert (row["outcome"], row["refusal"], row["seller_answered_at"]) == (
        "refused", "do_not_call", None)  # fmt: skip
    followed = unescape(client.get(pressed.headers["Location"]).text)
    assert "Rappel impossible : Pierre Durand est sur la liste" in followed


def test_outside_the_customer_s_calling_hours_the_page_says_when(app, client, french,
                                                                 set_clock):  # fmt: skip
    _, call_id = french
    set_clock(EVENING)
    page = unescape(client.get(link_path(app, call_id)).text)
    assert "<button" not in page
    assert "hors des heures d'appel de Pierre Durand (heure de Paris)" in page
    assert "possible à partir du 09/12/2026 à 10:00" in page


def test_an_american_account_s_page_is_in_english(app, runner, client, set_clock):
    _, call_id = account_with_a_missed_callback(
        app, runner, client, "US", "boss@smith.example", "+12125550143", "+12125550100",
        "+12125550177", "Jane")  # fmt: skip
    set_clock(TUESDAY + timedelta(hours=6))  # 10:30 in New York
    page = client.get(link_path(app, call_id)).text
    assert "Missed callback" in page and "Call Jane Durand back" in page
    assert "(212) 555-0100" in page and "Rappel" not in page


def test_a_call_back_link_is_kept_out_of_the_logs():
    line = '127.0.0.1 - - "GET /cb/12.AbCdEfGhIjKlMnOp HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1 - - "GET /cb/[redacted] HTTP/1.1" 200'
    text = "sent https://vc.fr/cb/12.AbCdEfGhIjKlMnOp/3 to +33611000001"
    assert redact(text) == "sent https://vc.fr/cb/[redacted]/3 to +33611000001"


def test_the_do_not_call_list_is_read_again_when_the_seller_presses_1(
    app, client, french, set_clock, carrier
):
    """The customer opts out between the press and the seller's 1: the customer is not
    dialed, the seller hears why, and the call back is recorded as refused."""
    from tests.callback_world import signed_post, verbs
    from tests.carrier_fixtures import TOKEN

    admin, call_id = french
    set_clock(TUESDAY + timedelta(minutes=5))
    path = link_path(app, call_id)
    page = client.get(path)
    client.post(path, data={"csrf_token": csrf_token(page.text)})
    [row] = client.get(f"{API}/call-backs", headers=admin.headers).json["items"]
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.follow_through.models import CallBack

        sid = db.session.get(CallBack, row["id"]).seller_call_sid
    assert row["outcome"] is None and sid  # the seller's phone is ringing
    hook = f"/twilio/call-backs/{row['id']}"
    said = verbs(signed_post(client, app, f"{hook}/answered",
                             {"CallSid": sid, "AnsweredBy": "human"}, token=TOKEN))  # fmt: skip
    assert [verb.tag for verb in said] == ["Gather", "Hangup"]
    assert client.post(f"{hook}/key", data={"CallSid": sid, "Digits": "1"}).status_code == 403
    other = signed_post(client, app, f"{hook}/key", {"CallSid": "CA" + "f" * 32, "Digits": "1"},
                        token=TOKEN)  # fmt: skip
    assert other.status_code == 404  # not this call back's leg
    client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": "+33612345611"})
    answer = verbs(signed_post(client, app, f"{hook}/key", {"CallSid": sid, "Digits": "1"},
                               token=TOKEN))  # fmt: skip
    assert [verb.tag for verb in answer] == ["Say", "Hangup"]  # no <Dial>
    assert "Pierre Durand est sur la liste d'opposition" in answer[0].text
    [row] = client.get(f"{API}/call-backs", headers=admin.headers).json["items"]
    assert (row["outcome"], row["refusal"]) == ("refused", "do_not_call")
    assert row["seller_answered_at"] is not None and row["customer_dialed_at"] is None
    # The seller leg's end does not undo it.
    signed_post(client, app, f"{hook}/status", {"CallSid": sid, "CallStatus": "completed"},
                token=TOKEN)  # fmt: skip
    assert client.get(f"{API}/call-backs", headers=admin.headers).json["items"][0][
        "outcome"] == "refused"  # fmt: skip
