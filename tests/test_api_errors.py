"""Bad requests get a 4xx in the API's error shape, never a 500."""

from __future__ import annotations

import base64
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Tenant, assert_error, create_tenant, field_errors

API = "/api/v1"
PHONE = "0612345678"
TOO_BIG_ID = 2**63
HUGE_CURSOR = base64.urlsafe_b64encode(str(10**21).encode()).decode().rstrip("=")


@pytest.fixture
def admin(runner, client) -> Tenant:
    return create_tenant(runner, client, "Garage Dupont", "boss@dupont.example")


@pytest.fixture
def objects(client, admin) -> dict[str, int]:
    """A seller and a contact assigned to it."""
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Léa"}).json
    contact = client.post(
        f"{API}/contacts", headers=admin.headers, json={"phone": PHONE, "seller_id": seller["id"]}
    ).json
    return {"seller": seller["id"], "contact": contact["id"]}


def send(client, admin: Tenant, method: str, path: str, body, **ids: int):
    """`body` is sent as is when bytes, else as JSON."""
    url = API + path.format(**ids)
    if isinstance(body, bytes):
        return client.open(
            url, method=method, headers=admin.headers, data=body, content_type="application/json"
        )
    return client.open(url, method=method, headers=admin.headers, json=body)


# --- Bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sellers", b'{"name": "L'),
        ("/sellers", b"{'name': 'single quotes'}"),
        ("/contacts", b""),
        ("/contacts", b'{"phone": "\xff\xfe"}'),
    ],
    ids=["truncated", "single-quotes", "empty", "not-utf8"],
)
def test_malformed_json_is_a_400(client, admin, path, body):
    assert_error(send(client, admin, "POST", path, body), 400, "invalid_json")


