"""A consent dated in the future is no consent: refused in a customer file (the cell listed
with its reason, the row's consent not recorded, the rest of the row imported), by
PUT /contacts/{id}/consent (422) and item by item in POST /contacts/consents; the consent
record shows in the contact's representation. Issue 22, point 6. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import assert_error, create_tenant
from tests.test_contact_import import API, finished_import, upload

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
US_FILE = (
    "Phone,First name,Consent,Consent date,Proof,Contract,Contract end date\n"
    "(213) 555-0101,Ann,yes,12/31/2026,signed order 11,lease,06/01/2027\n"
    "(213) 555-0102,Bob,yes,12/07/2026,signed order 12,,\n"
    "(213) 555-0103,Cid,2027-01-15,,signed order 13,,\n"
)


@pytest.fixture
def us_admin(runner, client):
    """A US account under the US calling rules (written consent)."""
    return create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", "US", "US")


def by_name(client, tenant) -> dict[str, dict]:
    items = client.get(f"{API}/contacts", headers=tenant.headers).json["items"]
    return {item["first_name"]: item for item in items}


def test_a_file_s_consent_dated_in_the_future_is_refused_with_its_reason(
    client, us_admin, run_jobs, set_clock
):
    set_clock(NOW)
    state = finished_import(client, us_admin, upload(client, us_admin, US_FILE.encode()), run_jobs)
    report = state["report"]
    refused = {(cell["line"], cell["column"]): cell for cell in report["cell_errors"]}
    assert sorted(refused) == [(2, "Consent date"), (4, "Consent")]
    assert refused[2, "Consent date"]["code"] == "consent_in_future"
    assert refused[2, "Consent date"]["reason"] == (
        "'12/31/2026' is a date to come: a consent cannot be dated after today. The row's "
        "consent is not recorded (its other cells are)."
    )
    assert refused[4, "Consent"]["code"] == "consent_in_future"
    people = by_name(client, us_admin)
    # No consent for Ann nor Cid (not even dated today): their rows' other cells stand.
    assert people["Ann"]["consent"] is None and people["Cid"]["consent"] is None
    assert people["Ann"]["contract"] == {"kind": "lease", "ends_on": "2027-06-01"}
    # Today's consent counts, and the contact shows its record.
    consent = people["Bob"]["consent"]
    assert consent["given_at"].startswith("2026-12-07")
    assert (consent["source"], consent["proof"], consent["withdrawn_at"]) == (
        "import", "signed order 12", None
    )  # fmt: skip
    assert report["calling"]["may_call"] == 1


def test_the_api_refuses_a_consent_dated_in_the_future(client, us_admin, set_clock):
    set_clock(NOW)
    made = client.post(f"{API}/contacts", headers=us_admin.headers, json={"phone": "2135550101"})
    url = f"{API}/contacts/{made.json['id']}/consent"
    body = {"source": "web form", "proof": "form 7", "given_at": "2026-12-08T09:00:00Z"}
    error = assert_error(client.put(url, headers=us_admin.headers, json=body), 422)
    assert error["details"] == [{
        "field": "body.given_at", "type": "consent_in_future",
        "message": "A consent cannot be dated in the future: give when it was given, or leave "
        "it out.",
    }]  # fmt: skip
    assert (
        client.get(f"{API}/contacts/{made.json['id']}", headers=us_admin.headers).json["consent"]
        is None
    )
    body["given_at"] = "2026-12-07T14:58:00Z"
    assert client.put(url, headers=us_admin.headers, json=body).status_code == 200

    other = client.post(f"{API}/contacts", headers=us_admin.headers, json={"phone": "2135550102"})
    batch = {"consents": [
        {"contact_id": other.json["id"], "given_at": "2027-01-01T00:00:00", "proof": "x"},
        {"phone": "(213) 555-0101", "given": False},
    ]}  # fmt: skip
    answer = client.post(f"{API}/contacts/consents", headers=us_admin.headers, json=batch).json
    assert (answer["changed"], answer["unchanged"], answer["rejected"]) == (1, 0, 1)
    assert [(error["index"], error["code"]) for error in answer["errors"]] == [
        (1, "consent_in_future")
    ]
    assert (
        client.get(f"{API}/contacts/{other.json['id']}", headers=us_admin.headers).json["consent"]
        is None
    )


def test_skip_reasons_name_what_is_missing(client, us_admin, run_jobs, set_clock):
    set_clock(NOW)
    data = (
        "Phone,First name,Consent,Consent date,Proof\n"
        "(213) 555-0101,Ann,yes,11/02/2026,signed order 11\n"  # may be called
        "(213) 555-0102,Bob,yes,11/02/2026,\n"  # consent without its written proof
        "(213) 555-0103,Cid,,,\n"  # no consent at all
        "(213) 555-0104,Dee,yes,11/02/2026,signed order 14\n"  # withdrawn below
    )
    finished_import(client, us_admin, upload(client, us_admin, data.encode()), run_jobs)
    dee = by_name(client, us_admin)["Dee"]
    client.delete(f"{API}/contacts/{dee['id']}/consent", headers=us_admin.headers)
    again = finished_import(client, us_admin, upload(client, us_admin, data.encode()), run_jobs)
    assert again["report"]["calling"] == {
        "rules": "US", "may_call": 1,
        "may_not_call": {"suppressed": 0, "no_legal_basis": 0, "refused_recently": 0,
                         "consent_without_proof": 1, "no_consent": 1, "consent_withdrawn": 1},
    }  # fmt: skip
    body = {"name": "Service", "audience": {"kind": "all"}}
    campaign = client.post(f"{API}/campaigns", headers=us_admin.headers, json=body).json
    preview = client.get(f"{API}/campaigns/{campaign['id']}/preview", headers=us_admin.headers)
    skipped = preview.json["skipped"]
    assert {reason: skipped[reason] for reason in skipped if reason != "no_seller"} == {
        "consent_without_proof": 1, "no_consent": 1, "consent_withdrawn": 1
    }  # fmt: skip
