"""Consent history is never lost when the API and an import write it at the same time.

A dealership's CRM sends consents (`POST /contacts/consents`) while its nightly customer file,
which carries older consents and the servicing contracts, is being imported for the same
customers. Whatever the interleaving, every consent the CRM recorded survives (it is the newer
one, so it wins whichever came first), and the file's contracts are there too. Both databases,
with the import run by a real worker in this thread and the CRM's requests sent from another.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from sqlalchemy import select

from tests.helpers import create_tenant
from tests.test_contact_import import API, finished_import, upload
from voicecast.extensions import db
from voicecast.models import Contact

CUSTOMERS = 20_000  # three windows of the importer on PostgreSQL, twenty chunks on SQLite
BATCH = 250  # consents per request from the CRM
FILE_CONSENT = datetime(2025, 1, 1, tzinfo=UTC)  # "01/01/2025" in the file
CRM_CONSENT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # newer: it stands whichever came first


def phone(n: int) -> str:
    return f"06{n:08d}"


def customer_file(with_legal_basis: bool) -> bytes:
    header = "N° client;Téléphone"
    if with_legal_basis:
        header += ";Consentement;Date consentement;Source consentement;Contrat;Fin de contrat"
    lines = [header]
    for n in range(CUSTOMERS):
        line = f"C{n};{phone(n)}"
        if with_legal_basis:
            line += ";oui;01/01/2025;bon de commande;contrat d'entretien;31/12/2030"
        lines.append(line)
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_consents_sent_during_an_import_of_the_same_contacts_are_never_lost(
    app, client, runner, run_jobs
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example", rules="FR")
    first = finished_import(client, admin, upload(client, admin, customer_file(False)), run_jobs)
    assert first["report"]["created"] == CUSTOMERS, first["report"]
    with app.app_context():
        ids = list(db.session.scalars(select(Contact.id).order_by(Contact.id)))
    assert len(ids) == CUSTOMERS

    queued = upload(client, admin, customer_file(True))
    assert queued.status_code == 202, queued.json
    sent: list[int] = []  # contacts the CRM recorded a consent for, as it answered
    stop, failures = threading.Event(), []

    def crm() -> None:
        """Consents for the contacts in turn, from the start of the import to its end."""
        crm_client = app.test_client()
        start = 0
        while not stop.is_set() and start < len(ids):
            batch = ids[start : start + BATCH]
            body = {"consents": [
                {"contact_id": contact_id, "given_at": CRM_CONSENT.isoformat(), "source": "crm",
                 "proof": f"crm-{contact_id}"} for contact_id in batch]}  # fmt: skip
            answer = crm_client.post(f"{API}/contacts/consents", headers=admin.headers, json=body)
            if answer.status_code != 200 or answer.json["rejected"]:
                failures.append((answer.status_code, answer.json))
                return
            sent.extend(batch)
            start += BATCH

    thread = threading.Thread(target=crm, name="crm")
    thread.start()
    try:
        state = finished_import(client, admin, queued, run_jobs)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not failures, failures[:1]
    assert state["status"] == "done", state
    assert state["report"]["rejected"] == 0 and state["report"]["rows"] == CUSTOMERS
    # The CRM's requests overlapped the import (else this test proves nothing).
    assert 0 < len(sent) < CUSTOMERS, len(sent)

    with app.app_context():
        rows = db.session.execute(
            select(Contact.id, Contact.consent_at, Contact.consent_source, Contact.consent_proof,
                   Contact.consent_withdrawn_at, Contact.contract_kind, Contact.contract_ends_on)
        ).all()  # fmt: skip
    got = {contact_id: values for contact_id, *values in rows}
    crm_ids = set(sent)
    lost = []
    for contact_id in ids:
        consent_at, source, proof, withdrawn, kind, ends = got[contact_id]
        expected = (
            (CRM_CONSENT, "crm", f"crm-{contact_id}")
            if contact_id in crm_ids
            else (FILE_CONSENT, "bon de commande", None)
        )
        if (as_utc(consent_at), source, proof) != expected or withdrawn is not None:
            lost.append((contact_id, consent_at, source, proof, withdrawn))
        assert (kind, ends) == ("contrat d'entretien", date(2030, 12, 31)), contact_id
    assert not lost, f"{len(lost)} of {len(crm_ids)} consents lost, e.g. {lost[:3]}"

    # As the API shows it, too.
    shown = client.get(f"{API}/contacts/{sent[-1]}", headers=admin.headers).json
    assert shown["consent"]["source"] == "crm" and shown["contract"]["kind"] == (
        "contrat d'entretien"
    )


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC times."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
