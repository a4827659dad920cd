"""Fixtures for the S3 storage tests (`tests/s3_server.py`): the server, and a bucket per test
with the environment that names it, set before the app is built.

A test module uses them with `pytest_plugins = ["tests.s3_fixtures"]`.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.helpers import stop_process
from tests.s3_server import (
    REGION,
    SETUP_REQUESTS,
    S3Server,
    free_port,
    make_user,
    wait_until_up,
)

_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("moto") / "server.log").open("wb")
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_REQUESTS)}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        wait_until_up(url, process)
        yield S3Server(url, *make_user(url))
    finally:
        stop_process(process)
        log.close()


@pytest.fixture
def bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """A new, empty bucket, and the environment that makes the app (and its jobs) keep
    recordings under `voicecast/` in it. A node with a bucket also needs the shared database
    and Redis named: the `app` fixture's, else placeholders nothing connects to at start."""
    name = f"recordings-{os.getpid()}-{next(_buckets)}"
    s3_server.client().create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    settings = {
        "RECORDINGS_STORAGE_URL": f"s3://{name}/voicecast",
        "AWS_ENDPOINT_URL": s3_server.url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
        "SECRET_KEY": "the same on every node",  # refused without it, with a bucket
    }
    for setting, value in settings.items():
        monkeypatch.setenv(setting, value)
    placeholders = {"DATABASE_URL": f"sqlite:///{tmp_path / 'placeholder.sqlite3'}",
                    "REDIS_URL": "redis://127.0.0.1:1/0"}  # fmt: skip
    for setting, value in placeholders.items():
        if not os.environ.get(setting):
            monkeypatch.setenv(setting, value)
    return name
