"""Recordings made by `<Record>` (and `<Dial record>`): the Recording resource and its audio.

The audio is generated, not recorded: a quiet 400 Hz tone of the recording's duration, 8 kHz
mono, as 16-bit PCM WAV (`{RecordingUrl}` or `.wav`) or MP3 (`.mp3`, hand-built MPEG-2.5
layer III frames that decode to silence). Like a Twilio account that enforces HTTP auth on
media URLs, the audio needs the account sid and auth token (HTTP basic), as the JSON does.
"""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from voicecast.simulator.ledger import new_sid, now
from voicecast.simulator.resource import API_VERSION, ApiError, account_uri, rfc2822

RECORDING = f"/{API_VERSION}/Accounts/<account_sid>/Recordings/<name>"
SAMPLE_RATE = 8000
TONE_HZ = 400  # a whole number of samples per period at 8 kHz (20)
TONE_AMPLITUDE = 3000  # about -21 dBFS
MP3_FRAME = b"\xff\xe3\x28\xc0" + b"\x00" * 140  # MPEG-2.5 layer III, 16 kbit/s, 8 kHz, mono
MP3_FRAME_SECONDS = 576 / SAMPLE_RATE
PRICE_PER_MINUTE = 0.0025


@dataclass
class RecordingRecord:
    """One recording of a call leg."""

    sid: str
    account_sid: str
    call_sid: str
    duration: int
    source: str = "RecordVerb"  # or DialVerb
    channels: int = 1
    start_time: datetime = field(default_factory=now)
    date_created: datetime = field(default_factory=now)

    def url(self, base_url: str) -> str:
        """The RecordingUrl Twilio hands the app (no extension: WAV)."""
        return f"{base_url.rstrip('/')}{account_uri(self.account_sid)}/Recordings/{self.sid}"


class RecordingBook:
    """Recordings by sid; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recordings: dict[str, RecordingRecord] = {}

    def create(
        self, account_sid: str, call_sid: str, duration: int, **extra: Any
    ) -> RecordingRecord:
        recording = RecordingRecord(new_sid("RE"), account_sid, call_sid, duration, **extra)
        with self._lock:
            self._recordings[recording.sid] = recording
        return recording

    def get(self, sid: str) -> RecordingRecord | None:
        with self._lock:
            return self._recordings.get(sid)

    def clear(self) -> None:
        with self._lock:
            self._recordings.clear()


def wav_bytes(seconds: float) -> bytes:
    """An 8 kHz mono 16-bit PCM WAV of a quiet tone lasting `seconds`."""
    period = b"".join(
        struct.pack("<h", round(TONE_AMPLITUDE * math.sin(2 * math.pi * n * TONE_HZ / SAMPLE_RATE)))
        for n in range(SAMPLE_RATE // TONE_HZ)
    )
    frames = round(seconds * SAMPLE_RATE)
    periods, rest = divmod(frames, SAMPLE_RATE // TONE_HZ)
    data = period * periods + period[: rest * 2]
    fmt = struct.pack("<HHIIHH", 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def mp3_bytes(seconds: float) -> bytes:
    """MP3 frames of silence lasting `seconds` (to the frame, 72 ms)."""
    return MP3_FRAME * max(1, math.ceil(seconds / MP3_FRAME_SECONDS))


def recording_json(recording: RecordingRecord, base_url: str) -> dict[str, Any]:
    """The `api.v2010.account.recording` resource."""
    uri = f"{account_uri(recording.account_sid)}/Recordings/{recording.sid}"
    minutes = math.ceil(recording.duration / 60)
    return {
        "account_sid": recording.account_sid,
        "api_version": API_VERSION,
        "call_sid": recording.call_sid,
        "conference_sid": None,
        "date_created": rfc2822(recording.date_created),
        "date_updated": rfc2822(recording.date_created),
        "start_time": rfc2822(recording.start_time),
        "duration": str(recording.duration),
        "sid": recording.sid,
        "price": f"{-PRICE_PER_MINUTE * minutes:.5f}",
        "price_unit": "USD",
        "status": "completed",
        "channels": recording.channels,
        "source": recording.source,
        "error_code": None,
        "uri": uri + ".json",
        "encryption_details": None,
        "subresource_uris": {
            "add_on_results": f"{uri}/AddOnResults.json",
            "transcriptions": f"{uri}/Transcriptions.json",
        },
        "media_url": recording.url(base_url),
    }


def register_recordings(
    app: Flask, book: RecordingBook, authenticate: Callable[[str], None]
) -> None:
    """Serve `.../Recordings/{RE}.json` and the audio at `.../Recordings/{RE}[.wav|.mp3]`."""

    @app.get(RECORDING)
    def fetch_recording(account_sid: str, name: str) -> Response:
        authenticate(account_sid)
        sid, _, extension = name.partition(".")
        recording = book.get(sid)
        if recording is None or extension not in {"", "json", "wav", "mp3"}:
            raise ApiError(404, 20404, f"The requested resource {request.path} was not found")
        if extension == "json":
            return jsonify(recording_json(recording, request.host_url))
        if extension == "mp3":
            return Response(mp3_bytes(recording.duration), mimetype="audio/mpeg")
        return Response(wav_bytes(recording.duration), mimetype="audio/x-wav")
