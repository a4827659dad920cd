"""What time it is for the application, in one place a test can set.

Every reading of the time goes through `now()` (the models' `utcnow` is it), so a test that runs
the application in its own process (the Flask test client, a job run there) stops the clock
with `monkeypatch.setattr(clock, "now", lambda: moment)`. Processes a test starts read the real
clock, which `scripts/test-at.sh` can move.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
