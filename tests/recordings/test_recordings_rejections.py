"""Each unusable upload is refused with its own code, an actionable English message and the
numbers behind it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import recordings.pipeline
from recordings import (
    REJECTION_CODES,
    ProcessingSettings,
    RecordingRejected,
    process_recording,
)


def rejection(
    data: bytes, settings: ProcessingSettings | None = None, **hints
) -> RecordingRejected:
    with pytest.raises(RecordingRejected) as caught:
        if settings is None:
            process_recording(data, **hints)
        else:
            process_recording(data, settings, **hints)
    error = caught.value
    assert error.code in REJECTION_CODES
    assert error.message and error.message == str(error)
    assert error.message[0].isupper() and error.message.endswith(".")
    return error


def test_silent_file(make_audio):
    error = rejection(make_audio("silent.webm").read_bytes(), filename="silent.webm")
    assert error.code == "silent"
    assert "no sound at all" in error.message and "microphone" in error.message
    assert error.details["loudest_dbfs"] < -50


def test_steady_noise_without_speech_is_silent(make_audio):
    error = rejection(make_audio("hiss.wav").read_bytes())
    assert error.code == "silent"
    assert "speech" in error.message
    assert error.details["loudest_dbfs"] > -50


def test_two_seconds_of_speech_is_too_short(make_audio):
    error = rejection(make_audio("short.webm").read_bytes())
    assert error.code == "too_short"
    assert 0.5 < error.details["speech_seconds"] < 2.5
    assert error.details["min_speech_seconds"] == 5.0
    assert "at least 5 s" in error.message


def test_min_speech_is_configurable(make_audio):
    result = process_recording(
        make_audio("short.webm").read_bytes(), ProcessingSettings(min_speech_seconds=1.0)
    )
    assert 0.5 < result.speech_seconds < 2.5


def test_png_renamed_webm_is_not_audio(make_audio):
    data = make_audio("picture.png").read_bytes()
    error = rejection(data, filename="message.webm", content_type="audio/webm")
    assert error.code == "not_audio"
    assert "PNG" in error.details["reason"]


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text and not a recording" * 50, bytes(range(256)) * 40],
    ids=["empty", "text", "noise-bytes"],
)
def test_garbage_is_not_audio(data: bytes):
    assert rejection(data, filename="x.webm", content_type="audio/webm").code == "not_audio"


def test_truncated_webm_is_not_audio(encoded: dict[str, Path]):
    data = encoded["webm"].read_bytes()[:300]
    assert rejection(data).code == "not_audio"


def test_thirty_megabytes_is_too_large_before_decoding(make_audio, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a file that is too large")

    monkeypatch.setattr(recordings.pipeline, "decode", no_decoding)
    monkeypatch.setattr(recordings.pipeline, "mp3_preview_encoder", no_decoding)
    data = make_audio("huge.wav").read_bytes()
    error = rejection(data)
    assert error.code == "too_large"
    assert error.details == {"size_bytes": len(data), "max_bytes": 20 * 1024 * 1024}
    assert "30.0 MB" in error.message and "20.0 MB" in error.message


def test_max_bytes_is_configurable(encoded: dict[str, Path]):
    data = encoded["wav"].read_bytes()
    error = rejection(data, ProcessingSettings(max_bytes=len(data) - 1))
    assert error.code == "too_large"


def test_seventy_seconds_is_too_long(make_audio):
    error = rejection(make_audio("long.wav").read_bytes())
    assert error.code == "too_long"
    assert error.details["duration_seconds"] > 65
    assert error.details["max_duration_seconds"] == 60.0
    assert "shorter" in error.message


def test_max_duration_is_configurable(encoded: dict[str, Path]):
    error = rejection(encoded["webm"].read_bytes(), ProcessingSettings(max_duration_seconds=6))
    assert error.code == "too_long"
    assert error.details["truncated"] == 0


def test_very_long_input_is_cut_while_decoding(make_audio):
    settings = ProcessingSettings(min_speech_seconds=1, max_duration_seconds=5)
    error = rejection(make_audio("long.wav").read_bytes(), settings)
    assert error.code == "too_long"
    assert error.details["truncated"] == 1  # decoding stopped at 5 + 60 s of the 70 s
    assert "more than" in error.message


@pytest.mark.parametrize("name", ["clipped.wav", "clipped.webm"])
def test_clipped_input(name: str, make_audio):
    error = rejection(make_audio(name).read_bytes())
    assert error.code == "clipped"
    assert error.details["clipped_ratio"] > 0.05
    assert "distorted" in error.message


def test_rejection_survives_pickling():
    error = RecordingRejected("too_short", "Too short.", {"speech_seconds": 1.5})
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.details) == (
        "too_short",
        "Too short.",
        {"speech_seconds": 1.5},
    )


def test_unknown_code_is_refused():
    with pytest.raises(ValueError):
        RecordingRejected("boring", "Boring.")


@pytest.mark.parametrize(
    "changes",
    [
        {"target_lufs": 3.0},
        {"true_peak_dbtp": 1.0},
        {"min_speech_seconds": -1.0},
        {"max_duration_seconds": 0.0},
        {"min_speech_seconds": 30.0, "max_duration_seconds": 20.0},
        {"max_bytes": 0},
        {"keep_silence_ms": -5},
    ],
)
def test_invalid_settings(changes: dict):
    with pytest.raises(ValueError):
        ProcessingSettings(**changes)
