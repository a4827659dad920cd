"""The OpenAPI document describes the API that really runs, and real answers match it."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.helpers import Tenant, create_tenant, seller_key

API = "/api/v1"
DOC_URI = "urn:voicecast:openapi"
METHODS = {"get", "post", "put", "patch", "delete"}
# A valid body for each request schema, to reach the checks past validation.
SAMPLE_BODIES = {
    "SellerCreate": {"name": "Zoé"},
    "SellerUpdate": {"name": "Zoé"},
    "ContactCreate": {"phone": "0699999999"},
    "ContactUpdate": {"first_name": "Zoé"},
    "ApiKeyCreate": {"name": "script"},
    "LinkCreate": {"ttl_hours": 24},
    "CampaignCreate": {"name": "Entretien 2 ans", "audience": {"kind": "all"}},
    "CampaignUpdate": {"name": "Entretien"},
    "JourneyCreate": {
        "name": "Après-vente",
        "steps": [
            {
                "name": "Livraison",
                "attribute": "date_livraison",
                "offset": {"amount": 3, "unit": "days"},
            }
        ],
    },
    "JourneyUpdate": {"name": "Après-vente"},
    "StepFields": {
        "name": "Garantie",
        "attribute": "fin_garantie",
        "offset": {"amount": -60, "unit": "days"},
    },
    "StepUpdate": {"offset": {"amount": 5, "unit": "days"}},
    "BulkImport": {"contacts": [{"phone": "0699999998"}]},
    "FeedFields": {"name": "DMS nocturne", "run_at": "04:30"},
    "FeedUpdate": {"active": False},
    "SuppressionCreate": {"phone": "0699999997"},
    "SegmentCreate": {
        "name": "Lyon",
        "filter": {"field": "attr.ville", "op": "eq", "value": "Lyon"},
    },
    "SegmentUpdate": {"name": "Lyon"},
    "ConsentIn": {"source": "web form"},
    "ConsentBatch": {"consents": [{"phone": "0699999999", "source": "web form"}]},
    "OutcomeIn": {"reference": "RDV-1", "kind": "appointment_booked", "phone": "0699999999"},
    "OutcomeBatch": {
        "outcomes": [
            {"reference": "OR-1", "kind": "repair_order", "external_id": "C-1", "amount": 249.9}
        ]
    },
    "RefusalIn": {},
    "AccountUpdate": {"calling_rules": "none"},
    "ContractIn": {"kind": "servicing contract"},
    "NumberCreate": {"number": "+33159000042"},
    "NumberUpdate": {"friendly_name": "Accueil"},
    "WebhookCreate": {"url": "https://crm.example.com/voicecast", "events": ["opt_out"]},
    "WebhookUpdate": {"active": False},
}


@pytest.fixture
def doc(client) -> dict:
    response = client.get(f"{API}/openapi.json")  # no key: the document is public
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def json_body(op: dict) -> str | None:
    """The name of the operation's JSON request body schema, if it takes one."""
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def fill(path: str, ids: dict[str, int]) -> str:
    """The path with real ids where we have them, else an id that names nothing."""
    return re.sub(r"{(\w+)}", lambda m: str(ids.get(m.group(1), 999999)), path)


def resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def response_validator(doc: dict, path: str, method: str, status: int) -> Draft202012Validator:
    """Checks a JSON body against the documented response, $refs resolved in the document."""
    response = doc["paths"][path][method]["responses"][str(status)]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry = Registry().with_resource(DOC_URI, resource)
    return Draft202012Validator({"$ref": DOC_URI + ref}, registry=registry)


# --- The document itself ------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_route_is_documented_and_every_documented_route_exists(app, doc):
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, method, _ in operations(doc)}
    assert routes == documented
    assert len(routes) >= 15


def test_every_operation_lists_its_error_responses(doc):
    for path, method, op in operations(doc):
        responses = op["responses"]
        expected = set()
        if op.get("security") != []:
            expected.add("401")
        if "{" in path:
            expected.add("404")
        if "requestBody" in op:  # JSON bodies can also be malformed (400)
            expected |= {"413", "415", "422"} | ({"400"} if json_body(op) else set())
        if any(p["in"] == "query" for p in op["parameters"]):
            expected.add("422")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


def test_only_the_documentation_is_public(doc):
    public = {(path, method) for path, method, op in operations(doc) if op.get("security") == []}
    assert public == {(f"{API}/openapi.json", "get"), (f"{API}/docs", "get")}
    assert doc["security"] == [{"bearer": []}]


def test_request_bodies_refuse_unknown_fields(doc):
    names = {json_body(op) for _, _, op in operations(doc)} - {None}
    assert names, "no JSON request body found"
    for name in names:
        schema = resolve(doc, {"$ref": f"#/components/schemas/{name}"})
        assert schema["additionalProperties"] is False, name


