"""`/healthz` tells a load balancer whether this node can work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from voicecast import create_app
from voicecast.extensions import db


@contextmanager
def app_with(**config) -> Iterator[Flask]:
    """A second app on the same environment with some settings broken; its pool closed after."""
    broken = create_app({"TESTING": True, **config})
    try:
        yield broken
    finally:
        with broken.app_context():
            db.engine.dispose()


def test_healthz_reports_database_redis_and_storage(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"]["ok"] and response.json["redis"]["ok"]
    assert response.json["storage"]["ok"]  # the recordings folder, writable


def test_healthz_is_503_when_redis_is_down(app, tmp_path):
    with app_with(REDIS_URL=f"unix://{tmp_path}/no-redis.sock") as broken:
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"]["ok"] is True
    assert response.json["redis"]["ok"] is False
    assert "ConnectionError" in response.json["redis"]["error"]


def test_healthz_is_503_when_the_database_is_down(app):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    with app_with(SQLALCHEMY_DATABASE_URI=url) as broken:
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["ok"] is False
    assert response.json["redis"]["ok"] is True
