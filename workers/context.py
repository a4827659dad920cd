"""The thin job decorator: a fresh Flask app context per job, logs tagged with the job id (in
the message, and as `job_id` in JSON logs)."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from rq import get_current_job

from voicecast import create_app
from voicecast.extensions import db
from voicecast.observability.logs import job_id_var

P = ParamSpec("P")
R = TypeVar("R")

_app: Flask | None = None
_app_pid: int | None = None
_app_env: tuple[str | None, ...] = ()

# The settings that decide which database and Redis a job talks to.
ENV_KEYS = ("DATABASE_URL", "REDIS_URL", "VOICECAST_INSTANCE_PATH")


def job_app() -> Flask:
    """One application per worker process (and per configuration), built on first use."""
    global _app, _app_pid, _app_env
    env = tuple(os.environ.get(key) for key in ENV_KEYS)
    if _app is None or env != _app_env:
        _app, _app_env, _app_pid = create_app(), env, os.getpid()
    elif _app_pid != os.getpid():
        # A forked work horse must not share the parent's database connections.
        with _app.app_context():
            db.engine.dispose(close=False)
        _app_pid = os.getpid()
    return _app


class JobLogAdapter(logging.LoggerAdapter):
    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return f"[job {self.extra['job_id']}] {msg}", kwargs


def job_logger(name: str) -> logging.LoggerAdapter:
    current = get_current_job()
    return JobLogAdapter(logging.getLogger(name), {"job_id": current.id if current else "-"})


def job(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` inside a fresh app context of the worker's application."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        current = get_current_job()
        token = job_id_var.set(current.id if current else None)
        try:
            with job_app().app_context():
                try:
                    return fn(*args, **kwargs)
                finally:
                    db.session.remove()
        finally:
            job_id_var.reset(token)

    return wrapper
