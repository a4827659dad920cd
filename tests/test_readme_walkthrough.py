"""The README's campaign walkthrough, run as written against `voicecast dev` on a fresh instance.

Issue 4's acceptance: `make run`, then with curl only (the account made with the CLI, as "First
steps" says): a seller, 50 contacts, a recording, launch; within a minute the campaign is
completed, its counts match the simulator's ledger one for one, and the audio played is that
seller's file. The shell block between the README's `walkthrough` markers is run by bash with
only the ports, the venv's path and the key put in; everything is then checked here, number by
number, through our API and the simulator's ledger.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.audio import PAD_SECONDS, SPEECH, speech_wav
from tests.test_dev_server import ROOT, DevServer, dev_environment, free_port
from voicecast.rules.holidays_by_zone import holiday_name

README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent  # .venv/bin when run the usual way
BLOCK = re.compile(r"<!-- walkthrough:begin -->\n```sh\n(.*?)```\n<!-- walkthrough:end -->", re.S)
PRINTED = re.compile(r"summary lines it printed read:\n\n```\n(.*?)```", re.S)
CALLBACK = re.compile(r"<!-- callback:begin -->\n```sh\n(.*?)```\n<!-- callback:end -->", re.S)
LAUNCH_TO_COMPLETED_SECONDS = 60
SCRIPT_TIMEOUT_SECONDS = 240  # start-up, the recording's processing and 50 contacts included

# The simulator's per-call outcome (voicecast/simulator/outcomes.py) and the delivery state it
# must give with the campaign's defaults (human_policy and unknown_policy `play`).
STATE_OF_OUTCOME = {
    "machine_end_beep": "voicemail_left",
    "machine_end_silence": "voicemail_left",
    "machine_end_other": "voicemail_left",
    "unknown": "voicemail_left",
    "human": "human_reached",
    "fax": "failed",
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "failed",
}
PLAYED_STATES = {"voicemail_left", "human_reached"}  # the message is played to both

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def fresh_environment(instance: Path) -> dict[str, str]:
    """A fresh machine's environment: nothing configured, so `voicecast dev` starts its own
    Redis, SQLite and simulator with their defaults (the simulator on a free port)."""
    env = dev_environment(instance)
    prefixes = ("TWILIO_", "RECORDING_", "RECONCILE_")
    names = {"SIMULATOR_CPS", "RECORDINGS_DIR", "RECORDINGS_STORAGE_URL", "SECRET_KEY"}
    names |= {"MAX_UPLOAD_BYTES", "AWS_ENDPOINT_URL"}
    names |= {"API_MAX_JSON_BYTES", "LOG_LEVEL"}
    return {k: v for k, v in env.items() if not k.startswith(prefixes) and k not in names}


def http_json(url: str, key: str | None = None, timeout: float = 10) -> dict:
    request = urllib.request.Request(url)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=timeout) as response:
        return json.load(response)


def http_bytes(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return response.read()


def readme_block(pattern: re.Pattern = BLOCK) -> str:
    found = pattern.findall(README.read_text())
    assert len(found) == 1, f"README.md needs one sh block between the markers of {pattern}"
    return found[0]


def readme_account_create() -> list[str]:
    """The `voicecast account create` command of the README's First steps, as argv."""
    lines = [line for line in README.read_text().splitlines() if " account create " in line]
    assert lines and lines[0].startswith(".venv/bin/voicecast "), lines
    argv = shlex.split(lines[0], comments=True)
    return [str(VENV_BIN / "voicecast"), *argv[1:]]


def readme_printed() -> list[str]:
    """The lines the README shows the walkthrough printing, but those it shortens (…)."""
    found = PRINTED.findall(README.read_text())
    assert len(found) == 1, "README.md needs the walkthrough's printed lines after it"
    return [line for line in found[0].splitlines() if line.strip() and "…" not in line]


def runnable(block: str, key: str, web_port: int, sim_port: int) -> str:
    """The block with only what differs from a developer's machine put in."""
    script, keys = re.subn(r"^KEY=\.\.\..*$", f"KEY={shlex.quote(key)}", block, flags=re.M)
    assert keys == 1, "the walkthrough should start from KEY=... (the key the CLI printed)"
    for default, port in (("5000", web_port), ("5099", sim_port)):
        assert f"http://127.0.0.1:{default}" in script
        script = script.replace(f"http://127.0.0.1:{default}", f"http://127.0.0.1:{port}")
    script = script.replace(".venv/bin/", f"{VENV_BIN}/")
    assert ":5000" not in script and ":5099" not in script, script
    return script


def next_open_morning(zone: str = "Europe/Paris") -> str:
    """A moment the French calling rules are open for the walkthrough's customers, as
    `scripts/at.sh` takes it: 10:30 in Paris on the next Tuesday, Wednesday or Thursday that is
    no public holiday of the zone (the preset's own calendar, Alsace-Moselle's included)."""
    day = datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)
    while day.weekday() not in (1, 2, 3) or holiday_name("FR", zone, day):
        day += timedelta(days=1)
    return f"{day.isoformat()} 10:30 {zone}"


