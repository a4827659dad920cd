"""The managers' dashboard: campaigns, sellers and contacts as pages, updated while they run."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from voicecast.dashboard import routes  # noqa: E402,F401
from voicecast.outcomes import pages as outcome_pages  # noqa: E402,F401
