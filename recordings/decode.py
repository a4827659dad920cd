"""Decoding whatever browsers and people send into PCM samples.

The container is recognised from its first bytes (the file name and the browser's content type
are only hints, used when the bytes say nothing), and ffmpeg is told the demuxer explicitly, so
no ffprobe is needed. One ffmpeg run decodes the first audio stream into two mono float streams:
the original sample rate (to look for clipping on untouched samples) and 8 kHz (what the
carrier plays, after a gentle high-pass that removes rumble and DC offset).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .ffmpeg import FFmpegFailed, last_line, run_ffmpeg

TELEPHONE_RATE = 8000

#: Demuxers ffmpeg may use on uploads. Anything else (playlists, image sequences, concat lists,
#: which can make ffmpeg open other files) is refused by ffmpeg itself.
ALLOWED_DEMUXERS = (
    "matroska",
    "webm",
    "mov",
    "mp4",
    "m4a",
    "ogg",
    "wav",
    "w64",
    "mp3",
    "aac",
    "flac",
    "aiff",
    "caf",
    "amr",
    "amrnb",
    "amrwb",
    "au",
    "asf",
)

#: Files that are certainly not sound: (magic prefix, what to tell the seller).
NOT_AUDIO_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"<!DOCTYPE", "a web page"),
    (b"<html", "a web page"),
)

#: File name extensions and content types mapped to demuxers, used only when the bytes do not
#: identify the container.
HINTS = {
    "webm": "matroska",
    "mkv": "matroska",
    "weba": "matroska",
    "ogg": "ogg",
    "oga": "ogg",
    "opus": "ogg",
    "mp4": "mov",
    "m4a": "mov",
    "mov": "mov",
    "3gp": "mov",
    "aac": "aac",
    "mp3": "mp3",
    "mpeg": "mp3",
    "wav": "wav",
    "x-wav": "wav",
    "wave": "wav",
    "flac": "flac",
    "aiff": "aiff",
    "aif": "aiff",
}


@dataclass(frozen=True)
class Container:
    """What the first bytes say: a demuxer for ffmpeg, or a known non-audio kind, or neither."""

    demuxer: str | None
    not_audio: str | None = None


@dataclass(frozen=True)
class DecodedAudio:
    """Mono samples in [-1, 1] (lossy decoders may overshoot a little)."""

    native: np.ndarray  # float32, the input's own sample rate, for clipping analysis
    telephone: np.ndarray  # float64 at TELEPHONE_RATE, high-passed
    truncated: bool  # the input was longer than the decoding cap and was cut there
    demuxer: str | None


class DecodeError(Exception):
    """The bytes are not decodable audio; `reason` says why, in a few words."""

    def __init__(self, reason: str, demuxer: str | None = None) -> None:
        self.reason = reason
        self.demuxer = demuxer
        super().__init__(reason)


def sniff_container(head: bytes) -> Container:
    """Recognise the container from the first bytes of a file."""
    for magic, kind in NOT_AUDIO_SIGNATURES:
        if head.startswith(magic):
            return Container(None, not_audio=kind)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Container("matroska")
    if head.startswith(b"OggS"):
        return Container("ogg")
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return Container("wav")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Container(None, not_audio="a WebP image")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Container("aiff")
    if head.startswith(b"fLaC"):
        return Container("flac")
    if head.startswith(b"caff"):
        return Container("caf")
    if head.startswith(b"#!AMR"):
        return Container("amr")
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return Container("mov")
    if head.startswith(b"ID3"):
        return Container("mp3")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer = (head[1] >> 1) & 0x03
        return Container("aac" if layer == 0 else "mp3")  # ADTS frames have layer bits 00
    return Container(None)


def hinted_demuxer(filename: str | None, content_type: str | None) -> str | None:
    """The demuxer the file name or the content type suggests, if any."""
    if content_type:
        subtype = content_type.split(";", 1)[0].strip().lower().rpartition("/")[2]
        if subtype in HINTS:
            return HINTS[subtype]
    if filename:
        extension = Path(filename).suffix.lower().lstrip(".")
        if extension in HINTS:
            return HINTS[extension]
    return None


def decode(
    data: bytes,
    *,
    max_seconds: float,
    filename: str | None = None,
    content_type: str | None = None,
) -> DecodedAudio:
    """Decode the first audio stream of `data`, reading at most `max_seconds` of it.

    Raises `DecodeError` when the bytes are not audio ffmpeg can read.
    """
    if not data:
        raise DecodeError("the file is empty")
    container = sniff_container(data[:64])
    if container.not_audio:
        raise DecodeError(f"the file is {container.not_audio}")
    if container.demuxer:
        return _decode_with(data, container.demuxer, max_seconds)
    hint = hinted_demuxer(filename, content_type)
    if hint:
        try:
            return _decode_with(data, hint, max_seconds)
        except DecodeError:
            pass  # the name lied; let ffmpeg probe the content itself
    return _decode_with(data, None, max_seconds)


def _decode_with(data: bytes, demuxer: str | None, max_seconds: float) -> DecodedAudio:
    with tempfile.TemporaryDirectory(prefix="recording-") as folder:
        source = os.path.join(folder, "input")
        native_path = os.path.join(folder, "native.f32")
        telephone_path = os.path.join(folder, "telephone.f32")
        with open(source, "wb") as handle:
            handle.write(data)
        forced = ["-f", demuxer] if demuxer else []
        args = [
            "-protocol_whitelist",
            "file",
            "-format_whitelist",
            ",".join(ALLOWED_DEMUXERS),
            *forced,
            "-t",
            f"{max_seconds:.3f}",
            "-i",
            source,
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-c:a",
            "pcm_f32le",
            "-f",
            "f32le",
            native_path,
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-af",
            f"highpass=f=70,aresample={TELEPHONE_RATE}",
            "-c:a",
            "pcm_f32le",
            "-f",
            "f32le",
            telephone_path,
        ]
        try:
            run_ffmpeg(args)
        except FFmpegFailed as error:
            reason = last_line(error.stderr) or "ffmpeg could not read it"
            raise DecodeError(reason, demuxer) from None
        native = np.fromfile(native_path, dtype="<f4")
        telephone = np.fromfile(telephone_path, dtype="<f4").astype(np.float64)
    if native.size == 0 or telephone.size == 0:
        raise DecodeError("no audio samples were found", demuxer)
    if not np.isfinite(telephone).all():
        raise DecodeError("the decoded samples are not numbers", demuxer)
    truncated = telephone.size >= int(max_seconds * TELEPHONE_RATE) - TELEPHONE_RATE // 100
    return DecodedAudio(native, telephone, truncated, demuxer)
