"""Recordings and voicemails in an S3 bucket, against a real S3 API server (moto's server mode,
`tests/s3_fixtures.py`), through the app's own HTTP API, its jobs and its command line, on both
databases: what lands in the bucket, what the carrier and players get back, the copy of a local
store into a bucket, and what a wrong setting does to the start."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from recordings.storage import LocalStorage, StorageMisconfigured
from tests.audio import Sounds, make_sounds
from tests.helpers import create_tenant, seller_key
from tests.s3_server import free_port, objects
from tests.test_api_recordings import stored_files, upload
from tests.test_callbacks_end_to_end import PIERRE, SHARED, after_campaign, sim
from voicecast import create_app
from voicecast.config import ConfigError
from voicecast.extensions import db

API = "/api/v1"
ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.s3_fixtures", "tests.carrier_fixtures"]
__all__ = ["after_campaign"]  # a fixture, used by name


@pytest.fixture
def app(bucket, app):
    """The suite's app, built after `bucket` set the environment that points it (and the jobs'
    app) at the bucket."""
    return app


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("s3-sounds"))


@pytest.fixture
def node_b(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:
    """Another web node: the same settings (SECRET_KEY too, as nodes share it), its own
    (empty) instance folder."""
    monkeypatch.setenv("VOICECAST_INSTANCE_PATH", str(tmp_path / "node-b"))
    monkeypatch.setenv("SECRET_KEY", app.config["SECRET_KEY"])
    other = create_app({"TESTING": True})
    yield other.test_client()
    with other.app_context():
        db.engine.dispose()


def test_a_recording_lands_in_the_bucket_and_another_node_serves_it_with_ranges(
    app, client, runner, bucket, s3_server, sounds, run_jobs, node_b
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    sent = upload(client, seller_key(client, admin, seller["id"]).headers, sounds.speech)
    assert sent.status_code == 202, sent.json
    folder = f"voicecast/accounts/{admin.account_id}/recordings/{sent.json['id']}"
    assert objects(s3_server, bucket) == {f"{folder}/original": sounds.speech.read_bytes()}

    assert run_jobs() >= 1
    ready = client.get(f"{API}/recordings/{sent.json['id']}", headers=admin.headers).json
    assert ready["status"] == "ready", ready
    stored = objects(s3_server, bucket)
    assert set(stored) == {f"{folder}/{name}" for name in ("original", "carrier.wav",
                                                           "preview.mp3")}  # fmt: skip
    assert stored_files(app) == []  # nothing on this node's disk

    carrier_url = ready["carrier_url"].removeprefix(app.config["PUBLIC_BASE_URL"])
    whole = node_b.get(carrier_url)
    wav = stored[f"{folder}/carrier.wav"]
    assert whole.status_code == 200 and whole.mimetype == "audio/wav"
    assert whole.data == wav and whole.headers["ETag"] == f'"{hashlib.sha256(wav).hexdigest()}"'
    assert "immutable" in whole.headers["Cache-Control"] and "public" in whole.headers[
        "Cache-Control"]  # fmt: skip
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.headers["Last-Modified"]
    first = node_b.get(carrier_url, headers={"Range": "bytes=0-43"})  # a player's first read
    assert first.status_code == 206 and first.data == wav[:44]
    assert first.headers["Content-Range"] == f"bytes 0-43/{len(wav)}"
    tail = node_b.get(carrier_url, headers={"Range": "bytes=-1000"})
    assert tail.status_code == 206 and tail.data == wav[-1000:]
    beyond = node_b.get(carrier_url, headers={"Range": f"bytes={len(wav)}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(wav)}"
    cached = node_b.get(carrier_url, headers={"If-None-Match": whole.headers["ETag"]})
    assert cached.status_code == 304 and cached.data == b""
    since = node_b.get(carrier_url, headers={"If-Modified-Since": whole.headers["Last-Modified"]})
    assert since.status_code == 304
    preview = node_b.get(ready["preview_url"].removeprefix(app.config["PUBLIC_BASE_URL"]))
    assert preview.status_code == 200 and preview.mimetype == "audio/mpeg"
    assert preview.data == stored[f"{folder}/preview.mp3"]


def test_healthz_reports_the_bucket_and_turns_503_when_it_goes(client, bucket, s3_server):
    healthy = client.get("/healthz")
    assert healthy.status_code == 200 and healthy.json["storage"]["ok"] is True
    s3_server.client().delete_bucket(Bucket=bucket)
    gone = client.get("/healthz")
    assert gone.status_code == 503 and gone.json["storage"]["ok"] is False
    assert "RECORDINGS_STORAGE_URL" in gone.json["storage"]["error"]
    assert gone.json["database"]["ok"] and gone.json["redis"]["ok"]


def wrong_settings(s3_server) -> dict[str, dict[str, str]]:
    """For each setting, a value of it that cannot work."""
    return {
        "RECORDINGS_STORAGE_URL": {"RECORDINGS_STORAGE_URL": "s3://no-such-bucket/voicecast"},
        "AWS_ENDPOINT_URL": {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"},
        "AWS_ACCESS_KEY_ID": {"AWS_SECRET_ACCESS_KEY": "not-the-secret"},
    }


@pytest.mark.parametrize("setting", ["RECORDINGS_STORAGE_URL", "AWS_ENDPOINT_URL",
                                     "AWS_ACCESS_KEY_ID"])  # fmt: skip
def test_a_wrong_storage_setting_stops_the_start_naming_it(setting, bucket, s3_server, monkeypatch):
    for name, value in wrong_settings(s3_server)[setting].items():
        monkeypatch.setenv(name, value)
    with pytest.raises(StorageMisconfigured) as stopped:
        create_app({"TESTING": True})
    assert stopped.value.setting == setting and str(stopped.value).startswith(f"{setting}: ")


@pytest.mark.slow
def test_a_web_node_with_a_missing_bucket_does_not_start(bucket, s3_server, tmp_path):
    env = {**os.environ, "RECORDINGS_STORAGE_URL": "s3://no-such-bucket/voicecast",
           "VOICECAST_INSTANCE_PATH": str(tmp_path / "instance")}  # fmt: skip
    web = subprocess.run(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{free_port()}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert web.returncode != 0
    assert "RECORDINGS_STORAGE_URL: the bucket 'no-such-bucket' does not exist" in web.stderr


def make_local_store(root: Path, count: int) -> dict[str, bytes]:
    """A store as a single node kept it: recordings and voicemails of two accounts."""
    store, files = LocalStorage(root), {}
    for n in range(count):
        account = 1 + n % 2
        key = (f"accounts/{account}/recordings/{n}/carrier.wav" if n % 3
               else f"accounts/{account}/voicemails/{n}.wav")  # fmt: skip
        files[key] = os.urandom(50_000 + n)
        store.put(key, files[key], "audio/wav")
    return files


def run_migrate(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "voicecast", "storage", "migrate"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_migrate_copies_a_local_store_resumes_after_a_kill_and_verifies_checksums(
    bucket, s3_server, tmp_path
):
    files = make_local_store(tmp_path / "recordings", 60)
    env = {**os.environ, "RECORDINGS_DIR": str(tmp_path / "recordings"),
           "VOICECAST_INSTANCE_PATH": str(tmp_path / "instance")}  # fmt: skip
    client = s3_server.client()
    stale_key = sorted(files)[-1]  # an object left different by some earlier attempt
    client.put_object(Bucket=bucket, Key=f"voicecast/{stale_key}", Body=b"stale")

    first = run_migrate(env)
    copied_before_kill = 0
    for line in first.stdout:
        copied_before_kill += line.startswith("copied ")
        if copied_before_kill == 10:
            first.send_signal(signal.SIGKILL)
            break
    first.wait(timeout=30)
    first.stdout.close()
    first.stderr.close()
    assert first.returncode == -signal.SIGKILL
    landed = len(objects(s3_server, bucket))
    assert 10 <= landed < len(files), "the kill came after the end"

    second = run_migrate(env)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    skipped = out.count("\nskipped ")
    assert skipped >= 10 and out.count("\ncopied ") == len(files) - skipped
    assert f"copied {stale_key}" in out
    assert f"{len(files) - skipped} copied, {skipped} already there, 0 failed" in out
    stored = objects(s3_server, bucket)
    assert stored == {f"voicecast/{key}": data for key, data in files.items()}
    for key, data in files.items():
        head = client.head_object(Bucket=bucket, Key=f"voicecast/{key}")
        assert head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()

    third = run_migrate(env)
    out, _ = third.communicate(timeout=120)
    assert third.returncode == 0 and f"0 copied, {len(files)} already there, 0 failed" in out


def test_a_callback_voicemail_lands_in_the_bucket(
    app, client, bucket, s3_server, after_campaign, carrier, run_jobs
):
    admin, _, _ = after_campaign
    missed = {"from": PIERRE, "to": SHARED, "seller": "no-answer", "voicemail_seconds": 7}
    sim(carrier, "/_sim/inbound", missed)
    run_jobs()
    [record] = client.get(f"{API}/callbacks", headers=admin.headers).json["items"]
    key = f"voicecast/accounts/{admin.account_id}/voicemails/{record['id']}.wav"
    voicemail = objects(s3_server, bucket)[key]
    assert voicemail[:4] == b"RIFF"
    messages = sim(carrier, "/_sim/messages")
    [text] = messages["messages"] if isinstance(messages, dict) else messages
    link = text["body"].split(": ")[-1].removeprefix(app.config["PUBLIC_BASE_URL"])
    page = client.get(link).get_data(as_text=True)  # the seller's call-back page plays it
    audio_url = page.split("<audio", 1)[1].split('src="', 1)[1].split('"', 1)[0]
    audio = client.get(audio_url, headers={"Range": "bytes=0-43"})
    assert audio.status_code == 206 and audio.data == voicemail[:44]
    assert "private" in audio.headers["Cache-Control"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_a_node_with_a_bucket_refuses_to_start_without_the_shared_settings(
    missing, bucket, tmp_path, monkeypatch
):
    """A node would make these up in its own instance folder (a key of its own, a SQLite file,
    an embedded Redis's socket), and a second node would not see them: links signed by one
    refused by the other, and so on. So a node whose recordings are in a bucket needs them."""
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "shared.sqlite3"))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("VOICECAST_INSTANCE_PATH", str(tmp_path / "node"))
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError) as stopped:
        create_app({"TESTING": True})
    assert f"set {missing} ({missing}: " in str(stopped.value)
    assert not (tmp_path / "node" / "secret_key").exists()
