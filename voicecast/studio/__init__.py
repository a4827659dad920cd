"""The recording studio: a seller's personal page, reached through a recording link."""

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/r")

from voicecast.studio import routes  # noqa: E402,F401
