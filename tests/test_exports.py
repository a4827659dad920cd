"""CSV exports of a campaign, read back with Python's csv module after a real run against the
carrier simulator: the right columns, and counts that match the API."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from tests.audio import Sounds, make_sounds
from tests.campaign_run import CUSTOMERS, Run, run_campaign
from tests.helpers import add_manager, assert_error, create_tenant, seller_key
from tests.test_web_login import PASSWORD, log_in
from voicecast.dashboard import wording
from voicecast.exports import callbacks as callback_export
from voicecast.exports import deliveries as delivery_export
from voicecast.exports.csvstream import Language
from voicecast.extensions import db
from voicecast.i18n import translate
from voicecast.models import Attempt

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]  # carrier, public_app
DELIVERY_COLUMNS = [
    "delivery_id", "phone", "contact_id", "contact_first_name", "contact_last_name",
    "seller_id", "seller_name", "status", "status_label", "reason", "reason_label", "attempts",
    "last_attempt_at", "last_attempt_state", "last_attempt_state_label", "last_attempt_outcome",
    "last_attempt_outcome_label", "answered_by", "answered_by_label", "call_sid",
    "next_attempt_at", "cost", "cost_currency",
]  # fmt: skip
CALLBACK_COLUMNS = [
    "callback_id", "started_at", "caller", "number_called", "contact_id", "contact_first_name",
    "contact_last_name", "delivery_id", "seller_id", "seller_name", "route", "route_label",
    "dialed_number", "dial_status", "dial_status_label", "outcome", "outcome_label",
    "accepted_at", "ended_at", "duration_seconds", "talk_seconds", "recording_seconds",
    "notified", "notified_at", "call_sid",
]  # fmt: skip


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("export-sounds"))


@pytest.fixture
def run(app, runner, client, carrier, public_app, sounds, run_jobs, monkeypatch) -> Run:
    # Small batches, so that these few rows already take several keyset rounds.
    monkeypatch.setattr(delivery_export, "BATCH", 2)
    monkeypatch.setattr(callback_export, "BATCH", 2)
    return run_campaign(app, runner, client, carrier, public_app, sounds, run_jobs)


def read_csv(response, delimiter: str) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.get_data()
    if delimiter == ";":
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM French Excel needs for accents
    else:
        assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def all_deliveries(client, headers, campaign_id: int) -> list[dict]:
    """Every delivery through the JSON API, page by page."""
    items, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(
            f"{API}/campaigns/{campaign_id}/deliveries", headers=headers, query_string=query
        ).json
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.parametrize(("option", "delimiter"), [(None, ","), ("semicolon", ";")])
def test_the_deliveries_csv_matches_the_api(app, client, run, option, delimiter):
    admin, url = run.admin, f"{API}/campaigns/{run.campaign_id}"
    with app.app_context():  # the carrier's price of one call, as the pricing job records it
        db.session.execute(
            update(Attempt)
            .where(Attempt.call_sid == run.calls[0]["sid"])
            .values(price=0.0135, price_unit="EUR")
        )
        db.session.commit()
    query = {"lang": "en", **({"delimiter": option} if option else {})}
    response = client.get(f"{url}/deliveries.csv", headers=admin.headers, query_string=query)
    rows = read_csv(response, delimiter)
    assert list(rows[0]) == DELIVERY_COLUMNS

    state = client.get(url, headers=admin.headers).json
    api = {d["id"]: d for d in all_deliveries(client, admin.headers, run.campaign_id)}
    assert len(rows) == sum(state["counts"].values()) == len(api) == len(CUSTOMERS) + 1
    assert Counter(row["status"] for row in rows) == Counter(state["counts"])
    assert [row["phone"] for row in rows] == sorted(row["phone"] for row in rows)
    for row in rows:
        delivery = api[int(row["delivery_id"])]
        assert row["phone"] == delivery["phone"]
        assert row["status"] == delivery["status"]
        assert row["status_label"] == translate(wording.STAGES[row["status"]], "en")
        assert row["reason"] == (delivery["reason"] or "")
        assert int(row["attempts"]) == delivery["attempt_count"] == len(delivery["attempts"])
        assert row["contact_id"] == str(delivery["contact_id"])
        if delivery["attempts"]:
            last = delivery["attempts"][-1]
            assert row["call_sid"] == last["call_sid"]
            assert row["last_attempt_outcome"] == last["outcome"] == delivery["status"]
            assert row["answered_by"] == (last["answered_by"] or "")
            assert row["last_attempt_at"][:19] == last["dialed_at"][:19].replace("T", " ")
            assert row["seller_name"] == "Marie Curie"
        else:
            assert (row["status"], row["reason"], row["call_sid"]) == ("excluded", "no_seller", "")
    by_phone = {row["phone"]: row for row in rows}
    for phone, (first, last) in CUSTOMERS.items():
        name = (by_phone[phone]["contact_first_name"], by_phone[phone]["contact_last_name"])
        assert name == (first, last if not last.startswith("=") else "'" + last)
    priced = by_phone[run.calls[0]["to"]]
    assert (priced["cost"], priced["cost_currency"]) == (
        ("0,0135" if delimiter == ";" else "0.0135"), "EUR")  # fmt: skip


@pytest.mark.parametrize(("option", "delimiter"), [("comma", ","), ("semicolon", ";")])
def test_the_callbacks_csv_matches_the_api(client, run, option, delimiter):
    admin = run.admin
    url = f"{API}/campaigns/{run.campaign_id}/callbacks.csv"
    query = {"delimiter": option, "lang": "en"}
    rows = read_csv(client.get(url, headers=admin.headers, query_string=query), delimiter)
    assert list(rows[0]) == CALLBACK_COLUMNS
    api = client.get(
        f"{API}/callbacks", headers=admin.headers, query_string={"campaign_id": run.campaign_id}
    ).json["items"]
    stats = client.get(f"{API}/campaigns/{run.campaign_id}", headers=admin.headers).json
    assert len(rows) == len(api) == stats["callbacks"]["calls"] == 1
    [row], [callback] = rows, api
    assert row["callback_id"] == str(callback["id"])
    assert (row["caller"], row["number_called"]) == (callback["from_number"], callback["to_number"])
    assert (row["contact_first_name"], row["contact_last_name"]) == ("Jeanne", "Petit")
    assert (row["seller_name"], row["route"], row["outcome"]) == (
        "Marie Curie", callback["route"], callback["outcome"])  # fmt: skip
    assert row["talk_seconds"] == str(callback["talk_seconds"])
    assert row["notified"] == ("yes" if callback["notified_at"] else "no")


def test_exports_are_scoped_like_the_api(app, runner, client, run):
    admin, campaign_id = run.admin, run.campaign_id
    deliveries = f"{API}/campaigns/{campaign_id}/deliveries.csv"
    callbacks = f"{API}/campaigns/{campaign_id}/callbacks.csv"
    assert_error(client.get(deliveries), 401)
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    assert_error(client.get(deliveries, headers=other.headers), 404)
    assert_error(client.get(callbacks, headers=other.headers), 404)
    assert_error(client.get(f"{API}/campaigns/999999/deliveries.csv", headers=admin.headers), 404)
    assert_error(client.get(f"{API}/campaigns/99999999999/callbacks.csv", headers=admin.headers),
                 404)  # fmt: skip
    wrong = client.get(deliveries, headers=admin.headers, query_string={"delimiter": "tab"})
    assert "query.delimiter" in str(assert_error(wrong, 422)["details"])
    marie = seller_key(client, admin, run.seller["id"])
    assert_error(client.get(deliveries, headers=marie.headers), 403)
    assert len(read_csv(client.get(callbacks, headers=marie.headers), ",")) == 1
    # Another seller of the account sees none of Marie's callbacks.
    paul = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Paul"}).json
    paul_key = seller_key(client, admin, paul["id"])
    assert read_csv(client.get(callbacks, headers=paul_key.headers), ",") == []


def test_a_logged_in_manager_downloads_the_exports_with_the_session(app, runner, client, run):
    add_manager(runner, run.admin.account_id, "vente@dupont.example")
    result = runner.invoke(
        args=["user", "set-password", "vente@dupont.example"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    url = f"{API}/campaigns/{run.campaign_id}"
    assert_error(client.get(f"{url}/deliveries.csv"), 401)
    assert log_in(client, "vente@dupont.example", PASSWORD).status_code == 302
    rows = read_csv(client.get(f"{url}/deliveries.csv?delimiter=semicolon"), ";")
    assert len(rows) == len(CUSTOMERS) + 1
    assert len(read_csv(client.get(f"{url}/callbacks.csv"), ",")) == 1
    # The session opens the exports only: the rest of the API still wants a key.
    assert_error(client.get(url), 401)


def test_a_french_account_s_exports_are_in_french_with_the_codes_beside(client, run):
    """The default for a French account: French titles, each code beside its French label,
    oui/non, times in Paris time (the titles say so); the same rows as the English export."""
    admin, url = run.admin, f"{API}/campaigns/{run.campaign_id}"
    for name, columns in (("deliveries", delivery_export.COLUMNS),
                          ("callbacks", callback_export.COLUMNS)):  # fmt: skip
        french = read_csv(client.get(f"{url}/{name}.csv?delimiter=semicolon",
                                     headers=admin.headers), ";")  # fmt: skip
        english = read_csv(client.get(f"{url}/{name}.csv?lang=en", headers=admin.headers), ",")
        titles = Language("fr", "Europe/Paris").header(columns)
        assert list(french[0]) == titles and len(french) == len(english) > 0
        assert any("(heure de Paris)" in title for title in titles)
        for fr_row, en_row in zip(french, english, strict=True):
            in_french = dict(zip([code for code, _ in columns], fr_row.values(), strict=True))
            for code, value in in_french.items():
                if code.endswith("_label") and en_row[code.removesuffix("_label")]:
                    # a label in words, never the code itself
                    assert value and value != en_row[code.removesuffix("_label")], (code, value)
                elif not code.endswith(("_at", "_label", "cost", "notified")):
                    assert value == en_row[code], code  # codes and ids are the same
                elif code.endswith("_at") and value:
                    moment = datetime.strptime(en_row[code], "%Y-%m-%d %H:%M:%S")
                    paris = moment.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
                    assert value == paris.strftime("%Y-%m-%d %H:%M:%S"), code
            if "notified" in in_french:
                assert in_french["notified"] == {"yes": "oui", "no": "non"}[en_row["notified"]]
    labels = {row["Statut"] for row in read_csv(client.get(
        f"{url}/deliveries.csv?delimiter=semicolon", headers=admin.headers), ";")}  # fmt: skip
    assert "Message déposé" in labels
