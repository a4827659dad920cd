"""`human_policy=connect`: a person who answers a drop is put through to the seller, the way a
callback is (`voicecast.callbacks.twiml`): the seller's phone rings from the number the drop
came from, for RING_SECONDS; the seller hears who picked up and must press 1, so that their
own voicemail cannot take the call; the Dial's action hears how it went, and when the seller
did not take it the person hears the seller's message instead of silence.

The documents here are served by `telephony/routes.py` under `/twilio/attempts/<id>/...`.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from voicecast import driver_sql
from voicecast.callbacks.twiml import RING_SECONDS, WHISPER_WAIT_SECONDS
from voicecast.callbacks.wording import ACCEPT_KEY, spoken_number, texts_for
from voicecast.delivery.calls import play_then_hang_up
from voicecast.media.public_urls import public_url
from voicecast.media.signing import file_url

TAKEN = "completed"  # DialCallStatus of a seller who took the call


def connect_twiml(attempt_id: int, seller_phone: str | None, caller_id: str | None) -> str | None:
    """The person's leg: ring the seller (None when there is no seller's phone to ring)."""
    if not seller_phone:
        return None
    response = VoiceResponse()
    dial = Dial(
        caller_id=caller_id or None,
        timeout=RING_SECONDS,
        action=public_url("twilio.connected", attempt_id=attempt_id),
        answer_on_bridge=True,
    )
    dial.number(seller_phone, url=public_url("twilio.whisper", attempt_id=attempt_id))
    response.append(dial)
    return str(response)


WHO = (
    "SELECT d.phone, c.name, ac.country FROM attempts a"
    " JOIN deliveries d ON d.id = a.delivery_id JOIN campaigns c ON c.id = a.campaign_id"
    " JOIN accounts ac ON ac.id = c.account_id WHERE a.id = :attempt_id"
)


def whisper(attempt_id: int) -> str | None:
    """The seller's leg before the bridge: who picked up, and press 1 (else it hangs up)."""
    _, rows = driver_sql.execute(WHO, {"attempt_id": attempt_id})
    driver_sql.commit()
    if not rows:
        return None
    phone, campaign, country = rows[0]
    texts = texts_for(country)
    text = texts["drop_whisper"].format(caller=spoken_number(phone, country), campaign=campaign)
    response = VoiceResponse()
    gather = Gather(
        num_digits=1,
        action=public_url("twilio.accept", attempt_id=attempt_id),
        timeout=WHISPER_WAIT_SECONDS,
    )
    gather.say(text, language=texts["voice"])
    response.append(gather)
    response.hangup()
    return str(response)


def accept(digits: str) -> str:
    """The seller's key: 1 bridges the legs (an empty document), anything else hangs up."""
    response = VoiceResponse()
    if digits != ACCEPT_KEY:
        response.hangup()
    return str(response)


MESSAGE = (
    "SELECT r.id, r.carrier_sha256 FROM attempts a JOIN deliveries d ON d.id = a.delivery_id"
    " JOIN recordings r ON r.id = d.recording_id WHERE a.id = :attempt_id"
)
MARK_PLAYED = "UPDATE attempts SET played_recording_id = :played WHERE id = :attempt_id"


def dialed(attempt_id: int, dial_status: str) -> str | None:
    """The Dial's action: the seller took the call (the call ends with the bridge), or not:
    the person hears the seller's message, then the call ends. Commits."""
    if dial_status == TAKEN:
        return play_then_hang_up(None)
    _, rows = driver_sql.execute(MESSAGE, {"attempt_id": attempt_id})
    url = file_url(rows[0][0], "carrier", rows[0][1]) if rows else None
    if url:
        driver_sql.execute(MARK_PLAYED, {"attempt_id": attempt_id, "played": rows[0][0]})
    driver_sql.commit()
    return play_then_hang_up(url)
