"""Operations: Prometheus metrics (`metrics`, `exposition`), request and job ids in the logs
(`logs`), and RQ's dashboard for admins (`rq_admin`)."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from voicecast.observability import logs, metrics, rq_admin
from voicecast.observability.exposition import bp as metrics_bp

# The Twilio webhooks Flask serves (the outbound ones usually go through telephony.fastpath,
# which times itself).
WEBHOOK_BLUEPRINTS = frozenset({"twilio", "inbound"})


def init_app(app: Flask) -> None:
    """Call last in `create_app`: the request-id middleware must wrap every other layer."""
    metrics.init_app(app)
    app.register_blueprint(metrics_bp)
    app.before_request(start_webhook_clock)
    app.after_request(time_webhook)
    rq_admin.init_app(app)
    app.wsgi_app = logs.RequestIds(app.wsgi_app)  # type: ignore[method-assign]


def start_webhook_clock() -> None:
    if request.blueprint in WEBHOOK_BLUEPRINTS:
        g.webhook_started = time.perf_counter()


def time_webhook(response: Response) -> Response:
    started = g.pop("webhook_started", None)
    if started is not None:
        hook = request.endpoint or "unknown"
        metrics.observe(metrics.WEBHOOK_SECONDS, time.perf_counter() - started, hook)
    return response
