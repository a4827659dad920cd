"""Journeys over many days with a frozen clock (issue 21's acceptance, on both databases):
every contact enters each step exactly once (a yearly step: once a year), on the right local
day of its own time zone, across the dealer's nightly feed (a file changing dates, then the
same file night after night), a pause under each policy and a step edited midway; each day's
entrants are a campaign planned by the delivery engine.

The oracle computes the moments from the contacts' dates with its own calendar arithmetic
and the spec's statements (below), not with the evaluation's code.
JOURNEY_DAYS (default 400, the acceptance's) sets the length, JOURNEY_CONTACTS the customer
base's size; FEED_NIGHTS how many nights the feed runs (its same file each night after the
first: each such run must change nothing).
"""

from __future__ import annotations

import calendar
import os
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.helpers import create_tenant
from voicecast.extensions import db
from voicecast.imports.feeds import start_due_feeds
from voicecast.imports.queueing import run_queued_import
from voicecast.journeys.evaluation import evaluate_journeys
from voicecast.models import Campaign, Contact, Delivery, FeedRun, JourneyEntry, JourneyRun

API = "/api/v1"
DAYS = int(os.environ.get("JOURNEY_DAYS", "400"))
CONTACTS = int(os.environ.get("JOURNEY_CONTACTS", "30"))
START = date(2027, 1, 25)  # month ends, and a leap day within 400 days (2028-02-29)
# Each zone's local day meets at least one of these UTC instants (Réunion +4, Paris +1/+2,
# Martinique -4): on busy days (the first week, the last days, and around each pause, resume,
# feed and edit) all three, so that some local days are evaluated twice; on the others the
# last alone (a day's moments are let in once a day; it keeps 400 days fast enough).
EVALUATED_AT = (time(0, 10), time(6, 10), time(21, 10))
ZONES = (None, "Indian/Reunion", "America/Martinique")  # None: the account's, Europe/Paris
ACCOUNT_ZONE = "Europe/Paris"
STEPS = [
    {"name": "Livraison", "attribute": "date_livraison", "offset": {"amount": 3, "unit": "days"}},
    {"name": "Révision", "attribute": "date_achat", "offset": {"amount": 23, "unit": "months"}},
    {"name": "Garantie", "attribute": "fin_garantie", "offset": {"amount": -60, "unit": "days"}},
    {"name": "Contrat", "attribute": "fin_contrat", "offset": {"amount": -90, "unit": "days"}},
    {"name": "Anniversaire", "attribute": "date_naissance", "offset": {"amount": 0, "unit": "days"},
     "yearly": True},
]  # fmt: skip
PAUSE_DAY, RESUME_DAY, EDIT_DAY = DAYS // 4, DAYS // 4 + 6, DAYS // 2
CATCH_UP_DAYS = 3
CONTROL_AT = time(2, 0)  # pauses, resumes and the edit happen at 02:00 UTC
# The feed: made the day before FEED_DAY with its file (some dates changed), run every night
# at FEED_RUN_AT in Paris (02:30 or 03:30 UTC), seen by the workers' pass at FEED_SEEN_AT UTC
# (between two evaluations); after FEED_NIGHTS runs the dealer's system stops it.
FEED_DAY = RESUME_DAY + 3
FEED_RUN_AT, FEED_SEEN_AT = "04:30", time(4, 0)
FEED_NIGHTS = int(os.environ.get("FEED_NIGHTS", "3"))
CHANGED = {"date_livraison": 3, "fin_garantie": -60, "fin_contrat": -90}  # attribute: offset
EVENTS = (PAUSE_DAY, RESUME_DAY, EDIT_DAY, *range(FEED_DAY - 1, FEED_DAY + FEED_NIGHTS))


def evaluated_at(n: int) -> tuple[time, ...]:
    """The UTC instants day `n` is evaluated at (all three on busy days)."""
    busy = n < 7 or n >= DAYS - 3 or any(abs(n - event) <= 3 for event in EVENTS)
    return EVALUATED_AT if busy else EVALUATED_AT[-1:]


