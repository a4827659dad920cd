"""Slashed dates read in the order their column writes them: a US dealer's 12/03/2024 is
December 3 (the account's order when every value reads both ways, and the report says it was
ambiguous), a column holding 01/31/2025 is month first whatever the account, a column holding
31/01/2025 day first; a value that reads only the other way is a failed cell, never swapped;
the import's date_order option overrides. Issue 22, point 1. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import assert_error, create_tenant
from tests.test_contact_import import API, finished_import, upload

MONDAY = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
US_FILE = "\n".join([
    "Phone,First name,Purchase date,Service date,Lease end,Visit,Consent date,Contract end date",
    "(213) 555-0101,Ann,12/03/2024,31/01/2025,06/01/2027,01/31/2025,12/03/2024,06/01/2027",
    "(213) 555-0102,Bob,06/01/2023,12/03/2024,01/31/2025,31/01/2025,,",
    "(213) 555-0103,Cid,2024-05-06,05/04/2024,31/31/2025,02/03/2025,,",
    "(213) 555-0104,Dee,11/10/2022,,,03/04/2025,,",
]) + "\n"  # fmt: skip


@pytest.fixture
def us_admin(runner, client):
    return create_tenant(runner, client, "Lone Star Motors", "gm@lonestar.example", country="US")


@pytest.fixture
def fr_admin(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example", country="FR")


def imported(client, tenant, run_jobs, data: str, **fields) -> dict:
    state = finished_import(
        client, tenant, upload(client, tenant, data.encode(), **fields), run_jobs
    )
    assert state["status"] == "done", state
    return state["report"]


def contacts_of(client, tenant) -> dict[str, dict]:
    items = client.get(f"{API}/contacts", headers=tenant.headers, query_string={"limit": 100})
    return {contact["first_name"]: contact for contact in items.json["items"]}


def columns_of(report: dict) -> dict[str, dict]:
    return {column["header"]: column for column in report["columns"]}


def test_a_us_file_reads_month_first_and_says_where_it_was_ambiguous(
    client, us_admin, run_jobs, set_clock
):
    set_clock(MONDAY)
    report = imported(client, us_admin, run_jobs, US_FILE)
    columns = columns_of(report)
    # Every purchase date reads both ways: the account's order, and the report says so.
    purchase = columns["Purchase date"]
    assert (purchase["type"], purchase["date_order"], purchase["ambiguous"]) == (
        "date",
        "MDY",
        True,
    )
    assert purchase["date_order_from"] == "account"
    assert "read as MM/DD/YYYY, the account's order" in purchase["date_note"]
    # 31/01/2025 reads only day first: the column is day first, 12/03/2024 is 12 March.
    service = columns["Service date"]
    assert (service["date_order"], service["ambiguous"], service["date_order_from"]) == (
        "DMY", False, "values"
    )  # fmt: skip
    assert "'31/01/2025' reads no other way" in service["date_note"]
    # 01/31/2025 reads only month first; 31/31/2025 reads no way: a failed cell, still a date.
    lease = columns["Lease end"]
    assert (lease["type"], lease["date_order"], lease["failed"]) == ("date", "MDY", 1)

    people = contacts_of(client, us_admin)
    assert people["Ann"]["attributes"]["purchase_date"] == "2024-12-03"
    assert people["Bob"]["attributes"]["purchase_date"] == "2023-06-01"
    assert people["Cid"]["attributes"]["purchase_date"] == "2024-05-06"
    assert people["Bob"]["attributes"]["service_date"] == "2024-03-12"
    assert people["Cid"]["attributes"]["service_date"] == "2024-04-05"
    assert people["Ann"]["attributes"]["lease_end"] == "2027-06-01"
    assert "lease_end" not in people["Cid"]["attributes"]
    # The legal basis's dates too: consent given 3 December, a contract until 1 June.
    assert people["Ann"]["consent"]["given_at"].startswith("2024-12-03")
    assert people["Ann"]["contract"]["ends_on"] == "2027-06-01"
    assert columns["Consent date"]["date_order"] == "MDY"
    assert columns["Consent date"]["ambiguous"] is True


def test_a_value_that_reads_only_the_other_way_is_a_failed_cell_never_swapped(
    client, us_admin, run_jobs, set_clock
):
    set_clock(MONDAY)
    report = imported(client, us_admin, run_jobs, US_FILE)
    visit = columns_of(report)["Visit"]
    # 01/31/2025 (month first) against 31/01/2025 (day first): a tie, the account's order wins.
    assert (visit["type"], visit["date_order"], visit["failed"]) == ("date", "MDY", 1)
    assert "1 cell(s) read only as DD/MM/YYYY" in visit["date_note"]
    cells = {(cell["line"], cell["column"]): cell for cell in report["cell_errors"]}
    conflict = cells[3, "Visit"]
    assert (conflict["value"], conflict["code"]) == ("31/01/2025", "date_order_conflict")
    assert conflict["reason"].startswith("'31/01/2025' reads only as DD/MM/YYYY, but this")
    impossible = cells[4, "Lease end"]
    assert (impossible["code"], impossible["reason"]) == (
        "not_a_date",
        "'31/31/2025' is not a date (MM/DD/YYYY or YYYY-MM-DD): the cell is left empty.",
    )
    assert report["failed_cells"] == 2
    people = contacts_of(client, us_admin)
    assert "visit" not in people["Bob"]["attributes"]  # left empty, not read as 31 January
    assert people["Ann"]["attributes"]["visit"] == "2025-01-31"
    assert people["Cid"]["attributes"]["visit"] == "2025-02-03"


def test_a_french_file_reads_day_first_unless_its_values_say_otherwise(
    client, fr_admin, run_jobs, set_clock
):
    set_clock(MONDAY)
    data = "Téléphone;Prénom;Date d'achat;Visite\n"
    data += "06 12 34 56 01;Jean;12/03/2024;01/31/2025\n06 12 34 56 02;Léa;05/06/2023;12/03/2024\n"
    report = imported(client, fr_admin, run_jobs, data)
    columns = columns_of(report)
    assert (columns["Date d'achat"]["date_order"], columns["Date d'achat"]["ambiguous"]) == (
        "DMY", True
    )  # fmt: skip
    assert "au format JJ/MM/AAAA, celui du compte" in columns["Date d'achat"]["date_note"]
    assert (columns["Visite"]["date_order"], columns["Visite"]["ambiguous"]) == ("MDY", False)
    people = contacts_of(client, fr_admin)
    assert people["Jean"]["attributes"]["date_d_achat"] == "2024-03-12"
    assert people["Léa"]["attributes"]["visite"] == "2024-12-03"


def test_the_date_order_option_overrides_the_account_and_the_values(
    client, us_admin, run_jobs, set_clock
):
    set_clock(MONDAY)
    option = '{"Purchase date": "DMY", "Lease end": "DMY"}'
    report = imported(client, us_admin, run_jobs, US_FILE, date_order=option)
    columns = columns_of(report)
    purchase = columns["Purchase date"]
    assert (purchase["date_order"], purchase["date_order_from"]) == ("DMY", "option")
    assert columns["Service date"]["date_order_from"] == "values"  # not named: its values
    people = contacts_of(client, us_admin)
    assert people["Ann"]["attributes"]["purchase_date"] == "2024-03-12"
    # Lease end forced day first: 01/31/2025 reads only month first, so it fails, unswapped.
    assert "lease_end" not in people["Bob"]["attributes"]
    assert people["Ann"]["attributes"]["lease_end"] == "2027-01-06"
    codes = {(cell["line"], cell["column"]): cell["code"] for cell in report["cell_errors"]}
    assert codes[3, "Lease end"] == "date_order_conflict"

    everywhere = imported(client, us_admin, run_jobs, US_FILE, date_order="DMY")
    assert {column["date_order"] for column in everywhere["columns"] if "date_order" in column} == {
        "DMY"
    }


def test_a_bad_date_order_is_refused_with_what_to_fix(client, us_admin, run_jobs):
    bad = upload(client, us_admin, US_FILE.encode(), date_order="YMD")
    error = assert_error(bad, 422)
    assert error["details"][0]["field"] == "body.date_order"
    unknown = upload(client, us_admin, US_FILE.encode(), date_order='{"Birthday": "MDY"}')
    state = finished_import(client, us_admin, unknown, run_jobs)
    assert state["status"] == "failed"
    assert state["error"] == "date_order names columns the file does not have: ['Birthday']."
