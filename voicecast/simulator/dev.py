"""`voicecast dev` without Twilio credentials: run the simulator and point the app at it."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from voicecast.simulator.cli import DEFAULT_PORT
from voicecast.simulator.engine import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

HOST = "127.0.0.1"
# Calls per second of the simulator `voicecast dev` starts, and of the app pointed at it, when
# neither SIMULATOR_CPS nor TWILIO_CALLS_PER_SECOND says otherwise (Twilio's own default is 1).
DEV_CPS = "10"
# The number the development account holds at the simulator: a shared callback line once
# `voicecast numbers sync --account 1` registers it.
DEV_NUMBER = "+33170000001"


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
    default the app's own TWILIO_CALLS_PER_SECOND, else DEV_CPS. Unless the user set
    TWILIO_CALLS_PER_SECOND, the app and workers get the simulator's limit as theirs: faster
    than Twilio's default of 1, so that a demo campaign of 50 calls ends in seconds.
    """
    if env.get("TWILIO_ACCOUNT_SID") and env.get("TWILIO_AUTH_TOKEN"):
        return None
    raw_port = (env.get("SIMULATOR_PORT") or str(DEFAULT_PORT)).strip()
    if not raw_port.isdigit() or not 1 <= int(raw_port) <= 65535:
        raise DevCarrierError(f"SIMULATOR_PORT must be a port number, got {raw_port!r}")
    app_cps = (env.get("TWILIO_CALLS_PER_SECOND") or "").strip()
    cps = (env.get("SIMULATOR_CPS") or "").strip() or app_cps or DEV_CPS
    try:
        if not 0 < float(cps) < math.inf:
            raise ValueError
    except ValueError:
        raise DevCarrierError(f"SIMULATOR_CPS must be a positive number, got {cps!r}") from None
    url = f"http://{HOST}:{raw_port}"
    argv = [sys.executable, "-m", "voicecast.simulator", "--host", HOST, "--port", raw_port]
    argv += ["--account-sid", DEV_ACCOUNT_SID, "--auth-token", DEV_AUTH_TOKEN, "--cps", cps]
    argv += ["--number", DEV_NUMBER]
    child_env = {
        "TWILIO_API_URL": url,
        "TWILIO_ACCOUNT_SID": DEV_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN,
    }
    if not app_cps:  # the app paces itself to the simulator's limit (it keeps a little headroom)
        child_env["TWILIO_CALLS_PER_SECOND"] = cps
    note = f"Calls are simulated (carrier simulator at {url}, {cps} calls/s, "
    note += f"ledger at {url}/_sim/calls)."
    return DevCarrier(url, argv, child_env, "  " + note)
