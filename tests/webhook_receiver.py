"""A webhook receiver for tests: a threaded HTTP server on loopback that records every request
it gets, checks its signature, and answers what the test tells it to (200, or 503 while
"down", or a status per event id)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from voicecast.outbound.signing import verify


@dataclass
class Received:
    event_id: str
    event_type: str
    signature: str
    body: bytes
    answered: int
    host: str = ""  # the Host header

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.status = 200
        self.status_for: dict[str, int] = {}  # event id -> status, over `status`
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = self.headers.get("Voicecast-Delivery", "")
                with receiver.lock:
                    answered = receiver.status_for.get(event_id, receiver.status)
                    receiver.requests.append(
                        Received(
                            event_id,
                            self.headers.get("Voicecast-Event", ""),
                            self.headers.get("Voicecast-Signature", ""),
                            body,
                            answered,
                            self.headers.get("Host", ""),
                        )
                    )
                self.send_response(answered)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"ok\r\n" if answered < 300 else b"down")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self) -> list[Received]:
        """The requests it answered with a 2xx, in the order they arrived."""
        with self.lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def all_verified(self, secret: str) -> bool:
        with self.lock:
            return all(verify(secret, r.body, r.signature) for r in self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()
