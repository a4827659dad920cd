"""Logs as text or as one JSON object per line (LOG_FORMAT), tagged with the request or job.

A web request's id is the `X-Request-ID` it came with (a proxy's or a client's, if it looks
like one), else a new one; it is sent back in the response's `X-Request-ID` header and put on
every log line written while the request is served. An RQ job's lines carry its `job_id`
(`workers.context.job` sets it). Both live in context variables, so that threads serving other
requests never mix them up.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("job_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# What we take from a client: short, printable, no spaces (it ends up in logs and headers).
GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


class JobLogAdapter(logging.LoggerAdapter):
    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return f"[job {self.extra['job_id']}] {msg}", kwargs


def job_logger(name: str) -> logging.LoggerAdapter:
    """The logger `name`, its text lines prefixed with the running job's id (JSON lines carry
    it as `job_id` whatever the logger)."""
    return JobLogAdapter(logging.getLogger(name), {"job_id": job_id_var.get() or "-"})


def current_ids() -> dict[str, str]:
    ids = {}
    if (request_id := request_id_var.get()) is not None:
        ids["request_id"] = request_id
    if (job_id := job_id_var.get()) is not None:
        ids["job_id"] = job_id
    return ids


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id / job_id, and the
    exception's traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **current_ids(),
        }
        if record.exc_info:  # exc_text: the traceback as redaction left it
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JSON_HANDLER_MARK = "voicecast_json"


def use_json_logs() -> None:
    """Have the root logger write JSON lines to stderr, in place of basicConfig's plain
    handler (once per process; other handlers, such as pytest's, are left alone)."""
    root = logging.getLogger()
    if any(getattr(handler, JSON_HANDLER_MARK, False) for handler in root.handlers):
        return
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, JSON_HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestIds:
    """WSGI middleware, outermost: gives each request its id and returns it in a header."""

    def __init__(self, wsgi_app: WSGIApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        sent = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = sent if sent and GOOD_REQUEST_ID.fullmatch(sent) else os.urandom(16).hex()
        environ["voicecast.request_id"] = request_id
        header = (REQUEST_ID_HEADER, request_id)

        def start_with_id(status: str, headers: list, exc_info: Any = None):
            headers.append(header)
            return start_response(status, headers, exc_info)

        token = request_id_var.set(request_id)
        try:
            return self.wsgi_app(environ, start_with_id)
        finally:
            request_id_var.reset(token)