def all_deliveries(base: str, key: str) -> list[dict]:
    """Every delivery of campaign 1, page after page (small pages, so paging is used)."""
    items: list[dict] = []
    cursor: str | None = None
    for _ in range(100):
        query = f"?limit=20&cursor={urllib.parse.quote(cursor)}" if cursor else "?limit=20"
        page = http_json(f"{base}/api/v1/campaigns/1/deliveries{query}", key)
        items += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return items
    pytest.fail("the deliveries' pages never ended")


def settled_ledger(sim_url: str, timeout: float = 15) -> list[dict]:
    """The simulator's calls, once every one of them is settled (its last callback sent)."""
    deadline = time.monotonic() + timeout
    while True:
        calls = http_json(f"{sim_url}/_sim/calls")["calls"]
        if all(call["settled"] for call in calls) or time.monotonic() > deadline:
            return calls
        time.sleep(0.2)


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[DevServer, dict[str, str], int]]:
    """`make run WHEN=...` at an hour the French rules let calls out (the README's way to try
    the walkthrough at night): `voicecast dev` and all it starts under that clock."""
    instance = tmp_path / "instance"
    env = fresh_environment(instance)
    port = free_port()
    at = [str(ROOT / "scripts" / "at.sh"), next_open_morning()]
    command = [*at, sys.executable, "-m", "voicecast", "dev", "--port", str(port)]
    server = DevServer(instance, port, {**env, "VENV": str(VENV_BIN.parent)}, command)
    yield server, env, int(env["SIMULATOR_PORT"])
    try:
        if server.process.poll() is None:
            server.interrupt()
    finally:
        server.close()


