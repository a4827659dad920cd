"""A seller records a journey step's message in a real headless Chromium (issue 21, point 2):
the recording page lists the general message and the step's, the step's script is the prompt,
and what the fake microphone says becomes the seller's recording of that step, the general
message left as it was."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.audio import SPEECH, duration_seconds, speech_wav
from tests.browser import CHROMIUM_ARGS, PHONE, screenshot
from tests.helpers import create_tenant
from tests.test_studio_browser import wait_for_outcome
from voicecast.extensions import db
from voicecast.models import Purpose, Recording

pytest_plugins = ["tests.browser_fixtures"]  # live_server, browser

API = "/api/v1"
SCRIPT = "Bonjour, c'est Marie : comment se passent vos premiers jours avec la voiture ?"


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    return speech_wav(folder / "speech.wav", SPEECH, 0.5, 0.5)  # over the 5 s of speech asked


@pytest.fixture
def chromium_args(speech: Path) -> list[str]:
    """Chromium with a fake microphone that plays the speech once, already allowed."""
    return [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech}%noloop",
    ]


def test_a_seller_records_a_journey_steps_message_from_its_script(
    app, page: Page, runner, client, speech: Path, run_jobs
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json["id"]
    step = {"name": "Premiers jours", "attribute": "date_livraison",
            "offset": {"amount": 3, "unit": "days"}, "purpose": "delivery_thanks",
            "script": SCRIPT, "recording_policy": "wait"}  # fmt: skip
    journey = client.post(f"{API}/journeys", headers=admin.headers,
                          json={"name": "Après-vente", "steps": [step]})  # fmt: skip
    assert journey.status_code == 201, journey.json
    step_id = journey.json["steps"][0]["id"]
    link = client.post(f"{API}/sellers/{seller}/recording-links", headers=admin.headers, json={})
    page.set_viewport_size(PHONE)  # the seller most likely opens the link on a phone
    page.goto(urlsplit(link.json["url"]).path)

    messages = page.get_by_test_id("message")
    expect(messages).to_have_count(2)
    expect(messages.nth(0).get_by_role("heading")).to_have_text("Message général")
    expect(messages.nth(1).get_by_role("heading")).to_have_text("Premiers jours")
    expect(messages.nth(1).locator(".script")).to_have_text(SCRIPT)
    expect(messages.nth(1).locator(".message-state")).to_have_text("À enregistrer")
    screenshot(page, "journey-studio-list")

    messages.nth(1).get_by_role("link", name="Enregistrer ce message").click()
    prompt = page.get_by_role("heading", name="À enregistrer maintenant : Premiers jours")
    expect(prompt).to_be_visible()
    expect(page.locator("#script")).to_have_text(SCRIPT)
    expect(page.get_by_test_id("message").nth(1)).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("button", name="Arrêter")).to_be_visible()
    page.wait_for_timeout((duration_seconds(speech) + 0.7) * 1000)
    page.get_by_role("button", name="Arrêter").click()
    page.get_by_role("button", name="Envoyer ce message").click()
    assert wait_for_outcome(page, run_jobs) == "ready", page.get_by_role("alert").inner_text()
    chosen = page.get_by_test_id("message").nth(1)
    expect(chosen.locator(".message-state")).to_have_text("Enregistré")
    expect(page.get_by_test_id("message").nth(0).locator(".message-state")).to_have_text(
        "À enregistrer"
    )
    screenshot(page, "journey-studio-recorded")

    with app.app_context():
        rows = db.session.execute(
            select(
                Recording.purpose, Recording.step_id, Recording.active, Recording.speech_seconds
            ).where(Recording.seller_id == seller)
        ).all()
    [(purpose, recorded_step, active, speech_seconds)] = rows
    assert (purpose, recorded_step, active) == (Purpose.JOURNEY_STEP, step_id, True)
    assert speech_seconds and speech_seconds > 3, "the step's message holds the speech"

    # Back later, the list says so; the manager no longer sees Marie as missing.
    page.reload()
    expect(page.get_by_test_id("message").nth(1).locator(".message-state")).to_have_text(
        "Enregistré"
    )
    view = client.get(f"{API}/journeys/{journey.json['id']}/recordings", headers=admin.headers)
    assert view.json["steps"][0]["missing"] == []
