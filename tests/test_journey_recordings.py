"""A recording per seller per journey step (issue 21, point 2), on both databases: the seller's
recording page lists the general message and each active step's with its script, records a
step's message through the same pipeline; a step's day plays the seller's recording of the
step, and without one the step's policy decides (fallback: the general message; wait: the
contact is held until the recording comes, or given up after the limit); the manager sees who
has not recorded which step, by API and on the sellers page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.audio import SPEECH, speech_wav
from tests.helpers import Tenant, assert_error, create_tenant
from tests.test_web_login import PASSWORD, log_in
from voicecast.extensions import db
from voicecast.journeys.evaluation import evaluate_journeys
from voicecast.journeys.recordings import RECORDING_WAIT_DAYS
from voicecast.models import Contact, Delivery, JourneyEntry, Purpose, Recording

API = "/api/v1"
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Paris
DELIVERED = (NOW.date() - timedelta(days=3)).isoformat()  # date_livraison + 3 days is today
SCRIPT = "Bonjour {prénom}, c'est {vendeur} : comment se passent vos premiers jours ?"


def step(name: str, policy: str, script: str | None = SCRIPT) -> dict:
    return {
        "name": name,
        "attribute": "date_livraison",
        "offset": {"amount": 3, "unit": "days"},
        "purpose": "delivery_thanks",
        "script": script,
        "recording_policy": policy,
    }


@dataclass
class Shop:
    admin: Tenant
    sellers: dict[str, int]  # name -> id
    links: dict[str, str]  # name -> /r/<token>


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    return speech_wav(folder / "speech.wav", SPEECH, 0.5, 0.5)  # over the 5 s of speech asked


def new_shop(runner, client, set_clock, country: str = "FR", name: str = "dupont") -> Shop:
    set_clock(NOW)
    admin = create_tenant(runner, client, f"Garage {name}", f"chef@{name}.example", country)
    caller_id = "+33159000000" if country == "FR" else "+12125550100"
    runner.invoke(args=["account", "set-caller-id", str(admin.account_id), caller_id])
    sellers, links = {}, {}
    for name in ("Marie", "Paul"):
        made = client.post(f"{API}/sellers", headers=admin.headers, json={"name": name})
        assert made.status_code == 201, made.json
        sellers[name] = made.json["id"]
        link = client.post(f"{API}/sellers/{made.json['id']}/recording-links",
                           headers=admin.headers, json={"ttl_hours": 30 * 24})  # fmt: skip
        assert link.status_code == 201, link.json
        links[name] = urlsplit(link.json["url"]).path
    return Shop(admin, sellers, links)


def new_journey(client, shop: Shop, steps: list[dict], name: str = "Après-vente") -> dict:
    made = client.post(f"{API}/journeys", headers=shop.admin.headers,
                       json={"name": name, "steps": steps})  # fmt: skip
    assert made.status_code == 201, made.json
    return made.json


def record(client, shop: Shop, seller: str, speech: Path, step_id: int | None, run_jobs) -> dict:
    """Send a message from the seller's recording page as its script does, then process it."""
    fields = {"file": FileStorage(BytesIO(speech.read_bytes()), "message.wav")}
    fields.update({"step_id": str(step_id)} if step_id else {"purpose": "voicemail"})
    sent = post_form(client, shop.links[seller], fields)
    assert sent.status_code == 202, sent.json
    run_jobs()
    state = client.get(f"{shop.links[seller]}/recordings/{sent.json['id']}").json
    assert state["status"] == "ready", state
    return state


