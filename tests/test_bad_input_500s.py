"""Inputs that used to get a 500 (issue 18): each now gets a 4xx and leaves nothing half done."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error, create_tenant, field_errors

API = "/api/v1"


@pytest.fixture
def admin(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


def test_a_bulk_attribute_without_a_name_is_refused_and_nothing_is_written(client, admin):
    body = {"contacts": [{"phone": "0612345678", "attributes": {"": "x"}}]}
    response = client.post(f"{API}/contacts/bulk", headers=admin.headers, json=body)
    error = assert_error(response, 422)
    assert any(field.startswith("body.contacts.0.attributes") for field in field_errors(error))
    assert client.get(f"{API}/contacts", headers=admin.headers).json["items"] == []


@pytest.fixture
def consenting_contact(client, admin) -> int:
    made = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": "0612345678"})
    consent = {"source": "web form"}
    url = f"{API}/contacts/{made.json['id']}/consent"
    assert client.put(url, headers=admin.headers, json=consent).status_code == 200
    return made.json["id"]


def delete_behind_the_request(contact_id: int) -> None:
    """What a concurrent `DELETE /contacts/{id}` does, committed on a connection of its own."""
    from sqlalchemy import delete

    from voicecast.extensions import db
    from voicecast.models import Contact

    with db.engine.begin() as connection:
        connection.execute(delete(Contact).where(Contact.id == contact_id))


def test_withdrawing_consent_while_the_contact_is_deleted_is_404(
    app, client, admin, consenting_contact, monkeypatch
):
    from voicecast.api import legal_basis

    loaded = legal_basis.managed_contact

    def then_deleted(contact_id: int):  # the DELETE commits between our read and our write
        contact = loaded(contact_id)
        delete_behind_the_request(contact_id)
        return contact

    monkeypatch.setattr(legal_basis, "managed_contact", then_deleted)
    url = f"{API}/contacts/{consenting_contact}/consent"
    assert_error(client.delete(url, headers=admin.headers), 404)
    monkeypatch.undo()
    assert_error(client.get(f"{API}/contacts/{consenting_contact}", headers=admin.headers), 404)


def test_a_contact_deleted_right_after_the_withdrawal_committed_is_404(
    app, client, admin, consenting_contact
):
    from sqlalchemy import event

    from voicecast.extensions import db

    done: list[bool] = []

    def delete_once(session) -> None:
        if not done:
            done.append(True)
            delete_behind_the_request(consenting_contact)

    with app.app_context():
        event.listen(db.session, "after_commit", delete_once)
    url = f"{API}/contacts/{consenting_contact}/consent"
    try:
        assert_error(client.delete(url, headers=admin.headers), 404)
    finally:
        with app.app_context():
            event.remove(db.session, "after_commit", delete_once)


def test_withdrawing_consent_racing_a_delete_never_answers_500(app, client, admin):
    """Both requests at once, on threads, again and again: each answers 2xx or 404."""
    import threading

    statuses: list[int] = []
    for _ in range(6):
        made = client.post(f"{API}/contacts", headers=admin.headers, json={"phone": "0612345678"})
        url = f"{API}/contacts/{made.json['id']}"
        client.put(f"{url}/consent", headers=admin.headers, json={"source": "web form"})
        start = threading.Barrier(2)

        def send(method: str, path: str, start: threading.Barrier = start) -> None:
            own = app.test_client()
            start.wait()
            statuses.append(own.open(path, method=method, headers=admin.headers).status_code)

        threads = [
            threading.Thread(target=send, args=("DELETE", f"{url}/consent")),
            threading.Thread(target=send, args=("DELETE", url)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert set(statuses) <= {200, 204, 404}, statuses


def test_the_document_says_what_these_endpoints_answer(client, admin):
    """Two of the statuses the audit found undocumented (issue 18)."""
    paths = client.get(f"{API}/openapi.json").json["paths"]
    removal = paths[f"{API}/suppressions/{{suppression_id}}"]["delete"]["responses"]
    added = client.post(f"{API}/suppressions", headers=admin.headers, json={"phone": "0612345678"})
    removed = client.delete(f"{API}/suppressions/{added.json['id']}", headers=admin.headers)
    assert str(removed.status_code) in removal and removed.status_code == 204
    assert "403" in paths[f"{API}/contacts/imports/{{import_id}}"]["get"]["responses"]
