"""Logins that cannot be guessed without limit, that do not tell which emails exist, and
sessions that end for real at logout and at a password change."""

from __future__ import annotations

import pytest
from redis import Redis

from tests.helpers import add_manager, create_tenant
from tests.test_operations import set_password
from tests.test_web_login import PASSWORD, csrf_token, log_in
from voicecast.models import user as user_model
from voicecast.redis_client import EXTENSION_KEY, get_redis
from voicecast.web import throttle

EMAIL = "chef@dupont.fr"


@pytest.fixture
def manager(runner, client):
    tenant = create_tenant(runner, client, "Garage Dupont", EMAIL)
    set_password(runner, EMAIL)
    return tenant


@pytest.fixture
def low_limits(app, monkeypatch):
    """Three failures per email, five per address, in a fresh memory fallback."""
    app.config.update(LOGIN_MAX_FAILURES_PER_EMAIL=3, LOGIN_MAX_FAILURES_PER_ADDRESS=5)
    monkeypatch.setattr(throttle, "MEMORY", throttle.MemoryWindows())
    return app


def log_in_from(client, email: str, password: str, address: str):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_an_email_is_throttled_after_its_failures_right_password_included(
    low_limits, client, manager
):
    for _ in range(3):
        assert log_in(client, EMAIL, "wrong password").status_code == 200
    refused = log_in(client, EMAIL, PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert "Trop de tentatives de connexion. Réessayez dans 15 min." in refused.text
    assert client.get("/").status_code == 302  # not logged in
    assert log_in(client, "CHEF@dupont.fr ", PASSWORD).status_code == 429  # the same email
    client.get("/login?lang=en")
    english = log_in(client, EMAIL, PASSWORD)
    assert english.status_code == 429
    assert "Too many login attempts. Try again in 15 min." in english.text


def test_an_address_is_throttled_across_emails(low_limits, client, manager):
    for n in range(5):
        assert log_in_from(client, f"guess{n}@example.com", "x", "198.51.100.7").status_code == 200
    assert log_in_from(client, EMAIL, PASSWORD, "198.51.100.7").status_code == 429
    assert log_in_from(client, EMAIL, PASSWORD, "203.0.113.9").status_code == 302


def test_an_ipv6_subscriber_counts_as_one_address(low_limits, client, manager):
    for n in range(5):
        address = f"2001:db8:1:2::{n + 1:x}"
        assert log_in_from(client, f"guess{n}@example.com", "x", address).status_code == 200
    assert log_in_from(client, EMAIL, PASSWORD, "2001:db8:1:2::ff").status_code == 429


def test_the_window_ends(low_limits, client, manager):
    for _ in range(3):
        log_in(client, EMAIL, "wrong password")
    assert log_in(client, EMAIL, PASSWORD).status_code == 429
    with low_limits.app_context():
        redis = get_redis()
        keys = redis.keys("login:fail:*")
        assert len(keys) == 2  # the email's window and the address's
        assert all(0 < redis.ttl(key) <= 900 for key in keys)
        for key in keys:  # what the end of the window does
            redis.delete(key)
    assert log_in(client, EMAIL, PASSWORD).status_code == 302


@pytest.fixture
def redis_down(low_limits):
    """The app's Redis pointed at a port where nothing listens, for the test's length."""
    alive = low_limits.extensions[EXTENSION_KEY]
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    low_limits.extensions[EXTENSION_KEY] = dead
    yield
    low_limits.extensions[EXTENSION_KEY] = alive


def test_logins_work_and_stay_throttled_while_redis_is_down(redis_down, client, manager):
    assert log_in(client, EMAIL, PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    for _ in range(3):
        assert log_in(client, EMAIL, "wrong password").status_code == 200
    assert log_in(client, EMAIL, PASSWORD).status_code == 429


def test_unknown_and_known_emails_cost_one_password_hash_each(
    app, runner, client, manager, monkeypatch
):
    add_manager(runner, manager.account_id, "sans.mot.de.passe@dupont.fr")
    checked: list[str] = []
    real = user_model.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(user_model, "check_password_hash", counting)
    log_in(client, "nobody@dupont.fr", "wrong password")
    log_in(client, EMAIL, "wrong password")
    log_in(client, "sans.mot.de.passe@dupont.fr", "wrong password")
    assert len(checked) == 3
    assert len({stored.split("$")[0] for stored in checked}) == 1  # the same method and cost


def test_a_cookie_copied_before_logout_stops_working(app, client, manager):
    assert log_in(client, EMAIL, PASSWORD).status_code == 302
    copied = client.get_cookie("session").value
    home = client.get("/")
    assert home.status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_token(home.text)}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code == 302


def test_a_password_change_ends_every_open_session(app, runner, client, manager):
    assert log_in(client, EMAIL, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    new = "another long passphrase"
    changed = runner.invoke(args=["user", "set-password", EMAIL], input=f"{new}\n{new}\n")
    assert changed.exit_code == 0, changed.output
    assert client.get("/").status_code == 302
    assert log_in(client, EMAIL, new).status_code == 302
    assert client.get("/").status_code == 200
