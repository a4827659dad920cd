"""A contact's legal basis: consent recorded with its source and proof and withdrawn in one
call, a contract until its end; segments select on both as they hold today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.helpers import assert_error, create_tenant, seller_key

API = "/api/v1"


@pytest.fixture
def admin(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


def contact(client, admin, phone: str) -> dict:
    made = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": phone})
    assert made.status_code == 201, made.json
    return made.json


def matching(client, admin, filter_) -> list[str]:
    made = client.post(
        f"{API}/segments", headers=admin.headers, json={"name": "x", "filter": filter_}
    ).json
    shown = client.get(f"{API}/segments/{made['id']}/preview", headers=admin.headers).json
    return [item["phone"] for item in shown["sample"]]


def test_consent_is_recorded_with_its_proof_and_withdrawn_at_once(client, admin):
    person = contact(client, admin, "0612345678")
    assert (person["consent"], person["contract"]) == (None, None)
    url = f"{API}/contacts/{person['id']}/consent"
    given = client.put(url, headers=admin.headers, json={
        "source": "web form", "proof": "case cochée le 2 mars, réf. F-2291"})  # fmt: skip
    assert given.status_code == 200, given.json
    consent = given.json["consent"]
    assert (consent["source"], consent["proof"], consent["withdrawn_at"]) == (
        "web form", "case cochée le 2 mars, réf. F-2291", None
    )  # fmt: skip
    assert matching(client, admin, {"field": "consent", "op": "eq", "value": True}) == [
        "+33612345678"
    ]

    withdrawn = client.delete(url, headers=admin.headers).json["consent"]
    assert withdrawn["withdrawn_at"] is not None and withdrawn["source"] == "web form"
    assert matching(client, admin, {"field": "consent", "op": "eq", "value": True}) == []
    assert matching(client, admin, {"field": "consent", "op": "ne", "value": True}) == [
        "+33612345678"
    ]


def test_a_contract_counts_until_its_last_day(client, admin, set_clock):
    today = date(2026, 11, 26)
    # The application's today (in UTC), which this machine's date may not be near midnight.
    set_clock(datetime.combine(today, time(10), tzinfo=UTC))
    current = contact(client, admin, "0612345601")
    ended = contact(client, admin, "0612345602")
    client.put(f"{API}/contacts/{current['id']}/contract", headers=admin.headers,
               json={"kind": "contrat d'entretien", "ends_on": today.isoformat()})  # fmt: skip
    yesterday = (today - timedelta(days=1)).isoformat()
    client.put(f"{API}/contacts/{ended['id']}/contract", headers=admin.headers,
               json={"kind": "contrat d'entretien", "ends_on": yesterday})  # fmt: skip
    assert matching(client, admin, {"field": "contract", "op": "eq", "value": True}) == [
        "+33612345601"
    ]
    removed = client.delete(f"{API}/contacts/{current['id']}/contract", headers=admin.headers)
    assert removed.json["contract"] is None


def test_only_managers_of_the_account_change_a_legal_basis(runner, client, admin):
    person = contact(client, admin, "0612345678")
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    url = f"{API}/contacts/{person['id']}/consent"
    assert_error(client.put(url, headers=other.headers, json={"source": "x"}), 404)
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    as_seller = seller_key(client, admin, seller["id"])
    assert_error(client.delete(url, headers=as_seller.headers), 403)
    assert_error(client.put(url, headers=admin.headers, json={"source": ""}), 422)


def test_many_consents_at_once_each_applied_or_refused_with_its_reason(runner, client, admin):
    ana = contact(client, admin, "0612345601")
    contact(client, admin, "0612345602")
    withdrawn = contact(client, admin, "0612345603")
    url = f"{API}/contacts/{withdrawn['id']}/consent"
    client.put(url, headers=admin.headers, json={"source": "web form"})
    client.delete(url, headers=admin.headers)
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    theirs = contact(client, other, "0612345609")

    response = client.post(f"{API}/contacts/consents", headers=admin.headers, json={"consents": [
        {"contact_id": ana["id"], "source": "atelier", "proof": "BC-1",
         "given_at": "2026-09-02T10:00:00Z"},
        {"phone": "06 12 34 56 02", "source": "site web"},
        {"phone": "+33612345603", "source": "site web", "given_at": "2020-01-01T00:00:00Z"},
        {"contact_id": theirs["id"], "source": "x"},  # another account's: not found
        {"phone": "06 12"},
        {"phone": "0612345677"},
        {"contact_id": ana["id"], "given": False},  # the same contact twice
    ]})  # fmt: skip
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["changed"], report["unchanged"], report["rejected"]) == (2, 1, 4)
    assert [(error["index"], error["code"]) for error in report["errors"]] == [
        (4, "not_found"), (5, "invalid_phone"), (6, "not_found"), (7, "duplicate")
    ]  # fmt: skip
    shown = {c["phone"]: c["consent"] for c in client.get(
        f"{API}/contacts", headers=admin.headers).json["items"]}  # fmt: skip
    assert (shown["+33612345601"]["source"], shown["+33612345601"]["proof"]) == ("atelier", "BC-1")
    assert shown["+33612345602"]["source"] == "site web"
    assert shown["+33612345603"]["withdrawn_at"] is not None  # an older consent undoes nothing
    assert (
        client.get(f"{API}/contacts/{theirs['id']}", headers=other.headers).json["consent"] is None
    )

    batch = f"{API}/contacts/consents"
    body = {"consents": [{"contact_id": ana["id"], "given": False}]}
    assert client.post(batch, headers=admin.headers, json=body).json["changed"] == 1
    body = {"consents": [{"contact_id": ana["id"], "phone": "0612345601"}]}
    bad = client.post(batch, headers=admin.headers, json=body)
    assert assert_error(bad, 422)["details"][0]["field"].startswith("body.consents")
    assert_error(client.post(f"{API}/contacts/consents", headers=admin.headers,
                             json={"consents": []}), 422)  # fmt: skip
