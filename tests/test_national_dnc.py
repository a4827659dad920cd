"""The National Do Not Call registry (US): a scrub imported per area code with the day it was
downloaded, every line of the file accounted for; planning and the dial claim leave out the
registry's numbers (`national_dnc`) unless the contact gave written consent or bought within
18 months (an established business relationship); previews and campaign pages warn of a
scrub older than 31 days or missing. Issue 22, point 5. Both databases."""

from __future__ import annotations

import html
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.helpers import assert_error, create_tenant
from tests.rules_world import ALWAYS, launch
from tests.test_web_login import PASSWORD, log_in
from voicecast.delivery import claim
from voicecast.extensions import db
from voicecast.imports.national_dnc import import_scrub
from voicecast.models import Account, Attempt, Contact, Delivery

API = "/api/v1"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 1 PM in New York, 10 AM in Los Angeles
LOS_ANGELES = "America/Los_Angeles"


def upload(client, tenant, content: bytes, **fields):
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(content), filename="213.txt"), **fields}
    )
    return client.post(
        f"{API}/national-dnc/scrubs",
        headers=tenant.headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture
def us_admin(runner, client):
    """A US account under the US calling rules (written consent)."""
    return create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", "US", "US")


# --- the scrub's import -------------------------------------------------------------------------


def test_the_import_report_accounts_for_every_line(client, us_admin, set_clock):
    set_clock(NOW)
    ftc = (
        b"2135550101\r\n"
        b"2135550102\r\n"
        b"2135550101\r\n"  # again
        b"213555010\r\n"  # 9 digits
        b"\r\n"
        b"not a number\r\n"
        b"+33612345678\r\n"  # French
        b"4155550101\r\n"
    )
    report = upload(client, us_admin, ftc, downloaded_on="2026-12-01")
    assert report.status_code == 200, report.json
    got = report.json
    assert (got["lines"], got["header_lines"], got["empty_lines"]) == (8, 0, 1)
    assert (got["valid"], got["duplicates"], got["invalid"]) == (3, 1, 3)
    assert got["record_lines"] == got["valid"] + got["duplicates"] + got["invalid"] == 7
    assert [error["line"] for error in got["errors"]] == [4, 6, 7]
    assert got["errors"][0]["reason"] == "'213555010' is not a valid number for US."
    assert "not a US number" in got["errors"][2]["reason"]
    assert got["area_codes"] == [
        {"area_code": "213", "numbers": 2}, {"area_code": "415", "numbers": 1}
    ]  # fmt: skip

    status = client.get(f"{API}/national-dnc", headers=us_admin.headers).json
    assert (status["applies"], status["numbers"], status["valid_days"]) == (True, 3, 31)
    assert [(a["area_code"], a["downloaded_on"], a["numbers"], a["age_days"], a["stale"])
            for a in status["area_codes"]] == [
        ("213", "2026-12-01", 2, 6, False), ("415", "2026-12-01", 1, 6, False),
    ]  # fmt: skip

    # The FTC's other layout (area code, number), under a header: 213 alone is replaced.
    again = upload(client, us_admin, b"Area code,Phone number\n213,5550199\n")
    assert again.status_code == 200, again.json
    assert (again.json["header_lines"], again.json["valid"], again.json["invalid"]) == (1, 1, 0)
    assert again.json["downloaded_on"] == "2026-12-07"  # today by default
    status = client.get(f"{API}/national-dnc", headers=us_admin.headers).json
    assert [(a["area_code"], a["downloaded_on"], a["numbers"]) for a in status["area_codes"]] == [
        ("213", "2026-12-07", 1), ("415", "2026-12-01", 1),
    ]  # fmt: skip


def test_a_scrub_dated_tomorrow_or_for_another_country_is_refused(client, us_admin, set_clock):
    set_clock(NOW)
    future = upload(client, us_admin, b"2135550101\n", downloaded_on="2026-12-08")
    error = assert_error(future, 422)
    assert error["details"][0]["field"] == "body.downloaded_on"
    assert error["details"][0]["type"] == "future_date"
    nothing = assert_error(upload(client, us_admin, b"phone\nhello\n"), 422)
    assert nothing["details"][0]["type"] == "file"
    assert "nothing was replaced" in nothing["message"]
    # Named area codes: one the file lists no number of is still recorded, another refused.
    named = upload(client, us_admin, b"2125550101\n", area_codes="213, 415")
    assert (named.json["valid"], named.json["invalid"]) == (0, 1)
    assert "not among those named (213, 415)" in named.json["errors"][0]["reason"]
    assert named.json["area_codes"] == [
        {"area_code": "213", "numbers": 0}, {"area_code": "415", "numbers": 0}
    ]  # fmt: skip
    assert client.get(f"{API}/national-dnc", headers=us_admin.headers).json["numbers"] == 0
    french = create_tenant(client.application.test_cli_runner(), client, "Dupont", "d@d.example")
    refused = assert_error(upload(client, french, b"2135550101\n"), 422)
    assert refused["details"][0]["type"] == "country"


# --- planning and the dial claim ----------------------------------------------------------------


def add_contact(account_id: int, phone: str, **legal) -> None:
    db.session.add(
        Contact(account_id=account_id, phone=phone, timezone=LOS_ANGELES, attributes={}, **legal)
    )


def registry(account_id: int, *phones: str) -> None:
    """The account's scrub of those numbers' area codes, downloaded today."""
    account = db.session.get(Account, account_id)
    data = "\n".join(phone.removeprefix("+1") for phone in phones).encode()
    import_scrub(account, data, NOW.date(), None)


def reasons(campaign_id: int) -> dict[str, tuple[str, str | None]]:
    rows = db.session.execute(
        select(Delivery.phone, Delivery.status, Delivery.reason).where(
            Delivery.campaign_id == campaign_id
        )
    )
    return {phone: (status, reason) for phone, status, reason in rows}


WRITTEN = {"consent_at": datetime(2026, 1, 5, tzinfo=UTC), "consent_source": "showroom",
           "consent_proof": "signed form 118"}  # fmt: skip
SPOKEN = {"consent_at": datetime(2026, 1, 5, tzinfo=UTC), "consent_source": "phone"}


def contract_ended(on: date) -> dict:
    return {"contract_kind": "purchase", "contract_ends_on": on}


@pytest.mark.parametrize("rules", ["US", "none"])
def test_registry_numbers_are_skipped_unless_written_consent(app, runner, client, rules):
    tenant = create_tenant(runner, client, "Lone Star", "gm@ls.example", "US", rules)
    with app.app_context():
        add_contact(tenant.account_id, "+12135550101")  # registered, nothing on record
        add_contact(tenant.account_id, "+12135550102", **WRITTEN)  # registered, signed
        add_contact(tenant.account_id, "+12135550103", **SPOKEN)  # registered, no proof
        add_contact(tenant.account_id, "+12135550104", **WRITTEN)  # not registered
        registry(tenant.account_id, "+12135550101", "+12135550102", "+12135550103")
        db.session.commit()
        campaign_id = launch(tenant.account_id, ALWAYS, NOW)
        assert reasons(campaign_id) == {
            "+12135550101": ("excluded", "national_dnc"),
            "+12135550102": ("pending", None),
            "+12135550103": ("excluded", "national_dnc"),
            "+12135550104": ("pending", None),
        }


def test_a_purchase_within_18_months_lets_a_registry_number_be_called(app, runner, client):
    """Under rules that take a contract as a legal basis (here none): the contract's last day
    dates the last purchase or payment (47 CFR 64.1200(f)(5))."""
    tenant = create_tenant(runner, client, "Lone Star", "gm@ls.example", "US", "none")
    with app.app_context():
        account_id = tenant.account_id
        add_contact(account_id, "+12135550111", **contract_ended(date(2025, 7, 7)))  # 17 months
        add_contact(account_id, "+12135550112", **contract_ended(date(2025, 6, 7)))  # 18 months
        add_contact(account_id, "+12135550113", **contract_ended(date(2025, 5, 7)))  # 19 months
        add_contact(account_id, "+12135550114", contract_kind="lease")  # ongoing, no end
        add_contact(account_id, "+12135550115", **contract_ended(date(2027, 6, 1)))  # ongoing
        registry(account_id, *(f"+1213555011{n}" for n in range(1, 6)))
        db.session.commit()
        campaign_id = launch(account_id, ALWAYS, NOW)
        assert reasons(campaign_id) == {
            "+12135550111": ("pending", None),
            "+12135550112": ("pending", None),
            "+12135550113": ("excluded", "national_dnc"),
            "+12135550114": ("pending", None),
            "+12135550115": ("pending", None),
        }


def test_under_the_us_rules_a_purchase_alone_still_needs_written_consent(app, us_admin):
    """Prerecorded telemarketing needs written consent whatever the relationship: the
    registry lets the number through, the legal basis does not."""
    with app.app_context():
        add_contact(us_admin.account_id, "+12135550121", **contract_ended(date(2026, 6, 1)))
        registry(us_admin.account_id, "+12135550121")
        db.session.commit()
        campaign_id = launch(us_admin.account_id, ALWAYS, NOW)
        assert reasons(campaign_id) == {"+12135550121": ("excluded", "no_consent")}


def test_a_number_registered_after_planning_is_not_dialed(app, runner, client):
    """The dial claim reads the registry right before the call (rules none: nothing else
    holds the number back)."""
    from voicecast.delivery.dialing import not_claimed
    from voicecast.delivery.rounds import dispatch_round

    tenant = create_tenant(runner, client, "Lone Star", "gm@ls.example", "US", "none")
    with app.app_context():
        add_contact(tenant.account_id, "+12135550131")
        add_contact(tenant.account_id, "+12135550132")
        db.session.commit()
        campaign_id = launch(tenant.account_id, ALWAYS, NOW)
        dispatch_round(campaign_id, NOW)
        attempts = {
            phone: attempt_id
            for attempt_id, phone in db.session.execute(
                select(Attempt.id, Delivery.phone).join(
                    Delivery, Delivery.id == Attempt.delivery_id
                )
            )
        }
        assert set(attempts) == {"+12135550131", "+12135550132"}
        registry(tenant.account_id, "+12135550131")  # the scrub loaded meanwhile
        db.session.commit()
        assert not claim.claim(attempts["+12135550131"], None, NOW)
        assert not_claimed(attempts["+12135550131"], None, NOW) == "not dialed: national_dnc"
        assert claim.claim(attempts["+12135550132"], None, NOW)


# --- the scrub's age, on the preview and the campaign page --------------------------------------


def test_the_preview_and_the_page_warn_of_a_stale_or_missing_scrub(app, runner, client, set_clock):
    set_clock(NOW)
    email = "gm@stale.example"
    tenant = create_tenant(runner, client, "Lone Star", email, "US", "US")
    for phone in ("2135550141", "2135550142", "4155550141", "2125550141"):
        made = client.post(f"{API}/contacts", headers=tenant.headers, json={"phone": phone})
        assert made.status_code == 201, made.json
    assert upload(client, tenant, b"2135550199\n", downloaded_on="2026-11-05").status_code == 200
    assert upload(client, tenant, b"2125550199\n", downloaded_on="2026-11-06").status_code == 200
    campaign = client.post(
        f"{API}/campaigns", headers=tenant.headers, json={"name": "Q4", "audience": {"kind": "all"}}
    ).json
    preview = client.get(f"{API}/campaigns/{campaign['id']}/preview", headers=tenant.headers)
    assert preview.status_code == 200, preview.json
    warnings = preview.json["registry_warnings"]
    # 212's scrub is 31 days old: still good; 213's is 32 days old; 415 has none.
    assert [(w["area_code"], w["code"], w["contacts"], w["downloaded_on"]) for w in warnings] == [
        ("213", "scrub_stale", 2, "2026-11-05"), ("415", "scrub_missing", 1, None),
    ]  # fmt: skip
    assert "downloaded on 2026-11-05, over 31 days ago" in warnings[0]["message"]

    runner.invoke(args=["user", "set-password", email], input=f"{PASSWORD}\n{PASSWORD}\n")
    browser = app.test_client()
    assert log_in(browser, email, PASSWORD).status_code == 302
    page = html.unescape(browser.get(f"/campaigns/{campaign['id']}").text)
    assert (
        "Area code 213, 2 of the campaign's contacts: the National Do Not Call registry scrub "
        "was downloaded on 11/05/2026, over 31 days ago; download a new one." in page
    )
    assert (
        "Area code 415, 1 of the campaign's contacts: no National Do Not Call registry scrub"
        in page
    )
    assert "Area code 212" not in page

    # A French account has no registry: no warning.
    french = create_tenant(runner, client, "Dupont", "d@dupont.example")
    client.post(f"{API}/contacts", headers=french.headers, json={"phone": "2135550141"})
    other = client.post(
        f"{API}/campaigns", headers=french.headers, json={"name": "E", "audience": {"kind": "all"}}
    ).json
    assert (
        client.get(f"{API}/campaigns/{other['id']}/preview", headers=french.headers).json[
            "registry_warnings"
        ]
        == []
    )
