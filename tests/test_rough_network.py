"""The service over a network as rough as Twilio's (`voicecast/simulator/roughness.py`): status
callbacks reordered, duplicated, late or lost, AMD verdicts wrong or `unknown`, far ends that
hang up during detection, a create-call response lost after the call exists, calls refused
past the queue limit (22005). Each test runs a real campaign through the simulator and checks
it number by number against the simulator's ledger: one call per number (no double drop), a
voicemail counted left exactly where the ledger has the message played to its end after the
beep (no lost delivery), and the final status the carrier's account of the call implies."""

from __future__ import annotations

import time

import pytest
from rq.job import Job

from tests.audio import Sounds, make_sounds
from tests.test_callbacks_end_to_end import (
    MARIE_PHONE,
    PIERRE,
    SHARED,
    after_campaign,  # noqa: F401 (fixture)
)
from tests.test_callbacks_end_to_end import sim as sim_get
from tests.test_campaign_delivery import ledger, sim_post
from tests.test_customer_ear import campaign_of

pytest_plugins = ["tests.carrier_fixtures"]  # carrier, slow_carrier, public_app
MACHINE, OTHER_MACHINE, PERSON = "+33612345600", "+33612345601", "+33612345605"


@pytest.fixture(autouse=True)
def every_request_conforms(conforming_service):
    """Whatever the network does, every request the service sends Twilio conforms."""
    return conforming_service


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Sounds:
    return make_sounds(tmp_path_factory.mktemp("rough-sounds"))


def tolerating_lost_responses(app, run_jobs):
    """`run_jobs`, where a dial job may fail on a create-call response that never came (it
    raises so that the reconciler looks the call up): such failures are checked and cleared."""
    from voicecast.queues import QUEUE_NAMES, get_queue

    def run() -> int:
        try:
            return run_jobs()
        except AssertionError:
            with app.app_context():
                for registry in (get_queue(name).failed_job_registry for name in QUEUE_NAMES):
                    for job in Job.fetch_many(registry.get_job_ids(), registry.connection):
                        failure = job.latest_result().exc_string or ""
                        assert "RemoteDisconnected" in failure, failure
                        registry.remove(job)
            return 1

    return run


def configure(app, monkeypatch, settings: dict) -> None:
    """Settings for the app here and for the jobs' app (made from the environment)."""
    app.config.update(settings)
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))


def rough(carrier, numbers: dict, **settings) -> None:
    sim_post(carrier, "/_sim/roughness", {"numbers": numbers, **settings})


def one_call_each(carrier, phones) -> dict[str, dict]:
    """The ledger's call to each phone, checking each was called once (no double drop)."""
    calls = ledger(carrier)
    assert sorted(call["to"] for call in calls) == sorted(phones), [c["to"] for c in calls]
    return {call["to"]: call for call in calls}


def messages_heard(call: dict) -> int:
    """Messages (plays from a call update) played to their end, to a machine after its beep
    or to a person, by the ledger."""
    if call["amd"] is None:
        return 0  # not answered
    if call["amd"]["far_end"] == "human":
        return sum(1 for e in call["played"] if e.get("document") == "update" and e["complete"])
    return call["voicemail"]["complete_plays"]


def settled_right(by_phone: dict, calls: dict) -> None:
    """Each delivery's status is the one its call implies: a voicemail left exactly where the
    ledger heard the message to its end; a person reached where the verdict said human; after
    an `unknown` verdict (no beep heard), a message played to its end is unsure, whichever
    side of the beep the ledger saw it start."""
    for phone, call in calls.items():
        status = by_phone[phone]["status"]
        heard = messages_heard(call)
        assert heard <= 1, (phone, call["played"])
        if call["answered_by"] == "human":
            assert status == "human_reached", (phone, by_phone[phone], call["rough"])
        elif status == "voicemail_unsure":
            assert call["answered_by"] == "unknown", (phone, call["answered_by"])
            updates = [e for e in call["played"] if e.get("document") == "update"]
            assert [e["complete"] for e in updates] == [True], (phone, call["played"])
        else:
            left = status == "voicemail_left"
            assert left == (heard == 1), (phone, by_phone[phone], call["voicemail"], call["rough"])
        [attempt] = by_phone[phone]["attempts"]
        assert attempt["call_sid"] == call["sid"], (attempt, call["sid"])
        assert attempt["state"] == call["status"], (attempt, call["status"])


