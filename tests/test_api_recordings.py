"""Recordings through the API: upload, processing by a real worker, signed carrier URLs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.audio import Sounds, integrated_loudness, make_sounds, parse_wav
from tests.helpers import create_tenant, seller_key

API = "/api/v1"


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("api-sounds"))


@pytest.fixture
def admin(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


@pytest.fixture
def seller(client, admin):
    response = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"})
    return response.json


def upload(client, headers, path: Path, **fields):
    """POST the file as a browser would. The body is encoded in memory: werkzeug's test client
    would spool a large one to a temporary file that it never closes."""
    values = {"file": FileStorage(io.BytesIO(path.read_bytes()), filename=path.name)}
    values.update({key: str(value) for key, value in fields.items()})
    boundary, body = encode_multipart(values)
    return client.post(
        f"{API}/recordings",
        headers=headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stored_files(app) -> list[Path]:
    root = Path(app.config["RECORDINGS_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_sellers_upload_becomes_a_telephone_ready_active_recording(
    app, client, admin, seller, sounds, run_jobs
):
    own = seller_key(client, admin, seller["id"])
    sent = upload(client, own.headers, sounds.speech)
    assert sent.status_code == 202, sent.json
    assert sent.json["status"] == "uploaded" and sent.json["carrier_url"] is None

    assert run_jobs() >= 1
    ready = client.get(f"{API}/recordings/{sent.json['id']}", headers=admin.headers).json
    assert ready["status"] == "ready" and ready["active"] is True
    assert ready["rejection"] is None
    assert abs(ready["loudness_lufs"] - (-19.0)) <= 1.0
    assert ready["true_peak_dbtp"] <= -1.5 + 0.2

    carrier = client.get(ready["carrier_url"])  # no key, no session: the carrier fetches it
    assert carrier.status_code == 200
    assert carrier.mimetype == "audio/wav"
    assert "immutable" in carrier.headers["Cache-Control"]
    wav = parse_wav(carrier.data)
    assert (wav.format_tag, wav.channels, wav.sample_rate) == (7, 1, 8000)
    assert abs(integrated_loudness(carrier.data) - (-19.0)) <= 1.0
    again = client.get(ready["carrier_url"], headers={"If-None-Match": carrier.headers["ETag"]})
    assert again.status_code == 304
    first = client.get(ready["carrier_url"], headers={"Range": "bytes=0-43"})  # a player
    assert first.status_code == 206 and first.data == carrier.data[:44]
    assert first.headers["Content-Range"] == f"bytes 0-43/{len(carrier.data)}"
    preview = client.get(ready["preview_url"])
    assert preview.status_code == 200 and preview.mimetype == "audio/mpeg"


def test_signed_urls_cannot_be_tampered_with(app, client, admin, seller, sounds, run_jobs):
    sent = upload(client, admin.headers, sounds.speech, seller_id=seller["id"])
    run_jobs()
    url = client.get(f"{API}/recordings/{sent.json['id']}", headers=admin.headers).json[
        "carrier_url"
    ]
    path = url.removeprefix(app.config["PUBLIC_BASE_URL"])
    flipped = path[:-5] + ("0" if path[-5] != "0" else "1") + ".wav"
    not_ascii = f"/recordings/{sent.json['id']}-%C3%A9.wav"  # compared with its token: no 500
    for bad in (flipped, path.replace(".wav", ".mp3"), "/recordings/1-abc.wav", "/recordings/",
                not_ascii):  # fmt: skip
        assert client.get(bad).status_code == 404, bad


def test_a_new_version_gets_a_new_url_and_older_ones_stay_listed(
    client, admin, seller, sounds, run_jobs
):
    first = upload(client, admin.headers, sounds.speech, seller_id=seller["id"]).json
    run_jobs()
    second = upload(client, admin.headers, sounds.speech, seller_id=seller["id"]).json
    run_jobs()
    listed = client.get(
        f"{API}/recordings", headers=admin.headers, query_string={"seller_id": seller["id"]}
    ).json["items"]
    assert [(r["version"], r["active"]) for r in listed] == [(1, False), (2, True)]
    assert listed[0]["carrier_url"] != listed[1]["carrier_url"]
    back = client.post(f"{API}/recordings/{first['id']}/activate", headers=admin.headers)
    assert back.json["active"] is True
    now = client.get(f"{API}/recordings/{second['id']}", headers=admin.headers).json
    assert now["active"] is False


@pytest.mark.parametrize(
    ("sound", "code"),
    [("silent", "silent"), ("short", "too_short"), ("not_audio", "not_audio")],
)
def test_bad_recordings_are_rejected_with_their_reason_and_leave_no_file(
    app, client, admin, seller, sounds, run_jobs, sound, code
):
    sent = upload(client, admin.headers, getattr(sounds, sound), seller_id=seller["id"])
    assert sent.status_code == 202
    run_jobs()
    rejected = client.get(f"{API}/recordings/{sent.json['id']}", headers=admin.headers).json
    assert rejected["status"] == "rejected"
    assert rejected["rejection"]["code"] == code
    assert rejected["rejection"]["message"]
    assert rejected["carrier_url"] is None and rejected["active"] is False
    assert stored_files(app) == []


def test_a_file_over_the_limit_is_refused_at_once_and_nothing_is_kept(
    app, client, admin, seller, sounds
):
    sent = upload(client, admin.headers, sounds.too_large, seller_id=seller["id"])
    assert sent.status_code == 413
    assert sent.json["error"]["code"] == "too_large"
    assert client.get(f"{API}/recordings", headers=admin.headers).json["items"] == []
    assert stored_files(app) == []


def test_processing_twice_changes_nothing(app, client, admin, seller, sounds, run_jobs):
    sent = upload(client, admin.headers, sounds.speech, seller_id=seller["id"]).json
    run_jobs()
    before = client.get(f"{API}/recordings/{sent['id']}", headers=admin.headers).json
    with app.app_context():
        from voicecast.jobs import PROCESS_RECORDING

        PROCESS_RECORDING.enqueue(sent["id"])
    run_jobs()
    after = client.get(f"{API}/recordings/{sent['id']}", headers=admin.headers).json
    assert after == before


def test_deleting_removes_the_files_and_the_url(app, client, admin, seller, sounds, run_jobs):
    sent = upload(client, admin.headers, sounds.speech, seller_id=seller["id"]).json
    run_jobs()
    url = client.get(f"{API}/recordings/{sent['id']}", headers=admin.headers).json["carrier_url"]
    assert client.delete(f"{API}/recordings/{sent['id']}", headers=admin.headers).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(f"{API}/recordings/{sent['id']}", headers=admin.headers).status_code == 404
    assert stored_files(app) == []


def test_who_may_upload_and_see_what(runner, client, admin, seller, sounds):
    no_seller = upload(client, admin.headers, sounds.short)
    assert no_seller.status_code == 422
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    foreign = upload(client, other.headers, sounds.short, seller_id=seller["id"])
    assert foreign.status_code == 422
    mine = upload(client, admin.headers, sounds.short, seller_id=seller["id"]).json
    assert client.get(f"{API}/recordings/{mine['id']}", headers=other.headers).status_code == 404
    second = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Paul"}).json
    paul = seller_key(client, admin, second["id"])
    assert client.get(f"{API}/recordings/{mine['id']}", headers=paul.headers).status_code == 404
    for_marie = upload(client, paul.headers, sounds.short, seller_id=seller["id"])
    assert for_marie.status_code == 422
    boundary, body = encode_multipart({"seller_id": str(seller["id"])})
    no_file = client.post(
        f"{API}/recordings",
        headers=admin.headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert no_file.status_code == 422
    assert no_file.json["error"]["details"][0]["field"] == "body.file"
    urlencoded = client.post(f"{API}/recordings", headers=admin.headers, data={"seller_id": "1"})
    assert urlencoded.status_code == 415
    as_json = client.post(f"{API}/recordings", headers=admin.headers, json={})
    assert as_json.status_code == 415


def test_recording_links_are_made_listed_and_revoked_by_managers(app, client, admin, seller):
    made = client.post(
        f"{API}/sellers/{seller['id']}/recording-links", headers=admin.headers, json={}
    )
    assert made.status_code == 201
    assert "/r/" in made.json["url"]
    listed = client.get(
        f"{API}/sellers/{seller['id']}/recording-links", headers=admin.headers
    ).json["items"]
    assert [link["id"] for link in listed] == [made.json["id"]]
    assert "url" not in listed[0]
    own = seller_key(client, admin, seller["id"])
    denied = client.post(
        f"{API}/sellers/{seller['id']}/recording-links", headers=own.headers, json={}
    )
    assert denied.status_code == 403
    revoked = client.delete(f"{API}/recording-links/{made.json['id']}", headers=admin.headers)
    assert revoked.status_code == 204
    path = made.json["url"].removeprefix(app.config["PUBLIC_BASE_URL"])
    assert client.get(path).status_code == 410


def test_cli_makes_a_recording_link(app, runner, client, admin, seller):
    result = runner.invoke(args=["seller", "recording-link", str(seller["id"]), "--hours", "2"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/r/")
    page = client.get(url.removeprefix(app.config["PUBLIC_BASE_URL"]))
    assert page.status_code == 200 and "Marie" in page.text


def test_a_recording_whose_job_was_lost_is_processed_after_requeue(
    app, runner, client, admin, seller, sounds, run_jobs
):
    sent = upload(client, admin.headers, sounds.speech, seller_id=seller["id"]).json
    with app.app_context():
        from voicecast.redis_client import get_redis

        get_redis().flushdb()  # Redis lost: the queued job is gone, the database still knows
    assert run_jobs() == 0
    assert (
        client.get(f"{API}/recordings/{sent['id']}", headers=admin.headers).json["status"]
        == "uploaded"
    )
    result = runner.invoke(args=["recordings", "requeue", "--grace-minutes", "0"])
    assert result.exit_code == 0 and f"[{sent['id']}]" in result.output, result.output
    again = runner.invoke(args=["recordings", "requeue", "--grace-minutes", "0"])
    assert "Queued again: 0" in again.output  # already queued: not twice
    run_jobs()
    done = client.get(f"{API}/recordings/{sent['id']}", headers=admin.headers).json
    assert done["status"] == "ready"
