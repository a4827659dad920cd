"""Checks that what we send to the carrier is what Twilio accepts.

Each request our `Carrier` sends is validated, exactly as prepared for the wire, against
Twilio's own OpenAPI definition of the 2010-04-01 API (trimmed to the operations we use, in
twilio_definition/, see its README) with openapi-core, plus explicit checks of what that
definition leaves free: MachineDetection is "DetectMessageEnd", booleans are "true"/"false"
(twilio-python sends Python `True` as "True"), To/From are E.164 (a message goes from a number, an
alphanumeric sender ID or a Messaging Service: exactly one), StatusCallbackEvent asks for
the four progress events, async AMD has an absolute AsyncAmdStatusCallback by POST, and a call
update carries a `<Response>` document within 4,000 characters (or a URL, or a Status).

Use: `conform(carrier)` (fixture `conformance`) mounts a validating transport on the carrier's
own HTTP session and returns the log of what was sent; a non-conforming request raises
`NonConformingRequest` before it leaves. `twilio_spec` is the parsed definition, loaded once.
"""

from __future__ import annotations

import functools
import json
import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from requests.adapters import HTTPAdapter

from voicecast.carrier import Carrier

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_FILE = "twilio_api_v2010.json"
SPEC_ENV = "TWILIO_OPENAPI_DIR"
BUNDLED_SPEC = Path(__file__).resolve().parent / "twilio_definition" / SPEC_FILE
TWILIO_ORIGIN = "https://api.twilio.com"
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
PROGRESS_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
CALLS = re.compile(r"^/2010-04-01/Accounts/[^/]+/Calls\.json$")
# Ranges Twilio documents for the AMD tuning parameters (ms) and the ring time (s).
RANGES = {
    "Timeout": (1, 600),
    "MachineDetectionSpeechThreshold": (1000, 6000),
    "MachineDetectionSpeechEndThreshold": (500, 5000),
    "MachineDetectionSilenceTimeout": (2000, 10000),
    "MachineDetectionTimeout": (3, 59),
}
CALL = re.compile(r"^/2010-04-01/Accounts/[^/]+/Calls/CA[0-9a-fA-F]{32}\.json$")
MESSAGES = re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$")
# A recording's audio: its resource's URI with .wav or .mp3 for .json, as Twilio documents it;
# the definition describes the resource, not its media.
RECORDING_MEDIA = re.compile(
    r"^/2010-04-01/Accounts/[^/]+/Recordings/RE[0-9a-fA-F]{32}\.(wav|mp3)$"
)
# A message's From may also be an alphanumeric sender ID (up to 11 characters, a letter).
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
MAX_INLINE_TWIML = 4000  # characters of a `Twiml` parameter


class NonConformingRequest(AssertionError):
    """A request to the carrier that Twilio would refuse or misread."""


def _in(location: Path) -> Path:
    """The definition at `location`: the file itself, or twilio_api_v2010.json in a folder."""
    return location if location.suffix == ".json" else location / SPEC_FILE


def find_spec_file() -> Path:
    """The definition the tests validate against: the file or folder $TWILIO_OPENAPI_DIR names
    (which must then exist), else the trimmed copy the repository carries."""
    chosen = os.environ.get(SPEC_ENV)
    if not chosen:
        return BUNDLED_SPEC
    path = _in(Path(chosen))
    if not path.is_file():
        raise FileNotFoundError(
            f"{SPEC_ENV}={chosen} holds no Twilio OpenAPI definition ({SPEC_FILE}); unset it "
            f"to use the copy in {BUNDLED_SPEC.parent}"
        )
    return path


def full_spec_file() -> Path | None:
    """Twilio's full definition, if this machine has it: the one $TWILIO_OPENAPI_DIR names,
    else the one in shared/twilio/ beside the clone (CI's and the developers' copy)."""
    chosen = os.environ.get(SPEC_ENV)
    shared = [REPO_ROOT.parent / "shared" / "twilio", REPO_ROOT / "shared" / "twilio"]
    for location in [Path(chosen)] if chosen else shared:
        if _in(location).is_file():
            return _in(location)
    return None


