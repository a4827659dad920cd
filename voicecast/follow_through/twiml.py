"""The TwiML of a call back, written with twilio-python's helper library: the seller hears who
they are calling back and must press 1 (so that their own voicemail, should AMD take it for a
person, cannot set off the call to the customer); then the customer is dialed from the
dealership's number."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from voicecast.callbacks.twiml import WHISPER_WAIT_SECONDS

SELLER_RING_SECONDS = 25  # the seller's phone, before the call back counts as not answered
CUSTOMER_RING_SECONDS = 30  # the customer's phone: Twilio's default ring time for <Dial>


def whisper(text: str, voice: str, key_url: str) -> str:
    """The seller's document at pick-up: who, and press 1; without it the leg hangs up."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=key_url, timeout=WHISPER_WAIT_SECONDS)
    gather.say(text, language=voice)
    response.append(gather)
    response.hangup()
    return str(response)


def dial_customer(customer: str, caller_id: str, action_url: str) -> str:
    """The seller pressed 1: ring the customer from the number they know."""
    response = VoiceResponse()
    dial = Dial(caller_id=caller_id, timeout=CUSTOMER_RING_SECONDS, action=action_url)
    dial.number(customer)
    response.append(dial)
    return str(response)


def say_then_hang_up(text: str, voice: str) -> str:
    response = VoiceResponse()
    response.say(text, language=voice)
    response.hangup()
    return str(response)


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)
