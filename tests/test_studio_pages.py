"""The seller's recording page behind a recording link: languages, link problems, CSRF, and a
link reaching only its own seller's recordings."""

from __future__ import annotations

import ast
import html
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.audio import Sounds, make_sounds
from tests.helpers import Tenant, assert_error, create_tenant
from voicecast.extensions import db
from voicecast.models import RecordingLink
from voicecast.models.base import utcnow
from voicecast.studio.messages import GENERIC, REJECTIONS, rejection_message
from voicecast.studio.routes import limits
from voicecast.translations import EN

API = "/api/v1"
TEMPLATES = Path(__file__).parent.parent / "voicecast" / "templates" / "studio"


@dataclass
class Studio:
    admin: Tenant
    seller_id: int
    link_id: int
    path: str  # /r/<token>

    @property
    def upload_path(self) -> str:
        return f"{self.path}/recordings"


def new_studio(client, admin: Tenant, name: str, **link) -> Studio:
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": name})
    assert seller.status_code == 201, seller.json
    seller_id = seller.json["id"]
    created = client.post(
        f"{API}/sellers/{seller_id}/recording-links", headers=admin.headers, json=link
    )
    assert created.status_code == 201, created.json
    path = urlsplit(created.json["url"]).path
    assert re.fullmatch(r"/r/[A-Za-z0-9_-]{20,}", path), path
    return Studio(admin, seller_id, created.json["id"], path)


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("sounds"))


@pytest.fixture
def admin(runner, client) -> Tenant:
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.fr")


@pytest.fixture
def studio(client, admin) -> Studio:
    return new_studio(client, admin, "Marie O'Neil")