@functools.cache
def twilio_definition() -> dict[str, Any]:
    """The definition as JSON (read once per process; do not change it)."""
    return json.loads(find_spec_file().read_bytes())


@functools.cache
def load_twilio_spec() -> OpenAPI:
    """The parsed definition; parsed once per process."""
    return OpenAPI.from_dict(twilio_definition())


class SpecRequest(RequestsOpenAPIRequest):
    """A prepared request seen as if sent to api.twilio.com (the definition's only server)."""

    def __init__(self, request: requests.PreparedRequest, path_prefix: str = "") -> None:
        super().__init__(request)
        self._prefix = path_prefix.rstrip("/")

    @property
    def host_url(self) -> str:
        return TWILIO_ORIGIN

    @property
    def path(self) -> str:
        path = super().path
        if self._prefix and path.startswith(self._prefix + "/"):
            path = path[len(self._prefix) :]
        return path


def _form(request: requests.PreparedRequest) -> dict[str, list[str]]:
    body = request.body or ""
    text = body.decode() if isinstance(body, bytes) else body
    return parse_qs(text, keep_blank_values=True)


def _query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url or "").query, keep_blank_values=True)


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def free_value_violations(
    params: dict[str, list[str]], from_pattern: re.Pattern[str] | None = None
) -> list[str]:
    """What the definition leaves free, checked for any request's parameters (`from_pattern`:
    what a From may also be besides E.164)."""
    problems = []
    for name, values in params.items():
        if any(value in ("True", "False") for value in values):
            problems.append(f"{name}={values} is a Python bool; Twilio expects 'true'/'false'")
    for name in ("To", "From"):
        value = _one(params, name)
        also = from_pattern if name == "From" else None
        if value is not None and not E164.match(value) and not (also and also.match(value)):
            problems.append(f"{name}={value!r} is not E.164")
    async_amd = _one(params, "AsyncAmd")
    if async_amd is not None and async_amd not in ("true", "false"):
        problems.append(f"AsyncAmd={async_amd!r}; Twilio expects 'true' or 'false'")
    for name, (low, high) in RANGES.items():
        value = _one(params, name)
        if value is not None and not (value.isdigit() and low <= int(value) <= high):
            problems.append(f"{name}={value!r} is outside {low}-{high}")
    return problems


def call_create_violations(form: dict[str, list[str]]) -> list[str]:
    """What every call we create must carry, beyond what the definition checks."""
    problems = free_value_violations(form)
    detection = _one(form, "MachineDetection")
    if detection != "DetectMessageEnd":
        problems.append(f"MachineDetection={detection!r}; voicemail drops need 'DetectMessageEnd'")
    events = form.get("StatusCallbackEvent", [])
    if set(events) != PROGRESS_EVENTS:
        problems.append(f"StatusCallbackEvent={events}; expected each of {sorted(PROGRESS_EVENTS)}")
    if _one(form, "StatusCallbackMethod") not in (None, "POST"):
        problems.append("StatusCallbackMethod must be POST (our webhooks read form bodies)")
    for name in ("Url", "StatusCallback"):
        value = _one(form, name) or ""
        if urlsplit(value).scheme not in ("http", "https"):
            problems.append(f"{name}={value!r} is not an absolute http(s) URL")
    if _one(form, "AsyncAmd") == "true":
        value = _one(form, "AsyncAmdStatusCallback") or ""
        if urlsplit(value).scheme not in ("http", "https"):
            problems.append(f"AsyncAmdStatusCallback={value!r}: async AMD needs an absolute URL")
        if _one(form, "AsyncAmdStatusCallbackMethod") not in (None, "POST"):
            problems.append("AsyncAmdStatusCallbackMethod must be POST (our webhooks read forms)")
    return problems


