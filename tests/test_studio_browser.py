"""Acceptance of issue 3 in a real headless Chromium: a seller opens the link, records French
speech from a fake microphone, sends it, and the carrier file comes out telephone-ready; bad
uploads are each rejected with their own reason on the page and in the API.

Chromium's fake microphone plays tests/audio.py's espeak-ng WAV (1.5 s of silence, about 6.5 s
of speech, 1.5 s of silence; played once). A bad path would give silence without any error, so
the test also checks the level meter moved and the uploaded original is loud enough.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.audio import (
    Sounds,
    dbfs,
    decode_mulaw,
    decode_pcm,
    duration_seconds,
    integrated_loudness,
    make_sounds,
    onset_seconds,
    parse_wav,
)
from tests.browser import CHROMIUM_ARGS, DESKTOP, PHONE, screenshot
from tests.helpers import Tenant, create_tenant
from voicecast.extensions import db
from voicecast.media.store import get_storage
from voicecast.models import Recording
from voicecast.studio.messages import rejection_message
from voicecast.studio.routes import limits

pytest_plugins = ["tests.browser_fixtures"]  # live_server, browser

API = "/api/v1"
TARGET_LUFS = -19.0
WAV_FORMAT_MULAW = 7


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("sounds"))


@pytest.fixture
def chromium_args(sounds: Sounds) -> list[str]:
    """Chromium with a fake microphone that plays the speech file once, already allowed."""
    assert sounds.speech.is_absolute()
    return [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={sounds.speech}%noloop",
        "--autoplay-policy=no-user-gesture-required",
    ]


@pytest.fixture
def page(browser, live_server: str):
    """A phone-sized page (the seller most likely opens the link on a phone)."""
    context = browser.new_context(
        base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def admin(runner, client) -> Tenant:
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.fr")


@pytest.fixture
def seller(client, admin: Tenant) -> int:
    created = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie Dupont"})
    assert created.status_code == 201, created.json
    return created.json["id"]


@pytest.fixture
def link_path(client, admin: Tenant, seller: int) -> str:
    created = client.post(f"{API}/sellers/{seller}/recording-links", headers=admin.headers, json={})
    assert created.status_code == 201, created.json
    return urlsplit(created.json["url"]).path


def wait_for_outcome(page: Page, run_jobs: Callable[[], int], timeout: float = 90) -> str:
    """Run the queued jobs until the page shows the outcome of the last upload: `ready`,
    `rejected`, or `error` (the upload itself was refused)."""
    deadline = time.monotonic() + timeout
    studio = page.locator("#studio")
    while time.monotonic() < deadline:
        run_jobs()
        state = studio.get_attribute("data-state")
        if state in ("ready", "rejected", "error"):
            return state
        page.wait_for_timeout(300)
    status = page.get_by_role("status").inner_text()
    raise AssertionError(f"the page never showed an outcome; status: {status!r}")


def api_recordings(client, admin: Tenant, seller: int) -> list[dict]:
    response = client.get(f"{API}/recordings?seller_id={seller}", headers=admin.headers)
    assert response.status_code == 200, response.json
    return response.json["items"]


def download(url: str) -> tuple[bytes, str]:
    """GET without any credentials, over real HTTP."""
    request = urllib.request.Request(url)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read(), response.headers["Content-Type"]


def test_a_seller_records_a_message_that_comes_out_telephone_ready(
    app: Flask, page: Page, client, admin, seller, link_path, sounds: Sounds, run_jobs
):
    page.goto(link_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Marie Dupont !")
    screenshot(page, "studio-phone-start")

    # With the keyboard only: Enter on Record, then Stop and Send each take the focus in turn.
    record = page.get_by_role("button", name="Enregistrer", exact=True)
    record.focus()
    page.keyboard.press("Enter")
    stop = page.get_by_role("button", name="Arrêter")
    expect(stop).to_be_visible()
    expect(stop).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Enregistrement… Parlez maintenant.")
    # The whole fake-microphone file: silence, speech, silence (about 9.5 s), and a margin.
    page.wait_for_timeout(3000)
    screenshot(page, "studio-phone-recording")
    page.wait_for_timeout((duration_seconds(sounds.speech) - 3 + 0.5) * 1000)
    expect(page.get_by_role("timer")).not_to_have_text("0:00")
    page.keyboard.press("Space")

    take = page.locator("#take-audio")
    expect(take).to_be_visible()
    assert take.get_attribute("src").startswith("blob:")
    # Negative control, first half: the level meter moved (a silent fake microphone keeps it at
    # the bottom, -60 dBFS and below).
    meter = page.get_by_role("meter", name="Niveau du micro")
    peak = int(meter.get_attribute("data-peak"))
    assert peak > 40, f"the level meter barely moved ({peak}/100): is the fake microphone silent?"
    screenshot(page, "studio-phone-listen")

    send = page.get_by_role("button", name="Envoyer ce message")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")
    assert wait_for_outcome(page, run_jobs) == "ready", page.get_by_role("alert").inner_text()
    expect(page.get_by_role("status")).to_have_text(
        "Votre message est prêt. Il sera utilisé pour vos prochains appels."
    )
    result = page.locator("#result-audio")
    expect(result).to_be_visible()
    screenshot(page, "studio-phone-ready")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "studio-desktop-ready")

    [item] = api_recordings(client, admin, seller)
    recording = client.get(f"{API}/recordings/{item['id']}", headers=admin.headers).json
    assert recording["status"] == "ready" and recording["active"] is True
    assert result.get_attribute("src") == recording["preview_url"]
    assert 5 <= recording["speech_seconds"] <= recording["duration_seconds"] <= 9

    # Negative control, second half: what the browser uploaded holds speech.
    with app.app_context():
        original_key = db.session.get(Recording, item["id"]).original_key
        original = get_storage().get(original_key)
    uploaded_level = dbfs(decode_pcm(original))
    assert uploaded_level > -40, f"the upload is silent ({uploaded_level:.1f} dBFS)"

    carrier, content_type = download(recording["carrier_url"])
    assert content_type == "audio/wav"
    wav = parse_wav(carrier)
    assert (wav.format_tag, wav.channels, wav.sample_rate, wav.bits_per_sample) == (
        WAV_FORMAT_MULAW, 1, 8000, 8,
    )  # fmt: skip
    samples = decode_mulaw(wav.data)
    level = dbfs(samples)
    assert level > -40, f"the carrier file is silent ({level:.1f} dBFS)"
    onset = onset_seconds(samples, 8000)
    assert onset <= 0.3, f"speech starts {onset:.2f} s into the file"
    loudness = integrated_loudness(carrier)
    assert abs(loudness - TARGET_LUFS) <= 1, f"{loudness} LUFS"
    print(
        f"\nuploaded {uploaded_level:.1f} dBFS, meter peak {peak}/100; carrier: "
        f"{len(samples) / 8000:.2f} s, {level:.1f} dBFS RMS, onset {onset * 1000:.0f} ms, "
        f"{loudness:.1f} LUFS (stored {recording['loudness_lufs']:.1f})"
    )

    # Back on the page later, the message is there.
    page.reload()
    expect(page.get_by_role("heading", name="Votre message actuel")).to_be_visible()


REJECTED_UPLOADS = [
    ("not_audio", "not_audio"),
    ("short", "too_short"),
    ("silent", "silent"),
    ("too_large", "too_large"),
]


def test_bad_uploads_are_each_rejected_with_their_reason(
    app: Flask, page: Page, client, admin, seller, link_path, sounds: Sounds, run_jobs
):
    page.goto(link_path)
    alert = page.get_by_role("alert")
    with app.test_request_context():
        expected = {code: rejection_message(code, limits()) for _, code in REJECTED_UPLOADS}
    for name, code in REJECTED_UPLOADS:
        page.get_by_label("Fichier audio").set_input_files(str(getattr(sounds, name)))
        page.get_by_role("button", name="Envoyer le fichier").click()
        wait_for_outcome(page, run_jobs)
        expect(alert).to_have_text(expected[code])
        screenshot(page, f"studio-phone-rejected-{code}")
        expect(page.locator("#result")).to_be_hidden()

    # The API says the same; the file too large never became a recording.
    items = api_recordings(client, admin, seller)
    assert [(i["status"], i["rejection"]["code"]) for i in items] == [
        ("rejected", "not_audio"),
        ("rejected", "too_short"),
        ("rejected", "silent"),
    ]
    assert all(i["carrier_url"] is None and i["preview_url"] is None for i in items)
    # Nothing half-stored: rejected recordings keep no file at all.
    stored = [p for p in Path(app.config["RECORDINGS_DIR"]).rglob("*") if p.is_file()]
    assert stored == []
