"""The simulator as developers run it: `voicecast simulator` and inside `voicecast dev`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.simulator.fixtures import ACCOUNT_SID, AUTH_TOKEN, FROM, get_json, twilio_client
from voicecast.simulator.dev import DevCarrierError, dev_carrier
from voicecast.simulator.engine import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A child process whose output lines a thread collects."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"exited early:\n{self.output}"
            assert time.monotonic() < deadline, f"{text!r} never printed:\n{self.output}"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> int:
        os.kill(self.process.pid, sig)
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._reader.join(timeout=5)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.close()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SIMULATOR_"))}
    return {k: v for k, v in env.items() if k not in {"REDIS_URL", "DATABASE_URL"}} | extra


def test_voicecast_simulator_command_serves_twilio_python(processes: list[Process]) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "voicecast", "simulator", "--port", str(port)]
    argv += ["--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN, "--cps", "20"]
    argv += ["--time-scale", "0.1", "--outcomes", "random", "--seed", "3"]
    argv += ["--number", "+33170000001", "--number", "+33170000002"]
    simulator = Process(argv, clean_env())
    processes.append(simulator)
    simulator.wait_for("Press Ctrl-C to stop.", timeout=20)
    url = f"http://127.0.0.1:{port}"
    for expected in ("calls are simulated", f"TWILIO_API_URL={url}", ACCOUNT_SID, AUTH_TOKEN):
        assert expected in simulator.output

    assert "Numbers: +33170000001, +33170000002" in simulator.output
    client = twilio_client(url)
    try:
        sid = client.calls.create(to="+33612345670", from_=FROM, twiml="<Response/>").sid
        owned = [number.phone_number for number in client.incoming_phone_numbers.list()]
        assert owned == ["+33170000001", "+33170000002"]
    finally:
        client.http_client.session.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while (entry := get_json(f"{url}/_sim/calls/{sid}"))["settled"] is False:  # type: ignore[index]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert entry["outcome_rule"] == "random (seed 3)"  # type: ignore[index]
    assert simulator.stop(signal.SIGTERM) == 0, simulator.output


def test_python_m_voicecast_simulator_refuses_a_bad_account_sid() -> None:
    argv = [sys.executable, "-m", "voicecast.simulator", "--account-sid", "ACnope"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--account-sid must be AC followed by 32" in result.stderr
    argv = [sys.executable, "-m", "voicecast.simulator", "--number", "0170000001"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--number must be E.164" in result.stderr


def test_dev_carrier_only_without_twilio_credentials() -> None:
    assert dev_carrier({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}) is None
    carrier = dev_carrier({"TWILIO_CALLS_PER_SECOND": "5", "SIMULATOR_PORT": "6001"})
    assert carrier is not None
    assert carrier.env == {
        "TWILIO_API_URL": "http://127.0.0.1:6001",
        "TWILIO_ACCOUNT_SID": DEV_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN,
    }
    assert carrier.argv[carrier.argv.index("--cps") + 1] == "5"
    assert "Calls are simulated (carrier simulator at http://127.0.0.1:6001" in carrier.note
    default = dev_carrier({"TWILIO_ACCOUNT_SID": "AC1"})  # a token is missing: simulate
    assert default is not None and default.url == "http://127.0.0.1:5099"
    # Fast enough for a demo campaign, and the app paces itself to the simulator's limit.
    assert default.argv[default.argv.index("--cps") + 1] == "10"
    assert default.env["TWILIO_CALLS_PER_SECOND"] == "10"
    assert "10 calls/s" in default.note
    slower = dev_carrier({"SIMULATOR_CPS": "3"})
    assert slower is not None and slower.env["TWILIO_CALLS_PER_SECOND"] == "3"
    # The user's own TWILIO_CALLS_PER_SECOND stays theirs, even beside another SIMULATOR_CPS.
    mine = dev_carrier({"TWILIO_CALLS_PER_SECOND": "2", "SIMULATOR_CPS": "4"})
    assert mine is not None and "TWILIO_CALLS_PER_SECOND" not in mine.env
    assert mine.argv[mine.argv.index("--cps") + 1] == "4"
    with pytest.raises(DevCarrierError, match="SIMULATOR_PORT"):
        dev_carrier({"SIMULATOR_PORT": "http"})
    with pytest.raises(DevCarrierError, match="SIMULATOR_CPS"):
        dev_carrier({"SIMULATOR_CPS": "-1"})
    with pytest.raises(DevCarrierError, match="SIMULATOR_CPS"):
        dev_carrier({"SIMULATOR_CPS": "inf"})


@pytest.mark.slow
def test_voicecast_dev_starts_the_simulator_and_says_calls_are_simulated(
    processes: list[Process], tmp_path: Path
) -> None:
    web_port, sim_port = free_port(), free_port()
    env = clean_env(VOICECAST_INSTANCE_PATH=str(tmp_path / "instance"))
    env["SIMULATOR_PORT"] = str(sim_port)
    dev = Process([sys.executable, "-m", "voicecast", "dev", "--port", str(web_port)], env)
    processes.append(dev)
    url = f"http://127.0.0.1:{sim_port}"
    dev.wait_for(f"Calls are simulated (carrier simulator at {url}", timeout=60)
    health = get_json(f"{url}/_sim/health")
    assert health["account_sid"] == DEV_ACCOUNT_SID  # type: ignore[index]
    assert dev.stop() == 0, dev.output
    assert "all stopped" in dev.output
    with pytest.raises(OSError):
        get_json(f"{url}/_sim/health")
