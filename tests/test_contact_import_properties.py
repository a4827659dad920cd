"""Property test: importing files one after the other leaves every contact as an independent
model of the upsert says (a row's empty cells keep what the contact had, attributes merge,
a second row for a number is refused), and the report counts what changed exactly: created,
updated (changed), unchanged (matched, already so) and rejected. On SQLite and on
PostgreSQL, whose update paths share no code (a comparison in Python; a COPY, then UPDATE ...
FROM with IS DISTINCT FROM)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from tests.helpers import create_tenant
from tests.test_contact_import import API, upload
from voicecast.extensions import db
from voicecast.models import Contact

NAMES = ["", "", "Ana", "Bo", "Chloé"]
CARS = ["", "Clio", "Zoe", "Megane"]  # text that no type reads otherwise
rows = st.tuples(
    st.integers(0, 5),  # which number
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.sampled_from(CARS),
)
files = st.lists(st.lists(rows, min_size=1, max_size=8), min_size=1, max_size=3)


def phone(n: int) -> str:
    return f"+336123400{n:02d}"


def csv_of(file_rows: list[tuple]) -> bytes:
    lines = ["Phone,First name,Last name,Car"]
    lines += [f"06 12 34 00 {n:02d},{first},{last},{car}" for n, first, last, car in file_rows]
    return ("\n".join(lines) + "\n").encode()


def oracle_import(contacts: dict[str, dict], file_rows: list[tuple]) -> dict[str, int]:
    """Apply a file to the model `contacts` (by number); the report's counts."""
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
    seen = set()
    for n, first, last, car in file_rows:
        if n in seen:
            counts["rejected"] += 1
            continue
        seen.add(n)
        given = {"first_name": first or None, "last_name": last or None}
        attributes = {"car": car} if car else {}
        known = contacts.get(phone(n))
        if known is None:
            contacts[phone(n)] = {**given, "attributes": attributes}
            counts["created"] += 1
            continue
        after = {name: value or known[name] for name, value in given.items()}
        after["attributes"] = {**known["attributes"], **attributes}
        counts["unchanged" if after == known else "updated"] += 1
        contacts[phone(n)] = after
    return counts


@pytest.fixture
def tenant(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(imports=files)
def test_successive_imports_leave_contacts_as_the_model_says(app, client, tenant, imports):
    with app.app_context():  # one account for all examples; each starts with no contacts
        db.session.execute(delete(Contact))
        db.session.commit()
    model: dict[str, dict] = {}
    for file_rows in imports:
        made = upload(client, tenant, csv_of(file_rows))
        assert made.status_code == 201, made.json  # small: read during the request
        expected = oracle_import(model, file_rows)
        report = {key: made.json["report"][key] for key in expected}
        assert report == expected, (file_rows, made.json["report"]["errors"])
    listed = client.get(f"{API}/contacts", headers=tenant.headers, query_string={"limit": 50})
    found = {
        contact["phone"]: {
            "first_name": contact["first_name"],
            "last_name": contact["last_name"],
            "attributes": contact["attributes"],
        }
        for contact in listed.json["items"]
    }
    assert found == model