def settled_without(carrier, event: str, campaign: tuple) -> dict:
    """`campaign_of`'s deliveries by phone, checked against the ledger: each number called
    once, none of its calls sent `event`'s callback, and each settled right."""
    by_phone = campaign[2]
    calls = one_call_each(carrier, list(by_phone))
    assert all(not any(cb["event"] == event for cb in call["callbacks"])
               for call in calls.values())  # fmt: skip
    settled_right(by_phone, calls)
    return by_phone


def test_callbacks_reordered_duplicated_and_late_leave_each_attempt_right(
    client, runner, carrier, public_app, sounds, run_jobs
):
    """`completed` before `ringing` and `answered`, each callback twice, callbacks that come
    a second after the call ended: every attempt ends once, with the status its call implies,
    and a late callback changes nothing."""
    rough(carrier, {
        MACHINE: {"reorder_callbacks": True, "duplicate_callbacks": ["answered", "completed"]},
        OTHER_MACHINE: {"delayed_callbacks": ["ringing", "answered"], "callback_delay_s": 1.0},
        PERSON: {"reorder_callbacks": True, "duplicate_callbacks": list(EVENTS_ALL)},
    })  # fmt: skip
    phones = [MACHINE, OTHER_MACHINE, PERSON]
    url, headers, by_phone = campaign_of(client, runner, sounds, run_jobs, phones, max_attempts=1)
    calls = one_call_each(carrier, phones)
    settled_right(by_phone, calls)
    assert by_phone[MACHINE]["status"] == "voicemail_left"
    assert by_phone[OTHER_MACHINE]["status"] == "voicemail_left"
    assert by_phone[PERSON]["status"] == "human_reached"
    kinds = {phone: {entry["what"] for entry in calls[phone]["rough"]} for phone in phones}
    assert kinds[MACHINE] == {"held until after completed", "duplicated"}
    assert kinds[OTHER_MACHINE] == {"delayed"}
    time.sleep(1.5)  # the late callbacks arrive
    calls = one_call_each(carrier, phones)
    late = [cb for cb in calls[OTHER_MACHINE]["callbacks"] if cb["event"] == "answered"]
    assert late and all(cb["http_status"] in (200, 204) for cb in late)
    after = client.get(f"{url}/deliveries", headers=headers).json["items"]
    settled_right({item["phone"]: item for item in after}, calls)  # nothing moved back
    counts = client.get(url, headers=headers).json["counts"]
    assert counts["voicemail_left"] == 2 and counts["human_reached"] == 1


EVENTS_ALL = ("initiated", "ringing", "answered", "completed")


def test_lost_status_callbacks_are_settled_by_the_reconciler_from_the_call(
    app, monkeypatch, client, runner, carrier, public_app, sounds, run_jobs
):
    """Twilio does not retry a callback: with `completed` lost (and, for another number,
    every status callback), the reconciler fetches the call and ends the attempt by it."""
    configure(app, monkeypatch, {"RECONCILE_SILENT_SECONDS": 1})
    rough(carrier, {MACHINE: {"drop_callbacks": ["completed"]},
                    OTHER_MACHINE: {"drop_callbacks": list(EVENTS_ALL)},
                    PERSON: {"drop_callbacks": ["completed"]}})  # fmt: skip
    phones = [MACHINE, OTHER_MACHINE, PERSON]
    by_phone = settled_without(carrier, "completed", campaign_of(
        client, runner, sounds, run_jobs, phones, max_attempts=1))  # fmt: skip
    assert [by_phone[p]["status"] for p in phones] == [
        "voicemail_left",
        "voicemail_left",
        "human_reached",
    ]


