"""Calling windows: the days and hours a campaign may call, in the contact's local time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_open(window: dict[str, Any], zone: str, moment: datetime) -> bool:
    local = moment.astimezone(ZoneInfo(zone))
    start, end = parse_hhmm(window["start"]), parse_hhmm(window["end"])
    return local.weekday() in window["days"] and start <= local.time() < end


def next_opening(window: dict[str, Any], zone: str, moment: datetime) -> datetime:
    """`moment` if the window is open then, else when it next opens (at most 8 days on)."""
    if is_open(window, zone, moment):
        return moment
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    start = parse_hhmm(window["start"])
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).date()
        opening = datetime.combine(day, start, tzinfo=tz)
        if opening > local and day.weekday() in window["days"]:
            return opening.astimezone(moment.tzinfo)
    raise ValueError("the calling window has no open day")
