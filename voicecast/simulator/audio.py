"""Is a `<Play>` download real audio, and how long does it play? WAV (RIFF) and MP3 only.

Written from the formats' specifications with no audio library, so that the simulator does not
share code with the recording pipeline it checks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

WAV_TYPES = {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}
MP3_TYPES = {"audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3"}
WAV_FORMATS = {1: "pcm", 3: "float", 6: "alaw", 7: "mulaw", 0xFFFE: "extensible"}

# MPEG audio frame header tables, indexed [version][layer] / [version].
MP3_BITRATES = {  # kbit/s by bitrate index 1..14; version 1 / version 2 and 2.5
    (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
MP3_SAMPLE_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}


class NotAudio(ValueError):
    """The bytes are not a WAV or MP3 file we can measure; the message says why."""


@dataclass(frozen=True)
class AudioInfo:
    """What a download turned out to be."""

    format: str  # "wav" or "mp3"
    codec: str  # e.g. "mulaw", "pcm", "mpeg1-layer3"
    sample_rate: int
    channels: int
    duration_seconds: float


def inspect(data: bytes) -> AudioInfo:
    """Measure `data`, or raise NotAudio."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return inspect_wav(data)
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return inspect_mp3(data)
    raise NotAudio(f"neither RIFF/WAVE nor MP3 (starts with {data[:12]!r})")


def content_type_matches(info: AudioInfo, content_type: str) -> bool:
    """Whether the HTTP Content-Type announces the format actually served."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime in (WAV_TYPES if info.format == "wav" else MP3_TYPES)


def inspect_wav(data: bytes) -> AudioInfo:
    """Walk the RIFF chunks: a `fmt ` chunk, then a `data` chunk."""
    offset, fmt = 12, None
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = offset + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise NotAudio("WAV fmt chunk is truncated")
            fmt = struct.unpack_from("<HHIIHH", data, body)
        elif chunk_id == b"data":
            if fmt is None:
                raise NotAudio("WAV data chunk comes before any fmt chunk")
            tag, channels, rate, byte_rate, _, _ = fmt
            if channels < 1 or rate < 1 or byte_rate < 1:
                raise NotAudio(f"WAV fmt chunk is invalid: {fmt}")
            available = len(data) - body
            size = available if size == 0xFFFFFFFF else min(size, available)
            codec = WAV_FORMATS.get(tag, f"format-{tag}")
            return AudioInfo("wav", codec, rate, channels, size / byte_rate)
        offset = body + size + (size & 1)
    raise NotAudio("WAV without fmt and data chunks" if fmt is None else "WAV without data")


def skip_id3(data: bytes) -> int:
    """Offset of the first byte after an ID3v2 tag (0 if there is none)."""
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def mp3_frame(data: bytes, offset: int) -> tuple[int, int, int, int, str] | None:
    """(frame length, samples, sample rate, channels, codec) of the frame at `offset`."""
    if offset + 4 > len(data):
        return None
    header = struct.unpack_from(">I", data, offset)[0]
    if header >> 21 != 0x7FF:
        return None
    version = {0: 25, 2: 2, 3: 1}.get((header >> 19) & 3)
    layer = {1: 3, 2: 2, 3: 1}.get((header >> 17) & 3)
    bitrate_index, rate_index = (header >> 12) & 15, (header >> 10) & 3
    if version is None or layer is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = MP3_BITRATES[(1 if version == 1 else 2, layer)][bitrate_index - 1] * 1000
    rate = MP3_SAMPLE_RATES[version][rate_index]
    padding = (header >> 9) & 1
    channels = 1 if (header >> 6) & 3 == 3 else 2
    if layer == 1:
        samples, length = 384, (12 * bitrate // rate + padding) * 4
    else:
        samples = 576 if layer == 3 and version != 1 else 1152
        length = samples // 8 * bitrate // rate + padding
    codec = f"mpeg{'2.5' if version == 25 else version}-layer{layer}"
    return length, samples, rate, channels, codec


def inspect_mp3(data: bytes) -> AudioInfo:
    """Count MPEG audio frames after any ID3v2 tag; at least two in a row must be valid."""
    offset = skip_id3(data)
    first = mp3_frame(data, offset)
    if first is None:
        raise NotAudio("no MPEG audio frame sync after the ID3 tag" if offset else "no MP3 frame")
    _, _, rate, channels, codec = first
    frames = total_samples = 0
    while (frame := mp3_frame(data, offset)) is not None and offset + frame[0] <= len(data):
        frames += 1
        total_samples += frame[1]
        offset += frame[0]
    if frames < 2 and len(data) - offset > 4:
        raise NotAudio("MP3 frame sync found, but no sequence of valid frames")
    return AudioInfo("mp3", codec, rate, channels, total_samples / rate)
