"""The thin job decorator: a fresh Flask app context per job, logs tagged with the job id (in
the message through `voicecast.observability.logs.job_logger`, and as `job_id` in JSON
logs)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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


def current_job_id() -> str | None:
    """The running RQ job's id (None when a job's function is called directly)."""
    current = get_current_job()
    return current.id if current else None


def job(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` inside a fresh app context of the worker's application."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = job_id_var.set(current_job_id())
        try:
            with job_app().app_context():
                try:
                    return fn(*args, **kwargs)
                finally:
                    db.session.remove()
        finally:
            job_id_var.reset(token)

    return wrapper
