"""Schemathesis over the whole API (issue 18): requests generated from the OpenAPI document, for
an account's admin and for one of its sellers, get no 5xx, no status the document does not
list, answers that match their documented schema, and no 400/422 for a request the document
says is valid.

The size is bounded: `API_FUZZ_EXAMPLES` requests per operation, mode and role (default 4),
generated from a fixed seed (derandomized), so CI sees the same requests each run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData

from tests.helpers import Tenant, create_tenant, seller_key
from voicecast.api.schemas import UNSTATED_RULES

API = "/api/v1"
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))


def unstated_rule(response) -> str | None:
    """The rule the document does not state that a 422 names in all its details, if any."""
    if response.status_code != 422:
        return None
    details = (response.json().get("error") or {}).get("details") or []
    kinds = {item.get("type") for item in details if isinstance(item, dict)}
    if len(kinds) == 1 and details and kinds <= set(UNSTATED_RULES):
        return kinds.pop()
    return None


@schemathesis.check
def valid_requests_accepted(ctx, response, case) -> bool | None:
    """positive_data_acceptance, but for the refusals UNSTATED_RULES declares (and the document
    describes under 422): the account's rows, the numbering plan... which are counted."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        kind = unstated_rule(response)
        if kind is None:
            raise
        UNSTATED_SEEN[kind] = UNSTATED_SEEN.get(kind, 0) + 1
        return None


UNSTATED_SEEN: dict[str, int] = {}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    valid_requests_accepted,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
SHOWN_FAILURES = 30


def valid_phones() -> list[str]:
    """Numbers valid in their numbering plan, as clients write them: the `phone` format."""
    forms = phonenumbers.PhoneNumberFormat
    found = []
    for region in ("FR", "BE", "CH", "US", "GB", "DE"):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            number = phonenumbers.example_number_for_type(region, kind)
            found.append(phonenumbers.format_number(number, forms.E164))
            found.append(phonenumbers.format_number(number, forms.INTERNATIONAL))
            if region == "FR":  # the account's country: national forms too
                found.append(phonenumbers.format_number(number, forms.NATIONAL))
    return found


schemathesis.openapi.format("phone", st.sampled_from(valid_phones()))


@dataclass
class Run:
    """What the run sent and what it found."""

    requests: int = 0
    operations: int = 0
    unsatisfiable: int = 0
    failures: list[str] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def fail(self, role: str, label: str, error: FailureGroup) -> None:
        """One failure per operation, role and kind, with the request that showed it."""
        for failure in error.exceptions:
            key = (f"{role} {label}", failure.title)
            if key not in self.seen:
                self.seen.add(key)
                self.failures.append(f"[{role}] {label}: {failure.title}\n{error}")


@pytest.fixture
def roles(runner, client) -> dict[str, Callable[[], Tenant]]:
    """The account admin's key and a seller's key, each made anew whenever a generated request
    revoked it or deactivated its user (the run may DELETE /api-keys/{id} of its own key)."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    made = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Léa"})
    seller_id = made.json["id"]
    keys = {"admin": admin, "seller": seller_key(client, admin, seller_id)}

    def working(name: str) -> Callable[[], Tenant]:
        def key() -> Tenant:
            if client.get(f"{API}/me", headers=keys[name].headers).status_code != 200:
                keys[name] = reissued(client.application, keys[name])
            return keys[name]

        return key

    return {name: working(name) for name in keys}


def reissued(app: Flask, tenant: Tenant) -> Tenant:
    """A fresh key for the user of `tenant`'s key, the user active again."""
    from voicecast.extensions import db
    from voicecast.models import ApiKey
    from voicecast.models.base import hash_secret

    with app.app_context():
        old = db.session.query(ApiKey).filter_by(key_hash=hash_secret(tenant.key)).one()
        old.user.active = True
        key, secret = ApiKey.issue(old.user, "fuzz")
        db.session.add(key)
        db.session.commit()
    return Tenant(key=secret, account_id=tenant.account_id)


def run_operation(
    client: FlaskClient, operation, mode: GenerationMode, role: str, key: Tenant, run: Run
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case) -> None:
        headers = {**(case.headers or {}), **key.headers}
        response = case.call(headers=headers)
        run.requests += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as error:
            run.fail(role, operation.label, error)

    try:
        send()
    except Unsatisfiable:  # nothing to get wrong: no parameter nor body (GET /me, negative)
        run.unsatisfiable += 1


def test_generated_requests_get_documented_answers_and_no_5xx(
    app, client, roles, record_property, database_url
):
    UNSTATED_SEEN.clear()
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    run = Run(operations=len(operations))
    started = time.monotonic()
    for role, key in roles.items():
        for operation in operations:
            current = key()
            for mode in MODES:
                run_operation(client, operation, mode, role, current, run)
    elapsed = time.monotonic() - started
    backend = database_url.split(":", 1)[0]
    record_property(  # printed at the end of the run by conftest, with or without xdist
        "summary",
        f"schemathesis on {backend}: {run.operations} operations, {len(roles)} roles, "
        f"{len(MODES)} modes, "
        f"{EXAMPLES} examples each at most: {run.requests} requests in {elapsed:.1f} s, "
        f"{len(run.failures)} failures; 422s for rules the document does not state: "
        f"{UNSTATED_SEEN or 'none'}",
    )
    shown = "\n\n".join(run.failures[:SHOWN_FAILURES])
    assert not run.failures, f"{len(run.failures)} failures, the first ones:\n\n{shown}"
