"""RQ's own dashboard (the rq-dashboard package) at /admin/rq, for logged-in admins only.

rq-dashboard has no authentication of its own: every request under its prefix first passes
`guard` here. Someone not logged in is sent to the login page; a logged-in manager gets 403.
Its buttons (requeue, delete, empty) post without our CSRF token, so its blueprint is exempt
from CSRFProtect; those posts must come from our own pages instead (Origin or Referer of this
host), on top of the session cookie being SameSite=Lax.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, url_for
from flask_login import current_user

from voicecast.extensions import csrf
from voicecast.models import Role

PREFIX = "/admin/rq"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def init_app(app: Flask) -> None:
    from rq_dashboard.web import blueprint, setup_rq_connection

    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    with app.app_context():
        setup_rq_connection(current_app)
    app.before_request(guard)
    app.register_blueprint(blueprint, url_prefix=PREFIX)
    csrf.exempt(blueprint)


def is_dashboard(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def guard() -> Response | None:
    """Only an admin's session reaches the dashboard."""
    if not is_dashboard(request.path):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    if current_user.role != Role.ADMIN:
        abort(403)
    if request.method not in SAFE_METHODS and not same_origin():
        abort(403)
    return None


def same_origin() -> bool:
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return bool(source) and urlsplit(source).netloc == request.host