def test_the_readme_walkthrough_delivers_50_calls_within_a_minute(dev, tmp_path: Path) -> None:
    server, env, sim_port = dev
    web_port = int(server.base_url.rsplit(":", 1)[1])
    sim_url = f"http://127.0.0.1:{sim_port}"

    def log_tail(lines: int = 80) -> str:
        return "\n--- voicecast dev, last lines ---\n" + "\n".join(server.lines[-lines:])

    server.wait_healthy(timeout=120)
    server.wait_for_output(f"Calls are simulated (carrier simulator at {sim_url}", timeout=30)
    assert "10 calls/s" in server.output, log_tail()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the simulator is the last child to start
        try:
            http_json(f"{sim_url}/_sim/health", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail(f"the simulator never answered at {sim_url}{log_tail()}")

    made = subprocess.run(
        readme_account_create(), env=env, capture_output=True, text=True, timeout=60
    )
    assert made.returncode == 0, made.stdout + made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\S{20,}", key), f"no key on the last line:\n{made.stdout}"

    block = readme_block()
    workdir = tmp_path / "walkthrough"
    workdir.mkdir()
    (upload_name,) = re.findall(r"file=@(\S+) \$B/recordings", block)  # the message
    speech_wav(workdir / upload_name, SPEECH, PAD_SECONDS, PAD_SECONDS)
    script = workdir / "walkthrough.sh"
    script.write_text(runnable(block, key, web_port, sim_port))

    try:
        ran = subprocess.run(
            ["bash", "-eu", str(script)],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as timeout:
        out = timeout.stdout or ""
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        pytest.fail(f"the walkthrough ran over {SCRIPT_TIMEOUT_SECONDS} s:\n{out}{log_tail()}")
    shown = f"\n--- the walkthrough printed ---\n{ran.stdout}{ran.stderr}{log_tail()}"
    assert ran.returncode == 0, shown

    base = server.base_url
    campaign = http_json(f"{base}/api/v1/campaigns/1", key)
    assert campaign["status"] == "completed", shown
    took = datetime.fromisoformat(campaign["finished_at"]) - datetime.fromisoformat(
        campaign["launched_at"]
    )
    assert took.total_seconds() < LAUNCH_TO_COMPLETED_SECONDS, shown
    printed = re.search(r"finished (\d+) s after launch", ran.stdout)
    assert printed and int(printed.group(1)) < LAUNCH_TO_COMPLETED_SECONDS, shown

    # The figures the README shows are the ones its commands print.
    for line in readme_printed():
        assert line in ran.stdout.splitlines(), f"the README shows {line!r}{shown}"

    # The 10 customers of the file without a legal basis (06 12 34 56 60 to 69) are left
    # out, and say what it lacks; the 50 others are called.
    everyone = all_deliveries(base, key)
    excluded = [d for d in everyone if d["status"] == "excluded"]
    assert sorted(d["phone"] for d in excluded) == [f"+336123456{n}" for n in range(60, 70)]
    reasons = {d["phone"][-2:]: d["reason"] for d in excluded}
    assert reasons == {
        **{f"{n}": "no_legal_basis" for n in range(60, 65)},  # neither consent nor contract
        **{f"{n}": "contract_ended" for n in range(65, 70)},  # a lease that ended
    }, excluded
    deliveries = [d for d in everyone if d["status"] != "excluded"]
    phones = [d["phone"] for d in deliveries]
    assert len(phones) == len(set(phones)) == 50, phones
    counts = {state: n for state, n in campaign["counts"].items() if n}
    assert counts.pop("excluded") == 10, counts
    assert set(counts) == {"voicemail_left", "human_reached", "busy", "no_answer", "failed"}, (
        f"the README's numbers should give every kind of outcome: {counts}"
    )

    calls = settled_ledger(sim_url)
    assert all(call["settled"] for call in calls), [c["sid"] for c in calls if not c["settled"]]
    dialed = Counter(call["to"] for call in calls)
    assert set(dialed) == set(phones), "the simulator was called for other numbers than ours"
    assert set(dialed.values()) == {1}, f"numbers called more than once: {dialed}"
    # The campaign's counts are the ledger's outcomes, one for one...
    assert Counter(STATE_OF_OUTCOME[call["outcome"]] for call in calls) == counts, shown
    # ...and so is every number.
    call_to = {call["to"]: call for call in calls}
    for delivery in deliveries:
        call = call_to[delivery["phone"]]
        assert delivery["status"] == STATE_OF_OUTCOME[call["outcome"]], (delivery, call)
        assert [a["call_sid"] for a in delivery["attempts"]] == [call["sid"]], delivery
        assert call["errors"] == [] and call["warnings"] == [], call
        assert all(200 <= cb["http_status"] < 300 for cb in call["callbacks"]), call

    # Every message played is the seller's own processed file, byte for byte.
    (recording_id,) = {d["recording_id"] for d in deliveries}
    (seller_id,) = {d["seller_id"] for d in deliveries}
    recording = http_json(f"{base}/api/v1/recordings/{recording_id}", key)
    seller = http_json(f"{base}/api/v1/sellers/{seller_id}", key)
    assert recording["seller_id"] == seller_id and seller["name"] == "Marie Dupont", recording
    assert recording["status"] == "ready" and recording["original_filename"] == upload_name
    stored = (
        tmp_path / "instance" / "recordings" / "accounts" / "1" / "recordings"
        / str(recording_id) / "carrier.wav"
    )  # fmt: skip
    carrier_file = stored.read_bytes()
    served = http_bytes(recording["carrier_url"])
    assert served == carrier_file
    digest = hashlib.sha256(carrier_file).hexdigest()
    plays = 0
    for call in calls:
        played = call["played"]
        if STATE_OF_OUTCOME[call["outcome"]] not in PLAYED_STATES:
            assert played == [], call
            continue
        # A person hears it from the answer; a machine too, over its greeting (never
        # recorded), then again from its start after the beep, to its end.
        times = 1 if call["outcome"] == "human" else 2
        assert [p["url"] for p in played] == [recording["carrier_url"]] * times, call
        assert call["voicemail"]["complete_plays"] == times - 1, call
        documents = [twiml["body"] or "" for twiml in call["twiml"]]
        assert any(f">{recording['carrier_url']}</Play>" in doc for doc in documents), call
        assert played[0]["sha256"] == digest and played[0]["bytes"] == len(carrier_file), call
        plays += times
    assert plays == 2 * counts["voicemail_left"] + counts["human_reached"]
    assert f'{plays} "sha256":"{digest}"' in " ".join(ran.stdout.split()), shown
    assert f"{digest}  -" in ran.stdout, shown

    # The README's callback: a customer calls the simulator's number back and reaches Marie.
    settings = "\n".join(line for line in block.splitlines() if re.match(r"(KEY|B|SIM|H|J)=", line))
    script = workdir / "callback.sh"
    script.write_text(runnable(settings + "\n" + readme_block(CALLBACK), key, web_port, sim_port))
    ran = subprocess.run(
        ["bash", "-eu", str(script)], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    shown = f"\n--- the callback printed ---\n{ran.stdout}{ran.stderr}{log_tail()}"
    assert ran.returncode == 0, shown
    # The seller hears who calls by the name the customer file gave (never a raw number).
    assert "Rappel de +33612345610" not in ran.stdout
    assert "Rappel de Camille Client 10, campagne Entretien 2 ans." in ran.stdout, shown
    [callback] = http_json(f"{base}/api/v1/callbacks", key)["items"]
    assert (callback["route"], callback["outcome"], callback["campaign_id"]) == (
        "last_message", "connected", 1), shown  # fmt: skip
    assert callback["dialed_number"] == "+33611000001", callback

    # Nothing went wrong on the way, as far as the app can tell.
    assert "Traceback" not in server.output, log_tail(200)
