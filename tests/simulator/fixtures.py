"""The parts of the simulator tests: a simulator on a free loopback port, twilio-python pointed
at it, and a tiny webhook receiver playing the role of our app (it answers TwiML, serves a WAV
and checks every signature with twilio's own RequestValidator).
"""

from __future__ import annotations

import contextlib
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from voicecast.simulator.engine import SimulatorConfig, Timings
from voicecast.simulator.server import SimulatorServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
FROM = "+33100000000"
MESSAGE_SECONDS = 2.0
FAST = Timings(initiate=0.02, ring=0.05, busy=0.05, no_answer=0.1, human_detection=0.02,
               greeting=0.05, play_factor=0.02)  # fmt: skip


def mulaw_wav(seconds: float, rate: int = 8000) -> bytes:
    """An 8 kHz mono G.711 mu-law WAV of silence (format 7, with the fact chunk it needs)."""
    frames = round(seconds * rate)
    fmt = struct.pack("<HHIIHHH", 7, 1, rate, rate, 1, 8, 0)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"fact" + struct.pack("<II", 4, frames)
    chunks += b"data" + struct.pack("<I", frames) + b"\xff" * frames
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def twilio_client(api_url: str, sid: str = ACCOUNT_SID, token: str = AUTH_TOKEN) -> Client:
    """twilio-python talking to `api_url` instead of https://api.twilio.com.

    The Api domain's base_url is what every Calls URL (and each next_page_uri) is joined to;
    `environment={}` keeps TWILIO_REGION/TWILIO_EDGE from rewriting the host name.
    """
    http_client = TwilioHttpClient()
    assert http_client.session is not None
    http_client.session.trust_env = False  # never through a proxy
    client = Client(sid, token, http_client=http_client, environment={})
    client.api.base_url = api_url
    return client


@dataclass
class Hit:
    """One request our stand-in app received."""

    method: str
    path: str
    params: dict[str, str]
    signature_ok: bool
    at: float = field(default_factory=time.monotonic)


Answer = Callable[[dict[str, str]], str]


def play_or_hang_up(base_url: str) -> Answer:
    """Our app's AMD answer: a machine hears the message, anyone else a hang-up."""

    def answer(params: dict[str, str]) -> str:
        if params.get("AnsweredBy", "").startswith("machine_"):
            return f"<Response><Play>{base_url}/audio/message.wav</Play><Hangup/></Response>"
        return "<Response><Hangup/></Response>"

    return answer


class Receiver:
    """A threaded HTTP server on a free loopback port standing in for our app."""

    def __init__(self, token: str = AUTH_TOKEN) -> None:
        self.validator = RequestValidator(token)
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.files = {
            "/audio/message.wav": ("audio/wav", mulaw_wav(MESSAGE_SECONDS)),
            "/audio/page.wav": ("audio/wav", b"<html><body>Not found</body></html>"),
        }
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.answer: Answer = play_or_hang_up(self.base_url)
        self.routes: dict[str, Answer] = {}  # path -> its own TwiML answer (else `answer`)
        self.twiml_delay = 0.0  # seconds before answering TwiML (a slow app)
        self.cache_control: dict[str, str] = {}  # path -> Cache-Control header of its GET
        self.answered = 0  # TwiML answers fully written (or failed to)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                if path in receiver.files:
                    ctype, body = receiver.files[path]
                    receiver.record("GET", path, {}, True)
                    return self.reply(200, ctype, body, receiver.cache_control.get(path))
                self.reply(404, "text/plain", b"not found")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                url = receiver.base_url + self.path
                signature = self.headers.get("X-Twilio-Signature", "")
                ok = receiver.validator.validate(url, params, signature)
                path = urllib.parse.urlsplit(self.path).path
                receiver.record("POST", path, params, ok)
                if path.startswith("/twiml"):
                    time.sleep(receiver.twiml_delay)
                    with contextlib.suppress(OSError):  # the simulator may have given up
                        answer = receiver.routes.get(path, receiver.answer)
                        self.reply(200, "text/xml", answer(params).encode())
                    with receiver.lock:
                        receiver.answered += 1
                    return None
                self.reply(204, "text/plain", b"")

            def reply(self, status: int, ctype: str, body: bytes, cache: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if cache:
                    self.send_header("Cache-Control", cache)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def record(self, method: str, path: str, params: dict[str, str], ok: bool) -> None:
        with self.lock:
            self.hits.append(Hit(method, path, params, ok))

    def requests(self, path_prefix: str, call_sid: str | None = None) -> list[Hit]:
        with self.lock:
            return [
                hit
                for hit in self.hits
                if hit.path.startswith(path_prefix)
                and (call_sid is None or hit.params.get("CallSid") == call_sid)
            ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def wait_for(condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> object:
    """Poll `condition` until it is truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")


def make_simulator(**overrides: object) -> SimulatorServer:
    options: dict[str, object] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "cps": 100.0,
        "timings": FAST,
    }
    options.update(overrides)
    return SimulatorServer(SimulatorConfig(**options)).start()  # type: ignore[arg-type]


def get_json(url: str) -> object:
    """GET `url` and decode its JSON (no proxy)."""
    import json
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        return json.load(response)


def settled_call(simulator: SimulatorServer, sid: str, timeout: float = 10.0) -> dict:
    """The ledger entry of call `sid` once nothing more will happen to it."""

    def settled() -> dict | None:
        entry = get_json(f"{simulator.url}/_sim/calls/{sid}")
        assert isinstance(entry, dict)
        return entry if entry["settled"] else None

    return wait_for(settled, timeout, f"call {sid} to settle")  # type: ignore[return-value]
