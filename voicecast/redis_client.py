"""One Redis connection pool per application, for queues, rate limits and locks."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis

EXTENSION_KEY = "voicecast.redis"


def init_app(app: Flask) -> None:
    # Connecting is lazy: nothing touches the network until the first command.
    app.extensions[EXTENSION_KEY] = Redis.from_url(
        app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2
    )


def get_redis() -> Redis:
    return current_app.extensions[EXTENSION_KEY]
