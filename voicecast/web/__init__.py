"""The web pages for people: login and the account's home for now."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from voicecast.web import routes  # noqa: E402,F401
