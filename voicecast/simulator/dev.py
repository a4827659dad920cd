"""`voicecast dev` without Twilio credentials: run the simulator and point the app at it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from voicecast.simulator.cli import DEFAULT_PORT
from voicecast.simulator.engine import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

HOST = "127.0.0.1"


class DevCarrierError(ValueError):
    """A SIMULATOR_* variable holds a value we cannot use."""


@dataclass(frozen=True)
class DevCarrier:
    """The simulator child of `voicecast dev` and what the app and workers need to use it."""

    url: str
    argv: list[str]
    env: dict[str, str]  # TWILIO_* for the app and the workers
    note: str  # for the banner


def dev_carrier(env: Mapping[str, str]) -> DevCarrier | None:
    """The simulator to run when Twilio credentials are missing from `env`, else None.

    SIMULATOR_PORT (5099) is where it listens; SIMULATOR_CPS its calls-per-second limit, by
    default the app's own TWILIO_CALLS_PER_SECOND (1, Twilio's default).
    """
    if env.get("TWILIO_ACCOUNT_SID") and env.get("TWILIO_AUTH_TOKEN"):
        return None
    raw_port = (env.get("SIMULATOR_PORT") or str(DEFAULT_PORT)).strip()
    if not raw_port.isdigit() or not 1 <= int(raw_port) <= 65535:
        raise DevCarrierError(f"SIMULATOR_PORT must be a port number, got {raw_port!r}")
    cps = (env.get("SIMULATOR_CPS") or env.get("TWILIO_CALLS_PER_SECOND") or "1").strip()
    try:
        if float(cps) <= 0:
            raise ValueError
    except ValueError:
        raise DevCarrierError(f"SIMULATOR_CPS must be a positive number, got {cps!r}") from None
    url = f"http://{HOST}:{raw_port}"
    argv = [sys.executable, "-m", "voicecast.simulator", "--host", HOST, "--port", raw_port]
    argv += ["--account-sid", DEV_ACCOUNT_SID, "--auth-token", DEV_AUTH_TOKEN, "--cps", cps]
    child_env = {
        "TWILIO_API_URL": url,
        "TWILIO_ACCOUNT_SID": DEV_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN,
    }
    note = f"Calls are simulated (carrier simulator at {url}, ledger at {url}/_sim/calls)."
    return DevCarrier(url, argv, child_env, "  " + note)
