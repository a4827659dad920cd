"""Issue 7's acceptance in a real headless Chromium: a manager logs in, opens a campaign that
is running against the carrier simulator (a real `python -m workers` process dials), watches
its counts change without reloading, pauses it and sees it stop dialing. Screenshots of the
campaign page on desktop and phone sizes go to tests/screenshots/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.audio import Sounds, make_sounds
from tests.browser import DESKTOP, PHONE, logged_in_page, screenshot
from tests.helpers import create_tenant, stop_process
from tests.test_campaign_delivery import upload
from voicecast.i18n import NNBSP

pytest_plugins = ["tests.browser_fixtures", "tests.carrier_fixtures", "tests.dashboard_world"]
API = "/api/v1"
PASSWORD = "correct horse battery"
CONTACTS = 40
CALLS_PER_SECOND = 2  # slow enough to watch: 20 s for the campaign


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("dashboard-sounds"))


@pytest.fixture
def worker(app, carrier, public_app, tmp_path) -> Iterator[subprocess.Popen]:
    """A worker process as deployed, with the app's database, Redis, carrier and address."""
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "workers"], env=dict(os.environ), stdout=log, stderr=log
    )
    yield process
    stop_process(process)
    log.close()


def calls_made(carrier) -> int:
    with urllib.request.urlopen(f"{carrier.url}/_sim/calls", timeout=5) as response:
        body = json.load(response)
    calls = body["calls"] if isinstance(body, dict) else body
    return sum(1 for call in calls if call.get("direction") != "inbound")


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def running_campaign(client, runner, sounds) -> tuple[int, dict]:
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.fr")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    set_password = runner.invoke(
        args=["user", "set-password", "chef@dupont.fr"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert set_password.exit_code == 0, set_password.output
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    recording = upload(client, admin.headers, sounds.speech, seller["id"]).json
    url = f"{API}/recordings/{recording['id']}"
    wait_until(lambda: client.get(url, headers=admin.headers).json["status"] == "ready", 60,
               "the recording to be processed by the worker")  # fmt: skip
    for n in range(CONTACTS):
        client.post(f"{API}/contacts", headers=admin.headers,
                    json={"phone": f"+336123456{n:02d}", "seller_id": seller["id"]})  # fmt: skip
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": "Entretien 2 ans", "audience": {"kind": "all"}, "max_attempts": 1,
        "calls_per_second": CALLS_PER_SECOND,
        "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
    }).json  # fmt: skip
    launched = client.post(f"{API}/campaigns/{campaign['id']}/launch", headers=admin.headers)
    assert launched.status_code == 202, launched.json
    return campaign["id"], admin.headers


def test_a_manager_watches_a_running_campaign_and_pauses_it(
    app, runner, client, carrier, public_app, worker, browser, sounds
):
    campaign_id, headers = running_campaign(client, runner, sounds)
    page = logged_in_page(browser, public_app, "chef@dupont.fr", PASSWORD)
    page.get_by_role("link", name="Campagnes").click()
    page.get_by_role("link", name="Entretien 2 ans").click()
    page.wait_for_url(f"**/campaigns/{campaign_id}")
    page.evaluate("window.__same_page = true")  # gone if the page were reloaded

    voicemails = page.locator('[data-count="voicemail_left"]')
    first = int(voicemails.inner_text())
    wait_until(lambda: int(voicemails.inner_text()) >= first + 3, 30,
               "the voicemail count to move on the page")  # fmt: skip
    assert page.evaluate("window.__same_page") is True  # it moved without a reload
    assert page.locator("[data-field=status-label]").inner_text() == "En cours"
    assert int(page.locator("[data-chart] svg").get_attribute("data-buckets")) >= 1
    screenshot(page, "campaign-running-desktop")

    page.get_by_test_id("pause").click()
    page.wait_for_url(f"**/campaigns/{campaign_id}")
    assert "plus aucun nouvel appel" in page.get_by_role("alert").inner_text()
    assert page.locator("[data-field=status-label]").inner_text() == "En pause"
    time.sleep(1.5)  # calls already ringing finish (the simulator's are short)
    paused_at = calls_made(carrier)
    time.sleep(3 / CALLS_PER_SECOND + 2)  # long enough for several more calls at this pace
    assert calls_made(carrier) == paused_at, "calls were still placed after the pause"
    state = client.get(f"{API}/campaigns/{campaign_id}", headers=headers).json
    assert state["status"] == "paused"
    assert state["counts"].get("pending", 0) > 0  # it stopped with numbers left to call
    assert page.get_by_test_id("resume").is_visible()
    assert not page.get_by_test_id("pause").is_visible()

    page.set_viewport_size(PHONE)
    screenshot(page, "campaign-paused-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "campaign-paused-desktop")
    page.context.close()


LAUNCHED = datetime(2026, 12, 5, 23, 34, tzinfo=UTC)  # 00:34 on the 6th in Paris


@pytest.fixture
def three_hours_after_launch(set_clock) -> None:
    """The clock of this process (the page's server too) three hours after LAUNCHED; asked
    for before `shop`, so that its callback falls within the chart."""
    set_clock(LAUNCHED + timedelta(hours=3))


def test_the_chart_has_time_and_count_axes_in_the_account_s_zone(
    app, client, three_hours_after_launch, shop, live_server, browser
):
    """The chart, drawn by the page's script, labels its time axis in the account's zone
    (Paris), not the browser's (New York here), and its count axis from 0."""
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models.campaign import Campaign

        db.session.get(Campaign, shop.campaign_id).launched_at = LAUNCHED
        db.session.commit()
    page = logged_in_page(
        browser, live_server, "chef@dupont.example", PASSWORD, timezone_id="America/New_York"
    )
    page.goto(f"/campaigns/{shop.campaign_id}")
    x_ticks = page.locator("[data-axis=x] text[data-tick]").all_text_contents()
    assert x_ticks[0] == "06/12 00:34", x_ticks  # the day, then the time, in Paris
    assert x_ticks[1:] == ["01:04", "01:34", "02:04", "02:34", "03:04", "03:34"], x_ticks
    assert len(x_ticks) >= 3
    assert page.locator("[data-axis=x] text.title").text_content() == "Heure (Europe/Paris)"
    y_ticks = page.locator("[data-axis=y] text[data-tick]").all_text_contents()
    assert y_ticks[0] == "0" and len(y_ticks) >= 2, y_ticks
    assert page.locator("[data-axis=y] text.title").text_content() == "Appels"
    assert page.locator("[data-field=progress-text]").inner_text() == f"100{NNBSP}%"
    # Nobody waits, nobody was left out: neither heading, nor their card.
    assert not page.locator("[data-section=reasons]").is_visible()
    # Jeanne's call was an opt-out: no callback drawn (the count axis stops at 1).
    assert page.locator("polyline.callbacks").get_attribute("points").count(",194.00") == 37
    page.wait_for_timeout(2500)  # one poll: the script redraws and keeps it all
    assert page.locator("[data-axis=x] text[data-tick]").all_text_contents()[0] == x_ticks[0]
    assert page.locator("[data-field=callback-rate]").inner_text() == f"0{NNBSP}%"
    assert not page.locator("[data-section=waiting]").is_visible()
    screenshot(page, "campaign-chart-axes")
    page.context.close()