BAD_FIELDS = [
    # (method, path, body, the field named in details)
    ("POST", "/sellers", [{"name": "Léa"}], "body"),
    ("POST", "/sellers", "Léa", "body"),
    ("POST", "/sellers", {"name": 5}, "body.name"),
    ("POST", "/sellers", {"name": ["Léa"]}, "body.name"),
    ("POST", "/sellers", {"name": ""}, "body.name"),
    ("POST", "/sellers", {"name": "   "}, "body.name"),
    ("POST", "/sellers", {"name": "x" * 201}, "body.name"),
    ("POST", "/sellers", {"name": "Léa", "email": "not-an-email"}, "body.email"),
    ("POST", "/sellers", {"name": "Léa", "email": "x" * 250 + "@a.fr"}, "body.email"),
    ("POST", "/sellers", {"name": "Léa", "phone": "+33 1"}, "body.phone"),
    ("POST", "/sellers", {"name": "Léa", "phone": "0" * 40}, "body.phone"),
    ("POST", "/sellers", {"name": "Lé\u0000a"}, "body.name"),
    ("POST", "/sellers", {}, "body.name"),
    ("POST", "/contacts", {"phone": "06 12"}, "body.phone"),
    ("POST", "/contacts", {"phone": "hello there"}, "body.phone"),
    ("POST", "/contacts", {"phone": 612345679}, "body.phone"),
    ("POST", "/contacts", {"first_name": "Ana"}, "body.phone"),
    ("POST", "/contacts", {"phone": "0612345679", "seller_id": "3"}, "body.seller_id"),
    ("POST", "/contacts", {"phone": "0612345679", "seller_id": 3.0}, "body.seller_id"),
    ("POST", "/contacts", {"phone": "0612345679", "seller_id": True}, "body.seller_id"),
    ("POST", "/contacts", {"phone": "0612345679", "seller_id": TOO_BIG_ID}, "body.seller_id"),
    ("POST", "/contacts", {"phone": "0612345679", "seller_id": 999_999}, "body.seller_id"),
    ("POST", "/contacts", {"phone": "0612345679", "first_name": "x" * 101}, "body.first_name"),
    ("POST", "/contacts", {"phone": "0612345679", "last_name": "a\u0000"}, "body.last_name"),
    ("POST", "/contacts", {"phone": "0612345679", "attributes": []}, "body.attributes"),
    (
        "POST",
        "/contacts",
        {"phone": "0612345679", "attributes": {"a": {"b": 1}}},
        "body.attributes",
    ),
    (
        "POST",
        "/contacts",
        {"phone": "0612345679", "attributes": {"a": "\u0000"}},
        "body.attributes",
    ),
    ("POST", "/contacts", b'{"phone": "0612345679", "attributes": {"a": NaN}}', "body.attributes"),
    (
        "POST",
        "/contacts",
        b'{"phone": "0612345679", "attributes": {"a": 1e999}}',
        "body.attributes",
    ),
    (
        "POST",
        "/contacts",
        {"phone": "0612345679", "attributes": {str(n): n for n in range(101)}},
        "body.attributes",
    ),
    ("POST", "/api-keys", {}, "body.name"),
    ("POST", "/api-keys", {"name": "x", "user_id": "1"}, "body.user_id"),
    ("POST", "/api-keys", {"name": "x", "user_id": TOO_BIG_ID}, "body.user_id"),
    ("PATCH", "/sellers/{seller}", {"name": None}, "body.name"),
    ("PATCH", "/sellers/{seller}", {"active": None}, "body.active"),
    ("PATCH", "/sellers/{seller}", {"active": "false"}, "body.active"),
    ("PATCH", "/sellers/{seller}", {"phone": "123"}, "body.phone"),
    ("PATCH", "/contacts/{contact}", {"phone": None}, "body.phone"),
    ("PATCH", "/contacts/{contact}", {"attributes": None}, "body.attributes"),
    ("PATCH", "/contacts/{contact}", {"seller_id": TOO_BIG_ID}, "body.seller_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_FIELDS)
def test_invalid_fields_are_a_422_naming_the_field(
    client, admin, objects, method, path, body, field
):
    before = client.get(f"{API}/contacts/{objects['contact']}", headers=admin.headers).json
    error = assert_error(
        send(client, admin, method, path, body, **objects), 422, "validation_error"
    )
    named = field_errors(error)
    assert any(name == field or name.startswith(field + ".") for name in named), named

    after = client.get(f"{API}/contacts/{objects['contact']}", headers=admin.headers).json
    assert after == before
    sellers = client.get(f"{API}/sellers", headers=admin.headers).json["items"]
    assert [(s["name"], s["active"]) for s in sellers] == [("Léa", True)]
    assert len(client.get(f"{API}/contacts", headers=admin.headers).json["items"]) == 1


@pytest.mark.parametrize(
    ("path", "body", "allowed"),
    [
        ("/sellers", {"name": "Léa", "nickname": "L"}, "email, name, phone"),
        ("/sellers", {"name": "Léa", "active": False}, "email, name, phone"),
        ("/contacts", {"phone": "0612345679", "city": "Lyon"}, "attributes, email, external_id"),
        ("/api-keys", {"name": "x", "scopes": ["all"]}, "name, user_id"),
    ],
)
def test_unknown_fields_are_refused_and_allowed_ones_listed(client, admin, path, body, allowed):
    error = assert_error(send(client, admin, "POST", path, body), 422)
    unknown = next(key for key in body if key not in ("name", "phone"))
    assert allowed in field_errors(error)[f"body.{unknown}"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"name": "Léa"}', "text/plain"),
        ("name=L%C3%A9a", "application/x-www-form-urlencoded"),
        ('{"name": "Léa"}', None),
    ],
)
def test_a_body_that_is_not_json_is_a_415(client, admin, data, content_type):
    response = client.post(
        f"{API}/sellers", headers=admin.headers, data=data, content_type=content_type
    )
    assert_error(response, 415, "unsupported_media_type")
    assert client.get(f"{API}/sellers", headers=admin.headers).json["items"] == []


def oversized_contact(limit: int) -> bytes:
    """A contact that would be valid, were it not larger than `limit` bytes."""
    return json.dumps({"phone": PHONE, "attributes": {"note": "x" * limit}}).encode()


def test_a_body_over_the_limit_is_a_413(app, client, admin):
    limit = app.config["API_MAX_JSON_BYTES"]
    response = send(client, admin, "POST", "/contacts", oversized_contact(limit))
    error = assert_error(response, 413, "payload_too_large")
    assert error["details"] == {"limit": limit}
    assert client.get(f"{API}/contacts", headers=admin.headers).json["items"] == []


