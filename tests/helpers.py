"""Test helpers that build accounts the way users do: through the CLI and the API."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

# The error codes clients rely on, written out here so that changing one fails a test.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


@dataclass
class Tenant:
    """An account as its admin sees it: the key the CLI printed."""

    key: str
    account_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def create_tenant(
    runner: FlaskCliRunner,
    client: FlaskClient,
    name: str,
    email: str,
    country: str = "FR",
    rules: str = "none",
) -> Tenant:
    """A new account and its admin's key. Tests of the engine's mechanics call at any hour, so
    their accounts have no calling rules (as internal test numbers would); tests of the rules
    ask for a preset."""
    args = ["account", "create", name, "--email", email, "--country", country, "--rules", rules]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200, me.json
    return Tenant(key=key, account_id=me.json["account"]["id"])


def seller_key(client: FlaskClient, admin: Tenant, seller_id: int) -> Tenant:
    """A key for a seller, created by the account's admin."""
    created = client.post(
        "/api/v1/api-keys", headers=admin.headers, json={"name": "seller", "user_id": seller_id}
    )
    assert created.status_code == 201, created.json
    return Tenant(key=created.json["key"], account_id=admin.account_id)


def assert_error(response: TestResponse, status: int, code: str | None = None) -> dict:
    """The response is the API's error shape with `status`; returns the `error` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    assert error["code"] == (code or ERROR_CODES[status])
    return error


def field_errors(error: dict) -> dict[str, str]:
    """`{field: message}` of a 422's details."""
    return {item["field"]: item["message"] for item in error["details"]}


def add_manager(runner: FlaskCliRunner, account_id: int, email: str) -> Tenant:
    """A manager with an API key, made with the real `voicecast user create` (no API endpoint
    creates managers); like `account create`, it prints the key alone on the last line."""
    result = runner.invoke(
        args=["user", "create", email, "--account", str(account_id), "--name", "Manager"]
    )
    assert result.exit_code == 0, result.output
    return Tenant(key=result.output.strip().splitlines()[-1], account_id=account_id)


def run_with_all_due(app: Flask, campaign_id: int) -> None:
    """Set-up: what launching and planning do, with every number due now (contacts without a
    seller are excluded at planning: dialed all the same)."""
    from sqlalchemy import update

    from voicecast.delivery.planning import plan_deliveries
    from voicecast.extensions import db
    from voicecast.models import Campaign, CampaignStatus, Delivery, DeliveryStatus

    with app.app_context():
        row = db.session.get(Campaign, campaign_id)
        row.status = CampaignStatus.RUNNING
        plan_deliveries(row)
        db.session.execute(update(Delivery).values(status=DeliveryStatus.PENDING, reason=None))
        db.session.commit()


def one_contact_campaign(runner: FlaskCliRunner, client: FlaskClient) -> dict:
    """Garage Dupont's campaign (2 attempts) over its one contact, +33612345600, not launched."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    client.post("/api/v1/contacts", headers=admin.headers, json={"phone": "+33612345600"})
    return client.post(
        "/api/v1/campaigns",
        headers=admin.headers,
        json={"name": "X", "audience": {"kind": "all"}, "max_attempts": 2},
    ).json


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process a test started: SIGTERM, then SIGKILL if it is still there after
    `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