def test_wrong_verdicts_long_greetings_and_hang_ups_during_detection(
    app, monkeypatch, client, runner, carrier, public_app, sounds, run_jobs
):
    """A machine taken for a person, a person taken for a machine, a far end that hangs up
    before any verdict: each ends once with the status the carrier's account implies, and no
    message is counted left that the ledger did not hear to its end. The hang-up's call has
    no verdict to wait for: the reconciler finds none at the carrier either."""
    configure(app, monkeypatch, {"RECONCILE_VERDICT_SECONDS": 1})
    hangs_up = "+33612345603"
    rough(carrier, {MACHINE: {"detection_error": True}, PERSON: {"detection_error": True},
                    hangs_up: {"hangup_during_detection_s": 0.5}})  # fmt: skip
    phones = [MACHINE, PERSON, hangs_up]
    _, _, by_phone = campaign_of(client, runner, sounds, run_jobs, phones, max_attempts=1)
    calls = one_call_each(carrier, phones)
    settled_right(by_phone, calls)
    assert calls[MACHINE]["answered_by"] == "human"
    assert by_phone[MACHINE]["status"] == "human_reached"
    assert calls[PERSON]["answered_by"] == "machine_end_beep"
    assert by_phone[PERSON]["status"] == "voicemail_left"  # the person heard it all
    assert calls[hangs_up]["answered_by"] is None
    assert calls[hangs_up]["amd"]["verdict_sent_at_s"] is None
    assert by_phone[hangs_up]["status"] == "failed"


def test_a_greeting_longer_than_the_detection_timeout_is_counted_unsure_not_left(
    client, runner, paced_carrier, public_app, sounds, run_jobs
):
    """Greetings of 35 s (the network's roughness) and 50 s against Twilio's 30 s timeout:
    `unknown` at 30 s; the message played then may start before the beep (the 50 s one does:
    that mailbox records only its end), and the service cannot tell, so it counts neither
    left: `voicemail_unsure`, counted apart, final (a new call would meet the same greeting,
    and could leave the message twice)."""
    carrier = paced_carrier  # the line is held 5 s past the timeout: 1 s here, not 0.1 s
    rough_greeting, longer = "+33612345602", "+33612345604"
    rough(carrier, {rough_greeting: {"long_greeting": True}})
    sim_post(carrier, "/_sim/mailboxes", {longer: {"greeting_s": 50}})
    phones = [rough_greeting, longer]
    url, headers, by_phone = campaign_of(client, runner, sounds, run_jobs, phones, max_attempts=2)
    calls = one_call_each(carrier, phones)
    assert [calls[phone]["answered_by"] for phone in phones] == ["unknown", "unknown"]
    assert calls[longer]["voicemail"]["messages_before_beep"] == 1, calls[longer]["voicemail"]
    settled_right(by_phone, calls)
    for phone in phones:
        assert by_phone[phone]["status"] == "voicemail_unsure", by_phone[phone]
        assert by_phone[phone]["reason"] == "voicemail_unsure"
    counts = client.get(url, headers=headers).json["counts"]
    assert counts["voicemail_unsure"] == 2 and counts.get("voicemail_left", 0) == 0


def test_a_lost_amd_verdict_is_read_from_the_carrier_by_the_reconciler(
    app, monkeypatch, client, runner, carrier, public_app, sounds, run_jobs
):
    """The verdict's callback never comes (Twilio does not send it again): the attempt waits
    for it, then the reconciler fetches the call and settles it by the carrier's verdict: the
    person who heard the message from the answer is reached (not a failure dialed again: the
    message twice), the machine that never heard it after its beep failed, the fax is
    undeliverable."""
    configure(app, monkeypatch, {"RECONCILE_VERDICT_SECONDS": 1})
    fax = "+33612345620"
    sim_post(carrier, "/_sim/rules", {fax: "fax"})
    lost = {"drop_callbacks": ["amd"]}
    rough(carrier, {MACHINE: lost, PERSON: lost, fax: lost})
    phones = [MACHINE, PERSON, fax]
    by_phone = settled_without(carrier, "amd", campaign_of(
        client, runner, sounds, run_jobs, phones, max_attempts=2))  # fmt: skip
    assert by_phone[PERSON]["status"] == "human_reached"
    assert by_phone[fax]["status"] == "undeliverable" and by_phone[fax]["reason"] == "fax"
    machine = by_phone[MACHINE]
    assert machine["status"] == "pending" and machine["reason"] == "retry after failed"
    assert [a["answered_by"] for a in machine["attempts"]] == ["machine_end_beep"]


