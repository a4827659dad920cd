"""process_recording on what browsers and people send: the carrier file is 8 kHz mono mu-law,
holds the speech, starts right before the first word, is at the target loudness and never
crosses the true-peak ceiling, as ffmpeg's own meters measure it."""

from __future__ import annotations

from pathlib import Path

import pytest

import recordings.ffmpeg
import recordings.normalize
from recordings import ProcessedRecording, ProcessingSettings, process_recording
from tests.recordings.recording_tools import (
    FORMATS,
    decoded_seconds,
    mean_volume_db,
    measure_loudness,
    parse_wav_header,
    sound_span,
)

DEFAULTS = ProcessingSettings()
TRUE_PEAK_TOLERANCE_DB = 0.2  # ffmpeg's meter rounds to 0.1 dB and interpolates differently

formats = pytest.mark.parametrize("name", list(FORMATS))


@formats
def test_carrier_is_8khz_mono_mulaw(name: str, processed: dict[str, ProcessedRecording]):
    result = processed[name]
    header = parse_wav_header(result.carrier_wav)
    assert header.format_tag == 7  # WAVE_FORMAT_MULAW
    assert (header.channels, header.sample_rate, header.bits_per_sample) == (1, 8000, 8)
    assert (header.byte_rate, header.block_align) == (8000, 1)
    assert header.data_size / 8000 == pytest.approx(result.duration_seconds, abs=0.01)


@formats
def test_carrier_holds_the_speech_from_the_first_word(
    name: str, speech_wav: Path, carriers: dict[str, Path]
):
    carrier = carriers[name]
    assert mean_volume_db(carrier) > -40.0
    onset_in, offset_in = sound_span(speech_wav)
    onset_out, offset_out = sound_span(carrier)
    assert onset_in > 1.4  # the padding is there in the input
    assert 0.05 <= onset_out <= 0.3  # a short lead-in, then the first word
    # Nothing of the speech was cut: the sound lasts as long in the output.
    assert offset_out - onset_out == pytest.approx(offset_in - onset_in, abs=0.1)
    assert decoded_seconds(carrier) - offset_out <= 0.35  # and little silence after it


@formats
def test_carrier_loudness_and_true_peak(
    name: str, carriers: dict[str, Path], processed: dict[str, ProcessedRecording]
):
    measured = measure_loudness(carriers[name])
    assert measured.integrated_lufs == pytest.approx(DEFAULTS.target_lufs, abs=1.0)
    assert measured.true_peak_dbtp <= DEFAULTS.true_peak_dbtp + TRUE_PEAK_TOLERANCE_DB
    result = processed[name]
    assert result.loudness_lufs == pytest.approx(measured.integrated_lufs, abs=0.5)
    assert result.loudness_lufs == pytest.approx(DEFAULTS.target_lufs, abs=0.2)
    assert result.true_peak_dbtp <= DEFAULTS.true_peak_dbtp


@formats
def test_measurements(name: str, processed: dict[str, ProcessedRecording]):
    result = processed[name]
    assert 7.0 < result.duration_seconds < 9.0
    assert 6.0 < result.speech_seconds <= result.duration_seconds
    assert result.speech_ratio == pytest.approx(
        result.speech_seconds / result.duration_seconds, abs=0.001
    )
    assert 0.7 < result.speech_ratio <= 1.0


def test_preview_is_an_mp3_of_the_carrier(
    audio_dir: Path, processed: dict[str, ProcessedRecording]
):
    result = processed["webm"]
    preview = audio_dir / "preview.mp3"
    preview.write_bytes(result.preview_mp3)
    assert result.preview_mp3[:2] == b"\xff\xf3" or result.preview_mp3[:3] == b"ID3"
    assert decoded_seconds(preview) == pytest.approx(result.duration_seconds, abs=0.15)
    assert measure_loudness(preview).integrated_lufs == pytest.approx(-19.0, abs=1.0)


def test_processing_is_deterministic(
    encoded: dict[str, Path], processed: dict[str, ProcessedRecording]
):
    again = process_recording(encoded["webm"].read_bytes(), filename="upload.webm")
    assert again == processed["webm"]  # the same bytes and the same measurements


