"""What the calls cost: after a campaign, the carrier's price of each call is read back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.audio import Sounds, make_sounds
from tests.helpers import create_tenant
from tests.test_campaign_delivery import run_until, upload

API = "/api/v1"
pytest_plugins = ["tests.carrier_fixtures"]


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("pricing-sounds"))


def test_ended_calls_get_the_carrier_s_price(
    app, runner, client, carrier, public_app, sounds, run_jobs
):
    admin = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), "+33159000000"])
    seller = client.post(f"{API}/sellers", headers=admin.headers, json={"name": "Marie"}).json
    upload(client, admin.headers, sounds.speech, seller["id"])
    for n in range(4):  # numbers ending 0-3: voicemails and a busy-free mix the simulator prices
        client.post(f"{API}/contacts", headers=admin.headers,
                    json={"phone": f"+3361234560{n}", "seller_id": seller["id"]})  # fmt: skip
    run_jobs()
    campaign = client.post(f"{API}/campaigns", headers=admin.headers, json={
        "name": "Prix", "audience": {"kind": "all"}, "max_attempts": 1,
        "calling_window": {"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"},
    }).json  # fmt: skip
    url = f"{API}/campaigns/{campaign['id']}"
    client.post(f"{url}/launch", headers=admin.headers)
    run_until(
        run_jobs, lambda: client.get(url, headers=admin.headers).json["status"] == "completed"
    )

    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Attempt
        from workers.pricing import price_calls

        # Set-up: the calls ended a minute ago (the carrier prices a call a while after it).
        for attempt in db.session.scalars(select(Attempt)):
            attempt.ended_at -= timedelta(minutes=1)
        db.session.commit()
        result = price_calls(campaign["id"])
        prices = db.session.execute(select(Attempt.price, Attempt.price_unit)).all()
    assert result.startswith("priced ")
    ended = [price for price, _ in prices]
    assert ended and all(price is not None and price >= 0 for price in ended), prices
    assert {unit for _, unit in prices} == {"USD"}  # as the simulator bills, like Twilio
    with app.app_context():
        from voicecast.dashboard.figures import cost

        figures = cost(campaign["id"], len(prices))
    assert figures["estimate"]["calls"] == 0
    assert figures["carrier"][0]["unit"] == "USD" and figures["carrier"][0]["calls"] == len(prices)
    assert figures["total"] is None  # USD prices and a EUR estimate are not added up
