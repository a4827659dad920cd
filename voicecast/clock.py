"""What time it is for the application, in one place a test can set.

The models' `utcnow` (what most of the application reads) goes through `now()`, so a test that
runs the application in its own process (the Flask test client, a job run there) stops the
clock with `set_clock(moment)` (tests/conftest.py); a few modules still read `datetime.now`
directly and are to be moved here. Processes a test starts read the real
clock, which `scripts/test-at.sh` can move.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
