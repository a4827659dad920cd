"""API keys: created for a user of the account, shown once, revocable."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import Select, select

from voicecast.api import bp
from voicecast.api.auth import Principal, current_principal
from voicecast.api.queries import keyset_page, one_or_404
from voicecast.api.schemas import Id, Input, Name, Output, PageQuery
from voicecast.api.spec import operation
from voicecast.errors import ApiError, invalid_field
from voicecast.extensions import db
from voicecast.models import ApiKey, User
from voicecast.models.base import utcnow

TAG = "API keys"


class ApiKeyCreate(Input):
    name: Name = Field(description="What the key is for, e.g. 'CRM sync'.")
    user_id: Id | None = Field(
        default=None,
        description="Whose key it is; the caller by default. Managers may create "
        "keys for sellers, admins for anyone in the account.",
    )


class ApiKeyOut(Output):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    user_id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key. It is shown only in this response.")


class ApiKeyPage(Output):
    items: list[ApiKeyOut]
    next_cursor: str | None


def visible_keys(principal: Principal) -> Select[tuple[ApiKey]]:
    stmt = select(ApiKey).where(ApiKey.account_id == principal.account_id)
    if not principal.is_manager:
        stmt = stmt.where(ApiKey.user_id == principal.user.id)
    return stmt


def key_owner(user_id: int | None, principal: Principal) -> User:
    if user_id is None:
        return principal.user
    user = db.session.get(User, user_id)
    if user is None or user.account_id != principal.account_id:
        message = f"No user with id {user_id} in your account."
        raise invalid_field("body.user_id", message, "user")
    if not principal.may_manage(user):
        raise ApiError(403, "Your role may not create keys for this user.")
    return user


@operation(
    bp,
    "/api-keys",
    "POST",
    summary="Create an API key",
    tag=TAG,
    body=ApiKeyCreate,
    response=ApiKeyCreated,
    status=201,
    errors=(403,),
)
def create_api_key(body: ApiKeyCreate):
    """A new key; the secret is in `key` in this response and never again."""
    principal = current_principal()
    owner = key_owner(body.user_id, principal)
    key, secret = ApiKey.issue(owner, body.name)
    db.session.add(key)
    db.session.commit()
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=secret)


@operation(
    bp, "/api-keys", "GET", summary="List API keys", tag=TAG, query=PageQuery, response=ApiKeyPage
)
def list_api_keys(query: PageQuery):
    """Keys of the account (a seller's key lists only its own), revoked ones included."""
    rows, cursor = keyset_page(visible_keys(current_principal()), ApiKey.id, query)
    return ApiKeyPage(items=[ApiKeyOut.model_validate(r) for r in rows], next_cursor=cursor)


@operation(
    bp,
    "/api-keys/<int:key_id>",
    "GET",
    summary="Get an API key",
    tag=TAG,
    response=ApiKeyOut,
    errors=(404,),
)
def get_api_key(key_id: int):
    """One key's metadata (never its secret)."""
    stmt = visible_keys(current_principal()).where(ApiKey.id == key_id)
    return ApiKeyOut.model_validate(one_or_404(stmt, "API key"))


@operation(
    bp,
    "/api-keys/<int:key_id>",
    "DELETE",
    summary="Revoke an API key",
    tag=TAG,
    status=204,
    errors=(403, 404),
)
def revoke_api_key(key_id: int):
    """Revoke the key at once; revoking it again changes nothing."""
    principal = current_principal()
    key = one_or_404(visible_keys(principal).where(ApiKey.id == key_id), "API key")
    if not principal.may_manage(key.user):
        raise ApiError(403, "Your role may not revoke this user's keys.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