def months_later(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def moments(step: dict, source: date, first: date, last: date) -> list[date]:
    """The step's moments of a contact's date `source` within [first, last]."""
    amount, unit = step["offset"]["amount"], step["offset"]["unit"]

    def shifted(day: date) -> date:
        if unit == "days":
            return day + timedelta(days=amount)
        return months_later(day, amount * (12 if unit == "years" else 1))

    if not step.get("yearly"):
        return [m for m in [shifted(source)] if first <= m <= last]
    found = []
    for year in range(source.year + 1, last.year + 2):
        leap_day = (source.month, source.day) == (2, 29) and not calendar.isleap(year)
        anniversary = date(year, 2, 28) if leap_day else source.replace(year=year)
        if first <= shifted(anniversary) <= last:
            found.append(shifted(anniversary))
    return found


def customer_base(account_id: int) -> list[Contact]:
    """Contacts with dates whose moments fall before, during and after the simulated days; a
    few without a date, with a date written otherwise, or with a number in its place."""
    rng = random.Random(21)
    span = DAYS + 40

    def around(shift: int) -> str:
        return (START + timedelta(days=shift + rng.randrange(-20, span))).isoformat()

    contacts = []
    for n in range(CONTACTS):
        # Purchases spread over every day of their months (the 29th to the 31st included), so
        # that 23 months later some land on a shorter month's last day.
        achat = months_later(START, -23) + timedelta(days=rng.randrange(-20, span))
        birthday = START + timedelta(days=rng.randrange(-10, span))
        leap_day = (birthday.month, birthday.day) == (2, 29)
        attributes = {
            "date_livraison": around(-3),
            "date_achat": achat.isoformat(),
            "fin_garantie": around(60),
            "fin_contrat": around(90),
            "date_naissance": "1960-02-29"
            if leap_day
            else birthday.replace(year=1950 + n % 50).isoformat(),
        }
        if n % 23 == 0:
            attributes["date_naissance"] = "1964-02-29"
        if n % 11 == 0:
            del attributes["fin_contrat"]  # no lease
        if n % 13 == 0:
            attributes["fin_garantie"] = "31/12/2027"  # not an ISO date: never a moment
        if n % 19 == 0:
            attributes["date_livraison"] = 20270301  # a number: never a moment
        zone = ZONES[n % len(ZONES)]
        contacts.append(
            Contact(account_id=account_id, phone=PHONES[zone].format(n), timezone=zone,
                    attributes=attributes)
        )  # fmt: skip
    return contacts


# Each zone's numbers (an import gives a contact its number's zone when no postal code tells).
PHONES = {None: "+33610{:06d}", "Indian/Reunion": "+262692{:06d}",
          "America/Martinique": "+596696{:06d}"}  # fmt: skip


def is_iso(value) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4] == "-"


def feed_file(contacts: list[Contact]) -> tuple[str, dict[int, dict]]:
    """The dealer's export of the customer base on FEED_DAY: each contact's number and ISO
    dates (a cell the base holds otherwise left empty: kept as it is), a fifth of them moved:
    a moment still to come 10 days later; one past (entered, if its day was met) a year later,
    a warranty or lease extended, which must not enter the step again. Returns the file and
    each contact's attributes once it is imported."""
    feed_day = START + timedelta(days=FEED_DAY)
    lines = ["Telephone;" + ";".join(CHANGED)]
    after = {}
    for n, contact in enumerate(contacts):
        attributes, cells = dict(contact.attributes), []
        for name, offset in CHANGED.items():
            if not is_iso(value := attributes.get(name)):
                cells.append("")
                continue
            day = date.fromisoformat(value)
            if n % 5 == 2:
                moment = day + timedelta(days=offset)
                if moment >= feed_day + timedelta(days=3):
                    day += timedelta(days=10)
                elif moment <= feed_day - timedelta(days=3):
                    day += timedelta(days=365)
            attributes[name] = day.isoformat()
            cells.append(day.isoformat())
        lines.append(";".join([contact.phone, *cells]))
        after[contact.id] = attributes
    return "\n".join(lines) + "\n", after


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=UTC)


def local_day(instant: datetime, zone: str | None) -> date:
    return instant.astimezone(ZoneInfo(zone or ACCOUNT_ZONE)).date()


