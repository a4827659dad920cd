"""The dashboard tests' world: Marie's drop reached Jeanne, who called back to opt out, and the
manager is logged in (`pytest_plugins = ["tests.dashboard_world"]`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.callback_world import (
    add_campaign,
    add_contact,
    add_number,
    incoming,
    open_shop,
    record_drop,
    signed_post,
)
from tests.test_web_login import PASSWORD, log_in
from voicecast.models.base import utcnow

SHARED, CUSTOMER = "+33159000000", "+33612345678"


@pytest.fixture
def shop(app, runner, client):
    """Marie's drop reached Jeanne, who called back and opted out; the manager is logged in."""
    shop = open_shop(app, runner, client, {"Marie": "+33611000001"})
    add_number(client, shop, SHARED)
    add_contact(client, shop, CUSTOMER, first_name="Jeanne", last_name="Petit")
    campaign = add_campaign(client, shop, "Entretien 2 ans")
    record_drop(app, shop, campaign, CUSTOMER, "Marie", utcnow() - timedelta(days=1))
    incoming(client, app, CUSTOMER, SHARED)
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import InboundCall

        call_id = db.session.query(InboundCall.id).scalar()
    signed_post(client, app, f"/twilio/callbacks/{call_id}/menu",
                {"CallSid": "CA" + "1" * 32, "Digits": "9"})  # fmt: skip
    result = runner.invoke(
        args=["user", "set-password", "chef@dupont.example"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert log_in(client, "chef@dupont.example", PASSWORD).status_code == 302
    shop.campaign_id = campaign
    return shop
