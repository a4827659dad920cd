"""Bearer keys, tenancy and roles, with accounts made by the real CLI and a real RQ worker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import Tenant, add_manager, assert_error, create_tenant, seller_key

API = "/api/v1"


@pytest.fixture
def admin(runner, client) -> Tenant:
    return create_tenant(runner, client, "Garage Dupont", "boss@dupont.example")


def new_seller(client, admin: Tenant, name: str = "Léa") -> int:
    created = client.post(f"{API}/sellers", headers=admin.headers, json={"name": name})
    assert created.status_code == 201, created.json
    return created.json["id"]


def new_contact(client, admin: Tenant, phone: str, seller_id: int | None = None) -> int:
    body = {"phone": phone, "seller_id": seller_id}
    created = client.post(f"{API}/contacts", headers=admin.headers, json=body)
    assert created.status_code == 201, created.json
    return created.json["id"]


def new_key(client, admin: Tenant, user_id: int | None = None) -> dict:
    created = client.post(
        f"{API}/api-keys", headers=admin.headers, json={"name": "CRM sync", "user_id": user_id}
    )
    assert created.status_code == 201, created.json
    return created.json


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- Keys ---------------------------------------------------------------------------------


def test_key_printed_by_account_create_works(client, admin):
    response = client.get(f"{API}/sellers", headers=admin.headers)
    assert response.status_code == 200
    assert response.json == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "{key}",  # the key without a scheme
        "Token {key}",
        "Basic {key}",
        "Bearer ",
        "Bearer vc_not-a-key-we-issued",
    ],
    ids=["missing", "no-scheme", "token-scheme", "basic-scheme", "empty", "unknown"],
)
def test_requests_without_a_valid_key_get_401(client, admin, authorization):
    headers = (
        {} if authorization is None else {"Authorization": authorization.format(key=admin.key)}
    )
    response = client.get(f"{API}/sellers", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_refused_at_once(client, admin):
    key = new_key(client, admin)
    assert client.get(f"{API}/sellers", headers=bearer(key["key"])).status_code == 200

    assert client.delete(f"{API}/api-keys/{key['id']}", headers=admin.headers).status_code == 204

    assert_error(client.get(f"{API}/sellers", headers=bearer(key["key"])), 401)
    assert client.get(f"{API}/sellers", headers=admin.headers).status_code == 200
    shown = client.get(f"{API}/api-keys/{key['id']}", headers=admin.headers).json
    assert shown["revoked_at"] is not None
    # Revoking again changes nothing.
    assert client.delete(f"{API}/api-keys/{key['id']}", headers=admin.headers).status_code == 204
    again = client.get(f"{API}/api-keys/{key['id']}", headers=admin.headers).json
    assert again["revoked_at"] == shown["revoked_at"]


def test_deactivated_sellers_key_is_refused_until_reactivated(client, admin):
    seller_id = new_seller(client, admin)
    seller = seller_key(client, admin, seller_id)
    assert client.get(f"{API}/me", headers=seller.headers).status_code == 200

    deactivated = client.post(f"{API}/sellers/{seller_id}/deactivate", headers=admin.headers)
    assert deactivated.status_code == 200 and deactivated.json["active"] is False
    assert_error(client.get(f"{API}/me", headers=seller.headers), 401)

    patched = client.patch(
        f"{API}/sellers/{seller_id}", headers=admin.headers, json={"active": True}
    )
    assert patched.status_code == 200 and patched.json["active"] is True
    assert client.get(f"{API}/me", headers=seller.headers).json["user_id"] == seller_id


def test_secret_is_shown_only_when_the_key_is_created(client, admin):
    key = new_key(client, admin)
    assert key["key"].startswith(key["prefix"]) and len(key["key"]) > len(key["prefix"]) + 20

    listed = client.get(f"{API}/api-keys", headers=admin.headers)
    shown = client.get(f"{API}/api-keys/{key['id']}", headers=admin.headers)
    assert [item["id"] for item in listed.json["items"]][-1] == key["id"]
    for response in (listed, shown):
        assert response.status_code == 200
        assert key["key"] not in response.get_data(as_text=True)
    assert "key" not in shown.json
    assert all("key" not in item for item in listed.json["items"])


def test_last_use_is_recorded_by_a_worker_at_most_every_five_minutes(client, admin, run_jobs):
    key = new_key(client, admin)
    run_jobs()  # the admin's own uses so far
    before = datetime.now(UTC)
    assert client.get(f"{API}/sellers", headers=bearer(key["key"])).status_code == 200

    shown = client.get(f"{API}/api-keys/{key['id']}", headers=admin.headers).json
    assert shown["last_used_at"] is None  # recorded by a worker, not by the request

    assert run_jobs() == 1
    used_at = client.get(f"{API}/api-keys/{key['id']}", headers=admin.headers).json["last_used_at"]
    assert used_at is not None
    assert before <= datetime.fromisoformat(used_at) <= datetime.now(UTC)

    assert client.get(f"{API}/contacts", headers=bearer(key["key"])).status_code == 200
    assert run_jobs() == 0
    again = client.get(f"{API}/api-keys/{key['id']}", headers=admin.headers).json["last_used_at"]
    assert again == used_at


# --- Tenancy ------------------------------------------------------------------------------


@pytest.fixture
def other_account(runner, client) -> dict:
    """Account B, with a seller, a contact assigned to it and a key for the seller."""
    b = create_tenant(runner, client, "Garage Martin", "boss@martin.example")
    seller_id = new_seller(client, b, "Hugo")
    contact_id = new_contact(client, b, "0612345678", seller_id)
    key = new_key(client, b, seller_id)
    return {"tenant": b, "seller": seller_id, "contact": contact_id, "key": key}


FOREIGN_REQUESTS = [
    ("GET", "/sellers/{seller}", None),
    ("PATCH", "/sellers/{seller}", {"name": "Taken over"}),
    ("POST", "/sellers/{seller}/deactivate", None),
    ("GET", "/contacts/{contact}", None),
    ("PATCH", "/contacts/{contact}", {"first_name": "Taken over"}),
    ("DELETE", "/contacts/{contact}", None),
    ("GET", "/api-keys/{key_id}", None),
    ("DELETE", "/api-keys/{key_id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), FOREIGN_REQUESTS)
def test_another_accounts_objects_are_not_found(client, admin, other_account, method, path, body):
    ids = {**other_account, "key_id": other_account["key"]["id"]}
    url = API + path.format(**ids)
    response = client.open(url, method=method, headers=admin.headers, json=body)
    assert_error(response, 404, "not_found")

    b = other_account["tenant"]
    seller = client.get(f"{API}/sellers/{ids['seller']}", headers=b.headers).json
    assert seller["name"] == "Hugo" and seller["active"] is True
    contact = client.get(f"{API}/contacts/{ids['contact']}", headers=b.headers).json
    assert contact["first_name"] is None
    assert client.get(f"{API}/me", headers=bearer(other_account["key"]["key"])).status_code == 200


def test_another_accounts_objects_never_appear_in_lists(client, admin, other_account):
    own_seller = new_seller(client, admin)
    own_contact = new_contact(client, admin, "0698765432", own_seller)
    sellers = client.get(f"{API}/sellers", headers=admin.headers).json["items"]
    contacts = client.get(f"{API}/contacts", headers=admin.headers).json["items"]
    keys = client.get(f"{API}/api-keys", headers=admin.headers).json["items"]
    assert [s["id"] for s in sellers] == [own_seller]
    assert [c["id"] for c in contacts] == [own_contact]
    assert other_account["key"]["id"] not in [k["id"] for k in keys]
    by_seller = client.get(
        f"{API}/contacts",
        headers=admin.headers,
        query_string={"seller_id": other_account["seller"]},
    )
    assert by_seller.json["items"] == []


def test_another_accounts_users_cannot_be_used(client, admin, other_account):
    contact = client.post(
        f"{API}/contacts",
        headers=admin.headers,
        json={"phone": "0611111111", "seller_id": other_account["seller"]},
    )
    assert "body.seller_id" in {d["field"] for d in assert_error(contact, 422)["details"]}
    key = client.post(
        f"{API}/api-keys",
        headers=admin.headers,
        json={"name": "x", "user_id": other_account["seller"]},
    )
    assert "body.user_id" in {d["field"] for d in assert_error(key, 422)["details"]}


# --- Roles --------------------------------------------------------------------------------


@pytest.fixture
def team(client, admin) -> dict:
    """Two sellers with a contact each, and a key for the first seller."""
    lea, hugo = new_seller(client, admin, "Léa"), new_seller(client, admin, "Hugo")
    return {
        "lea": lea,
        "hugo": hugo,
        "lea_contact": new_contact(client, admin, "0611111111", lea),
        "hugo_contact": new_contact(client, admin, "0622222222", hugo),
        "unassigned": new_contact(client, admin, "0633333333"),
        "lea_key": seller_key(client, admin, lea),
    }


def test_seller_sees_only_itself_and_its_contacts(client, team):
    headers = team["lea_key"].headers
    assert client.get(f"{API}/me", headers=headers).json["role"] == "seller"
    sellers = client.get(f"{API}/sellers", headers=headers).json["items"]
    assert [s["id"] for s in sellers] == [team["lea"]]
    assert_error(client.get(f"{API}/sellers/{team['hugo']}", headers=headers), 404)

    contacts = client.get(f"{API}/contacts", headers=headers).json["items"]
    assert [c["id"] for c in contacts] == [team["lea_contact"]]
    assert client.get(f"{API}/contacts/{team['lea_contact']}", headers=headers).status_code == 200
    for other in (team["hugo_contact"], team["unassigned"]):
        assert_error(client.get(f"{API}/contacts/{other}", headers=headers), 404)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/sellers", {"name": "New"}),
        ("PATCH", "/sellers/{lea}", {"name": "Renamed"}),
        ("POST", "/sellers/{lea}/deactivate", None),
        ("POST", "/contacts", {"phone": "0644444444"}),
        ("PATCH", "/contacts/{lea_contact}", {"first_name": "Renamed"}),
        ("DELETE", "/contacts/{lea_contact}", None),
    ],
)
def test_seller_may_not_change_sellers_or_contacts(client, admin, team, method, path, body):
    url = API + path.format(**team)
    response = client.open(url, method=method, headers=team["lea_key"].headers, json=body)
    assert_error(response, 403, "forbidden")

    seller = client.get(f"{API}/sellers/{team['lea']}", headers=admin.headers).json
    assert seller["name"] == "Léa" and seller["active"] is True
    contacts = client.get(f"{API}/contacts", headers=admin.headers).json["items"]
    assert len(contacts) == 3 and all(c["first_name"] is None for c in contacts)


def test_seller_lists_and_creates_only_its_own_keys(client, admin, team):
    headers = team["lea_key"].headers
    own = client.post(f"{API}/api-keys", headers=headers, json={"name": "my phone"})
    assert own.status_code == 201 and own.json["user_id"] == team["lea"]
    listed = client.get(f"{API}/api-keys", headers=headers).json["items"]
    assert {k["user_id"] for k in listed} == {team["lea"]} and len(listed) == 2
    for_hugo = client.post(
        f"{API}/api-keys", headers=headers, json={"name": "x", "user_id": team["hugo"]}
    )
    assert_error(for_hugo, 403)


def admin_key_id(client, admin: Tenant) -> int:
    me = client.get(f"{API}/me", headers=admin.headers).json
    keys = client.get(f"{API}/api-keys", headers=admin.headers).json["items"]
    return next(k["id"] for k in keys if k["user_id"] == me["user_id"])


def test_manager_manages_sellers_but_not_the_admin(runner, client, admin, team):
    manager = add_manager(runner, admin.account_id, "manager@dupont.example")
    assert client.get(f"{API}/me", headers=manager.headers).json["role"] == "manager"
    admin_id = client.get(f"{API}/me", headers=admin.headers).json["user_id"]

    for_admin = client.post(
        f"{API}/api-keys", headers=manager.headers, json={"name": "x", "user_id": admin_id}
    )
    assert_error(for_admin, 403, "forbidden")
    revoke = client.delete(f"{API}/api-keys/{admin_key_id(client, admin)}", headers=manager.headers)
    assert_error(revoke, 403, "forbidden")
    assert client.get(f"{API}/me", headers=admin.headers).status_code == 200

    for_seller = client.post(
        f"{API}/api-keys", headers=manager.headers, json={"name": "x", "user_id": team["hugo"]}
    )
    assert for_seller.status_code == 201
    assert (
        client.get(f"{API}/me", headers=bearer(for_seller.json["key"])).json["user_id"]
        == (team["hugo"])
    )
    contacts = client.get(f"{API}/contacts", headers=manager.headers).json["items"]
    assert len(contacts) == 3


def test_admin_creates_keys_for_anyone_in_the_account(runner, client, admin):
    manager = add_manager(runner, admin.account_id, "manager@dupont.example")
    manager_id = client.get(f"{API}/me", headers=manager.headers).json["user_id"]
    key = new_key(client, admin, manager_id)
    me = client.get(f"{API}/me", headers=bearer(key["key"])).json
    assert me["user_id"] == manager_id and me["role"] == "manager"
