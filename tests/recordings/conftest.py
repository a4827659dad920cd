"""Recordings made once per session with the real tools: French speech from espeak-ng, padded
with silence by sox, encoded by ffmpeg the way browsers and people send it."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from recordings import ProcessedRecording, process_recording
from tests.recordings.recording_tools import (
    FORMATS,
    encode,
    ffmpeg,
    require_tools,
    run,
    speak,
)

SPEECH = (
    "Bonjour, ici Claire, votre conseillère. Je vous appelle au sujet de votre projet de "
    "rénovation de cuisine. Rappelez-moi quand vous pourrez, à bientôt."
)
SHORT_SPEECH = "Bonjour, à bientôt."
PAD_SECONDS = 1.5


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tools()
    return tmp_path_factory.mktemp("recordings-audio")


@pytest.fixture(scope="session")
def speech_wav(audio_dir: Path) -> Path:
    """About 8 s of French speech between 1.5 s of silence on each side (22.05 kHz WAV)."""
    return speak(SPEECH, audio_dir / "speech.wav", pad_seconds=PAD_SECONDS)


@pytest.fixture(scope="session")
def encoded(audio_dir: Path, speech_wav: Path) -> dict[str, Path]:
    """The speech in every format of FORMATS."""
    return {
        name: encode(speech_wav, audio_dir / f"upload.{name}", *args)
        for name, args in FORMATS.items()
    }


@pytest.fixture(scope="session")
def processed(encoded: dict[str, Path]) -> dict[str, ProcessedRecording]:
    """Each format processed once with the default settings."""
    return {
        name: process_recording(path.read_bytes(), filename=path.name)
        for name, path in encoded.items()
    }


@pytest.fixture(scope="session")
def carriers(audio_dir: Path, processed: dict[str, ProcessedRecording]) -> dict[str, Path]:
    """The carrier files written out, for ffmpeg's meters."""
    paths = {}
    for name, result in processed.items():
        paths[name] = audio_dir / f"carrier-{name}.wav"
        paths[name].write_bytes(result.carrier_wav)
    return paths


@pytest.fixture(scope="session")
def make_audio(audio_dir: Path, speech_wav: Path) -> Callable[[str], Path]:
    """Builds the special recordings by name, each once per session."""
    made: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name in made:
            return made[name]
        target = audio_dir / f"{name}"
        if name == "silent.webm":
            silence = audio_dir / "silence.wav"
            run("sox", "-n", "-r", "48000", "-c", "1", silence, "trim", "0", "8")
            encode(silence, target, *FORMATS["webm"])
        elif name == "short.webm":
            short = speak(SHORT_SPEECH, audio_dir / "short.wav", pad_seconds=0.45)
            encode(short, target, *FORMATS["webm"])
        elif name == "clipped.wav":
            run("sox", speech_wav, target, "gain", "20")  # sox hard-clips (and says so)
        elif name == "clipped.webm":
            encode(build("clipped.wav"), target, *FORMATS["webm"])
        elif name == "loud.wav":  # peaks at -0.1 dBFS: loud, but not clipped
            run("sox", speech_wav, target, "gain", "-n", "-0.1")
        elif name == "long.wav":  # 70 s of speech and pauses
            run("sox", speech_wav, target, "repeat", "6", "trim", "0", "70")
        elif name == "noisy.webm":  # speech on room noise (about -50 dBFS)
            noise = audio_dir / "noise.wav"
            seconds = f"{_seconds(speech_wav):.3f}"
            run(
                "sox",
                "-n",
                "-r",
                "22050",
                "-c",
                "1",
                noise,
                "synth",
                seconds,
                "pinknoise",
                "vol",
                "0.01",
            )
            mixed = audio_dir / "noisy.wav"
            run("sox", "-m", speech_wav, noise, mixed)
            encode(mixed, target, *FORMATS["webm"])
        elif name == "hiss.wav":  # 8 s of steady noise (about -40 dBFS), no speech
            run(
                "sox",
                "-n",
                "-r",
                "48000",
                "-c",
                "1",
                target,
                "synth",
                "8",
                "pinknoise",
                "vol",
                "0.05",
            )
        elif name == "picture.png":
            ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", target)
        elif name == "huge.wav":  # 30 MB: a valid WAV header and silence
            data_size = 30 * 1024 * 1024
            header = b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
            header += struct.pack("<IHHIIHH", 16, 1, 2, 48000, 192000, 4, 16)
            header += b"data" + struct.pack("<I", data_size)
            target.write_bytes(header + bytes(data_size))
        else:
            raise KeyError(name)
        made[name] = target
        return target

    return build


def _seconds(path: Path) -> float:
    return float(run("soxi", "-D", path).stdout)