def test_an_amd_verdict_after_the_call_ended_settles_it_by_what_was_played(
    client, runner, carrier, public_app, sounds, run_jobs
):
    """The verdict's callback comes seconds after the call ended: the attempt waited for it,
    and it settles the call by what the call played: the person heard the message from the
    answer (reached), the machine never heard it after its beep (no voicemail left)."""
    late = {"delayed_callbacks": ["amd"], "callback_delay_s": 3.0}
    rough(carrier, {MACHINE: late, PERSON: late})
    phones = [MACHINE, PERSON]
    _, _, by_phone = campaign_of(client, runner, sounds, run_jobs, phones, max_attempts=1)
    calls = one_call_each(carrier, phones)
    settled_right(by_phone, calls)
    assert by_phone[PERSON]["status"] == "human_reached"
    assert by_phone[MACHINE]["status"] == "failed"
    assert by_phone[MACHINE]["attempts"][0]["answered_by"] == "machine_end_beep"
    for call in calls.values():
        [amd] = [cb for cb in call["callbacks"] if cb["event"] == "amd"]
        assert amd["sent_at"] > call["ended_at"], (amd, call["ended_at"])


def test_a_verdict_that_comes_after_the_carrier_ended_the_call_leaves_no_voicemail(
    client, runner, carrier, public_app, sounds, run_jobs
):
    """The verdict's callback is late, and the call's `completed` later still (both held 3 s,
    as during a web node's restart): the verdict finds the attempt in progress here, but the
    carrier refuses to redirect a call that ended (21220). The machine never heard the message
    after its beep, although the call lasted past it (its line held for the verdict): no
    voicemail is counted left."""
    late = {"delayed_callbacks": ["amd", "completed"], "callback_delay_s": 3.0}
    rough(carrier, {MACHINE: late})
    _, _, by_phone = campaign_of(client, runner, sounds, run_jobs, [MACHINE], max_attempts=1)
    [call] = one_call_each(carrier, [MACHINE]).values()
    [amd] = [cb for cb in call["callbacks"] if cb["event"] == "amd"]
    assert amd["sent_at"] > call["ended_at"], (amd, call["ended_at"])
    assert call["voicemail"]["complete_plays"] == 0, call["played"]
    assert by_phone[MACHINE]["status"] == "failed", by_phone[MACHINE]
    settled_right(by_phone, {MACHINE: call})


def test_a_create_call_response_lost_after_the_call_exists_is_adopted_not_dialed_again(
    app, monkeypatch, client, runner, carrier, public_app, sounds, run_jobs
):
    """The carrier takes the call and its answer never comes back: the call's own webhooks
    tell the service its sid; where none come (a busy line whose callbacks are lost too), the
    reconciler looks the call up by number and adopts it. Nobody is called twice."""
    settings = {"RECONCILE_UNSURE_SECONDS": 1, "TWILIO_HTTP_TIMEOUT": 2.0}
    configure(app, monkeypatch, settings)
    busy = "+33612345606"
    silent = {"create_response_lost": True, "drop_callbacks": list(EVENTS_ALL)}
    rough(carrier, {MACHINE: {"create_response_lost": True}, busy: silent})
    phones = [MACHINE, OTHER_MACHINE, busy]
    run = tolerating_lost_responses(app, run_jobs)
    _, _, by_phone = campaign_of(client, runner, sounds, run, phones, max_attempts=1)
    calls = one_call_each(carrier, phones)
    assert [e["what"] for e in calls[MACHINE]["rough"]] == ["create response lost"]
    assert not calls[busy]["callbacks"] and calls[busy]["status"] == "busy"
    settled_right(by_phone, calls)
    assert by_phone[MACHINE]["status"] == by_phone[OTHER_MACHINE]["status"] == "voicemail_left"
    assert by_phone[busy]["status"] == "busy"


def test_calls_queued_past_the_limit_are_refused_22005_and_end_failed(
    client, runner, slow_carrier, public_app, sounds, run_jobs
):
    """At 2 calls a second and a 1 s queue limit, the later calls of a batch are refused
    (22005): each ends `failed`, the others as their call implies, and none is dialed twice."""
    rough(slow_carrier, {}, max_queue_s=1.0)
    phones = [f"+3361234560{digit}" for digit in (0, 1, 2, 3, 4, 9)]
    _, _, by_phone = campaign_of(client, runner, sounds, run_jobs, phones, max_attempts=1)
    calls = one_call_each(slow_carrier, phones)
    refused = [p for p, call in calls.items() if any(e["code"] == 22005 for e in call["errors"])]
    assert refused, [call["queue_time_ms"] for call in calls.values()]
    for phone, call in calls.items():
        if phone in refused:
            assert call["status"] == "failed" and call["answered_at"] is None
            assert by_phone[phone]["status"] == "failed", by_phone[phone]
        else:
            assert by_phone[phone]["status"] == "voicemail_left", by_phone[phone]


