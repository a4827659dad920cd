"""The building blocks against known values and against ffmpeg: sniffing, mu-law, loudness,
true peak, the limiter."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from recordings.analysis import integrated_loudness, true_peak_dbtp, true_peak_envelope
from recordings.decode import DecodeError, decode, hinted_demuxer, sniff_container
from recordings.encode import MULAW_TO_LINEAR, mulaw_decode, mulaw_encode, mulaw_wav, read_wav
from recordings.normalize import normalize_loudness, running_min
from tests.recordings.recording_tools import ffmpeg, measure_loudness

RATE = 8000


def sine(frequency: float, amplitude: float, seconds: float = 5.0, phase: float = 0.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * frequency * t + phase)


@pytest.mark.parametrize(
    ("name", "demuxer"),
    [
        ("webm", "matroska"),
        ("ogg", "ogg"),
        ("mp4", "mov"),
        ("m4a", "mov"),
        ("mp3", "mp3"),
        ("wav", "wav"),
    ],
)
def test_sniffing_the_container(name: str, demuxer: str, encoded: dict[str, Path]):
    assert sniff_container(encoded[name].read_bytes()[:64]).demuxer == demuxer


def test_sniffing_known_non_audio():
    assert sniff_container(b"\x89PNG\r\n\x1a\n....").not_audio == "a PNG image"
    assert sniff_container(b"%PDF-1.7").not_audio == "a PDF document"
    assert sniff_container(b"\xff\xf1\x50\x80").demuxer == "aac"  # ADTS, not MP3
    assert sniff_container(b"\xff\xfb\x90\x00").demuxer == "mp3"
    assert sniff_container(b"something else").demuxer is None


def test_hints():
    assert hinted_demuxer("voice.webm", None) == "matroska"
    assert hinted_demuxer(None, "audio/mp4;codecs=mp4a.40.2") == "mov"
    assert hinted_demuxer("x.unknown", "application/octet-stream") is None


def test_mulaw_table_matches_ffmpeg(tmp_path: Path):
    codes = bytes(range(256))
    path = tmp_path / "all-codes.wav"
    path.write_bytes(mulaw_wav(codes, RATE))
    pcm = ffmpeg("-i", path, "-f", "s16le", "-").stdout
    assert np.array_equal(np.frombuffer(pcm, dtype="<i2"), MULAW_TO_LINEAR)
    info = read_wav(path.read_bytes())
    assert (info.format_tag, info.channels, info.sample_rate, info.data) == (7, 1, RATE, codes)


def test_mulaw_round_trip_error_is_within_half_a_step():
    samples = np.linspace(-0.98, 0.98, 20001)
    decoded = mulaw_decode(mulaw_encode(samples))
    levels = np.sort(np.unique(MULAW_TO_LINEAR.astype(np.float64) / 32768))
    steps = np.diff(levels)
    index = np.clip(np.searchsorted(levels, samples), 1, levels.size - 1)
    assert np.all(np.abs(decoded - samples) <= steps[index - 1] / 2 + 1e-12)
    assert mulaw_encode(np.zeros(3)) == b"\xff\xff\xff"


def test_loudness_of_a_sine_follows_bs1770():
    # BS.1770: a 997 Hz sine at full scale measures -3.01 LUFS; at -20 dBFS, -23.01 LUFS.
    assert integrated_loudness(sine(997, 0.1), RATE) == pytest.approx(-23.01, abs=0.05)
    assert integrated_loudness(np.zeros(RATE), RATE) == -math.inf


def test_loudness_agrees_with_ffmpeg(carriers: dict[str, Path]):
    pcm = ffmpeg("-i", carriers["webm"], "-f", "f32le", "-").stdout
    ours = integrated_loudness(np.frombuffer(pcm, dtype="<f4").astype(np.float64), RATE)
    assert ours == pytest.approx(measure_loudness(carriers["webm"]).integrated_lufs, abs=0.4)


def test_true_peak_finds_peaks_between_samples():
    # A quarter-rate sine at 45 degrees: every sample is at 0.707 of the true peak.
    signal = sine(RATE / 4, 0.5, phase=math.pi / 4)
    assert 20 * math.log10(np.abs(signal).max()) == pytest.approx(-9.03, abs=0.01)
    envelope = true_peak_envelope(signal)
    assert envelope.shape == signal.shape
    inner = envelope[RATE:-RATE]  # away from the abrupt start and end, which ring
    assert 20 * math.log10(inner.max()) == pytest.approx(-6.02, abs=0.01)
    assert true_peak_dbtp(signal) >= -6.03


def test_limiter_holds_the_ceiling_on_sharp_peaks():
    rng = np.random.default_rng(3)
    signal = sine(440, 0.05, seconds=10) + rng.normal(0, 0.01, 10 * RATE)
    signal[::4000] = 0.9  # clicks 25 dB above the rest
    result = normalize_loudness(signal, RATE, -19.0, -1.5)
    assert true_peak_dbtp(result) <= -1.5
    assert integrated_loudness(result, RATE) == pytest.approx(-19.0, abs=0.1)


def test_running_min_matches_a_sliding_window():
    rng = np.random.default_rng(5)
    for size in (1, 7, 97, 1000):
        for half in (1, 4, 48):
            values = rng.random(size)
            expected = sliding_window_view(np.pad(values, half, mode="edge"), 2 * half + 1)
            assert np.array_equal(running_min(values, half), expected.min(axis=1))


def test_decode_caps_the_duration(encoded: dict[str, Path]):
    decoded = decode(encoded["webm"].read_bytes(), max_seconds=2.0)
    assert decoded.truncated
    assert decoded.telephone.size == pytest.approx(2.0 * RATE, abs=RATE * 0.05)
    with pytest.raises(DecodeError):
        decode(b"\x1a\x45\xdf\xa3 not really matroska", max_seconds=2.0)