def csrf_from(page_html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page_html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def i18n_from(page_html: str) -> dict[str, str]:
    match = re.search(
        r'<script id="studio-i18n" type="application/json">(.*?)</script>', page_html, re.S
    )
    assert match, "the page has no strings for its script"
    return json.loads(match.group(1))


def upload(client, studio: Studio, path: Path | None = None, data: bytes = b"", **headers):
    """POST a file as the page does. The body is encoded here, in memory: the test client
    spools big bodies to a temporary file it never closes."""
    body = path.read_bytes() if path else data
    name = path.name if path else "message.webm"
    boundary, encoded = encode_multipart(
        {"file": FileStorage(BytesIO(body), name), "purpose": "voicemail"}
    )
    return client.post(
        studio.upload_path,
        data=encoded,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_the_page_greets_the_seller_in_french(client, studio):
    response = client.get(studio.path)
    assert response.status_code == 200
    page = response.text
    assert '<html lang="fr">' in page
    assert "Bonjour Marie O&#39;Neil !" in page  # the name, escaped
    assert "entre 5 et 60 secondes" in page
    assert 'id="record"' in page and ">Enregistrer</button>" in page
    assert 'accept="audio/*"' in page
    assert 'role="meter"' in page and 'role="status"' in page and 'role="alert"' in page
    assert "/static/studio.js" in page and "/static/studio.css" in page
    assert "Votre message actuel" not in page  # nothing recorded yet
    assert csrf_from(page)
    strings = i18n_from(page)
    assert strings["processing"] == "Traitement en cours…"
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "no external asset"


def test_the_page_speaks_english_when_asked(client, studio):
    response = client.get(f"{studio.path}?lang=en")
    assert response.status_code == 200
    page = response.text
    assert '<html lang="en">' in page
    assert "Hello Marie O&#39;Neil!" in page
    assert "between 5 and 60 seconds" in page
    assert ">Record</button>" in page
    assert "Enregistrer" not in page
    strings = i18n_from(page)
    assert strings["processing"] == "Processing…"
    french = {"é", "è", "à", "ê", "ç", " : ", " !"}
    for key, text in strings.items():
        assert not any(mark in text for mark in french), (key, text)
    # The choice sticks (cookie), as on the other pages.
    assert "Hello Marie" in client.get(studio.path).text


def studio_strings() -> set[str]:
    found = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"""_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""", text):
            found.add(ast.literal_eval(match.group(1)))
    return found


def test_every_studio_string_has_an_english_translation():
    strings = studio_strings() | set(REJECTIONS.values()) | {GENERIC}
    assert len(strings) > 40
    missing = sorted(s for s in strings if s not in EN)
    assert not missing
    for french, english in EN.items():  # the same placeholders in both languages
        assert set(re.findall(r"\{\w+\}", french)) == set(re.findall(r"\{\w+\}", english))


@pytest.mark.parametrize(("lang", "title"), [("fr", "Lien inconnu"), ("en", "Unknown link")])
def test_an_unknown_link_gets_a_clear_page(client, studio, lang, title):
    response = client.get(f"/r/not-a-real-token-at-all?lang={lang}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert f"<h1>{title}</h1>" in response.text
    assert "Traceback" not in response.text


def test_a_revoked_link_gets_a_clear_page(client, studio):
    revoked = client.delete(f"{API}/recording-links/{studio.link_id}", headers=studio.admin.headers)
    assert revoked.status_code == 204
    response = client.get(studio.path)
    assert response.status_code == 410
    assert html.unescape(response.text).count("Ce lien n'est plus valable") == 1
    assert "Il a été désactivé" in response.text
    english = client.get(f"{studio.path}?lang=en")
    assert english.status_code == 410 and "This link is no longer valid" in english.text
    # The page's script reads JSON: uploading and polling say the same, in its shape.
    error = assert_error(client.get(f"{studio.upload_path}/1"), 410, "revoked")
    assert error["message"] == "This link is no longer valid"


def test_an_expired_link_gets_a_clear_page(app: Flask, client, admin):
    studio = new_studio(client, admin, "Marie", ttl_hours=1)
    assert client.get(studio.path).status_code == 200
    with app.app_context():  # set-up: an hour is the shortest ttl, so move the clock instead
        link = db.session.get(RecordingLink, studio.link_id)
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(studio.path)
    assert response.status_code == 410
    assert html.unescape(response.text).count("Ce lien a expiré") == 1
    assert "Demandez un nouveau lien" in response.text
    assert "Traceback" not in response.text


def test_an_upload_needs_the_csrf_token(app: Flask, client, studio, sounds: Sounds):
    app.config["WTF_CSRF_ENABLED"] = True  # the default; said here because this test is about it
    token = csrf_from(client.get(studio.path).text)
    error = assert_error(upload(client, studio, sounds.short), 400, "csrf_failed")
    assert "Rechargez la page" in error["message"]
    forged = upload(client, studio, sounds.short, **{"X-CSRFToken": "forged"})
    assert_error(forged, 400, "csrf_failed")
    accepted = upload(client, studio, sounds.short, **{"X-CSRFToken": token})
    assert accepted.status_code == 202, accepted.json
    assert accepted.json["status"] == "uploaded"
    assert accepted.json["purpose"] == "voicemail"
    assert set(accepted.json) == {
        "id", "purpose", "step_id", "version", "status", "active", "rejection",
        "duration_seconds", "loudness_lufs", "preview_url",
    }  # fmt: skip


def test_bad_uploads_get_the_error_shape(app: Flask, client, studio):
    headers = {"X-CSRFToken": csrf_from(client.get(studio.path).text)}
    no_file = client.post(studio.upload_path, data={"purpose": "voicemail"}, headers=headers)
    assert_error(no_file, 400, "bad_request")
    error = assert_error(upload(client, studio, data=b"", **headers), 422, "empty_file")
    assert error["message"] == "Le fichier est vide. Enregistrez à nouveau."
    big = b"\0" * (app.config["RECORDING_MAX_BYTES"] + 1)
    error = assert_error(upload(client, studio, data=big, **headers), 413, "too_large")
    with app.test_request_context():
        assert error["message"] == rejection_message("too_large", limits())
    assert error["message"].startswith("Le fichier est trop volumineux")
    # Over MAX_CONTENT_LENGTH the request is refused before the view, with the same answer.
    bigger = b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    error = assert_error(upload(client, studio, data=bigger, **headers), 413, "too_large")
    assert error["message"].startswith("Le fichier est trop volumineux")
    client.get(f"{studio.path}?lang=en")
    error = assert_error(upload(client, studio, data=big, **headers), 413, "too_large")
    assert error["message"] == "The file is too large. Record a shorter message."


def test_a_link_reaches_only_its_own_sellers_recordings(client, admin, studio, sounds: Sounds):
    other = new_studio(client, admin, "Paul")
    headers = {"X-CSRFToken": csrf_from(client.get(other.path).text)}
    theirs = upload(client, other, sounds.short, **headers)
    assert theirs.status_code == 202, theirs.json
    recording_id = theirs.json["id"]

    assert client.get(f"{other.upload_path}/{recording_id}").status_code == 200
    assert_error(client.get(f"{studio.upload_path}/{recording_id}"), 404, "not_found")
    assert_error(client.get(f"{studio.upload_path}/999999"), 404, "not_found")


def test_the_page_shows_the_current_message(client, studio, sounds: Sounds, run_jobs):
    headers = {"X-CSRFToken": csrf_from(client.get(studio.path).text)}
    sent = upload(client, studio, sounds.speech, **headers)
    assert sent.status_code == 202, sent.json
    assert run_jobs() >= 1  # the processing, and marking the admin's key used
    state = client.get(f"{studio.upload_path}/{sent.json['id']}").json
    assert state["status"] == "ready", state
    assert state["active"] is True
    assert state["preview_url"].endswith(".mp3")

    page = client.get(studio.path).text
    assert "Votre message actuel" in page
    assert f'src="{state["preview_url"]}"' in page
    assert re.search(r"Durée : \d+,\d s", page)
    preview = client.get(urlsplit(state["preview_url"]).path)
    assert preview.status_code == 200 and preview.mimetype == "audio/mpeg"