def journey_body(name: str, policy: str) -> dict:
    window = {"days": [0, 1, 2, 3, 4, 5], "start": "09:00", "end": "19:00"}
    steps = [{**step, "campaign": {"calling_window": window, "max_attempts": 2}} for step in STEPS]
    return {"name": name, "missed_policy": policy, "catch_up_days": CATCH_UP_DAYS, "steps": steps}


@pytest.mark.timeout(max(300, DAYS * 8))
def test_every_contact_enters_each_step_once_on_its_local_day(app, runner, client, set_clock):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    with app.app_context():
        db.session.add_all(customer_base(admin.account_id))
        db.session.commit()
    created_at = at(START, time(0, 0))
    set_clock(created_at)
    journeys = {}
    for name, policy in (("steady", "skip"), ("skip", "skip"), ("catch_up", "catch_up")):
        made = client.post(
            f"{API}/journeys", headers=admin.headers, json=journey_body(name, policy)
        )
        assert made.status_code == 201, made.json
        journeys[name] = made.json
    edited_step = journeys["steady"]["steps"][0]

    evaluations: list[tuple[datetime, set[str]]] = []  # each instant, the journeys active then
    state = {"edit_at": None, "resume_at": None, "paused": set()}
    feed = {"id": None, "at": None, "before": {}}  # the first run's instant, the dates before

    def controls(n: int, day: date) -> None:
        """The day's pause, resume or edit, at CONTROL_AT (between two evaluations)."""
        set_clock(at(day, CONTROL_AT))
        if n in (PAUSE_DAY, RESUME_DAY):
            verb = "pause" if n == PAUSE_DAY else "resume"
            for name in ("skip", "catch_up"):
                path = f"{API}/journeys/{journeys[name]['id']}/{verb}"
                done = client.post(path, headers=admin.headers)
                assert done.status_code == 200, done.json
            state["paused"] = {"skip", "catch_up"} if n == PAUSE_DAY else set()
            if n == RESUME_DAY:
                state["resume_at"] = at(day, CONTROL_AT)
        if n == EDIT_DAY:
            state["edit_at"] = at(day, CONTROL_AT)
            path = f"{API}/journeys/{journeys['steady']['id']}/steps/{edited_step['id']}"
            later = {"offset": {"amount": 5, "unit": "days"}}
            changed = client.patch(path, headers=admin.headers, json=later)
            assert changed.status_code == 200, changed.json

    def feed_night(n: int, day: date) -> None:
        """The feed made with its file the day before FEED_DAY, run every night from then (the
        workers' pass at FEED_SEEN_AT UTC starts what is due), stopped after FEED_NIGHTS."""
        instant = at(day, FEED_SEEN_AT)
        set_clock(instant)
        if n == FEED_DAY - 1:
            feed["id"] = make_feed(client, admin)
            contacts = db.session.scalars(select(Contact).order_by(Contact.id)).all()
            text, _ = feed_file(contacts)
            feed["before"] = {contact.id: dict(contact.attributes) for contact in contacts}
            put_feed_file(client, admin, feed["id"], text)
        if FEED_DAY <= n < FEED_DAY + FEED_NIGHTS:
            (run_id,) = start_due_feeds(instant)
            run_queued_import(db.session.get(FeedRun, run_id).import_id)
            feed["at"] = feed["at"] or instant
        if n == FEED_DAY + FEED_NIGHTS - 1:
            stop = client.patch(f"{API}/feeds/{feed['id']}", headers=admin.headers,
                                json={"active": False})  # fmt: skip
            assert stop.status_code == 200, stop.json

    with app.app_context():
        for n in range(DAYS):
            day = START + timedelta(days=n)
            for moment in evaluated_at(n):
                if moment == EVALUATED_AT[1]:  # controls and feeds at 02:00 and 04:00 UTC
                    controls(n, day)
                    feed_night(n, day)
                instant = at(day, moment)
                set_clock(instant)
                evaluate_journeys()
                evaluations.append((instant, {"steady", "skip", "catch_up"} - state["paused"]))
        entries = db.session.execute(
            select(JourneyEntry.step_id, JourneyEntry.contact_id, JourneyEntry.occurrence,
                   JourneyEntry.moment_on, JourneyEntry.entered_on)
        ).all()  # fmt: skip
        contacts = db.session.scalars(select(Contact).order_by(Contact.id)).all()
        check_campaigns()
    if feed["id"] is not None:
        check_feed_runs(client, admin, feed["id"], min(FEED_NIGHTS, DAYS - FEED_DAY))

    got = Counter((step, contact, occurrence) for step, contact, occurrence, _, _ in entries)
    assert max(got.values()) == 1, "a contact entered a step twice"
    found = {(s, c, o): (m, e) for s, c, o, m, e in entries}
    spec = Oracle(evaluations, created_at, state["edit_at"], state["resume_at"])
    before_feed = [(instant, active) for instant, active in evaluations
                   if feed["at"] is None or instant < feed["at"]]  # fmt: skip
    spec_before = Oracle(before_feed, created_at, state["edit_at"], state["resume_at"])
    moved = Counter()
    for name, journey in journeys.items():
        for index, step in enumerate(journey["steps"]):
            wanted = {}
            for contact in contacts:
                found_for = spec.entries(name, index, contact.attributes, contact.timezone)
                attribute = STEPS[index]["attribute"]
                before = feed["before"].get(contact.id, contact.attributes)
                if before.get(attribute) != contact.attributes.get(attribute):
                    # A changed date: the old one's entry stands if it was made before the
                    # feed; else the new date's moment, when it comes.
                    old = spec_before.entries(name, index, before, contact.timezone)
                    moved["kept" if old else "moved" if found_for else "none"] += 1
                    found_for = old or found_for
                for moment_on, entered_on in found_for:
                    occurrence = moment_on.year if STEPS[index].get("yearly") else 0
                    wanted[(step["id"], contact.id, occurrence)] = (moment_on, entered_on)
            mine = {key: value for key, value in found.items() if key[0] == step["id"]}
            assert mine == wanted, (name, STEPS[index]["name"], diff(mine, wanted))
            if name == "steady" and index != 4 and DAYS * CONTACTS >= 6000:
                assert len(wanted) >= 10, f"too few moments for {STEPS[index]['name']}"
    if DAYS * CONTACTS >= 6000:  # the feed's changes met both cases
        assert moved["kept"] and moved["moved"], moved


