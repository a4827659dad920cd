"""The dealer's nightly feed (issue 21, point 3): contacts upserted in bulk by API, the same
batch twice changing nothing, and a file put by the dealer's system imported every day at the
feed's time in the account's zone, each run with the import's report, listed by API."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from tests.helpers import assert_error, create_tenant
from voicecast.extensions import db
from voicecast.imports.feeds import next_run_after, start_due_feeds
from voicecast.models import Contact

API = "/api/v1"
FILE = (
    "Telephone;Nom;date_livraison;fin_garantie\n"
    "0612345601;Martin;2027-01-10;2029-01-10\n"
    "0612345602;Durand;2027-01-11;2029-01-11\n"
    "12;Faux;2027-01-12;2029-01-12\n"
)


def bulk(client, tenant, contacts, key=None):
    headers = {**tenant.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"{API}/contacts/bulk", headers=headers, json={"contacts": contacts})


def updated_at(app, account_id):
    with app.app_context():
        rows = db.session.execute(
            db.select(Contact.phone, Contact.updated_at).where(Contact.account_id == account_id)
        ).all()
        return dict(rows)


def test_the_same_bulk_batch_twice_changes_nothing(app, runner, client, set_clock):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    batch = [
        {"phone": "0612345601", "external_id": "C1", "attributes": {"fin_contrat": "2028-03-01"}},
        {"phone": "0612345602", "external_id": "C2", "attributes": {"fin_contrat": "2028-04-01"}},
    ]
    set_clock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    first = bulk(client, admin, batch)
    assert (first.json["created"], first.json["updated"]) == (2, 0), first.json
    before = updated_at(app, admin.account_id)
    set_clock(datetime(2027, 1, 5, 9, 0, tzinfo=UTC))
    again = bulk(client, admin, batch)
    assert again.status_code == 200, again.json
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 2)
    assert updated_at(app, admin.account_id) == before

    moved = [{**batch[0], "phone": "06 12 34 56 01", "attributes": {"fin_contrat": "2028-05-01"}}]
    by_id = client.post(f"{API}/contacts/bulk", headers=admin.headers,
                        json={"contacts": moved, "match_on": "external_id"})  # fmt: skip
    assert (by_id.json["updated"], by_id.json["match_on"]) == (1, "external_id"), by_id.json


def test_a_bulk_retry_with_its_idempotency_key_gets_the_first_answer(runner, client):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    batch = [{"phone": "0612345601"}, {"phone": "12"}]
    first = bulk(client, admin, batch, key="nuit-2027-01-04")
    assert (first.json["created"], first.json["rejected"]) == (1, 1), first.json
    retried = bulk(client, admin, batch, key="nuit-2027-01-04")
    assert retried.status_code == 200
    assert retried.json == first.json
    assert retried.headers["Idempotent-Replayed"] == "true"
    other = bulk(client, admin, [{"phone": "0612345602"}], key="nuit-2027-01-04")
    assert_error(other, 422, "idempotency_key_reused")
    assert bulk(client, admin, batch).json["unchanged"] == 1  # no key: run, and nothing changes


def make_feed(client, tenant, **fields):
    made = client.post(f"{API}/feeds", headers=tenant.headers,
                       json={"name": "DMS nocturne", **fields})  # fmt: skip
    assert made.status_code == 201, made.json
    return made.json


def put_file(client, tenant, feed_id, text, name="export.csv"):
    data = {"file": (BytesIO(text.encode()), name)}
    done = client.put(f"{API}/feeds/{feed_id}/file", headers=tenant.headers, data=data,
                      content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 200, done.json
    return done.json


def runs(client, tenant, feed_id):
    listed = client.get(f"{API}/feeds/{feed_id}/runs", headers=tenant.headers)
    assert listed.status_code == 200, listed.json
    return listed.json["items"]


def run_due(app, now, set_clock, run_jobs):
    """A worker's periodic pass at `now` (which starts the feeds' runs due), then its jobs."""
    from workers.__main__ import revive

    set_clock(now)
    revive(app)
    run_jobs()


def test_a_feed_imports_its_file_each_night_at_its_local_time(app, runner, client, set_clock,
                                                               run_jobs):  # fmt: skip
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    set_clock(datetime(2027, 3, 26, 15, 0, tzinfo=UTC))
    feed = make_feed(client, admin, run_at="03:00")
    assert feed["next_run_at"] == "2027-03-27T02:00:00Z"  # 03:00 in Paris, winter time
    assert put_file(client, admin, feed["id"], FILE)["file"]["size"] == len(FILE)

    run_due(app, datetime(2027, 3, 27, 1, 59, tzinfo=UTC), set_clock, run_jobs)
    assert runs(client, admin, feed["id"]) == []
    night = datetime(2027, 3, 27, 2, 0, 30, tzinfo=UTC)
    run_due(app, night, set_clock, run_jobs)
    run_due(app, night, set_clock, run_jobs)  # the same night runs once
    with app.app_context():
        assert start_due_feeds(night) == []
    (first,) = runs(client, admin, feed["id"])
    assert (first["status"], first["error"]) == ("done", None), first
    report = first["report"]
    assert (report["rows"], report["created"], report["rejected"]) == (3, 2, 1)
    assert report["errors"][0]["reason"] == "« 12 » n'est pas un numéro valide pour la France."
    state = client.get(f"{API}/feeds/{feed['id']}", headers=admin.headers).json
    assert state["next_run_at"] == "2027-03-28T01:00:00Z"  # summer time from that night
    before = updated_at(app, admin.account_id)

    # The dealer's system puts the same file again: the next night's run changes nothing.
    put_file(client, admin, feed["id"], FILE)
    run_due(app, datetime(2027, 3, 28, 1, 0, tzinfo=UTC), set_clock, run_jobs)
    second = runs(client, admin, feed["id"])[1]
    assert second["file_sha256"] == first["file_sha256"]
    counts = {key: second["report"][key] for key in ("created", "updated", "unchanged")}
    assert counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert updated_at(app, admin.account_id) == before

    # A date moved forward in the dealer's system moves the contact's attribute.
    put_file(client, admin, feed["id"], FILE.replace("2029-01-10", "2030-01-10"))
    run_due(app, datetime(2027, 3, 29, 1, 0, tzinfo=UTC), set_clock, run_jobs)
    third = runs(client, admin, feed["id"])[2]
    assert (third["report"]["updated"], third["report"]["unchanged"]) == (1, 1)
    with app.app_context():
        contact = db.session.scalar(db.select(Contact).where(Contact.phone == "+33612345601"))
        assert contact.attributes["fin_garantie"] == "2030-01-10"
    one = client.get(f"{API}/feeds/{feed['id']}/runs/{third['id']}", headers=admin.headers)
    assert one.json == third


def test_a_run_that_imports_nothing_says_why(app, runner, client, set_clock, run_jobs):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    set_clock(datetime(2027, 1, 4, 12, 0, tzinfo=UTC))
    feed = make_feed(client, admin, run_at="01:30")
    run_due(app, datetime(2027, 1, 5, 0, 30, tzinfo=UTC), set_clock, run_jobs)
    (missing,) = runs(client, admin, feed["id"])
    assert missing["status"] == "failed"
    assert missing["error"].startswith("Aucun fichier à importer")
    put_file(client, admin, feed["id"], "Nom;Ville\nMartin;Lyon\n")
    run_due(app, datetime(2027, 1, 6, 0, 30, tzinfo=UTC), set_clock, run_jobs)
    unreadable = runs(client, admin, feed["id"])[1]
    assert unreadable["status"] == "failed", unreadable
    assert "téléphone" in unreadable["error"].lower(), unreadable["error"]


def test_a_us_feed_runs_in_its_zone_and_not_when_inactive(app, runner, client, set_clock,
                                                           run_jobs):  # fmt: skip
    admin = create_tenant(runner, client, "Smith Motors", "boss@smith.example", country="US")
    set_clock(datetime(2027, 7, 1, 12, 0, tzinfo=UTC))
    feed = make_feed(client, admin, run_at="23:45", match_on="external_id",
                     date_order="MDY", mapping={"Cell": "phone"})  # fmt: skip
    assert feed["next_run_at"] == "2027-07-02T03:45:00Z"  # New York, daylight time
    assert (feed["match_on"], feed["date_order"], feed["mapping"]) == (
        "external_id", "MDY", {"Cell": "phone"})  # fmt: skip
    path = f"{API}/feeds/{feed['id']}"
    off = client.patch(path, headers=admin.headers, json={"active": False})
    assert off.json["active"] is False
    run_due(app, datetime(2027, 7, 3, 12, 0, tzinfo=UTC), set_clock, run_jobs)
    assert runs(client, admin, feed["id"]) == []
    moved = client.patch(path, headers=admin.headers, json={"run_at": "06:00", "active": True})
    assert moved.json["next_run_at"] == "2027-07-04T10:00:00Z", moved.json


def test_feeds_refuse_bad_input_and_belong_to_their_account(runner, client):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    for body in ({"name": "x", "run_at": "24:00"}, {"name": " "}, {"name": "x", "mapping": []},
                 {"name": "x", "date_order": "YMD"}, {"name": "x", "extra": 1}):  # fmt: skip
        assert_error(client.post(f"{API}/feeds", headers=admin.headers, json=body), 422)
    feed = make_feed(client, admin)
    assert feed["run_at"] == "02:00" and feed["file"] is None
    no_part = client.put(f"{API}/feeds/{feed['id']}/file", headers=admin.headers, data={},
                         content_type="multipart/form-data")  # fmt: skip
    assert_error(no_part, 422)
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    for path in (f"/feeds/{feed['id']}", f"/feeds/{feed['id']}/runs"):
        assert_error(client.get(API + path, headers=other.headers), 404)
    assert client.get(f"{API}/feeds", headers=other.headers).json["items"] == []


def test_a_time_the_clock_change_skips_runs_an_hour_later():
    spring = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    assert next_run_after("02:30", "Europe/Paris", spring) == datetime(2027, 3, 28, 1, 30,
                                                                        tzinfo=UTC)  # fmt: skip
    autumn = datetime(2027, 10, 30, 12, 0, tzinfo=UTC)  # 02:30 comes twice: the first
    assert next_run_after("02:30", "Europe/Paris", autumn) == datetime(2027, 10, 31, 0, 30,
                                                                        tzinfo=UTC)  # fmt: skip


def test_a_run_asked_for_now_imports_the_file_on_hand_and_keeps_the_night_s(
    app, runner, client, set_clock, run_jobs
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    set_clock(datetime(2027, 1, 4, 12, 0, tzinfo=UTC))
    feed = make_feed(client, admin, run_at="01:30")
    path = f"{API}/feeds/{feed['id']}/runs"
    no_file = assert_error(client.post(path, headers=admin.headers), 409)
    assert f"PUT /api/v1/feeds/{feed['id']}/file" in no_file["message"], no_file
    assert runs(client, admin, feed["id"]) == []
    put_file(client, admin, feed["id"], FILE)
    headers = {**admin.headers, "Idempotency-Key": "run-1"}
    asked = client.post(path, headers=headers)
    assert asked.status_code == 202, asked.json
    assert (asked.json["status"], asked.json["due_at"]) == ("queued", "2027-01-04T12:00:00Z")
    assert client.post(path, headers=headers).json["id"] == asked.json["id"]  # a retry
    run_jobs()
    (run,) = runs(client, admin, feed["id"])
    assert (run["id"], run["status"], run["report"]["created"]) == (asked.json["id"], "done", 2)
    state = client.get(f"{API}/feeds/{feed['id']}", headers=admin.headers).json
    assert state["next_run_at"] == feed["next_run_at"] == "2027-01-05T00:30:00Z"
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    assert_error(client.post(path, headers=other.headers), 404)
