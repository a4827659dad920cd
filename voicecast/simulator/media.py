"""`<Play>`: download the audio as Twilio would, check it is real audio, note what was heard.

Like Twilio, the simulator keeps media as long as the response's Cache-Control allows
(`max-age`; nothing with `no-cache`, `no-store` or `private`) and plays it again from there:
a ledger entry says `"cached": true` when no request was made.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import TYPE_CHECKING

from voicecast.simulator import audio
from voicecast.simulator.ledger import CallRecord, iso, now
from voicecast.simulator.twiml import Verb
from voicecast.simulator.webhooks import HttpResult, download

if TYPE_CHECKING:
    from voicecast.simulator.engine import Simulator

MAX_CACHED_FILES = 256


class MediaCache:
    """Downloaded media by URL, each until its max-age runs out; thread-safe."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, HttpResult]] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> HttpResult | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None or entry[0] <= time.monotonic():
                self._entries.pop(url, None)
                return None
            return entry[1]

    def put(self, result: HttpResult) -> None:
        if result.max_age <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_CACHED_FILES:
                self._entries.clear()
            self._entries[result.url] = (time.monotonic() + result.max_age, result)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def play_media(sim: Simulator, call: CallRecord, verb: Verb, url: str) -> float:
    """Fetch and measure the `<Play>` at `url` (already absolute); its duration in seconds.

    A failed download (Twilio's 11200), a wrong Content-Type (12300) or bytes that are not audio
    are errors in the ledger and play nothing (0 s): Twilio skips to the next verb.
    """
    if not url:
        with sim.ledger.lock:
            call.error(12200, "<Play> without a URL")
        return 0.0
    result, cached = sim.media_cache.get(url), True
    if result is None:
        result, cached = download(url, timeout=sim.config.webhook_timeout), False
        if result.ok:
            sim.media_cache.put(result)
    entry = {
        "cached": cached,
        "url": url,
        "http_status": result.status,
        "bytes": len(result.body),
        "content_type": result.content_type,
        "elapsed_ms": round(result.elapsed_seconds * 1000),
        "fetched_at": iso(now()),
        "sha256": hashlib.sha256(result.body).hexdigest() if result.body else None,
        "loop": verb.attrs.get("loop", "1"),
    }
    if not result.ok:
        with sim.ledger.lock:
            call.error(11200, f"<Play> download failed: {result.error}", url=url)
        return 0.0
    try:
        info = audio.inspect(result.body)
    except audio.NotAudio as problem:
        with sim.ledger.lock:
            call.error(12300, f"<Play> is not a real audio file: {problem}", **entry)
        return 0.0
    entry.update(
        format=info.format,
        codec=info.codec,
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration_seconds=round(info.duration_seconds, 3),
    )
    with sim.ledger.lock:
        call.played.append(entry)
        if not audio.content_type_matches(info, result.content_type):
            ctype = result.content_type or "none"
            call.error(12300, f"Invalid Content-Type {ctype} for a {info.format} file", url=url)
    return info.duration_seconds
