"""The TwiML documents of a callback, each as short as the moment allows: the caller hears the
opt-out offer while the seller's phone is dialed; the seller hears who calls and why, and must
press a key, so that their own voicemail cannot take the call."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

RING_SECONDS = 20  # before the caller is offered the voicemail
WHISPER_WAIT_SECONDS = 6  # for the seller's key press after the whisper
MENU_WAIT_SECONDS = 2  # for the caller's opt-out key after the greeting
VOICEMAIL_MAX_SECONDS = 120


def say(response: VoiceResponse | Gather, text: str, texts: dict[str, str]) -> None:
    response.say(text, language=texts["voice"])


def greeting(
    greeting_text: str, texts: dict[str, str], menu_url: str, ring: str | None, urls: dict
) -> str:
    """The caller's first document: the greeting with the opt-out key, then the dial (or the
    voicemail when nobody can be rung)."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=menu_url, timeout=MENU_WAIT_SECONDS)
    say(gather, greeting_text, texts)
    response.append(gather)
    if ring is None:
        append_voicemail(response, urls["voicemail_text"], texts, urls)
    else:
        append_dial(response, ring, urls)
    return str(response)


def append_dial(response: VoiceResponse, ring: str, urls: dict) -> None:
    dial = Dial(
        caller_id=urls["caller"], timeout=RING_SECONDS, action=urls["dialed"], answer_on_bridge=True
    )
    dial.number(ring, url=urls["whisper"])
    response.append(dial)


def append_voicemail(response: VoiceResponse, prompt: str, texts: dict[str, str], urls: dict):
    say(response, prompt, texts)
    response.record(
        action=urls["recorded"],
        max_length=VOICEMAIL_MAX_SECONDS,
        play_beep=True,
        finish_on_key="#",
        recording_status_callback=urls["recording"],
    )
    # <Record> goes on here only when nothing was recorded.
    say(response, texts["nothing_heard"], texts)
    response.hangup()


def dial_only(ring: str, urls: dict) -> str:
    """The dial alone (the caller pressed a key that is not the opt-out one)."""
    response = VoiceResponse()
    append_dial(response, ring, urls)
    return str(response)


def voicemail(prompt: str, texts: dict[str, str], urls: dict) -> str:
    response = VoiceResponse()
    append_voicemail(response, prompt, texts, urls)
    return str(response)


def whisper(text: str, texts: dict[str, str], accept_url: str) -> str:
    """The seller's leg: who calls and why; without the accept key the leg hangs up."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=accept_url, timeout=WHISPER_WAIT_SECONDS)
    say(gather, text, texts)
    response.append(gather)
    response.hangup()
    return str(response)


def say_then_hang_up(text: str, texts: dict[str, str]) -> str:
    response = VoiceResponse()
    say(response, text, texts)
    response.hangup()
    return str(response)


def bridge() -> str:
    """An empty document: the whisper is over, the legs are connected."""
    return str(VoiceResponse())


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)