def call_update_violations(form: dict[str, list[str]]) -> list[str]:
    """What a call update must hold beyond the definition: new TwiML as a `<Response>`
    document within Twilio's 4,000 characters, or an absolute URL; a Status that ends it."""
    problems = free_value_violations(form)
    twiml = _one(form, "Twiml")
    if twiml is not None:
        if len(twiml) > MAX_INLINE_TWIML:
            problems.append(f"Twiml of {len(twiml)} characters; Twilio takes {MAX_INLINE_TWIML}")
        try:
            root = ElementTree.fromstring(twiml)
        except ElementTree.ParseError as error:
            problems.append(f"Twiml is not well-formed XML: {error}")
        else:
            if root.tag != "Response":
                problems.append(f"Twiml's root is <{root.tag}>, not <Response>")
    url = _one(form, "Url")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        problems.append(f"Url={url!r} is not an absolute http(s) URL")
    if _one(form, "Status") not in (None, "canceled", "completed"):
        problems.append(f"Status={_one(form, 'Status')!r}; only canceled or completed")
    if not {"Twiml", "Url", "Status"} & set(form):
        problems.append("a call update with neither Twiml, Url nor Status changes nothing")
    return problems


def message_create_violations(form: dict[str, list[str]]) -> list[str]:
    """A message goes from a number (E.164) or an alphanumeric sender ID, or through a
    Messaging Service: exactly one of From and MessagingServiceSid."""
    problems = free_value_violations(form, ALPHANUMERIC_SENDER)
    if ("From" in form) == ("MessagingServiceSid" in form):
        problems.append("a message needs exactly one of From and MessagingServiceSid")
    return problems


# Twilio's paging parameters, on every list (its next-page links carry them, PageToken too).
PAGING = frozenset({"Page", "PageSize", "PageToken"})


