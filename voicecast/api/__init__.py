"""The JSON API, version 1, under /api/v1."""

from flask import Blueprint, request

from voicecast.api.auth import authenticate
from voicecast.api.spec import public_endpoints

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def require_api_key() -> None:
    if request.endpoint not in public_endpoints():
        authenticate()


from voicecast.api import (  # noqa: E402,F401
    account,
    api_keys,
    callbacks,
    campaign_actions,
    campaign_preview,
    campaigns,
    contact_imports,
    contacts,
    docs,
    legal_basis,
    me,
    numbers,
    recording_links,
    recordings,
    segments,
    sellers,
    suppressions,
)
