"""Personal recording links: a seller records through a link a manager sends, no password."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from voicecast.extensions import db
from voicecast.media.public_urls import public_url
from voicecast.models import RecordingLink, Role, User
from voicecast.models.base import hash_secret, utcnow


class LinkProblem(Exception):
    """Why a link cannot be used: `unknown`, `expired`, `revoked` or `inactive` (seller)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def create_link(
    seller: User, created_by: User | None, ttl_hours: int | None = None
) -> tuple[RecordingLink, str]:
    """A new link for `seller`; returns it with its public URL (the token is in the URL only)."""
    if seller.role != Role.SELLER:
        raise ValueError("Recording links are for sellers.")
    hours = ttl_hours or current_app.config["RECORDING_LINK_TTL_HOURS"]
    link, token = RecordingLink.issue(seller, created_by, timedelta(hours=hours))
    db.session.add(link)
    db.session.commit()
    return link, link_url(token)


def link_url(token: str) -> str:
    return public_url("studio.page", token=token)


def resolve_link(token: str) -> RecordingLink:
    """The usable link behind `token`, else LinkProblem saying why."""
    link = db.session.scalar(
        select(RecordingLink).where(RecordingLink.token_hash == hash_secret(token))
    )
    if link is None:
        raise LinkProblem("unknown")
    if link.revoked_at is not None:
        raise LinkProblem("revoked")
    if link.expires_at <= utcnow():
        raise LinkProblem("expired")
    if not link.seller.active:
        raise LinkProblem("inactive")
    return link


def revoke_link(link: RecordingLink) -> None:
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.commit()