def make_feed(client, admin) -> int:
    made = client.post(f"{API}/feeds", headers=admin.headers,
                       json={"name": "DMS", "run_at": FEED_RUN_AT})  # fmt: skip
    assert made.status_code == 201, made.json
    return made.json["id"]


def put_feed_file(client, admin, feed_id: int, text: str) -> None:
    data = {"file": (BytesIO(text.encode()), "export.csv")}
    done = client.put(f"{API}/feeds/{feed_id}/file", headers=admin.headers, data=data,
                      content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 200, done.json


def check_feed_runs(client, admin, feed_id: int, nights: int) -> None:
    """One run a night, each done; the first changed dates, every later one (the same file)
    nothing at all."""
    runs = client.get(f"{API}/feeds/{feed_id}/runs", headers=admin.headers).json["items"]
    assert [run["status"] for run in runs] == ["done"] * nights, runs
    first, *again = [run["report"] for run in runs]
    assert (first["rows"], first["created"], first["rejected"]) == (CONTACTS, 0, 0), first
    assert first["updated"] > 0
    for report in again:
        counts = (report["created"], report["updated"], report["unchanged"])
        assert counts == (0, 0, CONTACTS), report


def diff(got: dict, wanted: dict) -> dict:
    extra = {key: got[key] for key in got.keys() - wanted.keys()}
    missing = {key: wanted[key] for key in wanted.keys() - got.keys()}
    wrong = {key: (got[key], wanted[key]) for key in got.keys() & wanted.keys()
             if got[key] != wanted[key]}  # fmt: skip
    counts = (len(extra), len(missing), len(wrong))
    return {"extra": dict(list(extra.items())[:5]), "missing": dict(list(missing.items())[:5]),
            "wrong": dict(list(wrong.items())[:5]), "counts": counts}  # fmt: skip


def check_campaigns() -> None:
    """Each run's entrants, and they alone, are its campaign's deliveries, in the run's zone,
    planned (no preset: all pending) under the step's calling window and attempts."""
    runs = db.session.scalars(select(JourneyRun)).all()
    assert runs
    planned = defaultdict(set)
    for campaign_id, contact_id, zone in db.session.execute(
        select(Delivery.campaign_id, Delivery.contact_id, Delivery.timezone)
    ):
        planned[campaign_id].add((contact_id, zone))
    entrants = defaultdict(set)
    for run_id, contact_id in db.session.execute(
        select(JourneyEntry.run_id, JourneyEntry.contact_id)
    ):
        entrants[run_id].add(contact_id)
    window = journey_body("", "skip")["steps"][0]["campaign"]["calling_window"]
    for run in runs:
        assert run.campaign_id is not None
        wanted = {(contact_id, run.zone) for contact_id in entrants[run.id]}
        assert planned[run.campaign_id] == wanted and len(wanted) == run.entered, run.id
        campaign = db.session.get(Campaign, run.campaign_id)
        assert (campaign.calling_window, campaign.max_attempts) == (window, 2), run.id


class Oracle:
    """The spec, statement by statement:
    - a contact enters a step on its moment when some evaluation met that local day of its
      zone while the journey was active (the day it was created counts from its creation);
    - paused under `skip`: moments of days no evaluation met never enter, but for the
      resume's own local day (entered at the first evaluation after the resume);
    - paused under `catch_up`: those within CATCH_UP_DAYS before the resume enter at the
      first evaluation after it, on its local day;
    - the edited step: the old trigger's moments met before the edit, then the new trigger's
      met after it, from the edit's local day on, for contacts who had not entered it."""

    def __init__(self, evaluations, created_at, edit_at, resume_at) -> None:
        self.evaluations = evaluations
        self.created_at, self.edit_at, self.resume_at = created_at, edit_at, resume_at
        self.met: dict = defaultdict(set)  # (journey, zone, before edit?) -> local days

        for instant, active in evaluations:
            for name in active:
                for zone in ZONES:
                    before = edit_at is None or instant < edit_at
                    self.met[(name, zone, before)].add(local_day(instant, zone))
        self.first = local_day(created_at, None) - timedelta(days=2)
        self.last = local_day(evaluations[-1][0], None) + timedelta(days=2)

    def days_met(self, name: str, zone, before: bool | None = None) -> set[date]:
        if before is None:
            return self.met[(name, zone, True)] | self.met[(name, zone, False)]
        return self.met[(name, zone, before)]

    def entries(self, name: str, index: int, attributes: dict, zone: str | None
                ) -> list[tuple[date, date]]:  # fmt: skip
        """The (moment, entered on) of a contact with these attributes in `zone`."""
        step = STEPS[index]
        value = attributes.get(step["attribute"])
        if not is_iso(value):
            return []
        source = date.fromisoformat(value)
        zone = None if zone == ACCOUNT_ZONE else zone  # the account's, named by an import
        found = moments(step, source, self.first, self.last)
        if name == "steady" and index == 0 and self.edit_at is not None:
            return self.edited(step, source, zone)
        on_time = [(m, m) for m in found if m in self.days_met(name, zone)]
        if name == "steady" or self.resume_at is None:
            return on_time
        first_after = next(t for t, active in self.evaluations if t > self.resume_at)
        resumed_on = local_day(first_after, zone)
        # Skip: the resume's own local day counts (the journey was active for part of it),
        # even when no evaluation met it after the resume (Martinique resumes at 22:00).
        days_back = CATCH_UP_DAYS if name == "catch_up" else 0
        window_from = local_day(self.resume_at - timedelta(days=days_back), zone)
        late = [
            (m, resumed_on)
            for m in found
            if m not in self.days_met(name, zone) and window_from <= m < resumed_on
        ]
        return on_time + late

    def edited(self, step: dict, source: date, zone) -> list[tuple[date, date]]:
        old = [m for m in moments(step, source, self.first, self.last)
               if m in self.days_met("steady", zone, before=True)]  # fmt: skip
        if old:
            return [(old[0], old[0])]
        new_step = {**step, "offset": {"amount": 5, "unit": "days"}}
        edit_day = local_day(self.edit_at, zone)
        new = [m for m in moments(new_step, source, self.first, self.last)
               if m >= edit_day and m in self.days_met("steady", zone, before=False)]  # fmt: skip
        return [(m, m) for m in new[:1]]
