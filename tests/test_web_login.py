"""The web side: managers log in with a session cookie; every form carries a CSRF token."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.helpers import create_tenant

PASSWORD = "correct horse battery"


@pytest.fixture
def manager(runner, client):
    tenant = create_tenant(runner, client, "Garage Dupont", "chef@dupont.fr")
    result = runner.invoke(
        args=["user", "set-password", "chef@dupont.fr"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    return tenant


@pytest.fixture
def csrf_app(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the form has no CSRF token"
    return match.group(1)


def log_in(client, email: str, password: str):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def test_home_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_manager_logs_in_sees_the_account_and_logs_out(csrf_app, client, manager):
    response = log_in(client, "Chef@Dupont.fr", PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "Garage Dupont" in home.text
    assert "Vendeurs" in home.text  # French by default
    logout = client.post("/logout", data={"csrf_token": csrf_token(home.text)})
    assert logout.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(csrf_app, client, manager):
    response = log_in(client, "chef@dupont.fr", "not the password")
    assert response.status_code == 200
    assert "E-mail ou mot de passe incorrect." in response.text
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(csrf_app, client, manager):
    response = client.post("/login", data={"email": "chef@dupont.fr", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_without_csrf_token_keeps_the_session(csrf_app, client, manager):
    log_in(client, "chef@dupont.fr", PASSWORD)
    client.post("/logout", data={})
    assert client.get("/").status_code == 200


def test_next_parameter_never_leaves_the_site(csrf_app, client, manager):
    page = client.get("/login?next=//evil.example/x")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": "chef@dupont.fr", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.headers["Location"] == "/"


def test_sellers_cannot_log_in_to_the_web(app, csrf_app, client, manager):
    seller = client.post(
        "/api/v1/sellers",
        headers=manager.headers,
        json={"name": "Marie", "email": "marie@dupont.fr"},
    )
    assert seller.status_code == 201
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import User

        user = db.session.get(User, seller.json["id"])
        user.set_password(PASSWORD)  # set-up only: sellers get no password through the product
        db.session.commit()
    response = log_in(client, "marie@dupont.fr", PASSWORD)
    assert "Réservé aux responsables et administrateurs." in response.text
    assert client.get("/").status_code == 302


def test_pages_switch_to_english_and_remember_it(client):
    english = client.get("/login?lang=en")
    assert "Log in" in english.text and '<html lang="en">' in english.text
    again = client.get("/login")
    assert "Email address" in again.text
    french = client.get("/login?lang=fr")
    assert "Adresse e-mail" in french.text


def test_unknown_page_is_a_page_not_json(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page introuvable." in response.text


def test_set_password_refuses_short_passwords(runner, client, manager):
    result = runner.invoke(args=["user", "set-password", "chef@dupont.fr"], input="short\nshort\n")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
