"""Benchmark: recordings storage in a folder against a bucket (moto's S3 server on loopback).

Run with `.venv/bin/python bench/storage_s3.py` (moto[server] is in the dev extra). It prints,
for each store: the time to the first byte and in all of a carrier file (60 s of 8 kHz mu-law,
480 KB), read whole and as a player's 44-byte first range (median of RUNS); the peak Python
memory while streaming a 50 MB object (it must stay near the 64 KiB chunk, far below the
object: nothing buffers it whole); and `storage migrate`'s rate copying FILES carrier files
from a folder into the bucket, then its rate on a second run that skips them all.

moto is no real S3 (no network, no disk sync): its figures are a floor for the code's own
cost, not a promise of what a remote service gives.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recordings.s3 import S3Storage  # noqa: E402
from recordings.storage import LocalStorage, Storage  # noqa: E402
from tests.helpers import stop_process  # noqa: E402
from tests.s3_server import (  # noqa: E402
    REGION,
    SETUP_REQUESTS,
    S3Server,
    free_port,
    make_user,
    wait_until_up,
)
from voicecast.media.migrate import migrate  # noqa: E402

RUNS = 20
FILES = 100
CARRIER_BYTES = 480_000
LARGE_BYTES = 50 * 1024 * 1024


def median_ms(action) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def first_byte(store: Storage, key: str) -> None:
    next(iter(store.read(key)))


def whole(store: Storage, key: str) -> None:
    for _ in store.read(key):
        pass


def header(store: Storage, key: str) -> None:
    b"".join(store.read(key, 0, 44))


def streaming_peak_mb(store: Storage, key: str) -> float:
    tracemalloc.start()
    for _ in store.read(key):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024 / 1024


def measure(name: str, store: Storage) -> None:
    key = "accounts/1/recordings/1/carrier.wav"
    store.put(key, os.urandom(CARRIER_BYTES), "audio/wav")
    store.put("large.bin", os.urandom(LARGE_BYTES), "application/octet-stream")
    print(
        f"{name:6} first byte {median_ms(lambda: first_byte(store, key)):6.2f} ms, "
        f"whole 480 KB {median_ms(lambda: whole(store, key)):6.2f} ms, "
        f"44-byte range {median_ms(lambda: header(store, key)):6.2f} ms, "
        f"peak while streaming 50 MB {streaming_peak_mb(store, 'large.bin'):5.2f} MB"
    )


def migrate_rate(source: LocalStorage, target: Storage) -> float:
    started = time.perf_counter()
    tally = migrate(source, target, lambda line: None)
    assert not tally.failed
    return (tally.copied + tally.skipped) / (time.perf_counter() - started)


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_REQUESTS)}
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, server)
        s3 = S3Server(url, *make_user(url))
        s3.client().create_bucket(
            Bucket="bench", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        os.environ.update(AWS_ACCESS_KEY_ID=s3.access_key, AWS_SECRET_ACCESS_KEY=s3.secret_key)
        bucket = S3Storage("bench", "voicecast", endpoint_url=url, region=REGION)
        with tempfile.TemporaryDirectory() as folder:
            measure("folder", LocalStorage(Path(folder) / "store"))
            measure("bucket", bucket)
            source = LocalStorage(Path(folder) / "old")
            for n in range(FILES):
                source.put(f"accounts/1/recordings/{n}/carrier.wav", os.urandom(CARRIER_BYTES), "")
            print(
                f"migrate {FILES} files of 480 KB: {migrate_rate(source, bucket):6.1f} files/s "
                f"copying, {migrate_rate(source, bucket):6.1f} files/s skipping"
            )
    finally:
        stop_process(server)


if __name__ == "__main__":
    main()