def test_a_missed_callback_is_texted_though_the_line_cannot_send_sms(
    client, carrier, after_campaign, run_jobs  # noqa: F811
):  # fmt: skip
    """Twilio refuses SMS from French geographic numbers: the seller still gets the text, from
    the account's SMS sender (the callbacks world sets an alphanumeric one)."""
    sim_post(carrier, "/_sim/roughness", {"profile": "realistic"})
    missed = {"from": PIERRE, "to": SHARED, "seller": "no-answer", "voicemail_seconds": 7}
    sim_post(carrier, "/_sim/inbound", missed)
    run_jobs()
    messages = sim_get(carrier, "/_sim/messages")["messages"]
    assert [text["to"] for text in messages] == [MARIE_PHONE]


def first_number(rough_of, outcome_digits: str, avoid: set[str]) -> str:
    """The first number (+3361234xxxx, its last digit among `outcome_digits`: the simulator's
    outcome) whose realistic roughness `rough_of` holds, not among `avoid`."""
    from voicecast.simulator.roughness import realistic_for

    far_end = {"5": "human"}
    for n in range(100_000):
        number = f"+3361234{n:04d}"
        digit = number[-1]
        if digit not in outcome_digits or number in avoid:
            continue
        if rough_of(realistic_for(number, far_end.get(digit, "machine_end_beep"))):
            return number
    raise AssertionError("no such number")


REALISTIC_KINDS = {  # what each chosen number meets, and the outcomes it may have
    "machine taken for a person": (lambda r: r.detection_error, "0"),
    "person taken for a machine": (lambda r: r.detection_error, "5"),
    "greeting past the timeout": (lambda r: r.long_greeting, "1"),
    "hang-up during detection": (lambda r: r.hangup_during_detection_s is not None, "25"),
    "verdict lost": (lambda r: "amd" in r.drop_callbacks, "3"),
    "a person's verdict lost": (lambda r: "amd" in r.drop_callbacks, "5"),
    "verdict late": (lambda r: "amd" in r.delayed_callbacks, "45"),
    "verdict twice": (lambda r: "amd" in r.duplicate_callbacks, "0"),
    "completed lost": (lambda r: "completed" in r.drop_callbacks, "15"),
    "callbacks reordered": (lambda r: r.reorder_callbacks, "96"),
    "create response lost": (lambda r: r.create_response_lost, "0"),
}


def test_the_realistic_profile_leaves_every_number_settled_right(
    app, monkeypatch, client, runner, carrier, public_app, sounds, run_jobs
):
    """The "realistic" profile over numbers chosen so that each of its rough behaviours
    happens at least once (its draws are deterministic by number): one call per number, each
    delivery's status the one the ledger implies, a voicemail left exactly where the ledger
    heard the message to its end after the beep."""
    settings = {"RECONCILE_VERDICT_SECONDS": 1, "RECONCILE_SILENT_SECONDS": 1,
                "RECONCILE_UNSURE_SECONDS": 1, "TWILIO_HTTP_TIMEOUT": 2.0}  # fmt: skip
    configure(app, monkeypatch, settings)
    chosen: dict[str, str] = {}
    for kind, (holds, digits) in REALISTIC_KINDS.items():
        chosen[kind] = first_number(holds, digits, set(chosen.values()))
    rough(carrier, {}, profile="realistic")
    phones = sorted(set(chosen.values()))
    run = tolerating_lost_responses(app, run_jobs)
    _, _, by_phone = campaign_of(client, runner, sounds, run, phones, max_attempts=1)
    calls = one_call_each(carrier, phones)
    settled_right(by_phone, calls)
    assert all(calls[p]["rough"] for p in phones if p != chosen["hang-up during detection"])
    assert by_phone[chosen["verdict lost"]]["status"] == "failed"  # never heard after a beep
    assert by_phone[chosen["a person's verdict lost"]]["status"] == "human_reached"
    assert by_phone[chosen["person taken for a machine"]]["status"] != "failed"
