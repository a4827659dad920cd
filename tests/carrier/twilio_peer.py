"""A tiny Twilio-shaped HTTP server on loopback: the far end of the carrier tests.

It speaks the part of the 2010-04-01 Calls API our `Carrier` uses (create, fetch, list, update)
in Twilio's JSON shapes and error envelopes, checks Basic auth, records every request, and can
be told how to answer the next requests (`script`): an error status and body, a delay, or a
dropped connection. It is a test peer reached over real HTTP, not a mock of our code.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CALL_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Calls(?:/(?P<sid>CA\w+))?\.json$")
INVALID_TO = "+15005550001"  # Twilio's magic test number for an invalid To (error 21211)
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment, usegmt=False) if moment else None


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class Scripted:
    status: int | None = None  # None: answer normally (after `delay`)
    body: dict[str, Any] | None = None
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    raw: bytes | None = None  # send these bytes as the body instead of JSON


@dataclass
class PeerCall:
    sid: str
    account_sid: str
    to: str
    from_: str
    status: str = "queued"
    date_created: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    start_time: datetime | None = None
    end_time: datetime | None = None
    answered_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "sid": self.sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.end_time or self.start_time or self.date_created),
            "parent_call_sid": None,
            "account_sid": self.account_sid,
            "to": self.to,
            "to_formatted": self.to,
            "from": self.from_,
            "from_formatted": self.from_,
            "phone_number_sid": None,
            "status": self.status,
            "start_time": rfc2822(self.start_time),
            "end_time": rfc2822(self.end_time),
            "duration": None,
            "price": None,
            "price_unit": "USD",
            "direction": "outbound-api",
            "answered_by": self.answered_by,
            "api_version": "2010-04-01",
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": uri + ".json",
            "subresource_uris": {"recordings": uri + "/Recordings.json"},
        }


class TwilioPeer:
    """Start with `start()`, point a `Carrier` at `url`, stop with `stop()`."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.calls: dict[str, PeerCall] = {}
        self.received: list[Received] = []
        self.scripted: deque[Scripted] = deque()
        self.max_page_size = 1000
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TwilioPeer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def script(self, *replies: Scripted) -> None:
        """How to answer the next requests, in order; then back to normal answers."""
        self.scripted.extend(replies)

    def add_call(self, to: str, **fields: Any) -> PeerCall:
        call = PeerCall(
            sid="CA" + secrets.token_hex(16), account_sid=self.account_sid, to=to, **fields
        )
        with self.lock:
            self.calls[call.sid] = call
        return call

    # -- the API -------------------------------------------------------------------------------

    def answer(self, received: Received) -> tuple[int, dict[str, Any]]:
        match = CALL_PATH.match(received.path)
        if not match or match["account"] != self.account_sid:
            return 404, twilio_error(404, 20404, "The requested resource was not found")
        sid = match["sid"]
        if sid is None and received.method == "POST":
            return self.create(received.form)
        if sid is None:
            return self.list(received.path, received.query)
        call = self.calls.get(sid)
        if call is None:
            return 404, twilio_error(
                404, 20404, f"The requested resource {received.path} was not found"
            )
        if received.method == "POST":
            return self.update(call, received.form)
        return 200, call.as_json()

    def create(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        to, from_ = form.get("To", [""])[0], form.get("From", [""])[0]
        if to == INVALID_TO or not E164.match(to):
            return 400, twilio_error(
                400, 21211, f"The 'To' number {to} is not a valid phone number."
            )
        return 201, self.add_call(to, from_=from_).as_json()

    def update(self, call: PeerCall, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        status = form.get("Status", [""])[0]
        if status in ("canceled", "completed"):
            call.status = status
            call.end_time = datetime.now(UTC).replace(microsecond=0)
        return 200, call.as_json()

    def list(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def first(name: str) -> str | None:
            return query.get(name, [None])[0]

        calls = sorted(self.calls.values(), key=lambda call: call.date_created, reverse=True)
        if first("To"):
            calls = [call for call in calls if call.to == first("To")]
        if first("Status"):
            calls = [call for call in calls if call.status == first("Status")]
        if first("StartTime>"):
            after = datetime.fromisoformat(str(first("StartTime>")).replace("Z", "+00:00"))
            calls = [call for call in calls if call.start_time and call.start_time >= after]
        size = min(int(first("PageSize") or 50), self.max_page_size)
        page = int(first("Page") or 0)
        chunk = calls[page * size : (page + 1) * size]
        filters = {
            name: values[0] for name, values in query.items() if name not in ("Page", "PageToken")
        }

        def page_uri(number: int) -> str:
            return f"{path}?{urlencode({**filters, 'Page': number, 'PageToken': f'PT{number}'})}"

        more = (page + 1) * size < len(calls)
        return 200, {
            "calls": [call.as_json() for call in chunk],
            "end": page * size + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": page_uri(page - 1) if page else None,
            "start": page * size,
            "uri": f"{path}?{urlencode(filters)}",
        }

    # -- HTTP ----------------------------------------------------------------------------------

    def authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.serve()

            def do_POST(self) -> None:
                self.serve()

            def serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                received = Received(
                    self.command,
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    parse_qs(body, keep_blank_values=True),
                    dict(self.headers.items()),
                )
                with peer.lock:
                    peer.received.append(received)
                    scripted = peer.scripted.popleft() if peer.scripted else Scripted()
                # The request is processed first (a call may be created), then the answer is
                # delayed or lost, as when the carrier is slow or the connection breaks.
                if not peer.authorized(self.headers.get("Authorization", "")):
                    status, payload = 401, twilio_error(401, 20003, "Authenticate")
                elif scripted.status is not None:
                    status, payload = scripted.status, scripted.body or {}
                else:
                    status, payload = peer.answer(received)
                if scripted.delay:
                    peer.stopping.wait(scripted.delay)
                if scripted.drop or peer.stopping.is_set():
                    self.close_connection = True
                    return
                data = scripted.raw if scripted.raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
