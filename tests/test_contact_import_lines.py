"""Property test: whatever a file holds (quotes opened and never closed, quoted cells over
several lines, blank lines, CRLF, LF or CR, a last line with or without its line break), its
report accounts for every physical line: header, blank, continuing a quoted cell, or a record,
and every record is created, updated, unchanged or rejected."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import create_tenant
from tests.test_contact_import import upload

CELLS = ["", "Ana", "Bo", "Clio", '"', '"Dupré', 'Zoe"', '"a;b"', '"x""y"', "06 12 34 00 01"]
phones = st.one_of(
    st.integers(0, 30).map(lambda n: f"06 12 34 00 {n:02d}"), st.sampled_from(["", "06 12", '"06'])
)
rows = st.one_of(
    st.tuples(phones, st.sampled_from(CELLS), st.sampled_from(CELLS)).map(";".join),
    st.just(""),
    st.just(";;"),
    st.just('"multi'),  # opens a quote a later line may close
    st.just('line"'),
)
files = st.tuples(
    st.lists(rows, max_size=25),
    st.sampled_from(["\r\n", "\n", "\r"]),
    st.booleans(),  # a line break after the last line
)


def physical_lines(text: str) -> int:
    """The file's line count, told independently of the reader: its line breaks, and one
    more when the last line has none."""
    breaks = len(re.findall(r"\r\n|\r|\n", text))
    return breaks + (1 if text and not text.endswith(("\n", "\r")) else 0)


@pytest.fixture
def tenant(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=files)
def test_the_report_accounts_for_every_physical_line(client, tenant, file):
    lines, ending, last_break = file
    text = ending.join(["Téléphone;Nom;Note", *lines]) + (ending if last_break else "")
    response = upload(client, tenant, text.encode("cp1252"))
    assert response.status_code == 201, response.json
    report = response.json["report"]
    assert response.json["status"] == "done", response.json
    counted = report["lines"]
    assert counted["lines"] == physical_lines(text)
    parts = ("header_lines", "empty_lines", "continuation_lines", "record_lines")
    assert sum(counted[part] for part in parts) == counted["lines"]
    assert counted["record_lines"] == report["rows"]
    stored = report["created"] + report["updated"] + report["unchanged"]
    assert stored + report["rejected"] == report["rows"]
    assert len(report["errors"]) == report["rejected"]