def test_a_streamed_body_over_the_limit_is_a_413(app, client, admin):
    """Chunked upload: no Content-Length, the server marks the stream's end (as gunicorn does)."""
    limit = app.config["API_MAX_JSON_BYTES"]
    response = client.post(
        f"{API}/contacts",
        headers={**admin.headers, "Transfer-Encoding": "chunked"},
        content_type="application/json",
        environ_overrides={
            "wsgi.input": io.BytesIO(oversized_contact(limit)),
            "wsgi.input_terminated": True,
        },
    )
    assert_error(response, 413, "payload_too_large")
    assert client.get(f"{API}/contacts", headers=admin.headers).json["items"] == []


def test_a_streamed_body_under_the_limit_is_read(client, admin):
    body = json.dumps({"phone": PHONE}).encode()
    response = client.post(
        f"{API}/contacts",
        headers={**admin.headers, "Transfer-Encoding": "chunked"},
        content_type="application/json",
        environ_overrides={"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
    )
    assert response.status_code == 201, response.json


# --- URLs, methods and query strings ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sellers/999999"),
        ("PATCH", "/sellers/999999"),
        ("POST", "/sellers/999999/deactivate"),
        ("GET", "/contacts/999999"),
        ("PATCH", "/contacts/999999"),
        ("DELETE", "/contacts/999999"),
        ("GET", "/api-keys/999999"),
        ("DELETE", "/api-keys/999999"),
        ("GET", "/sellers/abc"),
        ("GET", "/contacts/1.5"),
        ("DELETE", "/contacts/-1"),
        ("GET", "/sellers/0"),
        ("GET", f"/contacts/{TOO_BIG_ID}"),
        ("PATCH", f"/sellers/{TOO_BIG_ID}"),
        ("DELETE", f"/api-keys/{10**30}"),
        ("GET", "/nothing-here"),
        ("GET", "/sellers/1/nothing"),
    ],
)
def test_unknown_objects_and_routes_are_a_json_404(client, admin, method, path):
    response = client.open(API + path, method=method, headers=admin.headers, json={})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/sellers", {"GET", "POST"}),
        ("DELETE", "/sellers", {"GET", "POST"}),
        ("DELETE", "/sellers/{seller}", {"GET", "PATCH"}),
        ("GET", "/sellers/{seller}/deactivate", {"POST"}),
        ("PUT", "/contacts/{contact}", {"GET", "PATCH", "DELETE"}),
        ("POST", "/me", {"GET"}),
    ],
)
def test_wrong_method_is_a_405_with_allow(client, admin, objects, method, path, allowed):
    url = API + path.format(**objects)
    response = client.open(url, method=method, headers=admin.headers, json={})
    assert_error(response, 405, "method_not_allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/contacts", "limit=0", "query.limit"),
        ("/contacts", "limit=-5", "query.limit"),
        ("/contacts", "limit=abc", "query.limit"),
        ("/contacts", "limit=100000", "query.limit"),
        ("/sellers", "limit=1.5", "query.limit"),
        ("/api-keys", "color=red", "query.color"),
        ("/contacts", "sort=name", "query.sort"),
        ("/contacts", "cursor=not-a-cursor", "query.cursor"),
        ("/contacts", "cursor=%25%25", "query.cursor"),
        ("/contacts", f"cursor={HUGE_CURSOR}", "query.cursor"),
        ("/sellers", "cursor=x", "query.cursor"),
        ("/contacts", "seller_id=abc", "query.seller_id"),
        ("/contacts", f"seller_id={TOO_BIG_ID}", "query.seller_id"),
        ("/contacts", "phone=12", "query.phone"),
        ("/contacts", "q=" + "a" * 101, "query.q"),
        ("/contacts", "q=a%00b", "query.q"),
        ("/contacts", "attr.city=Ly%00on", "query.attr.city"),
        ("/contacts", "attr.=Lyon", "query.attr."),
        ("/sellers", "active=maybe", "query.active"),
    ],
)
def test_bad_query_parameters_are_a_422(client, admin, objects, path, query, field):
    error = assert_error(client.get(f"{API}{path}?{query}", headers=admin.headers), 422)
    assert field in field_errors(error)


