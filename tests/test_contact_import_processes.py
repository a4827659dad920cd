"""A big file's rows are read by several processes (voicecast.imports.parallel): the import
must say and store exactly what one process does, line for line: refused rows and their
reasons, a number repeated across two processes' batches, cells that did not fit their column,
the legal basis. Both databases."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import close_job_app
from tests.helpers import create_tenant
from tests.test_contact_import import API, finished_import, upload
from tests.test_contact_import_trust import LINES, MONDAY, french_excel
from voicecast.imports import parallel


def big_file(rows: int) -> list[str]:
    """The dealership file of test_contact_import_trust, then `rows` more customers: a bad
    number every 37 rows, a number repeated from far earlier every 53, an impossible purchase
    date every 41, consent every other row."""
    lines = list(LINES)
    for n in range(rows):
        phone = f"06 20 {n // 10_000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}"
        if n % 37 == 36:
            phone = "06 12"
        elif n % 53 == 52:
            phone = f"06 20 00 00 {n % 7:02d}"
        bought = "30/02/2023" if n % 41 == 40 else f"{1 + n % 28:02d}/{1 + n % 12:02d}/2021"
        consent = f"oui;{1 + n % 28:02d}/09/2026;atelier;BC-{n}" if n % 2 else ";;;"
        lines.append(f"K{n:05d};Nom{n};Prénom;{phone};{bought};Clio;oui;{consent};;")
    return lines


def import_as(client, tenant, data: bytes, run_jobs) -> dict:
    close_job_app()  # the job's application reads IMPORT_PROCESSES again
    state = finished_import(client, tenant, upload(client, tenant, data), run_jobs)
    assert state["status"] == "done", state
    return state["report"]


def contacts(client, tenant) -> list[dict]:
    found, cursor = [], None
    while True:
        query = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/contacts", headers=tenant.headers, query_string=query).json
        found += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    kept = ("phone", "first_name", "last_name", "external_id", "attributes", "legal_basis")
    return sorted(
        ({key: contact.get(key) for key in kept} for contact in found), key=lambda c: c["phone"]
    )


def test_reading_in_processes_gives_what_one_process_gives(
    app, client, runner, run_jobs, set_clock, monkeypatch, tmp_path: Path
):
    set_clock(MONDAY)
    data = french_excel(big_file(600))
    app.config["IMPORT_INLINE_BYTES"] = 0  # to a worker, as a big file goes
    # Small batches, so that a file the suite can afford spans many processes' batches.
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 100)
    monkeypatch.setattr(parallel, "BATCH", 47)
    readers = tmp_path / "readers"
    read_batch = parallel.read_batch

    def noted(*args):  # which process read the batch (a forked one: the spy goes with it)
        with readers.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return read_batch(*args)

    monkeypatch.setattr(parallel, "read_batch", noted)

    one = create_tenant(runner, client, "Garage Un", "un@dupont.example", rules="FR")
    monkeypatch.setenv("IMPORT_PROCESSES", "1")
    alone = import_as(client, one, data, run_jobs)
    assert not readers.exists()

    two = create_tenant(runner, client, "Garage Deux", "deux@dupont.example", rules="FR")
    monkeypatch.setenv("IMPORT_PROCESSES", "2")
    shared = import_as(client, two, data, run_jobs)
    pids = readers.read_text().split()
    assert len(pids) == -(-(len(LINES) - 1 + 600 - 2) // 47)  # every batch, once
    assert len(set(pids)) == 2 and str(os.getpid()) not in pids

    assert shared == alone
    assert shared["rejected"] > 0 and shared["failed_cells"] > 0
    codes = {error["code"] for error in shared["errors"]}
    assert {"invalid_phone", "duplicate_phone", "unbalanced_quote"} <= codes
    assert contacts(client, two) == contacts(client, one)


def test_the_report_counts_who_may_be_called_as_each_window_is_stored(
    app, client, runner, run_jobs, set_clock, monkeypatch
):
    """On PostgreSQL the report's `calling` is counted window by window, by the writer's
    thread once each window is committed: it must equal one count over the whole file made
    afterwards (the same rule, voicecast.imports.standing), do-not-call numbers included."""
    from voicecast.extensions import db
    from voicecast.imports import store
    from voicecast.imports.standing import standing
    from voicecast.models import Account

    set_clock(MONDAY)
    monkeypatch.setattr(store, "WINDOW", 97)  # a file the suite can afford, in many windows
    tenant = create_tenant(runner, client, "Garage Trois", "trois@dupont.example", rules="FR")
    for n in range(0, 600, 29):
        made = client.post(
            f"{API}/suppressions",
            headers=tenant.headers,
            json={"phone": f"06 20 {n // 10_000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}"},
        )
        assert made.status_code in (200, 201), made.json
    report = import_as(client, tenant, french_excel(big_file(600)), run_jobs)

    phones = [contact["phone"] for contact in contacts(client, tenant)]
    with app.app_context():
        afterwards = standing(db.session.get(Account, tenant.account_id), phones)
    assert report["calling"] == afterwards
    assert report["calling"]["may_not_call"]["suppressed"] > 0
    assert report["calling"]["may_not_call"]["no_legal_basis"] > 0
    assert report["calling"]["may_call"] > 0
