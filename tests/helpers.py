"""Test helpers that build accounts the way users do: through the CLI and the API."""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient, FlaskCliRunner


@dataclass
class Tenant:
    """An account as its admin sees it: the key the CLI printed."""

    key: str
    account_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def create_tenant(
    runner: FlaskCliRunner, client: FlaskClient, name: str, email: str, country: str = "FR"
) -> Tenant:
    result = runner.invoke(args=["account", "create", name, "--email", email, "--country", country])
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
