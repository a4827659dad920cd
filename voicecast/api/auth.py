"""Bearer-key authentication and the role rules every API view applies."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import g, request
from redis.exceptions import RedisError
from sqlalchemy import select

from voicecast.errors import ApiError
from voicecast.extensions import db
from voicecast.jobs import MARK_KEY_USED
from voicecast.models import ApiKey, Role, User
from voicecast.models.base import hash_secret, utcnow
from voicecast.observability.logs import job_logger
from voicecast.redis_client import get_redis

log = logging.getLogger(__name__)

# Record a key's use at most this often: GET requests stay read-only on the database.
LAST_USED_RESOLUTION_S = 300


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user of one account, through one of its API keys."""

    user: User
    key: ApiKey

    @property
    def account_id(self) -> int:
        return self.user.account_id

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def is_manager(self) -> bool:
        return self.role.sees_whole_account

    def require_manager(self) -> None:
        if not self.is_manager:
            raise ApiError(403, "This needs a manager's or an admin's API key.")

    def may_manage(self, user: User) -> bool:
        """Managers manage sellers and themselves; admins manage everyone in the account."""
        if user.account_id != self.account_id:
            return False
        if user.id == self.user.id or self.role == Role.ADMIN:
            return True
        return self.role == Role.MANAGER and user.role == Role.SELLER


def current_principal() -> Principal:
    return g.principal


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Send your API key in the header 'Authorization: Bearer <key>'.")
    return token.strip()


def authenticate() -> Principal:
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_secret(bearer_token())))
    if key is None or key.revoked or not key.user.active:
        raise ApiError(401, "This API key is unknown, revoked, or its user is deactivated.")
    principal = Principal(user=key.user, key=key)
    g.principal = principal
    note_key_used(key)
    return principal


def record_key_use(key_id: int, used_at_iso: str) -> None:
    """Record that key `key_id` was used at `used_at_iso` (the job `note_key_used` queued);
    never moves the time backwards, so duplicates and late runs are harmless. Commits."""
    used_at = datetime.fromisoformat(used_at_iso)
    key = db.session.get(ApiKey, key_id)
    if key is None:
        job_logger(__name__).info("API key %s is gone; nothing to record", key_id)
        return
    if key.last_used_at is None or used_at > key.last_used_at:
        key.last_used_at = used_at
        db.session.commit()


def note_key_used(key: ApiKey) -> None:
    """Have a worker record the key's last use, once per resolution window; best effort."""
    try:
        fresh = get_redis().set(f"apikey:used:{key.id}", 1, nx=True, ex=LAST_USED_RESOLUTION_S)
        if fresh:
            MARK_KEY_USED.enqueue(key.id, utcnow().isoformat())
    except RedisError as error:
        log.warning("could not note use of API key %s: %s", key.id, error)