def post_form(client, link: str, fields: dict):
    """POST to the page's upload URL with the page's CSRF token, as its script does."""
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(link).text).group(1)
    boundary, body = encode_multipart(fields)
    return client.post(f"{link}/recordings", data=body, headers={"X-CSRFToken": token},
                       content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip


def add_contacts(app, shop: Shop, owners: list[str | None]) -> list[int]:
    """A contact per owner (a seller's name, None: nobody's) delivered three days ago."""
    with app.app_context():
        contacts = [
            Contact(account_id=shop.admin.account_id, phone=f"+3361000000{n}",
                    seller_id=shop.sellers[owner] if owner else None,
                    attributes={"date_livraison": DELIVERED})
            for n, owner in enumerate(owners)
        ]  # fmt: skip
        db.session.add_all(contacts)
        db.session.commit()
        return [contact.id for contact in contacts]


def messages_on(page: str) -> list[dict]:
    """The messages the recording page lists: title, script, state, chosen."""
    found = []
    for item in re.findall(r'<li class="message[^"]*"(.*?)</li>', page, re.S):
        title = re.search(r"<h3>(.*?)</h3>", item, re.S).group(1).strip()
        script = re.search(r'<p class="script">(.*?)</p>', item, re.S).group(1).strip()
        state = re.search(r'<p class="message-state"[^>]*>(.*?)</p>', item, re.S).group(1)
        found.append({"title": title, "script": script, "state": state.strip(),
                      "chosen": 'aria-current="true"' in item})  # fmt: skip
    return found


def test_the_recording_page_lists_the_general_message_and_each_active_step(
    app, runner, client, set_clock
):
    shop = new_shop(runner, client, set_clock)
    journey = new_journey(client, shop, [step("Livraison", "wait"),
                                         step("Révision", "fallback", script=None)])  # fmt: skip
    paused = new_journey(client, shop, [step("Garantie", "wait")], name="Garantie")
    client.post(f"{API}/journeys/{paused['id']}/pause", headers=shop.admin.headers)

    page = client.get(shop.links["Marie"]).text
    assert [(m["title"], m["state"], m["chosen"]) for m in messages_on(page)] == [
        ("Message général", "À enregistrer", True),
        ("Livraison", "À enregistrer", False),
        ("Révision", "À enregistrer", False),
    ]  # the paused journey's step is not asked for
    scripts = [m["script"] for m in messages_on(page)]
    assert scripts[1] == SCRIPT.replace("'", "&#39;")  # as written, escaped
    assert scripts[2].startswith("Pas de texte proposé")
    assert "Parcours « Après-vente »" in page

    first = journey["steps"][0]["id"]
    chosen = client.get(f"{shop.links['Marie']}?step={first}").text
    assert [m["chosen"] for m in messages_on(chosen)] == [False, True, False]
    assert f'data-step-id="{first}"' in chosen.split('id="messages"')[0]  # the form's target
    prompt = re.search(r'<blockquote class="script" id="script">(.*?)</blockquote>', chosen, re.S)
    assert prompt and "comment se passent vos premiers jours" in prompt.group(1)
    assert "À enregistrer maintenant : Livraison" in chosen

    english = client.get(f"{shop.links['Marie']}?lang=en&step={first}").text
    titles = [m["title"] for m in messages_on(english)]
    assert titles == ["General message", "Livraison", "Révision"]
    assert "Recording now: Livraison" in english and "To record" in english
    assert "À enregistrer" not in english and "Message général" not in english


def test_a_us_sellers_recording_page_is_in_english(app, runner, client, set_clock):
    shop = new_shop(runner, client, set_clock, country="US")
    new_journey(client, shop, [step("Delivery", "fallback", script="Hi, it's your seller.")])
    page = client.get(shop.links["Marie"]).text
    assert '<html lang="en">' in page and "Hello Marie!" in page
    assert [(m["title"], m["script"], m["state"]) for m in messages_on(page)] == [
        ("General message", "Your usual message, left for your customers during campaigns.",
         "To record"),
        ("Delivery", "Hi, it&#39;s your seller.", "To record"),
    ]  # fmt: skip
    assert "Enregistr" not in page


def test_a_step_message_is_recorded_beside_the_general_one(
    app, runner, client, set_clock, speech, run_jobs
):
    shop = new_shop(runner, client, set_clock)
    journey = new_journey(client, shop, [step("Livraison", "wait"), step("Révision", "wait")])
    first, second = (s["id"] for s in journey["steps"])
    general = record(client, shop, "Marie", speech, None, run_jobs)
    own = record(client, shop, "Marie", speech, first, run_jobs)
    assert own["purpose"] == "journey_step" and own["step_id"] == first and own["active"]
    again = record(client, shop, "Marie", speech, first, run_jobs)
    assert again["version"] == 2 and again["active"]
    page = client.get(shop.links["Marie"]).text
    assert [m["state"] for m in messages_on(page)] == ["Enregistré", "Enregistré", "À enregistrer"]
    assert "Votre message actuel" not in client.get(f"{shop.links['Marie']}?step={second}").text
    other_step = record(client, shop, "Marie", speech, second, run_jobs)
    assert other_step["version"] == 1

    with app.app_context():
        active = db.session.execute(
            select(Recording.purpose, Recording.step_id, Recording.version)
            .where(Recording.seller_id == shop.sellers["Marie"], Recording.active.is_(True))
            .order_by(Recording.id)
        ).all()
    # Recording a step's message replaced neither the general one nor the other step's.
    assert active == [
        (Purpose.VOICEMAIL, None, 1), (Purpose.JOURNEY_STEP, first, 2),
        (Purpose.JOURNEY_STEP, second, 1),
    ]  # fmt: skip
    assert general["active"]

    page = client.get(shop.links["Marie"]).text
    assert [m["state"] for m in messages_on(page)] == ["Enregistré"] * 3
    chosen = client.get(f"{shop.links['Marie']}?step={first}").text
    assert "Votre message actuel" in chosen and again["preview_url"] in chosen
    assert other_step["preview_url"] in client.get(f"{shop.links['Marie']}?step={second}").text

    # Paul's link cannot record a step of another account, nor one not asked for.
    other = new_shop(runner, client, set_clock, name="martin")
    alien = new_journey(client, other, [step("Ailleurs", "wait")])["steps"][0]["id"]
    for target in (str(alien), "abc", "0"):
        fields = {"file": FileStorage(BytesIO(speech.read_bytes()), "m.wav"), "step_id": target}
        refused = post_form(client, shop.links["Paul"], fields)
        assert refused.status_code == 400, refused.json
        assert "Rechargez la page" in refused.json["error"]["message"]


def test_a_manager_uploads_a_steps_message_by_api(app, runner, client, set_clock, speech):
    shop = new_shop(runner, client, set_clock)
    step_id = new_journey(client, shop, [step("Livraison", "wait")])["steps"][0]["id"]
    marie = shop.sellers["Marie"]

    def upload(**form):
        boundary, body = encode_multipart(
            {"file": FileStorage(BytesIO(speech.read_bytes()), "m.wav"), "seller_id": str(marie),
             **{name: str(value) for name, value in form.items()}}
        )  # fmt: skip
        return client.post(f"{API}/recordings", data=body, headers=shop.admin.headers,
                           content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip

    for wrong in ({"purpose": "journey_step"}, {"step_id": step_id},
                  {"purpose": "journey_step", "step_id": 999999}):  # fmt: skip
        error = assert_error(upload(**wrong), 422)
        assert [(d["field"], d["type"]) for d in error["details"]] == [("body.step_id", "step")]
    made = upload(purpose="journey_step", step_id=step_id)
    assert made.status_code == 202, made.json
    assert (made.json["purpose"], made.json["step_id"]) == ("journey_step", step_id)
    listed = client.get(f"{API}/recordings?step_id={step_id}", headers=shop.admin.headers)
    assert [item["id"] for item in listed.json["items"]] == [made.json["id"]]


def deliveries(app, campaign_ids: set[int] | None = None) -> dict[int, tuple]:
    """Each contact's delivery: (status, reason, recording id)."""
    with app.app_context():
        rows = db.session.execute(
            select(Delivery.contact_id, Delivery.status, Delivery.reason, Delivery.recording_id,
                   Delivery.campaign_id)
        ).all()  # fmt: skip
    return {row[0]: tuple(row[1:4]) for row in rows if not campaign_ids or row[4] in campaign_ids}


def entries(app) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(JourneyEntry.contact_id, JourneyEntry.recording_wait, JourneyEntry.wait_until)
        ).all()
    return {row[0]: (row[1] and row[1].value, row[2]) for row in rows}


def test_fallback_plays_the_general_message_when_the_step_has_none(
    app, runner, client, set_clock, speech, run_jobs
):
    shop = new_shop(runner, client, set_clock)
    journey = new_journey(client, shop, [step("Livraison", "fallback")])
    step_id = journey["steps"][0]["id"]
    marie_general = record(client, shop, "Marie", speech, None, run_jobs)["id"]
    marie_own = record(client, shop, "Marie", speech, step_id, run_jobs)["id"]
    paul_general = record(client, shop, "Paul", speech, None, run_jobs)["id"]
    marie, paul, nobody = add_contacts(app, shop, ["Marie", "Paul", None])

    set_clock(NOW)
    with app.app_context():
        evaluate_journeys(NOW)
    assert deliveries(app) == {
        marie: ("pending", None, marie_own),  # the step's own message
        paul: ("pending", None, paul_general),  # Paul has none: his general message
        nobody: ("excluded", "no_seller", None),
    }
    assert marie_general != marie_own
    assert {c: state for c, (state, _) in entries(app).items()} == {
        marie: None,
        paul: None,
        nobody: None,
    }  # nobody held under fallback

    view = client.get(f"{API}/journeys/{journey['id']}/recordings", headers=shop.admin.headers)
    assert view.status_code == 200, view.json
    [listed] = view.json["steps"]
    assert listed["recording_policy"] == "fallback" and listed["recorded"] == 1
    assert listed["missing"] == [
        {"seller_id": shop.sellers["Paul"], "name": "Paul", "waiting": 0, "gave_up": 0,
         "wait_until": None}
    ]  # fmt: skip


def test_wait_holds_the_contact_until_the_seller_records_the_step(
    app, runner, client, set_clock, speech, run_jobs
):
    shop = new_shop(runner, client, set_clock)
    journey = new_journey(client, shop, [step("Livraison", "wait")])
    step_id = journey["steps"][0]["id"]
    record(client, shop, "Marie", speech, step_id, run_jobs)
    record(client, shop, "Paul", speech, None, run_jobs)  # his general message only
    marie, paul, nobody = add_contacts(app, shop, ["Marie", "Paul", None])

    with app.app_context():
        evaluate_journeys(NOW)
    first = deliveries(app)
    assert set(first) == {marie, nobody}, "Paul's contact is held, in no campaign"
    assert first[marie][:2] == ("pending", None) and first[nobody][:2] == ("excluded", "no_seller")
    until = NOW + timedelta(days=RECORDING_WAIT_DAYS)
    assert entries(app)[paul] == ("waiting", until)

    view = client.get(f"{API}/journeys/{journey['id']}/recordings", headers=shop.admin.headers)
    [listed] = view.json["steps"]
    paul_waits = {"seller_id": shop.sellers["Paul"], "name": "Paul", "waiting": 1, "gave_up": 0,
                  "wait_until": until.isoformat().replace("+00:00", "Z")}  # fmt: skip
    assert listed["missing"] == [paul_waits]
    assert view.json["wait_days"] == RECORDING_WAIT_DAYS

    # The manager's sellers page says who has not recorded what, and who waits until when.
    login(runner, client)
    sellers_page = client.get("/sellers").text
    rows = re.findall(r'<tr data-testid="missing-recording"(.*?)</tr>', sellers_page, re.S)
    assert len(rows) == 1 and "Après-vente · Livraison" in rows[0] and "Paul" in rows[0]
    assert "En attente : 1 contact(s), jusqu&#39;au 17/03/2027" in rows[0]

    # Evaluations while Paul has not recorded change nothing.
    later = NOW + timedelta(days=2)
    set_clock(later)
    with app.app_context():
        evaluate_journeys(later)
    assert set(deliveries(app)) == {marie, nobody}

    # Paul records the step's message: the next evaluation calls his contact with it, once.
    paul_own = record(client, shop, "Paul", speech, step_id, run_jobs)["id"]
    for minutes in (0, 15):
        set_clock(later + timedelta(minutes=minutes))
        with app.app_context():
            evaluate_journeys(later + timedelta(minutes=minutes))
    after = deliveries(app)
    assert after[paul] == ("pending", None, paul_own)
    assert entries(app)[paul][0] == "released"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 3
    view = client.get(f"{API}/journeys/{journey['id']}/recordings", headers=shop.admin.headers)
    assert view.json["steps"][0]["missing"] == [] and view.json["steps"][0]["recorded"] == 2
    assert 'data-testid="missing-recording"' not in client.get("/sellers").text


def test_wait_gives_up_after_the_limit_and_says_so(
    app, runner, client, set_clock, speech, run_jobs
):
    shop = new_shop(runner, client, set_clock)
    journey = new_journey(client, shop, [step("Livraison", "wait")])
    (paul,) = add_contacts(app, shop, ["Paul"])
    with app.app_context():
        evaluate_journeys(NOW)
    assert entries(app)[paul][0] == "waiting"

    just_before = NOW + timedelta(days=RECORDING_WAIT_DAYS) - timedelta(minutes=1)
    with app.app_context():
        evaluate_journeys(just_before)
    assert entries(app)[paul][0] == "waiting"
    past = NOW + timedelta(days=RECORDING_WAIT_DAYS)
    set_clock(past)
    with app.app_context():
        evaluate_journeys(past)
    assert entries(app)[paul][0] == "gave_up"
    view = client.get(f"{API}/journeys/{journey['id']}/recordings", headers=shop.admin.headers)
    assert {m["name"]: (m["waiting"], m["gave_up"]) for m in view.json["steps"][0]["missing"]} == {
        "Marie": (0, 0),
        "Paul": (0, 1),
    }

    # Recording now is too late for that contact: never called for the step.
    record(client, shop, "Paul", speech, journey["steps"][0]["id"], run_jobs)
    with app.app_context():
        evaluate_journeys(past + timedelta(minutes=15))
    assert deliveries(app) == {} and entries(app)[paul][0] == "gave_up"
    view = client.get(f"{API}/journeys/{journey['id']}/recordings", headers=shop.admin.headers)
    assert [m["name"] for m in view.json["steps"][0]["missing"]] == ["Marie"]


def test_the_managers_view_stays_in_its_account(app, runner, client, set_clock):
    shop = new_shop(runner, client, set_clock)
    journey = new_journey(client, shop, [step("Livraison", "wait")])
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    path = f"{API}/journeys/{journey['id']}/recordings"
    assert_error(client.get(path, headers=other.headers), 404)
    view = client.get(path, headers=shop.admin.headers).json
    assert [m["name"] for m in view["steps"][0]["missing"]] == ["Marie", "Paul"]
    assert view["steps"][0]["script"] == SCRIPT


def login(runner, client) -> None:
    """The account admin's session on the pages (create_tenant's admin, a password set)."""
    args = ["user", "set-password", "chef@dupont.example"]
    assert runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    assert log_in(client, "chef@dupont.example", PASSWORD).status_code == 302


def test_a_steps_script_and_policy_are_checked_and_edited(app, runner, client, set_clock):
    shop = new_shop(runner, client, set_clock)
    wrong = {**step("L", "later"), "script": " "}
    bad = client.post(f"{API}/journeys", headers=shop.admin.headers,
                      json={"name": "J", "steps": [wrong]})  # fmt: skip
    error = assert_error(bad, 422)
    assert {d["field"] for d in error["details"]} == {
        "body.steps.0.recording_policy",
        "body.steps.0.script",
    }
    journey = new_journey(client, shop, [{k: v for k, v in step("L", "wait").items()
                                          if k not in ("script", "recording_policy")}])  # fmt: skip
    made = journey["steps"][0]
    assert made["recording_policy"] == "fallback" and made["script"] is None
    path = f"{API}/journeys/{journey['id']}/steps/{made['id']}"
    edited = client.patch(path, headers=shop.admin.headers,
                          json={"script": "Bonjour !", "recording_policy": "wait"})  # fmt: skip
    assert edited.status_code == 200, edited.json
    assert edited.json["steps"][0]["script"] == "Bonjour !"
    assert edited.json["steps"][0]["recording_policy"] == "wait"


def test_an_ended_journey_lets_nobody_in_gives_up_its_held_contacts_and_stays_readable(
    app, runner, client, set_clock, speech, run_jobs
):
    shop = new_shop(runner, client, set_clock)
    journey = new_journey(client, shop, [step("Livraison", "wait")])
    path = f"{API}/journeys/{journey['id']}"
    record(client, shop, "Marie", speech, journey["steps"][0]["id"], run_jobs)
    marie, paul = add_contacts(app, shop, ["Marie", "Paul"])
    with app.app_context():
        evaluate_journeys(NOW)
    assert set(deliveries(app)) == {marie} and entries(app)[paul][0] == "waiting"

    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    assert_error(client.post(f"{path}/end", headers=other.headers), 404)
    ended = client.post(f"{path}/end", headers=shop.admin.headers)
    assert ended.status_code == 200 and ended.json["status"] == "ended", ended.json
    assert entries(app)[paul][0] == "gave_up"  # never called for the step, and counted so
    for refused in (
        client.post(f"{path}/end", headers=shop.admin.headers),
        client.post(f"{path}/resume", headers=shop.admin.headers),
        client.patch(path, headers=shop.admin.headers, json={"name": "Autre"}),
        client.post(f"{path}/steps", headers=shop.admin.headers, json=step("Garantie", "wait")),
        client.patch(f"{path}/steps/{journey['steps'][0]['id']}", headers=shop.admin.headers,
                     json={"name": "Autre"}),
    ):  # fmt: skip
        assert "ended" in assert_error(refused, 409)["message"]

    # A contact delivered three days before the next day would enter it then: nobody does.
    later = NOW + timedelta(days=1)
    with app.app_context():
        db.session.add(Contact(account_id=shop.admin.account_id, phone="+33610000099",
                               seller_id=shop.sellers["Marie"], attributes={
                                   "date_livraison": (later.date() - timedelta(days=3)).isoformat()
                               }))  # fmt: skip
        db.session.commit()
    set_clock(later)
    with app.app_context():
        evaluate_journeys(later)
    assert set(deliveries(app)) == {marie}
    kept = client.get(path, headers=shop.admin.headers).json
    assert kept["status"] == "ended" and kept["steps"][0]["entered"] == 2
    runs = client.get(f"{path}/runs", headers=shop.admin.headers).json["items"]
    assert len(runs) == 1 and runs[0]["campaign_id"] is not None
    view = client.get(f"{path}/recordings", headers=shop.admin.headers).json
    assert {m["name"]: m["gave_up"] for m in view["steps"][0]["missing"]} == {"Paul": 1}
