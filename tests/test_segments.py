"""Segments: a manager's saved filter ("bought over 2 years ago, in Lyon, with a servicing
contract") counts and lists the right contacts, in the database, and a campaign targets it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from tests.helpers import assert_error, create_tenant
from voicecast.job_worker import JobWorker
from voicecast.queues import PLANNING, get_queue
from voicecast.redis_client import get_redis
from voicecast.segments.filters import shift

API = "/api/v1"
TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def application_today(set_clock) -> None:
    """The filters count dates back from the account's today (Paris): stop the clock on
    TODAY, which this machine's date may not be, away from midnight."""
    set_clock(datetime.combine(TODAY, time(10), tzinfo=UTC))


def iso(**ago: int) -> str:
    ((unit, amount),) = ago.items()
    return shift(TODAY, unit, amount).isoformat()


# (phone, attributes): who bought when, where, with or without a servicing contract.
CUSTOMERS = [
    ("0611111101", {"achat": iso(years_ago=3), "ville": "Lyon", "contrat": True, "km": 61000}),
    ("0611111102", {"achat": iso(years_ago=3), "ville": "Lyon", "contrat": False, "km": 42000}),
    ("0611111103", {"achat": iso(months_ago=6), "ville": "Lyon", "contrat": True, "km": 9000}),
    ("0611111104", {"achat": iso(years_ago=5), "ville": "Paris", "contrat": True, "km": "n/a"}),
    ("0611111105", {"achat": iso(years_ago=2, ), "ville": "Lyon 3e", "contrat": True}),
    ("0611111106", {"ville": "Lyon", "contrat": True, "km": 120000}),
]  # fmt: skip
MAINTENANCE = {"all": [
    {"field": "attr.achat", "op": "before", "value": {"years_ago": 2}},
    {"field": "attr.ville", "op": "contains", "value": "lyon"},
    {"field": "attr.contrat", "op": "eq", "value": True},
]}  # fmt: skip


@pytest.fixture
def admin(runner, client):
    tenant = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    contacts = [{"phone": phone, "attributes": attrs} for phone, attrs in CUSTOMERS]
    made = client.post(f"{API}/contacts/bulk", headers=tenant.headers, json={"contacts": contacts})
    assert made.json["created"] == len(CUSTOMERS), made.json
    return tenant


def preview(client, admin, filter_) -> tuple[int, list[str]]:
    made = client.post(
        f"{API}/segments", headers=admin.headers, json={"name": "test", "filter": filter_}
    )
    assert made.status_code == 201, made.json
    shown = client.get(f"{API}/segments/{made.json['id']}/preview", headers=admin.headers).json
    return shown["count"], [contact["phone"][-2:] for contact in shown["sample"]]


def test_the_maintenance_segment_finds_exactly_its_customers(client, admin):
    # 05 bought exactly two years ago today: not before.
    assert preview(client, admin, MAINTENANCE) == (1, ["01"])


def test_years_ago_count_from_the_account_s_day_not_utc_s(client, admin, set_clock):
    """At half past midnight in Paris on 27 November (still the 26th in UTC), customer 05's
    purchase two years ago on 26 November is before 27 November 2024: "bought over 2 years
    ago" takes it in, as a French manager reading the calendar expects."""
    set_clock(datetime.combine(TODAY, time(23, 30), tzinfo=UTC))
    assert preview(client, admin, MAINTENANCE) == (2, ["01", "05"])


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"field": "attr.km", "op": "gt", "value": 50000}, ["01", "06"]),
        ({"field": "attr.km", "op": "between", "value": [9000, 42000]}, ["02", "03"]),
        ({"field": "attr.km", "op": "missing"}, ["05"]),
        ({"field": "attr.km", "op": "exists"}, ["01", "02", "03", "04", "06"]),
        ({"field": "attr.ville", "op": "in", "value": ["Paris", "Lyon 3e"]}, ["04", "05"]),
        ({"field": "attr.ville", "op": "ne", "value": "Lyon"}, ["04", "05"]),
        ({"field": "attr.contrat", "op": "ne", "value": True}, ["02"]),
        ({"field": "attr.achat", "op": "after", "value": {"months_ago": 12}}, ["03"]),
        ({"not": {"field": "attr.contrat", "op": "eq", "value": True}}, ["02"]),
        ({"any": [{"field": "attr.ville", "op": "eq", "value": "Paris"},
                  {"field": "attr.km", "op": "lt", "value": 10000}]}, ["03", "04"]),
        ({"field": "phone", "op": "eq", "value": "+33611111104"}, ["04"]),
        ({"field": "line_type", "op": "eq", "value": "mobile"},
         ["01", "02", "03", "04", "05", "06"]),
    ],
)  # fmt: skip
def test_each_operator_matches_what_it_says(client, admin, filter_, expected):
    assert preview(client, admin, filter_) == (len(expected), expected)


