"""The OpenAPI document and the server agree (issue 18): what the server refuses the document
refuses too, what the document allows the server takes, and every answer is documented."""

from __future__ import annotations

import io

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.helpers import Tenant, assert_error, create_tenant, seller_key
from voicecast.api.schemas import UNSTATED_RULES

API = "/api/v1"
DOC_URI = "urn:voicecast:openapi"


@pytest.fixture
def admin(runner, client) -> Tenant:
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


@pytest.fixture
def doc(client) -> dict:
    return client.get(f"{API}/openapi.json").json


def validator(doc: dict, pointer: str) -> Draft202012Validator:
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry = Registry().with_resource(DOC_URI, resource)
    return Draft202012Validator({"$ref": f"{DOC_URI}#{pointer}"}, registry=registry)


def body_schema(doc: dict, model: str) -> Draft202012Validator:
    return validator(doc, f"/components/schemas/{model}")


# Bodies the server refuses for their form (not for the account's state): the document must
# refuse them too, so that a client validating against it learns before sending.
REFUSED = [
    ("/contacts", "ContactCreate", {"phone": "metrics flush failed"}),
    ("/sellers", "SellerCreate", {"name": "Léa", "phone": "n/a"}),
    (
        "/sellers",
        "SellerCreate",
        {"name": "Léa", "available_hours": {"start": "9h", "end": "18:00"}},
    ),
    ("/webhooks", "WebhookCreate", {"url": "ftp://crm.example.com/", "events": ["opt_out"]}),
    (
        "/webhooks",
        "WebhookCreate",
        {"url": "https://crm.example.com:99999/", "events": ["opt_out"]},
    ),
    ("/contacts/consents", "ConsentBatch", {"consents": [{"source": "web form"}]}),
    (
        "/contacts/consents",
        "ConsentBatch",
        {"consents": [{"contact_id": 1, "phone": "0612345678", "source": "web form"}]},
    ),
]


@pytest.mark.parametrize(("path", "model", "body"), REFUSED)
def test_what_the_server_refuses_for_its_form_the_document_refuses(
    client, admin, doc, path, model, body
):
    error = assert_error(client.post(f"{API}{path}", headers=admin.headers, json=body), 422)
    assert not {item["type"] for item in error["details"]} & set(UNSTATED_RULES), error
    assert not body_schema(doc, model).is_valid(body), f"{model} allows {body}"


def test_a_whole_number_written_with_a_fraction_is_the_integer(client, admin, doc):
    """JSON has one kind of number, and the document's integers take 3600.0: so does the API."""
    body = {
        "name": "Entretien",
        "audience": {"kind": "all"},
        "retry_delays_seconds": [3600.0, 86400],
        "max_attempts": 3.0,
    }
    assert body_schema(doc, "CampaignCreate").is_valid(body)
    created = client.post(f"{API}/campaigns", headers=admin.headers, json=body)
    assert created.status_code == 201, created.json
    assert created.json["retry_delays_seconds"] == [3600, 86400]
    assert created.json["max_attempts"] == 3
    half = {**body, "retry_delays_seconds": [3600.5]}
    assert_error(client.post(f"{API}/campaigns", headers=admin.headers, json=half), 422)


def test_a_calling_window_ending_before_it_starts_is_a_stated_rule(client, admin, doc):
    body = {"name": "Léa", "available_hours": {"start": "18:00", "end": "09:00"}}
    error = assert_error(client.post(f"{API}/sellers", headers=admin.headers, json=body), 422)
    assert [item["type"] for item in error["details"]] == ["window"]
    described = doc["paths"][f"{API}/sellers"]["post"]["responses"]["422"]["description"]
    assert "window: a calling window's start is not before its end" in described


def test_a_number_added_twice_answers_200_and_the_document_says_so(client, admin, doc):
    url = f"{API}/suppressions"
    first = client.post(url, headers=admin.headers, json={"phone": "0612345678"})
    again = client.post(url, headers=admin.headers, json={"phone": "06 12 34 56 78"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    responses = doc["paths"][url]["post"]["responses"]
    assert {"200", "201"} <= set(responses)
    validator(doc, "/components/schemas/SuppressionOut").validate(again.json)


def test_a_small_import_read_at_once_answers_201_and_the_document_says_so(client, admin, doc):
    upload = {"file": (io.BytesIO(b"phone\n0612345678\n"), "contacts.csv")}
    made = client.post(f"{API}/contacts/import", headers=admin.headers, data=upload)
    assert made.status_code == 201, made.json
    responses = doc["paths"][f"{API}/contacts/import"]["post"]["responses"]
    assert {"201", "202"} <= set(responses)
    assert made.json["report"]["created"] == 1


def test_removing_a_listed_number_answers_the_documented_204(client, admin, doc):
    made = client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": "0612345678"})
    gone = client.delete(f"{API}/suppressions/{made.json['id']}", headers=admin.headers)
    assert gone.status_code == 204
    assert "204" in doc["paths"][f"{API}/suppressions/{{suppression_id}}"]["delete"]["responses"]


def test_a_seller_reading_an_import_gets_the_documented_403(client, admin, doc):
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Léa"}).json
    key = seller_key(client, admin, seller["id"])
    assert_error(client.get(f"{API}/contacts/imports/1", headers=key.headers), 403)
    assert "403" in doc["paths"][f"{API}/contacts/imports/{{import_id}}"]["get"]["responses"]


def test_form_fields_and_query_parameters_are_never_null_in_the_document(doc):
    """A form field or a query string has no null: the document offers none (schemathesis sent
    seller_id=null to POST /recordings, which the server cannot read as a number)."""
    form = doc["paths"][f"{API}/recordings"]["post"]["requestBody"]["content"]
    seller_id = form["multipart/form-data"]["schema"]["properties"]["seller_id"]
    assert seller_id["type"] == "integer" and "anyOf" not in seller_id
    for item in doc["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []):
                assert "null" not in str(param["schema"]), param


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "0612345678", "first_name": "Zo\u0000é"},
        {"phone": "0612345678", "attributes": {"vil\u0000le": "Lyon"}},
        {"phone": "0612345678", "attributes": {"ville": "Ly\u0000on"}},
    ],
)
def test_a_nul_character_the_server_refuses_is_refused_by_the_document(client, admin, doc, body):
    error = assert_error(client.post(f"{API}/contacts", headers=admin.headers, json=body), 422)
    assert [item["type"] for item in error["details"]] == ["nul"]
    assert not body_schema(doc, "ContactCreate").is_valid(body)
