"""The manager's view of the sellers' recordings of a journey's steps:
/api/v1/journeys/<id>/recordings (managers only, the account's journeys only)."""

from __future__ import annotations

from collections import defaultdict

from voicecast.api import bp
from voicecast.api.spec import operation
from voicecast.journeys.asked import active_sellers, asked_steps, missing_recordings
from voicecast.journeys.recordings import RECORDING_WAIT_DAYS
from voicecast.journeys.routes import TAG, get_journey
from voicecast.journeys.schemas import JourneyRecordingsOut, MissingSellerOut, StepRecordingsOut


@operation(bp, "/journeys/<int:journey_id>/recordings", "GET", tag=TAG,
           summary="Who has recorded each step", response=JourneyRecordingsOut,
           errors=(403, 404))  # fmt: skip
def journey_recordings(journey_id: int):
    """For each step whose campaigns play each seller's own message: the active sellers who
    have not recorded it yet, with the contacts held for them under the wait policy."""
    journey = get_journey(journey_id)
    missing = defaultdict(list)
    for gap in missing_recordings(journey.account_id, journey.id):
        missing[gap.step.id].append(
            MissingSellerOut(
                seller_id=gap.seller.id,
                name=gap.seller.name,
                waiting=gap.waiting,
                wait_until=gap.wait_until,
                gave_up=gap.gave_up,
            )
        )
    sellers = len(active_sellers(journey.account_id))
    steps = [
        StepRecordingsOut(
            step_id=step.id,
            name=step.name,
            purpose=step.purpose,
            script=step.script,
            recording_policy=step.recording_policy,
            recorded=sellers - len(missing[step.id]),
            missing=missing[step.id],
        )
        for _journey, step in asked_steps(journey.account_id, journey.id)
    ]
    return JourneyRecordingsOut(journey_id=journey.id, wait_days=RECORDING_WAIT_DAYS, steps=steps)
