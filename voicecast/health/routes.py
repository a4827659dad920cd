"""`GET /healthz`: is the service able to work? 200 when the database, Redis and the recordings
storage (folder or bucket) answer, else 503."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from recordings.storage import StorageError
from voicecast.extensions import db
from voicecast.media.store import get_storage
from voicecast.redis_client import get_redis

bp = Blueprint("health", __name__)


def probe(check: Callable[[], object], failures: tuple[type[Exception], ...]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except failures as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


@bp.get("/healthz")
def healthz():
    checks = {
        "database": probe(check_database, (SQLAlchemyError,)),
        "redis": probe(lambda: get_redis().ping(), (RedisError, OSError)),
        "storage": probe(lambda: get_storage().check(), (StorageError, OSError)),
    }
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "unavailable", **checks}
    return jsonify(body), 200 if healthy else 503
