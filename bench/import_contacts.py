"""Benchmark: importing a 200,000-row customer file, end to end.

Run with `.venv/bin/python bench/import_contacts.py` (needs the local PostgreSQL, or
`--database-url sqlite`). Everything runs on loopback and stops by itself: a private Redis, a
fresh database schema, our app under gunicorn and one `python -m workers`. The file is a French
Excel export (semicolons, Windows-1252, no BOM): customer number, name, first name, number in
national form, postal code, seller, purchase date (JJ/MM/AAAA), model, mileage, servicing
contract (oui/non), and the legal basis: consent (oui/non), its date and source for one customer
in two, a lease (kind, last day) for one in four; one row in 500 has a bad number and one in
700 repeats an earlier number.
It is uploaded with an admin's key to `POST /api/v1/contacts/import`, and the import is polled
until done; the time runs from the upload to the report. Then the export a month later is
imported: the same customers, one in ten with a new mileage (every contact matched, few
changed). For each it prints rows per second, the report's counts (checked against what the
file holds), and where the time went.

Target: at least 20,000 rows/s, for both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import NamedTuple

from _common import DATABASE_HELP, DEFAULT_DATABASE_URL, REDIS_HELP, make_tenant, point_environment
from _stack import (
    free_port,
    http,
    run_in_scratch,
    start_web_and_workers,
    stop,
    wait_for,
    wait_until_serving,
)

from voicecast import create_app
from voicecast.extensions import db
from voicecast.jobs import RUN_IMPORT
from voicecast.queues import DEFAULT

TARGET_ROWS_PER_S = 20_000
HEADER = (
    "N° client;Nom;Prénom;Téléphone;Code postal;Vendeur;Date d'achat;Modèle;Kilométrage;"
    "Contrat d'entretien;Consentement;Date consentement;Source consentement;Contrat;"
    "Fin de contrat"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="default: %(default)s")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds (%(default)s)")
    return parser.parse_args(argv)


def customer_file(rows: int, month: int = 0) -> tuple[bytes, int, int]:
    """The file, and how many of its rows have a bad number and repeat an earlier one. The
    export `month` months later has the same customers, one in ten with a new mileage."""
    lines, bad, repeated = [HEADER], 0, 0
    for n in range(rows):
        phone = f"06 00 {n // 10_000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}"
        if n % 500 == 499:
            phone, bad = "06 12", bad + 1
        elif n % 700 == 699:
            phone, repeated = f"06 {0:02d} {0:02d} {0:02d} {0:02d}", repeated + 1
        mileage = n % 200_000 + (1_000 * month if n % 10 == 0 else 0)
        lines.append(
            f"C{n:07d};Dupré;Hélène;{phone};{69000 + n % 10:05d};Marie;"
            f"{1 + n % 28:02d}/{1 + n % 12:02d}/20{10 + n % 14};Clio;{mileage};"
            f"{'oui' if n % 3 else 'non'};{legal_basis(n)}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252"), bad, repeated


def legal_basis(n: int) -> str:
    """Consent, its date and source; a contract and its last day (customer `n`)."""
    consent = f"oui;{1 + n % 28:02d}/{1 + n % 12:02d}/2026;atelier" if n % 2 else "non;;"
    contract = "LOA;31/12/2027" if n % 4 == 0 else ";"
    return f"{consent};{contract}"


def upload(url: str, headers: dict, data: bytes) -> dict:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="clients.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


class Timed(NamedTuple):
    took: float  # seconds from the upload to the report
    uploaded: float  # seconds the upload took
    state: dict  # the import as the API gives it


def timed_import(base: str, headers: dict, data: bytes, timeout: float, processes) -> Timed:
    """Upload `data` and poll the import until it is done (or failed)."""
    started = time.monotonic()
    made = upload(f"{base}/api/v1/contacts/import", headers, data)
    uploaded = time.monotonic() - started
    state: dict = {}

    def finished() -> bool:
        state.update(http("GET", f"{base}/api/v1/contacts/imports/{made['id']}", headers))
        return state["status"] in ("done", "failed")

    wait_for("the import", finished, timeout, processes, every=0.2)
    return Timed(time.monotonic() - started, uploaded, state)


def run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    point_environment(database_url, redis_url, instance, PUBLIC_BASE_URL=base)
    app = create_app()
    tenant = make_tenant(app)
    with app.app_context():
        db.engine.dispose()
    data, bad, repeated = customer_file(args.rows)
    month_later, _, _ = customer_file(args.rows, month=1)
    logs = instance / "logs"
    logs.mkdir()
    processes = start_web_and_workers(port, 1, 2, 1, logs)
    try:
        wait_until_serving(base, redis_url, 1, processes)
        first = timed_import(base, tenant.headers, data, args.timeout, processes)
        first_job = import_job(redis_url, 1)
        again = timed_import(base, tenant.headers, month_later, args.timeout, processes)
        again_job = import_job(redis_url, 2)
    finally:
        stop(processes)
    kept = args.rows - bad - repeated
    changed = len(range(0, args.rows, 10))  # rows 0, 10, 20...: none bad nor repeated
    print(f"file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB")
    met = [
        report(
            "first import", first, first_job, args.rows,
            {"created": kept, "updated": 0, "unchanged": 0, "rejected": bad + repeated},
        ),
        report(
            "the same customers a month later (one in ten changed)", again, again_job, args.rows,
            {"created": 0, "updated": changed, "unchanged": kept - changed,
             "rejected": bad + repeated},
        ),
    ]  # fmt: skip
    return 0 if all(met) else 1


def report(what: str, timed: Timed, job, rows: int, expected: dict) -> bool:
    """Print an import's rate, counts and where its time went; whether it met the target."""
    found = timed.state.get("report") or {}
    counts = {key: found.get(key) for key in expected}
    rate = rows / timed.took
    met = rate >= TARGET_ROWS_PER_S and counts == expected
    print(f"{what}: {timed.state.get('status')}, {counts}")
    if counts != expected:
        print(f"ERROR: expected {expected}; {timed.state.get('error')}")
    print(
        f"  {timed.took:.1f} s from upload to report, {rate:,.0f} rows/s "
        f"({rate / TARGET_ROWS_PER_S:.2f}x the target of {TARGET_ROWS_PER_S:,}/s: "
        f"{'met' if met else 'NOT met'})"
    )
    if job is not None:
        waited = (job.started_at - job.enqueued_at).total_seconds()
        ran = (job.ended_at - job.started_at).total_seconds()
        print(
            f"  where the time went: upload {timed.uploaded:.2f} s, waiting for a worker "
            f"{waited:.2f} s, the job {ran:.2f} s, the rest (enqueueing, polling) "
            f"{max(0.0, timed.took - timed.uploaded - waited - ran):.2f} s"
        )
    return met


def import_job(redis_url: str, count: int):
    """The `count`th import job, as RQ recorded it once finished (its enqueue, start and end
    times); None if RQ has not recorded it within a few seconds. An import reads as done a
    moment before its job does."""
    from redis import Redis
    from rq import Queue

    redis = Redis.from_url(redis_url)
    try:
        queue = Queue(DEFAULT, connection=redis)
        for _ in range(50):
            ids = queue.finished_job_registry.get_job_ids()
            jobs = [job for job in queue.job_class.fetch_many(ids, connection=redis) if job]
            imports = sorted(
                (job for job in jobs if job.func_name == RUN_IMPORT.name),
                key=lambda job: job.ended_at,
            )
            if len(imports) >= count:
                return imports[count - 1]
            time.sleep(0.1)
        return None
    finally:
        redis.close()


def main(argv: list[str] | None = None) -> int:
    return run_in_scratch(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
