"""Quality checks: each refusal has a machine code, an English message the seller can act on,
and the numbers that led to it.

The checks run in the order a seller would want to hear about problems: a file that cannot be
used at all first, then missing speech, then length, then distortion.
"""

from __future__ import annotations

from typing import Final

from .settings import ProcessingSettings

REJECTION_CODES: Final = ("not_audio", "too_large", "silent", "too_short", "too_long", "clipped")

#: The loudest 50 ms must reach this level (dBFS RMS) for the recording not to count as silent.
SILENT_BELOW_DBFS: Final = -50.0
#: A larger share of samples at full scale than this means the input is clipped.
CLIPPED_RATIO_LIMIT: Final = 0.005

Details = dict[str, float | int | str]


class RecordingRejected(Exception):
    """The upload cannot become a voicemail message; `message` tells the seller why."""

    code: str
    message: str
    details: Details

    def __init__(self, code: str, message: str, details: Details | None = None) -> None:
        if code not in REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details or {})

    def __reduce__(self):  # keeps the attributes when pickled (RQ stores exceptions)
        return (type(self), (self.code, self.message, self.details))

    def __repr__(self) -> str:
        return f"RecordingRejected({self.code!r}, {self.message!r}, {self.details!r})"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_size(size: int, settings: ProcessingSettings) -> None:
    """Refuse uploads over `max_bytes`, before spending any time decoding them."""
    if size > settings.max_bytes:
        raise RecordingRejected(
            "too_large",
            f"The file is {_megabytes(size)}, more than the {_megabytes(settings.max_bytes)} "
            "limit. Record the message again, or send a compressed file (MP3, M4A or WebM).",
            {"size_bytes": size, "max_bytes": settings.max_bytes},
        )


def not_audio(reason: str, *, format_hint: str | None = None) -> RecordingRejected:
    """The refusal for bytes that are not audio we can read."""
    details: Details = {"reason": reason}
    if format_hint:
        details["format"] = format_hint
    return RecordingRejected(
        "not_audio",
        "This file is not a sound recording we can read. Record the message in the browser, "
        "or send an audio file (WebM, Ogg, MP4/M4A, MP3 or WAV).",
        details,
    )


def check_silence(loudest_db: float, speech_seconds: float) -> None:
    """Refuse recordings with no audible speech at all."""
    if loudest_db < SILENT_BELOW_DBFS or speech_seconds <= 0:
        if loudest_db <= -100.0:
            said = "The recording is silent: it holds no sound at all."
        elif loudest_db < SILENT_BELOW_DBFS:
            said = f"The recording is almost silent (loudest passage {loudest_db:.0f} dBFS)."
        else:
            said = "We could not hear any speech in the recording, only a steady background."
        raise RecordingRejected(
            "silent",
            f"{said} Check that the right microphone is selected, not muted and allowed in the "
            "browser, then record again.",
            {"loudest_dbfs": round(loudest_db, 1), "silent_below_dbfs": SILENT_BELOW_DBFS},
        )


def check_speech_length(speech_seconds: float, settings: ProcessingSettings) -> None:
    """Refuse messages with too little speech to be worth a voicemail."""
    if speech_seconds < settings.min_speech_seconds:
        raise RecordingRejected(
            "too_short",
            f"The recording holds only {speech_seconds:.1f} s of speech; at least "
            f"{settings.min_speech_seconds:g} s are needed. Record a longer message.",
            {
                "speech_seconds": round(speech_seconds, 2),
                "min_speech_seconds": settings.min_speech_seconds,
            },
        )


def check_duration(duration: float, truncated: bool, settings: ProcessingSettings) -> None:
    """Refuse messages longer than `max_duration_seconds` once silence is trimmed."""
    if truncated or duration > settings.max_duration_seconds:
        if truncated:
            said = f"The recording lasts more than {duration:.0f} s"
        else:
            said = f"The message lasts {duration:.1f} s (without the silence around it)"
        raise RecordingRejected(
            "too_long",
            f"{said}; a message can last at most {settings.max_duration_seconds:g} s. "
            "Record a shorter message.",
            {
                "duration_seconds": round(duration, 2),
                "max_duration_seconds": settings.max_duration_seconds,
                "truncated": int(truncated),
            },
        )


def check_clipping(ratio: float) -> None:
    """Refuse input that was recorded too loud and is distorted (clipped)."""
    if ratio > CLIPPED_RATIO_LIMIT:
        raise RecordingRejected(
            "clipped",
            f"The recording is distorted: {ratio:.1%} of it hits the maximum level (clipping). "
            "Speak a little further from the microphone or lower its input volume, then record "
            "again.",
            {"clipped_ratio": round(ratio, 4), "clipped_ratio_limit": CLIPPED_RATIO_LIMIT},
        )
