"""Making test audio with real tools (espeak-ng, sox, ffmpeg) and measuring files with ffmpeg's
own meters, independently of the code under test."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

TOOLS = ("ffmpeg", "espeak-ng", "sox")

#: How each format is made: like Chrome and Firefox (WebM/Opus), Firefox (Ogg/Opus), Safari
#: (fragmented MP4/AAC), a phone's voice memo (M4A/AAC, index at the end), MP3, and plain WAV.
FORMATS: dict[str, tuple[str, ...]] = {
    "webm": ("-c:a", "libopus", "-ar", "48000", "-ac", "1", "-b:a", "64k", "-f", "webm"),
    "ogg": ("-c:a", "libopus", "-ar", "48000", "-ac", "1", "-f", "ogg"),
    "mp4": (
        "-c:a",
        "aac",
        "-ar",
        "48000",
        "-ac",
        "1",
        "-movflags",
        "+frag_keyframe+empty_moov+default_base_moof",
        "-f",
        "mp4",
    ),
    "m4a": ("-c:a", "aac", "-ar", "44100", "-ac", "2", "-f", "ipod"),
    "mp3": ("-c:a", "libmp3lame", "-ar", "44100", "-b:a", "128k", "-f", "mp3"),
    "wav": ("-c:a", "pcm_s16le", "-ar", "44100", "-ac", "2", "-f", "wav"),
}


def require_tools() -> None:
    """Fail clearly when the audio tools are missing (scripts/bootstrap.sh installs them)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"missing {', '.join(missing)}: run scripts/bootstrap.sh (Debian packages "
            "ffmpeg espeak-ng sox)"
        )


def run(*command: str | Path, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Run a tool, failing with its error output when it fails."""
    completed = subprocess.run(
        [str(part) for part in command], input=input, capture_output=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {completed.stderr.decode(errors='replace')}")
    return completed


def ffmpeg(*args: str | Path, input: bytes | None = None) -> subprocess.CompletedProcess:
    return run("ffmpeg", "-hide_banner", "-nostdin", "-y", *args, input=input)


def speak(text: str, path: Path, *, pad_seconds: float) -> Path:
    """French speech from espeak-ng, with `pad_seconds` of silence before and after (sox)."""
    raw = path.with_suffix(".raw.wav")
    run("espeak-ng", "-v", "fr", "-w", raw, text)
    run("sox", raw, path, "pad", str(pad_seconds), str(pad_seconds))
    return path


def encode(source: Path, target: Path, *codec_args: str) -> Path:
    """`source` re-encoded by ffmpeg into `target` with the given codec arguments."""
    ffmpeg("-i", source, *codec_args, target)
    return target


@dataclass(frozen=True)
class WavFormat:
    format_tag: int
    channels: int
    sample_rate: int
    byte_rate: int
    block_align: int
    bits_per_sample: int
    data_size: int


def parse_wav_header(blob: bytes) -> WavFormat:
    """The RIFF `fmt ` chunk and data size, parsed by hand (`wave` refuses mu-law, tag 7)."""
    assert blob[:4] == b"RIFF" and blob[8:12] == b"WAVE", "not a RIFF/WAVE file"
    (riff_size,) = struct.unpack("<I", blob[4:8])
    assert riff_size == len(blob) - 8, "RIFF size does not match the file"
    position, fmt = 12, None
    while position + 8 <= len(blob):
        chunk, size = (
            blob[position : position + 4],
            struct.unpack("<I", blob[position + 4 : position + 8])[0],
        )
        if chunk == b"fmt ":
            fmt = struct.unpack("<HHIIHH", blob[position + 8 : position + 24])
        elif chunk == b"data":
            assert fmt is not None, "data before fmt"
            return WavFormat(*fmt, data_size=size)
        position += 8 + size + size % 2
    raise AssertionError("no data chunk")


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


def measure_loudness(path: Path) -> Loudness:
    """Integrated loudness and true peak, from ffmpeg's ebur128 meter."""
    output = ffmpeg(
        "-nostats", "-i", path, "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"
    ).stderr.decode()
    summary = output[output.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return Loudness(integrated, peak)


def mean_volume_db(path: Path) -> float:
    """RMS level of the whole file in dBFS, from ffmpeg's volumedetect."""
    output = ffmpeg("-nostats", "-i", path, "-af", "volumedetect", "-f", "null", "-").stderr
    return float(re.search(rb"mean_volume: (-?[\d.]+|-inf) dB", output).group(1))


def sound_span(path: Path, threshold_db: float = -40.0) -> tuple[float, float]:
    """First and last moment louder than `threshold_db` (ffmpeg's silencedetect), in seconds."""
    output = ffmpeg(
        "-nostats",
        "-i",
        path,
        "-af",
        f"silencedetect=noise={threshold_db}dB:duration=0.05",
        "-f",
        "null",
        "-",
    ).stderr.decode()
    starts = [float(value) for value in re.findall(r"silence_start: (-?[\d.]+)", output)]
    ends = [float(value) for value in re.findall(r"silence_end: (-?[\d.]+)", output)]
    total = decoded_seconds(path)
    onset = ends[0] if starts and starts[0] <= 0.001 and ends else 0.0
    # A silence that runs to the end has no silence_end, or one at the very end.
    trailing = starts and (len(ends) < len(starts) or ends[-1] >= total - 0.02)
    offset = starts[-1] if trailing else total
    return onset, offset


def decoded_seconds(path: Path) -> float:
    """Duration by decoding to raw samples at 8 kHz."""
    pcm = ffmpeg("-i", path, "-ac", "1", "-ar", "8000", "-f", "s16le", "-").stdout
    return len(pcm) / 16000
