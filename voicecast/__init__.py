"""Voicecast: personal drop-to-voicemail campaigns in the seller's own voice."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


# twilio-python logs every request's method, URL and headers at INFO, a dozen lines per call.
CHATTY_LOGGERS = ("twilio.http_client",)


def configure_logging(level: str, log_format: str = "text") -> None:
    """Log at `level` (as JSON lines with `log_format` "json"), except the chattiest libraries,
    which only say more at DEBUG; secrets in URLs redacted from every line."""
    from voicecast.observability import redaction

    logging.basicConfig(level=level)
    redaction.install()
    if log_format == "json":
        from voicecast.observability.logs import use_json_logs

        use_json_logs()
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application from the environment; `test_config` overrides any setting."""
    from voicecast import cli, database, driver_sql, i18n, observability, redis_client
    from voicecast.api import bp as api_bp
    from voicecast.callbacks.routes import bp as voicemail_bp
    from voicecast.config import load_settings
    from voicecast.dashboard import bp as dashboard_bp
    from voicecast.errors import register_error_handlers
    from voicecast.extensions import csrf, db, login_manager, migrate
    from voicecast.follow_through.pages import bp as call_back_pages_bp
    from voicecast.follow_through.webhooks import bp as call_back_hooks_bp
    from voicecast.health.routes import bp as health_bp
    from voicecast.media import store
    from voicecast.media.routes import bp as media_bp
    from voicecast.studio import bp as studio_bp
    from voicecast.telephony.fastpath import TwilioWebhooks
    from voicecast.telephony.inbound import bp as inbound_bp
    from voicecast.telephony.routes import bp as twilio_bp
    from voicecast.web import bp as web_bp
    from voicecast.web import headers

    app = Flask(__name__, instance_path=os.environ.get("VOICECAST_INSTANCE_PATH") or None)
    app.config.from_mapping(load_settings(os.environ, app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    redis_client.init_app(app)
    driver_sql.init_app(app)
    i18n.init_app(app)
    store.init_app(app)  # a wrong bucket, endpoint or credentials stop the start here

    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(twilio_bp)
    app.register_blueprint(inbound_bp)
    app.register_blueprint(voicemail_bp)
    app.register_blueprint(call_back_pages_bp)
    app.register_blueprint(call_back_hooks_bp)
    app.register_blueprint(dashboard_bp)
    # The Twilio webhooks, the busiest requests, are served in front of Flask's request layer.
    app.wsgi_app = TwilioWebhooks(app, app.wsgi_app)  # type: ignore[method-assign]
    csrf.exempt(api_bp)  # the API authenticates with bearer keys, not cookies
    register_error_handlers(app)
    headers.init_app(app)
    cli.register(app)
    observability.init_app(app)  # last: its request-id middleware wraps every other layer
    return app