@pytest.mark.parametrize(
    ("filter_", "field", "words"),
    [
        ({"field": "attr.km", "op": "like", "value": 1}, "body.filter.op", "use one of"),
        ({"field": "colour", "op": "eq", "value": "red"}, "body.filter.field", "attr.<name>"),
        ({"all": []}, "body.filter.all", "non-empty list"),
        ({"all": [{"field": "attr.a", "op": "eq"}]}, "body.filter.all[0].value", "a value"),
        ({"field": "attr.a", "op": "lt", "value": True}, "body.filter.value", "eq or ne"),
        ({"field": "attr.a", "op": "before", "value": {"weeks_ago": 2}}, "body.filter.value",
         "relative date"),
    ],
)  # fmt: skip
def test_a_filter_that_cannot_work_is_refused_with_where_and_why(
    client, admin, filter_, field, words
):
    error = assert_error(
        client.post(
            f"{API}/segments", headers=admin.headers, json={"name": "x", "filter": filter_}
        ),
        422,
    )
    (detail,) = error["details"]
    assert detail["field"] == field and words in detail["message"], detail


def test_segments_belong_to_their_account(runner, client, admin):
    made = client.post(
        f"{API}/segments", headers=admin.headers, json={"name": "Entretien", "filter": MAINTENANCE}
    ).json
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    assert_error(client.get(f"{API}/segments/{made['id']}/preview", headers=other.headers), 404)
    campaign = client.post(f"{API}/campaigns", headers=other.headers, json={
        "name": "x", "audience": {"kind": "segment", "segment_id": made["id"]}})  # fmt: skip
    assert assert_error(campaign, 422)["details"][0]["field"] == "body.audience.segment_id"
    renamed = client.patch(
        f"{API}/segments/{made['id']}", headers=admin.headers, json={"name": "Entretien 2 ans"}
    )
    assert renamed.json["name"] == "Entretien 2 ans" and renamed.json["filter"] == MAINTENANCE
    assert client.delete(f"{API}/segments/{made['id']}", headers=admin.headers).status_code == 204
    assert_error(client.get(f"{API}/segments/{made['id']}", headers=admin.headers), 404)


def test_a_campaign_over_a_segment_plans_its_contacts_only(app, runner, client, admin, run_jobs):
    """(run_jobs: its teardown closes the database connections of the jobs' application.)"""
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    segment = client.post(
        f"{API}/segments", headers=admin.headers, json={"name": "Lyon", "filter": {
            "field": "attr.ville", "op": "eq", "value": "Lyon"}})  # fmt: skip
    assert planned(app, client, admin, segment.json["id"]) == ["01", "02", "03", "06"]


def planned(app, client, admin, segment_id: int) -> list[str]:
    """A campaign over the segment launched and planned: its contacts' numbers' last digits."""
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": "Campagne", "audience": {"kind": "segment", "segment_id": segment_id}
    }).json  # fmt: skip
    url = f"{API}/campaigns/{campaign['id']}"
    assert client.post(f"{url}/launch", headers=admin.headers).status_code == 202
    with app.app_context():
        JobWorker([get_queue(PLANNING)], connection=get_redis()).work(burst=True)
    deliveries = client.get(f"{url}/deliveries", headers=admin.headers).json["items"]
    return sorted(d["phone"][-2:] for d in deliveries)


def test_a_campaign_launched_after_midnight_in_paris_plans_by_paris_s_day(
    app, runner, client, admin, run_jobs, set_clock
):
    """Launched at 00:30 in Paris (23:30 UTC the day before), the maintenance campaign takes
    in customer 05, whose purchase is two years old by Paris's day, as its preview says."""
    set_clock(datetime.combine(TODAY, time(23, 30), tzinfo=UTC))
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    segment = client.post(
        f"{API}/segments", headers=admin.headers, json={"name": "Entretien", "filter": MAINTENANCE}
    )
    assert planned(app, client, admin, segment.json["id"]) == ["01", "05"]
