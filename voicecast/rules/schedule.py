"""The hours a campaign may call: its own window narrowed by its account's preset, read in
each contact's time zone (in each of its zones when it has two: its postal code's and its
number's, and open only when open in both), closed on the preset country's public holidays,
and narrowed by the rules of the contact's states (`for_regions`: US state rules)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from voicecast.rules.holidays_by_zone import holiday_name
from voicecast.rules.presets import Preset
from voicecast.rules.us_states import StateRule, rules_for

Intervals = tuple[tuple[time, time], ...]
# For each state whose rule is closed now, the zones (of those asked) where it is.
ClosedStates = dict[str, list[str]]
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead a schedule is searched for its next opening (holidays never close a year).
HORIZON_DAYS = 366
# Steps at most in the search for a moment open in every zone of a contact (each step moves to
# the latest of the zones' next openings; two zones meet within a few).
MEETING_STEPS = 64


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def intersect(first: Intervals, second: Intervals) -> Intervals:
    """The parts of `first` that are also in `second`."""
    both = []
    for start, end in first:
        for other_start, other_end in second:
            lower, upper = max(start, other_start), min(end, other_end)
            if lower < upper:
                both.append((lower, upper))
    return tuple(sorted(both))


@lru_cache(maxsize=1024)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class Schedule:
    """Open intervals [start, end) of local time for each weekday (Monday = 0), closed on the
    public holidays of `holidays` (a country code) when set."""

    hours: tuple[Intervals, ...]  # seven entries, Monday first
    holidays: str | None = None
    state_rules: tuple[StateRule, ...] = ()  # the preset's, which `for_regions` picks from
    applied: tuple[StateRule, ...] = ()  # those of the contact's states: all must allow a call

    @classmethod
    def of(cls, window: dict[str, Any], preset: Preset | None) -> Schedule:
        """A campaign's window (`{"days", "start", "end"}`), narrowed by `preset`."""
        own = ((parse_hhmm(window["start"]), parse_hhmm(window["end"])),)
        days = set(window["days"]) & (set(preset.days) if preset else set(range(7)))
        hours = tuple(
            (intersect(own, preset.hours) if preset else own) if day in days else ()
            for day in range(7)
        )
        if preset is None:
            return cls(hours)
        return cls(hours, preset.holidays, preset.state_rules)

    def for_regions(self, regions: str | None) -> Schedule:
        """This schedule for a contact in `regions` (its states, "FL TX"): narrowed by each
        of their rules, read in each of its zones."""
        return for_regions(self, regions) if regions and self.state_rules else self

    @property
    def ever_open(self) -> bool:
        return any(self.hours)

    def holiday(self, zone: str, day: date) -> str | None:
        return holiday_name(self.holidays, zone, day) if self.holidays else None

    def closed_because(self, zone: str, moment: datetime) -> str | None:
        """None when calls may be placed in `zone` at `moment`, else "hours", the name of the
        public holiday that closes the day, or the reason of the state rule that closes the
        moment ("state_hours:FL": outside its hours or days, or its holiday)."""
        local = moment.astimezone(zone_info(zone))
        now = local.time()
        if not any(start <= now < end for start, end in self.hours[local.weekday()]):
            return "hours"
        if (holiday := self.holiday(zone, local.date())) is not None:
            return holiday
        for rule in self.applied:
            if not rule.allows(local):
                return rule.hours_reason
        return None

    def is_open(self, zone: str, moment: datetime) -> bool:
        return self.closed_because(zone, moment) is None

    def closed_in(self, zones: Sequence[str | None], moment: datetime) -> tuple[str, str] | None:
        """None when calls may be placed at `moment` in every one of `zones` (a contact's zone
        and its second one; None: no second), else the first closed zone and why."""
        for zone in zones:
            if zone and (closed := self.closed_because(zone, moment)) is not None:
                return zone, closed
        return None

    def closed_states(self, zones: Sequence[str], moment: datetime) -> ClosedStates:
        """For each state rule of the preset, the zones among `zones` where this schedule is
        open at `moment` but the rule is closed (the dispatcher's round leaves their
        contacts in that state there)."""
        closed: ClosedStates = {}
        for rule in self.state_rules:
            narrowed = self.for_regions(rule.code)
            shut = [zone for zone in zones if not narrowed.is_open(zone, moment)]
            if shut:
                closed[rule.code] = shut
        return closed

    def next_opening_in(self, zones: Sequence[str | None], moment: datetime) -> datetime | None:
        """The first moment from `moment` when calls may be placed in every one of `zones`
        (None: not within a year)."""
        named = [zone for zone in zones if zone]
        limit = moment + timedelta(HORIZON_DAYS)
        for _ in range(MEETING_STEPS):
            openings = [self.next_opening(zone, moment) for zone in named]
            if any(opening is None for opening in openings):
                return None
            latest = max(openings)
            if latest > limit:
                return None
            if all(self.is_open(zone, latest) for zone in named):
                return latest
            moment = latest
        return None

    def next_opening(self, zone: str, moment: datetime) -> datetime | None:
        """`moment` if open then, else when calls may next be placed in `zone` (None: never
        within a year)."""
        for opens, _ in self.open_intervals(zone, moment, moment + timedelta(HORIZON_DAYS)):
            return opens
        return None

    def open_intervals(
        self, zone: str, start: datetime, end: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals of `zone` between `start` and `end`, clipped to them, in order,
        in `start`'s time zone."""
        tz = zone_info(zone)
        day = start.astimezone(tz).date()
        last = end.astimezone(tz).date()
        while day <= last:
            for opens_at, closes_at in self.day_hours(zone, day):
                opens = datetime.combine(day, opens_at, tzinfo=tz).astimezone(start.tzinfo)
                closes = datetime.combine(day, closes_at, tzinfo=tz).astimezone(start.tzinfo)
                opens, closes = max(opens, start), min(closes, end)
                if opens < closes:
                    yield opens, closes
            day += timedelta(days=1)

    def day_hours(self, zone: str, day: date) -> Intervals:
        """The open hours of `day` in `zone`: none on a public holiday or a day a state rule
        closes, else the day's hours within every applied state rule's."""
        hours = self.hours[day.weekday()]
        if not hours or self.holiday(zone, day):
            return ()
        for rule in self.applied:
            if rule.closed_on(day):
                return ()
            hours = intersect(hours, rule.hours_on(day.weekday()))
        return hours

    def describe(self) -> dict[str, Any]:
        return {
            "hours": {
                DAY_NAMES[day]: [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in intervals]
                for day, intervals in enumerate(self.hours)
                if intervals
            },
            "closed_on_public_holidays_of": self.holidays,
            "state_rules": sorted(rule.code for rule in self.state_rules),
        }


@lru_cache(maxsize=1024)
def for_regions(schedule: Schedule, regions: str) -> Schedule:
    return replace(schedule, applied=rules_for(regions, schedule.state_rules))
