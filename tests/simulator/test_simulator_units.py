"""The simulator's pure parts: audio measurement, TwiML parsing, outcome rules."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
import pytest

from tests.simulator.fixtures import mulaw_wav
from voicecast.simulator import audio, outcomes, twiml

MP3_FRAME = b"\xff\xfb\x90\x00" + b"\x00" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz


def pcm_wav(seconds: float, rate: int = 22050) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(b"\x00\x00" * round(seconds * rate))
    return out.getvalue()


def id3_tag(payload: bytes) -> bytes:
    size = len(payload)
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + synchsafe + payload


def test_wav_mulaw_and_pcm_durations() -> None:
    info = audio.inspect(mulaw_wav(3.5))
    assert (info.format, info.codec, info.sample_rate, info.channels) == ("wav", "mulaw", 8000, 1)
    assert info.duration_seconds == pytest.approx(3.5)
    pcm = audio.inspect(pcm_wav(1.25))
    assert (pcm.codec, pcm.sample_rate) == ("pcm", 22050)
    assert pcm.duration_seconds == pytest.approx(1.25, abs=1e-4)


def test_hand_made_mp3_frames_with_an_id3_tag() -> None:
    info = audio.inspect(id3_tag(b"TIT2" + b"\x00" * 30) + MP3_FRAME * 10)
    assert (info.format, info.codec, info.sample_rate) == ("mp3", "mpeg1-layer3", 44100)
    assert info.duration_seconds == pytest.approx(10 * 1152 / 44100)


def test_a_real_mp3_from_ffmpeg(tmp_path: Path) -> None:
    target = tmp_path / "tone.mp3"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
         "-i", "sine=frequency=440:duration=2", "-ac", "1", "-b:a", "32k", str(target)],
        check=True, timeout=60,
    )  # fmt: skip
    info = audio.inspect(target.read_bytes())
    assert info.format == "mp3" and info.sample_rate == 44100
    assert info.duration_seconds == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html><body>Not found</body></html>", "neither RIFF/WAVE nor MP3"),
        (b"", "neither RIFF/WAVE nor MP3"),
        (b"RIFF\x04\x00\x00\x00WAVE", "without fmt and data"),
        (b"RIFF\x10\x00\x00\x00WAVEdata\x04\x00\x00\x00abcd", "before any fmt"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt \x02\x00\x00\x00ab", "truncated"),
        (id3_tag(b"\x00" * 20) + b"not an mp3 frame", "no MPEG audio frame"),
        (b"\xff\xfb\x90\x00" + b"junk" * 200, "no sequence of valid frames"),
    ],
)
def test_what_is_not_audio(data: bytes, reason: str) -> None:
    with pytest.raises(audio.NotAudio, match=reason):
        audio.inspect(data)


def test_content_type_must_match_the_format() -> None:
    wav, mp3 = audio.inspect(mulaw_wav(1)), audio.inspect(MP3_FRAME * 3)
    assert audio.content_type_matches(wav, "audio/wav")
    assert audio.content_type_matches(wav, "audio/x-wav; charset=binary")
    assert not audio.content_type_matches(wav, "audio/mpeg")
    assert audio.content_type_matches(mp3, "audio/mpeg")
    assert not audio.content_type_matches(mp3, "text/html")


def test_twiml_parsing() -> None:
    verbs = twiml.parse(
        "<?xml version='1.0' encoding='UTF-8'?><Response><Play loop='2'>https://x/a.wav</Play>"
        "<Gather numDigits='1'><Say>Press 9</Say></Gather><Pause length='3'/><Hangup/></Response>"
    )
    assert [verb.name for verb in verbs] == ["Play", "Gather", "Pause", "Hangup"]
    assert verbs[0].text == "https://x/a.wav" and twiml.loops(verbs[0]) == 2
    assert verbs[1].children[0].text == "Press 9"
    assert twiml.pause_seconds(verbs[2]) == 3
    for bad in ("<Response><Play>", "<Html/>", "<Response><Dance/></Response>"):
        with pytest.raises(twiml.TwimlError):
            twiml.parse(bad)


def test_rule_table_overrides_and_seeded_randomness() -> None:
    rules = outcomes.OutcomeRules()
    by_digit = {d: rules.decide(f"+3361234567{d}").outcome for d in "0123456789"}
    assert by_digit == dict(outcomes.RULES_BY_LAST_DIGIT)
    rules.set_overrides({"+33612345670": "human", "70": "busy", "0": "fax"})
    assert rules.decide("+33612345670").outcome == "human"  # exact number first
    assert rules.decide("+33699999970").outcome == "busy"  # then the longest suffix
    assert rules.decide("+33699999980").outcome == "fax"
    with pytest.raises(ValueError, match="unknown outcome"):
        rules.set_overrides({"1": "voicemail"})

    numbers = [f"+336000000{n:02d}" for n in range(200)]
    first = [outcomes.OutcomeRules("random", seed=7).decide(n).outcome for n in numbers[:1]]
    seeded = outcomes.OutcomeRules("random", seed=7)
    again = outcomes.OutcomeRules("random", seed=7)
    run = [seeded.decide(n).outcome for n in numbers]
    assert run == [again.decide(n).outcome for n in numbers]
    assert run[:1] == first
    assert set(run) <= set(outcomes.OUTCOMES) and len(set(run)) >= 6


def test_gather_digits_stop_at_num_digits_or_finish_on_key() -> None:
    from voicecast.simulator.session import collect_digits

    def gather(**attrs: str) -> twiml.Verb:
        return twiml.Verb("Gather", attrs)

    assert collect_digits(gather(numDigits="1"), "91") == "9"
    assert collect_digits(gather(), "12#34") == "12"
    assert collect_digits(gather(finishOnKey="*"), "12#3*4") == "12#3"
    assert collect_digits(gather(numDigits="3"), "") == ""


def test_inbound_scenario_defaults_and_refusals() -> None:
    from voicecast.simulator.inbound import parse_scenario

    scenario = parse_scenario({"from": "+33611223344", "to": "+33170000001"})
    assert (scenario.seller, scenario.keys_of_seller, scenario.caller_hangs_up) == (
        "answers",
        "1",
        "never",
    )
    assert (scenario.voicemail_seconds, scenario.talk_seconds) == (6.0, 20.0)
    voicemail = parse_scenario({"from": "+1415", "to": "+1416", "seller": "voicemail"})
    assert voicemail.keys_of_seller == ""
    for bad in (
        [],
        {"from": "+33611223344"},
        {"from": "+33611223344", "to": "+33170000001", "caller_presses": "9a"},
        {"from": "+33611223344", "to": "+33170000001", "talk_seconds": -1},
        {"from": "+33611223344", "to": "+33170000001", "voicemail_seconds": True},
        {"from": "+33611223344", "to": "+33170000001", "caller_hangs_up": "sometimes"},
    ):
        with pytest.raises(ValueError):
            parse_scenario(bad)


def test_generated_recordings_decode_with_ffmpeg(tmp_path: Path) -> None:
    from voicecast.simulator.recordings import mp3_bytes, wav_bytes

    for name, data in (("r.wav", wav_bytes(2.5)), ("r.mp3", mp3_bytes(2.5))):
        source = tmp_path / name
        source.write_bytes(data)
        decoded = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i",
             str(source), "-f", "s16le", "-ac", "1", "-ar", "8000", "-"],
            check=True, capture_output=True, timeout=60,
        ).stdout  # fmt: skip
        assert len(decoded) / 2 / 8000 == pytest.approx(2.5, abs=0.1), name
    assert audio.inspect(wav_bytes(1)).codec == "pcm"