@functools.cache
def operation_parameters() -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    """Per operation of the definition: its path as a pattern, its method, and the names of
    the parameters it takes (form fields for a POST, query parameters otherwise)."""
    operations = []
    for template, item in twilio_definition()["paths"].items():
        parts = re.split(r"\{[^}]+\}", template)
        pattern = re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "$")
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            form = content.get("application/x-www-form-urlencoded", {}).get("schema", {})
            names = set(form.get("properties", {}))
            names |= {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            operations.append((pattern, method.upper(), frozenset(names)))
    return operations


def unknown_parameter_violations(method: str, wire_path: str, params: dict) -> list[str]:
    """Parameters the definition does not name for this operation: Twilio ignores them, so a
    misspelt one (`AsyncAmdStatusCallbak`, `TwiML`) silently drops what it was meant to do.
    The definition's schemas allow any extra field, so openapi-core lets them through."""
    for pattern, operation_method, names in operation_parameters():
        if operation_method == method and pattern.match(wire_path):
            unknown = sorted(set(params) - names - PAGING)
            return [f"{name} is no parameter of {method} {wire_path}" for name in unknown]
    return []


def request_violations(
    spec: OpenAPI, request: requests.PreparedRequest, path_prefix: str = ""
) -> list[str]:
    """Everything wrong with `request` as a Twilio 2010-04-01 API request."""
    wire_path = SpecRequest(request, path_prefix).path
    if request.method == "GET" and RECORDING_MEDIA.match(wire_path):
        return [f"{name} is no parameter of a recording's media" for name in _query(request)]
    problems = []
    try:
        spec.validate_request(SpecRequest(request, path_prefix))
    except Exception as error:  # openapi-core raises one of many validation errors
        details = [str(error), *(str(cause) for cause in [error.__cause__] if cause)]
        problems.append("; ".join(details))
    params = _form(request) if request.method == "POST" else _query(request)
    problems += unknown_parameter_violations(request.method or "", wire_path, params)
    if request.method == "POST" and CALLS.match(wire_path):
        problems += call_create_violations(_form(request))
    elif request.method == "POST" and CALL.match(wire_path):
        problems += call_update_violations(_form(request))
    elif request.method == "POST" and MESSAGES.match(wire_path):
        problems += message_create_violations(_form(request))
    elif request.method == "POST":
        problems += free_value_violations(_form(request))
    else:
        problems += free_value_violations(_query(request))
    return problems


def _is_relative_api_uri(error: Any) -> bool:
    """The definition says `format: uri` for page links, but Twilio (and the definition's own
    examples) send them relative to https://api.twilio.com: not a fault of the sender."""
    return (
        getattr(error, "validator", None) == "format"
        and getattr(error, "validator_value", None) == "uri"
        and str(getattr(error, "instance", "")).startswith("/2010-04-01/")
    )


def response_violations(
    spec: OpenAPI,
    request: requests.PreparedRequest,
    response: requests.Response,
    path_prefix: str = "",
) -> list[str]:
    """What is wrong with a 2xx `response` as Twilio's answer to `request` (for test peers and
    the carrier simulator: their answers must keep Twilio's shapes). Error answers are not
    described by the definition and are not checked."""
    if not 200 <= response.status_code < 300:
        return []
    try:
        spec.validate_response(SpecRequest(request, path_prefix), RequestsOpenAPIResponse(response))
    except Exception as error:  # openapi-core raises one of many validation errors
        schema_errors = getattr(error.__cause__, "schema_errors", None)
        if schema_errors is None:
            return [f"{error}; {error.__cause__}"]
        return [str(item.message) for item in schema_errors if not _is_relative_api_uri(item)]
    return []


@dataclass
class ConformanceLog:
    """What a conforming carrier sent, and what was wrong with it."""

    sent: list[requests.PreparedRequest] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def forms(self, method: str = "POST") -> list[dict[str, list[str]]]:
        return [_form(request) for request in self.sent if request.method == method]

    def queries(self, method: str = "GET") -> list[dict[str, list[str]]]:
        return [_query(request) for request in self.sent if request.method == method]


class Inspector:
    """Logs each request about to leave and refuses one that would not conform."""

    def __init__(self, spec: OpenAPI, log: ConformanceLog, path_prefix: str) -> None:
        self.spec = spec
        self.log = log
        self.path_prefix = path_prefix

    def inspect(self, request: requests.PreparedRequest) -> None:
        self.log.sent.append(request)
        problems = request_violations(self.spec, request, self.path_prefix)
        if problems:
            self.log.violations += problems
            raise NonConformingRequest(
                f"{request.method} {request.url} would not conform to Twilio's API:\n- "
                + "\n- ".join(problems)
            )


class ConformanceAdapter(HTTPAdapter):
    """requests' transport, validating each prepared request before sending it unchanged."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__(max_retries=0)
        self.inspector = inspector

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any):  # type: ignore[override]
        self.inspector.inspect(request)
        return super().send(request, *args, **kwargs)


class ConformancePool:
    """The urllib3 pool the carrier sends its form requests on, validating each request
    (exactly as it will leave: method, URL, headers, body) before sending it unchanged."""

    def __init__(self, pool: Any, inspector: Inspector) -> None:
        self.pool = pool
        self.inspector = inspector

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any):
        prepared = requests.Request(method, url, headers=dict(headers or {}), data=body).prepare()
        self.inspector.inspect(prepared)
        return self.pool.request(method, url, body=body, headers=headers, **kwargs)

    def clear(self) -> None:
        self.pool.clear()


def conform(carrier: Carrier, spec: OpenAPI | None = None) -> ConformanceLog:
    """Validate every request `carrier` sends from now on, whichever way it leaves; returns
    the log."""
    log = ConformanceLog()
    http_client = carrier.http_client
    session = http_client.session
    assert session is not None, "the carrier's HTTP client must pool connections"
    prefix = urlsplit(carrier.api_url).path.rstrip("/")
    inspector = Inspector(spec or load_twilio_spec(), log, prefix)
    adapter = ConformanceAdapter(inspector)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    http_client.pool = ConformancePool(http_client.pool, inspector)
    return log


@pytest.fixture(scope="session")
def twilio_spec() -> OpenAPI:
    """Twilio's 2010-04-01 API definition, parsed once per session; fails clearly if
    $TWILIO_OPENAPI_DIR names none."""
    try:
        return load_twilio_spec()
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def conformance(twilio_spec: OpenAPI) -> Iterator[Callable[[Carrier], ConformanceLog]]:
    """`conformance(carrier)` makes `carrier` conforming; at teardown, no violation may remain."""
    logs: list[ConformanceLog] = []

    def make(carrier: Carrier) -> ConformanceLog:
        log = conform(carrier, twilio_spec)
        logs.append(log)
        return log

    yield make
    for log in logs:
        assert not log.violations, "requests to the carrier did not conform:\n" + "\n".join(
            log.violations
        )
