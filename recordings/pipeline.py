"""From uploaded bytes to a telephone-ready message, or a reason it cannot be one.

One ffmpeg run decodes the upload (at its own rate and at 8 kHz); speech detection, trimming,
loudness and the true-peak limiter work on numpy arrays; the mu-law carrier file is written in
Python, and a second ffmpeg process, started at the beginning so that its start-up overlaps the
work, encodes the MP3 preview while the output is measured. Everything is deterministic: the same
bytes and settings give the same files.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from . import checks
from .analysis import (
    clipped_ratio,
    detect_speech,
    from_db,
    integrated_loudness,
    true_peak_dbtp,
)
from .decode import TELEPHONE_RATE, DecodeError, decode
from .encode import (
    mp3_preview,
    mp3_preview_encoder,
    mulaw_decode,
    mulaw_encode,
    mulaw_wav,
    preview_pcm,
)
from .normalize import normalize_loudness
from .settings import DEFAULT_SETTINGS, ProcessingSettings

#: Decode at most twice the longest allowed message, and at least this much more: enough to trim
#: generous silence, bounded so a tiny file that holds hours of audio cannot exhaust memory.
DECODE_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class ProcessedRecording:
    """The carrier file, its preview, and what was measured on the carrier file."""

    carrier_wav: bytes = field(repr=False)  # 8 kHz mono mu-law WAV
    preview_mp3: bytes = field(repr=False)
    duration_seconds: float
    speech_seconds: float
    speech_ratio: float  # speech_seconds / duration_seconds
    loudness_lufs: float  # measured on the output
    true_peak_dbtp: float  # measured on the output


def process_recording(
    data: bytes,
    settings: ProcessingSettings = DEFAULT_SETTINGS,
    *,
    filename: str | None = None,
    content_type: str | None = None,
) -> ProcessedRecording:
    """Decode, check, trim, normalise and encode one recording.

    `filename` and `content_type` (as the browser sent them) only help when the bytes do not
    identify their format. Raises `RecordingRejected` with a code from `REJECTION_CODES`.
    """
    checks.check_size(len(data), settings)
    # Start the preview's encoder now, so its start-up overlaps decoding and analysis.
    with mp3_preview_encoder(TELEPHONE_RATE) as encoder:
        codes, output, speech = _process(data, settings, filename, content_type)
        with ThreadPoolExecutor(max_workers=1) as pool:  # ffmpeg encodes while numpy measures
            preview = pool.submit(encoder.finish, preview_pcm(output))
            peak = true_peak_dbtp(output)
            if peak > settings.true_peak_dbtp:  # rare: mu-law rounding crossed the ceiling
                codes, output, peak = _scale_under_ceiling(output, peak, settings.true_peak_dbtp)
                preview.result()
                preview = pool.submit(mp3_preview, output, TELEPHONE_RATE)
            loudness = integrated_loudness(output, TELEPHONE_RATE)
            preview_mp3 = preview.result()
    duration = output.size / TELEPHONE_RATE
    speech_seconds = min(speech, duration)
    return ProcessedRecording(
        carrier_wav=mulaw_wav(codes, TELEPHONE_RATE),
        preview_mp3=preview_mp3,
        duration_seconds=round(duration, 3),
        speech_seconds=round(speech_seconds, 3),
        speech_ratio=round(speech_seconds / duration, 4) if duration else 0.0,
        loudness_lufs=round(loudness, 2),
        true_peak_dbtp=round(peak, 2),
    )


def _process(
    data: bytes, settings: ProcessingSettings, filename: str | None, content_type: str | None
) -> tuple[bytes, np.ndarray, float]:
    """Decode, check, trim and normalise: the mu-law codes, their decoded samples, and the
    seconds of speech. Raises `RecordingRejected`."""
    longest = settings.max_duration_seconds
    max_seconds = max(2 * longest, longest + DECODE_MARGIN_SECONDS)
    try:
        decoded = decode(
            data, max_seconds=max_seconds, filename=filename, content_type=content_type
        )
    except DecodeError as error:
        raise checks.not_audio(error.reason, format_hint=error.demuxer) from None

    rate = TELEPHONE_RATE
    samples = decoded.telephone
    speech = detect_speech(samples, rate)
    checks.check_silence(speech.loudest_db, speech.speech_seconds)
    checks.check_speech_length(speech.speech_seconds, settings)

    keep = settings.keep_silence_ms / 1000.0
    start = max(0, round((speech.start - keep) * rate))
    end = min(samples.size, round((speech.end + keep) * rate))
    trimmed = samples[start:end]
    checks.check_duration(
        samples.size / rate if decoded.truncated else trimmed.size / rate,
        decoded.truncated,
        settings,
    )
    scale = decoded.native.size / samples.size  # native samples per telephone sample
    native_span = decoded.native[int(start * scale) : max(int(end * scale), int(start * scale) + 1)]
    checks.check_clipping(clipped_ratio(native_span))

    normalized = normalize_loudness(trimmed, rate, settings.target_lufs, settings.true_peak_dbtp)
    codes = mulaw_encode(normalized)
    return codes, mulaw_decode(codes), speech.speech_seconds


def _scale_under_ceiling(
    samples: np.ndarray, peak_dbtp: float, ceiling_dbtp: float
) -> tuple[bytes, np.ndarray, float]:
    """Mu-law codes, decoded samples and true peak of `samples` scaled under the ceiling.

    The limiter leaves a margin for mu-law rounding; this is the guard for when rounding still
    crosses the ceiling: scale down by the excess (plus a little) until the output is under.
    """
    for _ in range(5):
        samples = samples * from_db(ceiling_dbtp - peak_dbtp - 0.05)
        codes = mulaw_encode(samples)
        output = mulaw_decode(codes)
        peak_dbtp = true_peak_dbtp(output)
        if peak_dbtp <= ceiling_dbtp:
            break
    return codes, output, peak_dbtp
