"""The output files: the carrier's 8 kHz mono mu-law WAV and an MP3 preview.

Mu-law (G.711) is encoded here rather than by ffmpeg, so the samples that are measured are
exactly the ones shipped: each sample gets the code whose standard decoded value is nearest.
The WAV layout is the one ffmpeg writes for `pcm_mulaw` (an 18-byte `fmt ` chunk with format
tag 7, a `fact` chunk, then `data`), without any metadata, so the same input gives the same
bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .ffmpeg import FFmpegProcess

MULAW_FORMAT_TAG = 7
PREVIEW_RATE = 16000  # MPEG-2 layer III: every browser plays it
PREVIEW_BITRATE = "32k"


def _mulaw_decode_table() -> np.ndarray:
    """The G.711 mu-law code -> 16-bit linear value table (256 entries)."""
    codes = np.arange(256, dtype=np.int32)
    inverted = ~codes & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(inverted & 0x80, -magnitude, magnitude).astype(np.int16)


MULAW_TO_LINEAR = _mulaw_decode_table()
# Codes sorted by decoded value, without 0x7F (negative zero, a twin of 0xFF).
_CODES_BY_VALUE = np.array(
    sorted((code for code in range(256) if code != 0x7F), key=lambda c: MULAW_TO_LINEAR[c]),
    dtype=np.uint8,
)
_SORTED_VALUES = MULAW_TO_LINEAR[_CODES_BY_VALUE].astype(np.float64)
_MIDPOINTS = (_SORTED_VALUES[1:] + _SORTED_VALUES[:-1]) / 2.0


def mulaw_encode(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] to mu-law codes, each the nearest mu-law level."""
    linear = np.clip(samples, -1.0, 1.0) * 32768.0
    return _CODES_BY_VALUE[np.searchsorted(_MIDPOINTS, linear)].tobytes()


def mulaw_decode(codes: bytes) -> np.ndarray:
    """Mu-law codes to float samples in [-1, 1]."""
    return MULAW_TO_LINEAR[np.frombuffer(codes, dtype=np.uint8)].astype(np.float64) / 32768.0


def mulaw_wav(codes: bytes, rate: int) -> bytes:
    """A mono mu-law WAV file holding `codes`."""
    fmt = struct.pack("<HHIIHHH", MULAW_FORMAT_TAG, 1, rate, rate, 1, 8, 0)
    fact = struct.pack("<I", len(codes))
    pad = b"\x00" if len(codes) % 2 else b""
    chunks = [
        b"fmt " + struct.pack("<I", len(fmt)) + fmt,
        b"fact" + struct.pack("<I", len(fact)) + fact,
        b"data" + struct.pack("<I", len(codes)) + codes + pad,
    ]
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


@dataclass(frozen=True)
class WavInfo:
    """What a WAV file's `fmt ` chunk says, and its sample data."""

    format_tag: int
    channels: int
    sample_rate: int
    bits_per_sample: int
    data: bytes


def read_wav(blob: bytes) -> WavInfo:
    """Parse a RIFF/WAVE file by hand (the `wave` module refuses mu-law)."""
    if blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    position = 12
    fmt: tuple[int, ...] | None = None
    while position + 8 <= len(blob):
        chunk_id = blob[position : position + 4]
        (size,) = struct.unpack("<I", blob[position + 4 : position + 8])
        body = blob[position + 8 : position + 8 + size]
        if chunk_id == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif chunk_id == b"data":
            if fmt is None:
                raise ValueError("data chunk before fmt chunk")
            return WavInfo(fmt[0], fmt[1], fmt[2], fmt[5], body)
        position += 8 + size + (size % 2)
    raise ValueError("no data chunk")


def mp3_preview_encoder(rate: int) -> FFmpegProcess:
    """An ffmpeg process, started ahead, that turns f32le samples at `rate` into the preview:
    an MP3 of the processed (telephone-band) signal, for listening back in a browser.

    Feed it with `encoder.finish(preview_pcm(samples))`.
    """
    args = [
        "-f",
        "f32le",
        "-ar",
        str(rate),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-ar",
        str(PREVIEW_RATE),
        "-c:a",
        "libmp3lame",
        "-b:a",
        PREVIEW_BITRATE,
        "-compression_level",
        "7",  # LAME's faster search: no audible difference at this bitrate and band
        "-map_metadata",
        "-1",
        "-fflags",
        "+bitexact",
        "-flags:a",
        "+bitexact",
        "-id3v2_version",
        "0",
        "-write_xing",
        "0",
        "-f",
        "mp3",
        "pipe:1",
    ]
    return FFmpegProcess(args)


def preview_pcm(samples: np.ndarray) -> bytes:
    """The samples as the preview encoder reads them."""
    return np.clip(samples, -1.0, 1.0).astype("<f4").tobytes()


def mp3_preview(samples: np.ndarray, rate: int) -> bytes:
    """The MP3 preview of `samples` (see `mp3_preview_encoder`)."""
    with mp3_preview_encoder(rate) as encoder:
        return encoder.finish(preview_pcm(samples))