# --- Conflicts ----------------------------------------------------------------------------


def test_duplicate_phone_is_a_409_naming_the_existing_contact(client, admin, objects):
    same = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": "+33612345678"})
    error = assert_error(same, 409, "conflict")
    assert error["details"] == {"existing_id": objects["contact"]}

    other = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": "0698765432"})
    moved = client.patch(
        f"{API}/contacts/{other.json['id']}",
        headers=admin.headers,
        json={"phone": "06.12.34.56.78"},
    )
    assert assert_error(moved, 409)["details"] == {"existing_id": objects["contact"]}
    kept = client.get(f"{API}/contacts/{other.json['id']}", headers=admin.headers).json
    assert kept["phone"] == "+33698765432"


def test_the_same_phone_is_free_in_another_account(runner, client, admin, objects):
    other = create_tenant(runner, client, "Garage Martin", "boss@martin.example")
    created = client.post(f"{API}/contacts", headers=other.headers, json={"phone": PHONE})
    assert created.status_code == 201


def test_duplicate_email_is_a_409(client, admin, objects):
    taken = client.post(
        f"{API}/sellers",
        headers=admin.headers,
        json={"name": "Eve", "email": "BOSS@dupont.example"},
    )
    assert_error(taken, 409, "conflict")
    patched = client.patch(
        f"{API}/sellers/{objects['seller']}",
        headers=admin.headers,
        json={"email": "boss@dupont.example"},
    )
    assert_error(patched, 409, "conflict")
    seller = client.get(f"{API}/sellers/{objects['seller']}", headers=admin.headers).json
    assert seller["email"] is None


# --- Random bodies ------------------------------------------------------------------------

# Edge cases that once reached the database: NUL, ids past 32 bits, NaN and infinities.
EDGES = st.sampled_from(["a\x00b", "%", "_", 2**31, 2**63, -1, 0, float("nan"), float("-inf")])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    EDGES,
    st.sampled_from(["06 12 34 56 78", "+33612345678", "a@b.fr", "Léa", ""]),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# Mostly what a field could hold (a scalar, or a flat object for attributes), sometimes anything.
FIELD_VALUES = st.one_of(
    SCALARS, EDGES, st.dictionaries(st.text(max_size=8), SCALARS | EDGES, max_size=3), ANY_JSON
)
MOBILES = st.from_regex(r"\A061[0-9]{7}\Z")  # valid in a French account, rarely twice
# (method, path, a valid body, the fields that each get the random value in turn)
TARGETS = [
    (
        "POST",
        "/contacts",
        {"phone": MOBILES},
        ("phone", "first_name", "email", "seller_id", "attributes", "unknown"),
    ),
    ("POST", "/sellers", {"name": st.just("Léa")}, ("name", "email", "phone", "unknown")),
    ("PATCH", "/contacts/{contact}", {}, ("last_name", "seller_id", "attributes", "phone")),
    ("PATCH", "/sellers/{seller}", {}, ("name", "email", "phone", "active")),
]


def bodies(target: tuple, value: object) -> st.SearchStrategy:
    """The target's valid body with `value` in each of its fields in turn, or `value` alone."""
    method, path, base, fields = target
    valid = st.fixed_dictionaries(base)
    each = valid.map(lambda body: [{**body, name: value} for name in fields] + [value])
    return each.map(lambda all_bodies: (method, path, all_bodies))


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    # The fixtures (one account, one database) are shared by all examples on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=st.tuples(st.sampled_from(TARGETS), FIELD_VALUES).flatmap(lambda args: bodies(*args)))
def test_random_json_bodies_never_cause_a_500(client, admin, objects, case):
    method, path, all_bodies = case
    for body in all_bodies:
        # allow_nan: Python writes NaN and Infinity, which some JSON clients send too.
        raw = json.dumps(body, allow_nan=True).encode()
        response = send(client, admin, method, path, raw, **objects)
        assert response.status_code < 500, (raw, response.get_data(as_text=True))
        if response.status_code >= 400:
            assert_error(response, response.status_code)
