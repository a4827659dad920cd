"""`Idempotency-Key`: a retried request gets the first answer again instead of acting twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, jsonify, request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voicecast.api.auth import current_principal
from voicecast.errors import ApiError
from voicecast.extensions import db
from voicecast.models.base import utcnow
from voicecast.models.campaign import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(400, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.")
    return key


def stored_response(record: IdempotentRequest, body_hash: str) -> Response:
    if record.request_hash != body_hash:
        raise ApiError(
            422,
            f"This {HEADER} was used for a different request; use a new key for a new request.",
            code="idempotency_key_reused",
        )
    response = jsonify(record.response)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def find_record(key: str, endpoint: str) -> IdempotentRequest | None:
    stmt = select(IdempotentRequest).where(
        IdempotentRequest.account_id == current_principal().account_id,
        IdempotentRequest.key == key,
        IdempotentRequest.endpoint == endpoint,
    )
    return db.session.scalar(stmt)


def once(
    endpoint: str, status: int, act: Callable[[], BaseModel | dict]
) -> BaseModel | dict | Response:
    """Run `act` (which must not commit) unless this key was seen: then replay its answer.

    The answer is stored in the same transaction as the work, so a crash leaves neither. An
    `act` that commits as it goes (a bulk upsert, a chunk at a time) must be idempotent itself:
    a crash before its answer is stored lets a retry run it again."""
    key = request_key()
    if key is None:
        result = act()
        db.session.commit()
        return result
    body_hash = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    existing = find_record(key, endpoint)
    if existing is not None:
        return stored_response(existing, body_hash)
    result = act()
    db.session.add(
        IdempotentRequest(
            account_id=current_principal().account_id,
            key=key,
            endpoint=endpoint,
            request_hash=body_hash,
            status_code=status,
            response=result.model_dump(mode="json") if isinstance(result, BaseModel) else result,
            created_at=utcnow(),
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same key raced us: its answer stands, ours is undone
        db.session.rollback()
        return stored_response(find_record(key, endpoint), body_hash)
    return result
