"""The account's SMS sender: checked when set (a 422 saying why and what to give), and the
default a missed callback's text goes from when it is unset: an SMS-capable number of the
account, read from the carrier by `numbers sync`."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error, create_tenant, field_errors
from tests.test_callbacks_end_to_end import buy_numbers, sim

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier
LANDLINE, US_LINE, SERVICE = "+33159000000", "+14155550100", "MG" + "0123456789abcdef" * 2


def set_sender(client, admin, value):
    return client.patch(f"{API}/account", headers=admin.headers, json={"sms_sender": value})


def refusal(response) -> str:
    error = assert_error(response, 422)
    assert [item["type"] for item in error["details"]] == ["sms_sender"]
    return field_errors(error)["body.sms_sender"]


def test_a_french_account_takes_a_sender_id_but_not_its_landline(app, runner, client):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    registered = client.post(f"{API}/numbers", headers=admin.headers, json={"number": LANDLINE})
    assert registered.status_code == 201 and registered.json["sms_capable"] is None

    assert "French number" in refusal(set_sender(client, admin, LANDLINE))
    assert "at most 11 characters" in refusal(set_sender(client, admin, "Garage Dupont"))
    assert "not one of the account's numbers" in refusal(set_sender(client, admin, US_LINE))
    assert client.get(f"{API}/account", headers=admin.headers).json["sms_sender"] is None

    named = set_sender(client, admin, "Dupont Auto")
    assert named.status_code == 200 and named.json["sms_sender"] == "Dupont Auto"
    assert_error(set_sender(client, admin, "06 12 34"), 422)  # no letter: no sender ID
    done = runner.invoke(args=["account", "set-sms-sender", str(admin.account_id), LANDLINE])
    assert done.exit_code != 0 and "French number" in done.output
    done = runner.invoke(args=["account", "set-sms-sender", str(admin.account_id), "Dupont"])
    assert done.exit_code == 0 and "sends texts from Dupont" in done.output


def test_a_us_account_refuses_a_sender_id_and_takes_a_number_that_can_send(
    app, runner, client, carrier
):
    """Alphanumeric sender IDs do not exist in the US; a number is taken once the carrier
    says it sends SMS (read by `numbers sync`), and is the default when none is set."""
    admin = create_tenant(runner, client, "Lakeside Motors", "boss@lakeside.example", "US")
    assert "not allowed in US" in refusal(set_sender(client, admin, "Lakeside"))
    client.post(f"{API}/numbers", headers=admin.headers, json={"number": US_LINE})
    assert "never read" in refusal(set_sender(client, admin, US_LINE))
    assert set_sender(client, admin, SERVICE).json["sms_sender"] == SERVICE
    assert set_sender(client, admin, None).json["sms_sender"] is None

    buy_numbers(carrier, [LANDLINE, US_LINE])
    synced = runner.invoke(args=["numbers", "sync", "--account", str(admin.account_id)])
    assert synced.exit_code == 0, synced.output
    numbers = client.get(f"{API}/numbers", headers=admin.headers).json["items"]
    assert {n["number"]: n["sms_capable"] for n in numbers} == {US_LINE: True, LANDLINE: False}
    default = runner.invoke(args=["account", "set-sms-sender", str(admin.account_id)])
    assert f"sends texts from {US_LINE}" in default.output
    assert set_sender(client, admin, US_LINE).json["sms_sender"] == US_LINE


def missed_callback(app, runner, client, carrier, sender: str | None, refused: bool = False):
    """A French account with a landline and a US number that can send, `sender` as its SMS
    sender (None: unset), the carrier refusing the US number if `refused`; a callback that
    missed its seller: the account's admin and what `notify_missed_callback` did."""
    from voicecast.callbacks.notify import notify_missed_callback
    from voicecast.extensions import db
    from voicecast.models import InboundCall

    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    buy_numbers(carrier, [LANDLINE, US_LINE])
    runner.invoke(args=["numbers", "sync", "--account", str(admin.account_id)])
    if sender:
        assert set_sender(client, admin, sender).status_code == 200
    if refused:
        sim(carrier, "/_sim/roughness", {"numbers": {US_LINE: {"sms_capable": False}}})
    seller = client.post(f"{API}/sellers", headers=admin.headers,
                         json={"name": "Marie", "phone": "+33611000001"}).json  # fmt: skip
    with app.app_context():
        call = InboundCall(account_id=admin.account_id, call_sid="CA" + "1" * 32,
                           from_number="+33612345611", to_number=LANDLINE,
                           seller_id=seller["id"], route="last_message")  # fmt: skip
        db.session.add(call)
        db.session.commit()
        done = notify_missed_callback(call.id)
        assert (db.session.get(InboundCall, call.id).notified_at is None) == refused
    return admin, done


@pytest.mark.parametrize("sender", [None, "Dupont Auto"])
def test_a_missed_callback_goes_from_the_account_s_sender(app, runner, client, carrier, sender):
    """The default is the account's first SMS-capable number (not the landline called);
    a chosen sender ID comes first."""
    _, done = missed_callback(app, runner, client, carrier, sender)
    assert done.startswith("sms:SM")
    messages = sim(carrier, "/_sim/messages")["messages"]
    assert [(m["to"], m["from"]) for m in messages] == [("+33611000001", sender or US_LINE)]


def test_a_text_the_carrier_refuses_21606_is_recorded_unsent_with_why(app, runner, client, carrier):
    """The account's SMS-capable number as the carrier later refuses it (21606): the text is
    not lost silently nor tried forever: the callback says it was not sent, and why."""
    admin, done = missed_callback(app, runner, client, carrier, US_LINE, refused=True)
    assert done == "not sent: sender_cannot_send (21606)"
    [record] = client.get(f"{API}/callbacks", headers=admin.headers).json["items"]
    assert record["notification"] == "not sent: sender_cannot_send (21606)"
    assert record["notification_problem"] == "the carrier refused the sender (it cannot send SMS)"
