"""Audio for the studio tests: French speech from espeak-ng, silence, a file that is not audio,
and the measurements the acceptance criteria name (format, level, speech onset, loudness).

The measurements use ffmpeg and a few lines of Python (a G.711 mu-law decoder, RIFF parsing) so
that they do not share code with the pipeline they check.
"""

from __future__ import annotations

import math
import re
import shutil
import struct
import subprocess
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

import pytest

# About 6.5 s of speech: the pipeline rejects under 5 s of speech by default, so the "about
# 4 s" of the issue would be refused as too short.
SPEECH = (
    "Bonjour, c'est Marie du garage Dupont. Votre voiture a deux ans : nous avons une offre "
    "de reprise pour vous. Rappelez-moi !"
)
SHORT_SPEECH = "Bonjour, c'est Marie."
PAD_SECONDS = 1.5


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is missing: `make test` installs it "
            "(apt-get install ffmpeg espeak-ng sox chromium)."
        )
    return path


def run(*argv: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in argv], check=True, capture_output=True, timeout=120, text=False
    )


def speech_wav(path: Path, text: str, pad_before: float, pad_after: float) -> Path:
    """French speech from espeak-ng (22.05 kHz mono 16-bit), padded with silence by sox."""
    raw = path.with_suffix(".raw.wav")
    run(tool("espeak-ng"), "-v", "fr", "-w", raw, text)
    run(tool("sox"), raw, path, "pad", str(pad_before), str(pad_after))
    raw.unlink()
    return path


def silent_wav(path: Path, seconds: float) -> Path:
    run(tool("sox"), "-n", "-r", "48000", "-c", "1", "-b", "16", path, "trim", "0", str(seconds))
    return path


def noise_wav(path: Path, seconds: float) -> Path:
    """A big, real audio file (48 kHz stereo 16-bit: 192 kB per second)."""
    run(
        tool("sox"),
        "-n",
        "-r",
        "48000",
        "-c",
        "2",
        "-b",
        "16",
        path,
        "synth",
        str(seconds),
        "pinknoise",
        "vol",
        "0.1",
    )
    return path


def png_bytes(width: int = 64, height: int = 64) -> bytes:
    """A real PNG image (a grey square)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def duration_seconds(path: Path) -> float:
    return float(run(tool("soxi"), "-D", path).stdout.decode().strip())


@dataclass
class Sounds:
    speech: Path  # ~6.5 s of speech between 1.5 s of silence each side
    short: Path  # ~1.4 s of speech, 2 s in all
    silent: Path
    not_audio: Path  # a PNG named .webm
    too_large: Path  # 30 MB of real audio


def make_sounds(folder: Path) -> Sounds:
    not_audio = folder / "message.webm"
    not_audio.write_bytes(png_bytes())
    return Sounds(
        speech=speech_wav(folder / "speech.wav", SPEECH, PAD_SECONDS, PAD_SECONDS),
        short=speech_wav(folder / "short.wav", SHORT_SPEECH, 0.3, 0.3),
        silent=silent_wav(folder / "silent.wav", 8),
        not_audio=not_audio,
        too_large=noise_wav(folder / "large.wav", 30 * 1024 * 1024 / 192_000),
    )


# --- measuring --------------------------------------------------------------------------------


def ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def decode_pcm(data: bytes, rate: int = 8000) -> array:
    """Any audio ffmpeg reads, as mono signed 16-bit samples at `rate`."""
    out = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", "pipe:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    samples = array("h")
    samples.frombytes(out)
    return samples


@dataclass
class WavFormat:
    format_tag: int
    channels: int
    sample_rate: int
    bits_per_sample: int
    data: bytes


def parse_wav(blob: bytes) -> WavFormat:
    """The fmt chunk and the data of a RIFF/WAVE file."""
    assert blob[:4] == b"RIFF" and blob[8:12] == b"WAVE", blob[:12]
    offset, fmt, data = 12, None, None
    while offset + 8 <= len(blob):
        kind, size = (
            blob[offset : offset + 4],
            struct.unpack("<I", blob[offset + 4 : offset + 8])[0],
        )
        body = blob[offset + 8 : offset + 8 + size]
        if kind == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif kind == b"data":
            data = body
        offset += 8 + size + (size & 1)
    assert fmt is not None and data is not None, "no fmt or data chunk"
    tag, channels, rate, _byte_rate, _align, bits = fmt
    return WavFormat(tag, channels, rate, bits, data)


def mulaw_to_linear(byte: int) -> int:
    """ITU-T G.711 mu-law to a 14-bit magnitude sample scaled to 16 bits."""
    u = ~byte & 0xFF
    magnitude = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84
    return -magnitude if u & 0x80 else magnitude


MULAW_TABLE = [mulaw_to_linear(b) for b in range(256)]


def decode_mulaw(data: bytes) -> list[int]:
    return [MULAW_TABLE[b] for b in data]


def dbfs(samples) -> float:
    """RMS level relative to a full-scale 16-bit square wave."""
    if not samples:
        return -math.inf
    mean_square = sum(s * s for s in samples) / len(samples)
    return 10 * math.log10(mean_square / 32768**2) if mean_square else -math.inf


def onset_seconds(samples, rate: int, threshold_dbfs: float = -40.0, frame: float = 0.01) -> float:
    """Start of the first `frame`-long window louder than `threshold_dbfs`."""
    size = int(rate * frame)
    for start in range(0, len(samples) - size + 1, size):
        if dbfs(samples[start : start + size]) > threshold_dbfs:
            return start / rate
    return math.inf


def integrated_loudness(data: bytes) -> float:
    """EBU R128 integrated loudness (LUFS) as ffmpeg's ebur128 filter measures it."""
    err = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostats", "-i", "pipe:0", "-af", "ebur128", "-f", "null", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=120,
    ).stderr.decode()
    summary = err[err.rindex("Summary:") :]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
