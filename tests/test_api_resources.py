"""Sellers, contacts and /me as a client of the API uses them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.helpers import Tenant, assert_error, create_tenant, seller_key

API = "/api/v1"


@pytest.fixture
def admin(runner, client) -> Tenant:
    return create_tenant(runner, client, "Garage Dupont", "boss@dupont.example")


def post(client, tenant: Tenant, path: str, body: dict) -> dict:
    response = client.post(API + path, headers=tenant.headers, json=body)
    assert response.status_code == 201, response.json
    return response.json


def walk(client, tenant: Tenant, path: str, **query) -> list[list[dict]]:
    """Every page of a list, following next_cursor."""
    pages, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = client.get(API + path, headers=tenant.headers, query_string=params)
        assert response.status_code == 200, response.json
        pages.append(response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages


def ids(items: list[dict]) -> list[int]:
    return [item["id"] for item in items]


# --- Sellers ------------------------------------------------------------------------------


def test_seller_is_created_with_normalised_phone_and_email(client, admin):
    created = post(
        client,
        admin,
        "/sellers",
        {"name": "  Léa Martin ", "email": "Lea.Martin@Dupont.Example", "phone": "06 12 34 56 78"},
    )
    assert created["name"] == "Léa Martin"
    assert created["phone"] == "+33612345678"
    assert created["email"] == "lea.martin@dupont.example"
    assert created["active"] is True
    shown = client.get(f"{API}/sellers/{created['id']}", headers=admin.headers)
    assert shown.status_code == 200 and shown.json == created


def test_seller_pages_walk_every_seller_exactly_once(client, admin):
    created = [post(client, admin, "/sellers", {"name": f"Seller {n}"})["id"] for n in range(7)]
    pages = walk(client, admin, "/sellers", limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [i for page in pages for i in ids(page)] == created


def test_active_filter_and_deactivation(client, admin):
    sellers = [post(client, admin, "/sellers", {"name": f"Seller {n}"})["id"] for n in range(4)]
    for seller_id in sellers[1:3]:
        deactivated = client.post(f"{API}/sellers/{seller_id}/deactivate", headers=admin.headers)
        assert deactivated.status_code == 200 and deactivated.json["active"] is False

    def listed(active: str) -> list[int]:
        response = client.get(f"{API}/sellers?active={active}", headers=admin.headers)
        return ids(response.json["items"])

    assert listed("true") == [sellers[0], sellers[3]]
    assert listed("false") == sellers[1:3]
    assert ids(client.get(f"{API}/sellers", headers=admin.headers).json["items"]) == sellers


def test_patch_changes_only_the_fields_sent(client, admin):
    seller = post(
        client,
        admin,
        "/sellers",
        {"name": "Léa", "email": "lea@dupont.example", "phone": "0612345678"},
    )
    url = f"{API}/sellers/{seller['id']}"

    renamed = client.patch(url, headers=admin.headers, json={"name": "Léa M."}).json
    assert renamed == {**seller, "name": "Léa M.", "updated_at": renamed["updated_at"]}

    moved = client.patch(url, headers=admin.headers, json={"phone": "+33 7 81 22 33 44"}).json
    assert (moved["name"], moved["phone"], moved["email"]) == (
        "Léa M.",
        "+33781223344",
        "lea@dupont.example",
    )
    no_phone = client.patch(url, headers=admin.headers, json={"phone": None}).json
    assert no_phone["phone"] is None and no_phone["name"] == "Léa M."
    emailed = client.patch(url, headers=admin.headers, json={"email": "LEA@Garage.example"}).json
    assert emailed["email"] == "lea@garage.example"
    assert client.get(url, headers=admin.headers).json == emailed


# --- Contacts -----------------------------------------------------------------------------


def test_contact_crud(client, admin):
    seller = post(client, admin, "/sellers", {"name": "Léa"})
    contact = post(
        client,
        admin,
        "/contacts",
        {
            "phone": "06 98 76 54 32",
            "first_name": "Ana",
            "last_name": "Silva",
            "email": "Ana@Example.com",
            "seller_id": seller["id"],
            "attributes": {"city": "Lyon", "purchase_year": 2021, "vip": True},
        },
    )
    assert contact["phone"] == "+33698765432" and contact["email"] == "ana@example.com"
    url = f"{API}/contacts/{contact['id']}"
    assert client.get(url, headers=admin.headers).json == contact

    patched = client.patch(
        url, headers=admin.headers, json={"attributes": {"city": "Paris"}, "seller_id": None}
    ).json
    assert patched["attributes"] == {"city": "Paris"}  # replaced, not merged
    assert patched["seller_id"] is None and patched["first_name"] == "Ana"
    renumbered = client.patch(url, headers=admin.headers, json={"phone": "07 81 22 33 44"}).json
    assert renumbered["phone"] == "+33781223344"

    assert client.delete(url, headers=admin.headers).status_code == 204
    assert_error(client.get(url, headers=admin.headers), 404)
    assert_error(client.delete(url, headers=admin.headers), 404)
    assert client.get(f"{API}/contacts", headers=admin.headers).json["items"] == []
    post(client, admin, "/contacts", {"phone": "+33781223344"})  # the number is free again


@pytest.fixture
def crowd(client, admin) -> dict:
    """Two sellers and a handful of contacts with names and attributes."""
    lea = post(client, admin, "/sellers", {"name": "Léa"})["id"]
    hugo = post(client, admin, "/sellers", {"name": "Hugo"})["id"]
    people = [
        ("0611111111", "Ana", "Silva", lea, {"city": "Lyon", "year": 2024, "vip": True}),
        ("0622222222", "Marc", "Anand", lea, {"city": "Paris", "year": 2023, "vip": False}),
        ("0633333333", "Chloé", "Martin", hugo, {"city": "Lyon", "year": 2023, "note": "1.5"}),
        ("0644444444", "Paul", "Dupont", None, {"city": "Lyon", "year": 2024, "score": 1.5}),
        ("0655555555", "Zoé", "Wu", hugo, {"ville d'origine": 'Saint-"Malo"', "year": "2024"}),
    ]
    contacts = [
        post(
            client,
            admin,
            "/contacts",
            {
                "phone": phone,
                "first_name": first,
                "last_name": last,
                "seller_id": seller,
                "attributes": attrs,
            },
        )["id"]
        for phone, first, last, seller, attrs in people
    ]
    return {"lea": lea, "hugo": hugo, "contacts": contacts}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"seller_id": "{lea}"}, [0, 1]),
        ({"seller_id": "{hugo}"}, [2, 4]),
        ({"phone": "06 33 33 33 33"}, [2]),
        ({"phone": "+33 6 44 44 44 44"}, [3]),
        ({"phone": "0699999999"}, []),
        ({"q": "an"}, [0, 1]),  # Ana, Anand: first or last name, any case
        ({"q": "MART"}, [2]),
        ({"q": "_"}, []),  # a plain character, not a wildcard
        ({"q": "%"}, []),
        ({"attr.city": "Lyon"}, [0, 2, 3]),
        ({"attr.city": "lyon"}, []),
        ({"attr.year": "2024"}, [0, 3, 4]),  # the integer 2024 and the text "2024"
        ({"attr.vip": "true"}, [0]),
        ({"attr.vip": "false"}, [1]),
        ({"attr.score": "1.5"}, [3]),
        ({"attr.note": "1.5"}, [2]),
        ({"attr.ville d'origine": 'Saint-"Malo"'}, [4]),
        ({"attr.city": "Lyon", "attr.year": "2023"}, [2]),
        ({"attr.city": "Lyon", "seller_id": "{lea}"}, [0]),
        ({"attr.unknown": "x"}, []),
    ],
)
def test_contact_filters(client, admin, crowd, query, expected):
    params = {key: value.format(**crowd) for key, value in query.items()}
    response = client.get(f"{API}/contacts", headers=admin.headers, query_string=params)
    assert response.status_code == 200, response.json
    assert ids(response.json["items"]) == [crowd["contacts"][i] for i in expected]


def test_seller_filters_within_its_own_contacts(client, admin, crowd):
    lea = seller_key(client, admin, crowd["lea"])
    lyon = client.get(f"{API}/contacts?attr.city=Lyon", headers=lea.headers).json["items"]
    assert ids(lyon) == [crowd["contacts"][0]]
    hugos = client.get(f"{API}/contacts?seller_id={crowd['hugo']}", headers=lea.headers).json
    assert hugos["items"] == []


def test_contact_pages_of_fifty(client, admin):
    created = [
        post(client, admin, "/contacts", {"phone": f"+3361000{n:04d}"})["id"] for n in range(120)
    ]
    pages = walk(client, admin, "/contacts", limit=50)
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [i for page in pages for i in ids(page)] == created
    default = client.get(f"{API}/contacts", headers=admin.headers).json
    assert len(default["items"]) == 50 and default["next_cursor"] is not None


def test_a_filtered_walk_pages_through_matches_only(client, admin):
    lyon = []
    for n in range(12):
        city = "Lyon" if n % 3 == 0 else "Nice"
        contact = post(
            client, admin, "/contacts", {"phone": f"+3361000{n:04d}", "attributes": {"city": city}}
        )
        if city == "Lyon":
            lyon.append(contact["id"])
    pages = walk(client, admin, "/contacts", limit=2, **{"attr.city": "Lyon"})
    assert [len(page) for page in pages] == [2, 2]
    assert [i for page in pages for i in ids(page)] == lyon


# --- Accounts in other countries, and /me -------------------------------------------------


def test_us_account_reads_numbers_as_american(runner, client):
    us = create_tenant(runner, client, "Brooklyn Motors", "boss@brooklyn.example", country="US")
    contact = post(client, us, "/contacts", {"phone": "(212) 555-0123"})
    assert contact["phone"] == "+12125550123"
    seller = post(client, us, "/sellers", {"name": "Joe", "phone": "212.736.5000"})
    assert seller["phone"] == "+12127365000"
    french = post(client, us, "/contacts", {"phone": "+33 6 12 34 56 78"})
    assert french["phone"] == "+33612345678"
    found = client.get(f"{API}/contacts?phone=212-555-0123", headers=us.headers).json["items"]
    assert ids(found) == [contact["id"]]

    national_fr = client.post(
        f"{API}/contacts", headers=us.headers, json={"phone": "06 12 34 56 78"}
    )
    assert "body.phone" in {d["field"] for d in assert_error(national_fr, 422)["details"]}


def test_me_describes_the_key_owner_and_account(runner, client, admin):
    me = client.get(f"{API}/me", headers=admin.headers).json
    assert me == {
        "user_id": me["user_id"],
        "name": "boss",
        "email": "boss@dupont.example",
        "role": "admin",
        "account": {
            "id": admin.account_id,
            "name": "Garage Dupont",
            "country": "FR",
            "timezone": "Europe/Paris",
            "caller_id": None,
            "calling_rules": None,  # the test tenant asked for none
            "calling_rules_changes": None,
            "fallback_number": None,
            "attribution_days": 30,
            "outcome_attribution_days": 30,
            "sms_sender": None,  # none chosen: an SMS-capable number of the account, if any
        },
    }
    us = create_tenant(
        runner, client, "Brooklyn Motors", "boss@brooklyn.example", country="us", rules="country"
    )
    us_me = client.get(f"{API}/me", headers=us.headers).json
    assert us_me["account"]["country"] == "US"
    assert us_me["account"]["calling_rules"] == "US"  # a new account takes its country's rules
    assert us_me["account"]["timezone"] == "America/New_York"
    assert us_me["account"]["id"] != admin.account_id

    seller = post(client, admin, "/sellers", {"name": "Léa", "email": "lea@dupont.example"})
    seller_me = client.get(f"{API}/me", headers=seller_key(client, admin, seller["id"]).headers)
    assert seller_me.json["user_id"] == seller["id"]
    assert seller_me.json["role"] == "seller" and seller_me.json["email"] == "lea@dupont.example"