def test_processing_the_carrier_again_changes_little(processed: dict[str, ProcessedRecording]):
    first = processed["webm"]
    second = process_recording(first.carrier_wav)
    assert second.loudness_lufs == pytest.approx(first.loudness_lufs, abs=0.2)
    assert second.duration_seconds == pytest.approx(first.duration_seconds, abs=0.05)


def test_formats_need_no_file_name(encoded: dict[str, Path], processed):
    for name in ("mp4", "mp3"):
        result = process_recording(encoded[name].read_bytes())
        assert result == processed[name]


def test_trims_speech_on_room_noise(audio_dir: Path, make_audio):
    result = process_recording(make_audio("noisy.webm").read_bytes())
    carrier = audio_dir / "carrier-noisy.wav"
    carrier.write_bytes(result.carrier_wav)
    onset, _ = sound_span(carrier, threshold_db=-35.0)
    assert 0.05 <= onset <= 0.3
    assert 7.0 < result.duration_seconds < 9.0
    assert measure_loudness(carrier).integrated_lufs == pytest.approx(-19.0, abs=1.0)


def test_loud_but_unclipped_input_is_accepted(make_audio):
    result = process_recording(make_audio("loud.wav").read_bytes())
    assert result.true_peak_dbtp <= DEFAULTS.true_peak_dbtp


def test_other_targets(encoded: dict[str, Path], audio_dir: Path):
    settings = ProcessingSettings(target_lufs=-16.0, true_peak_dbtp=-3.0, keep_silence_ms=400)
    result = process_recording(encoded["ogg"].read_bytes(), settings)
    carrier = audio_dir / "carrier-other.wav"
    carrier.write_bytes(result.carrier_wav)
    measured = measure_loudness(carrier)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert measured.true_peak_dbtp <= -3.0 + TRUE_PEAK_TOLERANCE_DB
    onset, _ = sound_span(carrier)
    assert 0.3 <= onset <= 0.55


def test_bundled_ffmpeg_without_ffprobe_or_path(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    encoded: dict[str, Path],
    processed: dict[str, ProcessedRecording],
):
    """Without a system ffmpeg (nor ffprobe, nor anything on PATH) imageio-ffmpeg's is used."""
    monkeypatch.setattr(recordings.ffmpeg.shutil, "which", lambda name: None)
    recordings.ffmpeg.ffmpeg_executable.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        assert "imageio_ffmpeg" in recordings.ffmpeg.ffmpeg_executable()
        result = process_recording(encoded["webm"].read_bytes())
    finally:
        recordings.ffmpeg.ffmpeg_executable.cache_clear()
    reference = processed["webm"]
    assert result.duration_seconds == pytest.approx(reference.duration_seconds, abs=0.02)
    assert result.loudness_lufs == pytest.approx(-19.0, abs=0.2)
    assert result.true_peak_dbtp <= -1.5
    assert parse_wav_header(result.carrier_wav).format_tag == 7


def test_configure_pydub_uses_the_same_ffmpeg():
    recordings.ffmpeg.configure_pydub()
    from pydub import AudioSegment

    assert AudioSegment.converter == recordings.ffmpeg.ffmpeg_executable()


def test_ceiling_guard_scales_down_when_the_limiter_falls_short(
    monkeypatch: pytest.MonkeyPatch, encoded: dict[str, Path], audio_dir: Path
):
    """Should the limiter leave peaks over the ceiling, the encoded output is scaled under it."""
    monkeypatch.setattr(recordings.normalize, "CEILING_MARGIN_DB", -0.6)  # aims too high
    result = process_recording(encoded["webm"].read_bytes())
    assert result.true_peak_dbtp <= DEFAULTS.true_peak_dbtp
    carrier = audio_dir / "carrier-guarded.wav"
    carrier.write_bytes(result.carrier_wav)
    measured = measure_loudness(carrier)
    assert measured.true_peak_dbtp <= DEFAULTS.true_peak_dbtp + TRUE_PEAK_TOLERANCE_DB
    assert measured.integrated_lufs == pytest.approx(DEFAULTS.target_lufs, abs=1.0)
    preview = audio_dir / "preview-guarded.mp3"
    preview.write_bytes(result.preview_mp3)
    assert decoded_seconds(preview) == pytest.approx(result.duration_seconds, abs=0.15)
