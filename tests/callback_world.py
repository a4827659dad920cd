"""Set-up for callback tests: an account with sellers, contacts, numbers, and the drops a
campaign run would have left (written straight to the database, with the times a test needs)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import datetime

from twilio.request_validator import RequestValidator

from tests.helpers import Tenant, create_tenant

API = "/api/v1"
TOKEN = "callback-test-token"


@dataclass
class Shop:
    admin: Tenant
    sellers: dict[str, dict]  # name -> seller JSON


def open_shop(app, runner, client, sellers: dict[str, str], country: str = "FR") -> Shop:
    """An account of `country` whose sellers (name -> phone) exist; webhooks signed with
    TOKEN."""
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example", country)
    made = {}
    for name, phone in sellers.items():
        response = client.post(
            f"{API}/sellers", headers=admin.headers, json={"name": name, "phone": phone}
        )
        assert response.status_code == 201, response.json
        made[name] = response.json
    return Shop(admin, made)


def add_contact(client, shop: Shop, phone: str, **fields) -> dict:
    response = client.post(
        f"{API}/contacts", headers=shop.admin.headers, json={"phone": phone, **fields}
    )
    assert response.status_code == 201, response.json
    return response.json


def add_number(client, shop: Shop, number: str, seller: str | None = None) -> dict:
    body = {"number": number}
    if seller is not None:
        body["seller_id"] = shop.sellers[seller]["id"]
    response = client.post(f"{API}/numbers", headers=shop.admin.headers, json=body)
    assert response.status_code == 201, response.json
    return response.json


def add_campaign(client, shop: Shop, name: str) -> int:
    response = client.post(
        f"{API}/campaigns",
        headers=shop.admin.headers,
        json={"name": name, "audience": {"kind": "all"}},
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def record_drop(
    app, shop: Shop, campaign_id: int, phone: str, seller: str, heard_at: datetime
) -> int:
    """Set-up: what a campaign run leaves when `seller`'s message was played to `phone` at
    `heard_at` (a delivery with one attempt that played it)."""
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Attempt, AttemptState, Delivery, DeliveryStatus

        delivery = Delivery(
            campaign_id=campaign_id, account_id=shop.admin.account_id, phone=phone,
            seller_id=shop.sellers[seller]["id"], status=DeliveryStatus.VOICEMAIL_LEFT,
            attempt_count=1,
        )  # fmt: skip
        db.session.add(delivery)
        db.session.flush()
        db.session.add(
            Attempt(
                delivery_id=delivery.id,
                campaign_id=campaign_id,
                number=1,
                state=AttemptState.COMPLETED,
                outcome="voicemail_left",
                played_recording_id=1,
                dialed_at=heard_at,
                ended_at=heard_at,
            )
        )
        db.session.commit()
        return delivery.id


def running_with_a_retry(
    app, shop: Shop, campaign_id: int, phone: str, seller: str, zone: str, now: datetime,
    price: tuple[float, str], call_sid: str | None = None,
) -> int:  # fmt: skip
    """Set-up: the campaign running since `now`, `phone` (`seller`'s) waiting for a retry an
    hour later in `zone`, and the one attempt made so far priced by the carrier (`price`:
    amount, currency; `call_sid`: its call's). Returns that attempt's id."""
    with app.app_context():
        from datetime import timedelta

        from voicecast.extensions import db
        from voicecast.models import Attempt, Campaign, Delivery, DeliveryStatus
        from voicecast.models.campaign import CampaignStatus

        row = db.session.get(Campaign, campaign_id)
        row.status, row.launched_at = CampaignStatus.RUNNING, now
        db.session.add(Delivery(
            campaign_id=campaign_id, account_id=shop.admin.account_id, phone=phone,
            seller_id=shop.sellers[seller]["id"], status=DeliveryStatus.PENDING, attempt_count=1,
            timezone=zone, next_attempt_at=now + timedelta(hours=1),
        ))  # fmt: skip
        attempt = db.session.query(Attempt).one()
        attempt.price, attempt.price_unit = price
        attempt.call_sid = call_sid or attempt.call_sid
        db.session.commit()
        return attempt.id


def signed_post(client, app, path: str, params: dict[str, str], token: str = TOKEN):
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def verbs(response) -> list[ElementTree.Element]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    return list(ElementTree.fromstring(response.get_data()))


def find(elements: list[ElementTree.Element], tag: str) -> ElementTree.Element | None:
    for element in elements:
        if element.tag == tag:
            return element
        found = find(list(element), tag)
        if found is not None:
            return found
    return None


def incoming(client, app, caller: str, line: str, sid: str = "CA" + "1" * 32):
    params = {"CallSid": sid, "From": caller, "To": line, "CallStatus": "ringing",
              "Direction": "inbound", "AccountSid": "AC" + "0" * 32}  # fmt: skip
    return signed_post(client, app, "/twilio/voice", params)


def last_callback(app):
    with app.app_context():
        from sqlalchemy import select

        from voicecast.extensions import db
        from voicecast.models import InboundCall

        return db.session.scalars(select(InboundCall).order_by(InboundCall.id.desc())).first()
