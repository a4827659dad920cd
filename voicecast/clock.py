"""What time it is for the application, in one place a test can set.

The models' `utcnow` (what most of the application reads) goes through `now()`, so a test that
runs the application in its own process (the Flask test client, a job run there) stops the
clock with `set_clock(moment)` (tests/conftest.py); a few modules still read `datetime.now`
directly and are to be moved here. Processes a test starts read the real
clock, which `scripts/test-at.sh` can move.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today_in(zone: str) -> date:
    """The date it is now in `zone` (an IANA name): the day an account's "2 years ago" and a
    contract's last day are counted from, which UTC's date is not for an hour or more a day."""
    return now().astimezone(ZoneInfo(zone)).date()
