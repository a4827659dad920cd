"""A small campaign run end to end against the carrier simulator, then a customer calling back:
the world the export and metrics tests read (`pytest_plugins = ["tests.carrier_fixtures"]`)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.helpers import Tenant, create_tenant
from tests.test_callbacks_end_to_end import buy_numbers, launch, sim, status
from tests.test_campaign_delivery import ledger, run_until, upload

API = "/api/v1"
SHARED, MARIE_LINE, MARIE_PHONE = "+33159000000", "+33159000001", "+33611000001"
# The simulator's outcome by the last digit: 0, 1 voicemail, 5 human, 6 busy, 7 no answer,
# 8 failed; 9 voicemail.
CUSTOMERS = {
    "+33612345600": ("Hélène", "Dupré"),
    "+33612345601": ("Jeanne", "Petit"),
    "+33612345605": ("François", "Müller"),
    "+33612345606": ("Zoé", "=HYPERLINK(1)"),
    "+33612345607": ("Noël", "Lefèvre"),
    "+33612345608": ("Jérôme", "Garçon"),
}


@dataclass
class Run:
    admin: Tenant
    seller: dict
    campaign_id: int
    calls: list[dict]


def garage_with_marie(runner, client, carrier, name: str = "Marie Curie") -> tuple[Tenant, dict]:
    """The Garage Dupont account, the carrier's numbers synced to where the app's public URL
    points, and Marie, a seller with her own callback line."""
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), SHARED])
    buy_numbers(carrier, [SHARED, MARIE_LINE])
    synced = runner.invoke(args=["numbers", "sync", "--account", str(admin.account_id)])
    assert synced.exit_code == 0, synced.output
    seller = client.post(
        f"{API}/sellers", headers=admin.headers,
        json={"name": name, "phone": MARIE_PHONE, "callback_number": MARIE_LINE},
    ).json  # fmt: skip
    return admin, seller


def run_campaign(app, runner, client, carrier, public_app, sounds, run_jobs) -> Run:
    """Marie's message left for six customers, one of whom (Jeanne) calls back and reaches
    her; another contact (no seller) is excluded."""
    admin, seller = garage_with_marie(runner, client, carrier)
    upload(client, admin.headers, sounds.speech, seller["id"])
    for phone, (first, last) in CUSTOMERS.items():
        contact = {"phone": phone, "first_name": first, "last_name": last}
        made = client.post(
            f"{API}/contacts", headers=admin.headers, json={**contact, "seller_id": seller["id"]}
        )
        assert made.status_code == 201, made.json
    orphan = {"phone": "+33612345611", "first_name": "Sans", "last_name": "Vendeur"}
    assert client.post(f"{API}/contacts", headers=admin.headers, json=orphan).status_code == 201
    run_jobs()  # the recording gets ready
    campaign_id = launch(client, admin, "Entretien 2 ans")
    run_until(run_jobs, lambda: status(client, admin, campaign_id) == "completed")
    calls = ledger(carrier)
    callback = sim(
        carrier, "/_sim/inbound", {"from": "+33612345601", "to": MARIE_LINE, "seller": "answers"}
    )
    assert callback["dials"], callback
    return Run(admin, seller, campaign_id, calls)
