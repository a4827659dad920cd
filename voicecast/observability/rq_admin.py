"""RQ's own dashboard (the rq-dashboard package) at /admin/rq, for the service's operators only.

Its queues hold every account's jobs, so no account's admin may see them: only a user the
server made an operator (`voicecast operators grant EMAIL`, `User.is_operator`), logged in on
the web. rq-dashboard has no authentication of its own: every request under its prefix first
passes `guard` here, and anyone else (not logged in, a manager, an account's admin) gets 404,
as if there were nothing there.
Its buttons (requeue, delete, empty) post without our CSRF token, so its blueprint is exempt
from CSRFProtect; those posts must come from our own pages instead (Origin or Referer of this
host), on top of the session cookie being SameSite=Lax.
Its pages cannot live under our pages' Content-Security-Policy: they run one inline script and
render their rows with underscore's templates (`new Function`), and a few elements carry
style attributes. They get a policy of their own (`dashboard_policy`): still nothing from
another origin and no framing, its one inline script allowed by a nonce written into it,
eval allowed for its templates, style attributes allowed.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request
from flask_login import current_user

from voicecast.extensions import csrf
from voicecast.redis_client import get_redis
from voicecast.web.headers import POLICY, policy_text

PREFIX = "/admin/rq"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# rq-dashboard's one inline script, as its base.html writes it (its other <script> elements
# are files, or templates of type text/template that never run).
INLINE_SCRIPT = '<script type="text/javascript">'


def init_app(app: Flask) -> None:
    from rq_dashboard.web import blueprint, setup_rq_connection

    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    with app.app_context():
        setup_rq_connection(current_app)
    app.before_request(guard)
    app.after_request(dashboard_policy)
    app.register_blueprint(blueprint, url_prefix=PREFIX)
    # rq-dashboard builds a client of its own from the URL before each of its requests; the
    # app's client (`redis_from_url`: Sentinel, timeouts, retries) replaces it, after.
    app.before_request_funcs.setdefault(blueprint.name, []).append(use_the_app_client)
    csrf.exempt(blueprint)


def use_the_app_client() -> None:
    """The dashboard reads queues through the application's Redis client."""
    current_app.redis_conn = get_redis()


def is_dashboard(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def guard() -> Response | None:
    """Only an operator's session reaches the dashboard; to anyone else it does not exist."""
    if not is_dashboard(request.path):
        return None
    if not is_operator():
        abort(404)
    if request.method not in SAFE_METHODS and not same_origin():
        abort(403)
    return None


def is_operator() -> bool:
    """Whether this request comes from a session of one of the service's operators."""
    return bool(current_user.is_authenticated and current_user.is_operator)


def same_origin() -> bool:
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return bool(source) and urlsplit(source).netloc == request.host


def dashboard_policy(response: Response) -> Response:
    """The dashboard's own Content-Security-Policy (see the module's docstring)."""
    if not is_dashboard(request.path):
        return response
    nonce = secrets.token_urlsafe(16)
    if response.mimetype == "text/html" and not response.direct_passthrough:
        page = response.get_data(as_text=True)
        response.set_data(page.replace(INLINE_SCRIPT, f'{INLINE_SCRIPT[:-1]} nonce="{nonce}">'))
    response.headers["Content-Security-Policy"] = policy_text(
        {
            **POLICY,
            "script-src": ["'self'", f"'nonce-{nonce}'", "'unsafe-eval'"],
            "style-src-attr": ["'unsafe-inline'"],
        }
    )
    return response