def test_every_request_body_has_a_sample_here(doc):
    names = {json_body(op) for _, _, op in operations(doc)} - {None}
    missing = names - set(SAMPLE_BODIES)
    assert not missing, f"add a valid body for {sorted(missing)} to SAMPLE_BODIES in this file"


def test_docs_page_lists_every_operation_without_a_key(client, doc):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path, _, op in operations(doc):
        assert f"<code>{path}</code>" in page
        assert op["operationId"] in page


# --- Real answers against the document ----------------------------------------------------


@pytest.fixture
def admin(runner, client) -> Tenant:
    return create_tenant(runner, client, "Garage Dupont", "boss@dupont.example")


def test_created_seller_matches_its_schema(client, admin, doc):
    created = client.post(
        f"{API}/sellers",
        headers=admin.headers,
        json={"name": "Léa", "email": "lea@dupont.example", "phone": "0612345678"},
    )
    assert created.status_code == 201
    validator = response_validator(doc, f"{API}/sellers", "post", 201)
    validator.validate(created.json)
    assert not validator.is_valid({**created.json, "active": "yes"})  # the schema has teeth


def test_contact_list_matches_its_schema(client, admin, doc):
    client.post(
        f"{API}/contacts",
        headers=admin.headers,
        json={"phone": "0612345678", "first_name": "Ana", "attributes": {"city": "Lyon", "y": 2}},
    )
    listed = client.get(f"{API}/contacts?limit=1", headers=admin.headers)
    assert listed.status_code == 200 and len(listed.json["items"]) == 1
    validator = response_validator(doc, f"{API}/contacts", "get", 200)
    validator.validate(listed.json)
    assert not validator.is_valid({"items": [{"id": 1}], "next_cursor": None})


def test_errors_match_the_error_schema(client, admin, doc):
    invalid = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": 33})
    missing = client.get(f"{API}/contacts/999999", headers=admin.headers)
    for response, path, method in (
        (invalid, f"{API}/contacts", "post"),
        (missing, f"{API}/contacts/{{contact_id}}", "get"),
    ):
        validator = response_validator(doc, path, method, response.status_code)
        validator.validate(response.json)
        assert not validator.is_valid({"error": {"code": 1}})


@pytest.fixture
def world(client, admin) -> dict:
    """Real ids to put in URLs, and a seller's key to be refused with."""
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Léa"}).json
    contact = client.post(
        f"{API}/contacts", headers=admin.headers, json={"phone": "0612345678"}
    ).json
    key = client.post(f"{API}/api-keys", headers=admin.headers, json={"name": "other"}).json
    ids = {"seller_id": seller["id"], "contact_id": contact["id"], "key_id": key["id"]}
    return {"ids": ids, "seller": seller_key(client, admin, seller["id"])}


def attempts(client, admin: Tenant, world: dict, path: str, method: str, op: dict):
    """Requests that fail in every documented way we can provoke, without changing anything."""
    url = fill(path, world["ids"])
    yield client.open(url, method=method)
    if "{" in path:
        yield client.open(fill(path, {}), method=method, headers=admin.headers)
    if any(p["in"] == "query" for p in op["parameters"]):
        yield client.open(url + "?limit=0", method=method, headers=admin.headers)
    name = json_body(op)
    if name not in SAMPLE_BODIES:  # no body, or not JSON (test_every_request_body_has_a_sample)
        if method != "get":
            yield client.open(url, method=method, headers=world["seller"].headers)
        return
    sample = SAMPLE_BODIES[name]
    yield client.open(url, method=method, headers=world["seller"].headers, json=sample)
    yield client.open(url, method=method, headers=admin.headers, json={**sample, "unknown": 1})
    yield client.open(
        url, method=method, headers=admin.headers, data="{", content_type="application/json"
    )
    yield client.open(
        url, method=method, headers=admin.headers, data="x", content_type="text/plain"
    )
    too_big = client.application.config["API_MAX_JSON_BYTES"] + 1
    yield client.open(
        url,
        method=method,
        headers=admin.headers,
        content_type="application/json",
        data=b'{"name": "' + b"x" * too_big + b'"}',
    )


def test_every_error_we_can_provoke_is_documented_and_matches(client, admin, doc, world):
    provoked = set()
    for path, method, op in operations(doc):
        for response in attempts(client, admin, world, path, method, op):
            status = response.status_code
            assert status < 500
            if status < 400 or op.get("security") == []:
                continue
            assert str(status) in op["responses"], (method, path, status, response.json)
            response_validator(doc, path, method, status).validate(response.json)
            provoked.add(status)
    assert provoked == {400, 401, 403, 404, 413, 415, 422}
