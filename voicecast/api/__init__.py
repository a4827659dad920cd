"""The JSON API, version 1, under /api/v1."""

from flask import Blueprint, request
from flask_login import current_user

from voicecast.api.auth import authenticate
from voicecast.api.spec import public_endpoints

bp = Blueprint("api", __name__, url_prefix="/api/v1")


# GET endpoints that also answer a logged-in user's session (no key sent): the CSV exports
# the web pages link to (`voicecast.api.exports`).
SESSION_ENDPOINTS: set[str] = set()


@bp.before_request
def require_api_key() -> None:
    if request.endpoint in public_endpoints():
        return
    if request.endpoint in SESSION_ENDPOINTS and session_user_only():
        return
    authenticate()


def session_user_only() -> bool:
    """No key sent, and a logged-in (active) user."""
    if "Authorization" in request.headers:
        return False
    return current_user.is_authenticated and current_user.is_active


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
    exports,
    feeds,
    legal_basis,
    me,
    national_dnc,
    numbers,
    recording_links,
    recordings,
    segments,
    sellers,
    suppressions,
    webhooks,
)
from voicecast.follow_through import api as follow_through_api  # noqa: E402,F401

# A feature package's routes on this blueprint.
from voicecast.journeys import recording_routes  # noqa: E402,F401
from voicecast.journeys import routes as journey_routes  # noqa: E402,F401
from voicecast.outcomes import routes as outcome_routes  # noqa: E402,F401
