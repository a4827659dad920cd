"""Planning in bounded transactions: chunks of contacts, each committed with the campaign's
cursor, so a plan killed midway resumes where it stopped and plans no contact twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from tests.helpers import create_tenant
from voicecast.delivery import planning
from voicecast.extensions import db
from voicecast.jobs import PLAN_CAMPAIGN
from voicecast.models import Campaign, CampaignStatus, Contact, Delivery, DeliveryStatus

API = "/api/v1"
CONTACTS = 10
CHUNK = 3


class WorkerDied(Exception):
    """Stands for the worker's death between two chunks."""


@contextmanager
def watched_inserts(fail_at: int | None = None) -> Iterator[list[int]]:
    """The rows each INSERT into deliveries wrote, in order, on any engine (the jobs build an
    app of their own); the `fail_at`-th (from 1) raises WorkerDied before it runs."""
    written: list[int] = []
    seen = [0]

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DELIVERIES"):
            seen[0] += 1
            if seen[0] == fail_at:
                raise WorkerDied

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DELIVERIES"):
            written.append(cursor.rowcount)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield written
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


@pytest.fixture
def planning_campaign(app, runner, client) -> int:
    """A campaign over CONTACTS contacts, launched: planning, nothing planned yet."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    for n in range(CONTACTS):
        made = client.post(
            f"{API}/contacts", headers=admin.headers, json={"phone": f"+336123456{n:02d}"}
        )
        assert made.status_code == 201, made.json
    campaign = client.post(
        f"{API}/campaigns", headers=admin.headers, json={"name": "X", "audience": {"kind": "all"}}
    ).json

    with app.app_context():
        db.session.get(Campaign, campaign["id"]).status = CampaignStatus.PLANNING  # launched
        db.session.commit()
    return campaign["id"]


def deliveries_per_contact(campaign_id: int) -> dict[int, int]:

    stmt = (
        select(Delivery.contact_id, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.contact_id)
    )
    return dict(db.session.execute(stmt).all())


def test_a_plan_killed_after_its_first_chunk_resumes_and_plans_each_contact_once(
    app, planning_campaign
):

    with app.app_context():
        with watched_inserts(fail_at=2) as written, pytest.raises(WorkerDied):
            planning.plan_in_chunks(planning_campaign, size=CHUNK)
        db.session.rollback()
        assert written == [CHUNK], "the first chunk was written, then the worker died"
        campaign = db.session.get(Campaign, planning_campaign)
        assert campaign.status == CampaignStatus.PLANNING
        assert sum(deliveries_per_contact(planning_campaign).values()) == CHUNK  # committed

        with watched_inserts() as written:
            added = planning.plan_in_chunks(planning_campaign, size=CHUNK)
        assert added == CONTACTS - CHUNK
        assert max(written) <= CHUNK, f"rows per transaction: {written}"
        contacts = set(db.session.scalars(select(Contact.id)))
        planned = deliveries_per_contact(planning_campaign)
        assert set(planned) == contacts and set(planned.values()) == {1}
        campaign = db.session.get(Campaign, planning_campaign, populate_existing=True)
        assert campaign.status == CampaignStatus.RUNNING
        assert campaign.zones == ["Europe/Paris"]
        # A plan job run again (revived while this one finished) finds nothing to plan.
        assert planning.plan_in_chunks(planning_campaign, size=CHUNK) is None
        assert set(deliveries_per_contact(planning_campaign).values()) == {1}


def test_the_plan_job_writes_no_chunk_over_its_size(app, planning_campaign, run_jobs, monkeypatch):

    monkeypatch.setattr(planning, "CHUNK_CONTACTS", CHUNK, raising=False)
    with app.app_context():
        PLAN_CAMPAIGN.enqueue(planning_campaign)
        with watched_inserts() as written:
            run_jobs()
        assert written and max(written) <= CHUNK, f"rows per transaction: {written}"
        assert set(deliveries_per_contact(planning_campaign).values()) == {1}
        assert len(deliveries_per_contact(planning_campaign)) == CONTACTS
        # Planned, then dispatched (every contact lacks a seller: excluded, so completed).
        assert db.session.get(Campaign, planning_campaign).status == CampaignStatus.COMPLETED


def test_a_chunk_with_a_number_planned_already_skips_it_and_the_plan_goes_on(
    app, planning_campaign, run_jobs, monkeypatch
):

    monkeypatch.setattr(planning, "CHUNK_CONTACTS", CHUNK, raising=False)
    with app.app_context():
        contacts = list(db.session.scalars(select(Contact).order_by(Contact.id)))
        taken = contacts[CHUNK + 1]  # in the second chunk
        # Set-up: its number was planned for a contact who had it before (since changed).
        db.session.add(
            Delivery(
                campaign_id=planning_campaign,
                account_id=taken.account_id,
                phone=taken.phone,
                status=DeliveryStatus.PENDING,
            )
        )
        db.session.commit()
        PLAN_CAMPAIGN.enqueue(planning_campaign)
        run_jobs()
        assert db.session.get(Campaign, planning_campaign).status != CampaignStatus.PLANNING
        planned = deliveries_per_contact(planning_campaign)
        assert planned == {None: 1} | {c.id: 1 for c in contacts if c.id != taken.id}
