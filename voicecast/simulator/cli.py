"""`voicecast simulator` / `python -m voicecast.simulator`: run the carrier simulator."""

from __future__ import annotations

import logging
import re

import click

from voicecast.simulator.engine import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN
from voicecast.simulator.resource import E164

DEFAULT_PORT = 5099
ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option("--account-sid", default=DEV_ACCOUNT_SID, show_default=True, help="AC + 32 hex.")
@click.option("--auth-token", default=DEV_AUTH_TOKEN, show_default=True)
@click.option("--cps", default=1.0, show_default=True, type=click.FloatRange(0.01, 10_000))
@click.option(
    "--outcomes",
    type=click.Choice(["digit", "random"]),
    default="digit",
    show_default=True,
    help="digit: by the last digit of To (see README); random: a seeded distribution.",
)
@click.option("--seed", default=None, type=int, help="Seed of --outcomes random.")
@click.option(
    "--roughness",
    type=click.Choice(["off", "realistic"]),
    default="off",
    show_default=True,
    help="realistic: callbacks lost, late, twice or out of order, AMD errors... drawn per "
    "number at the rates in the README (POST /_sim/roughness changes it).",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1000),
    help="Multiplies every simulated wait (ring, AMD, playing): 0 runs calls at once.",
)
@click.option(
    "--number",
    "numbers",
    multiple=True,
    help="A phone number the account owns from the start (E.164, repeatable); configure it "
    "through IncomingPhoneNumbers, then call it with POST /_sim/inbound.",
)
def simulator_command(
    host: str,
    port: int,
    account_sid: str,
    auth_token: str,
    cps: float,
    outcomes: str,
    seed: int | None,
    roughness: str,
    time_scale: float,
    numbers: tuple[str, ...],
) -> None:
    """Run the carrier simulator: Twilio's Calls API on this machine, with simulated calls."""
    from voicecast.simulator.engine import SimulatorConfig
    from voicecast.simulator.server import SimulatorServer

    if not ACCOUNT_SID.match(account_sid):
        raise click.UsageError("--account-sid must be AC followed by 32 lowercase hex digits")
    if not auth_token:
        raise click.UsageError("--auth-token must not be empty")
    for number in numbers:
        if not E164.match(number):
            raise click.UsageError(f"--number must be E.164 (+ and digits), got {number!r}")
    if len(set(numbers)) != len(numbers):
        raise click.UsageError("--number: each number once")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = SimulatorConfig(
        account_sid=account_sid,
        auth_token=auth_token,
        cps=cps,
        time_scale=time_scale,
        outcomes=outcomes,
        seed=seed,
        numbers=tuple(numbers),
        roughness=roughness,
    )
    try:
        server = SimulatorServer(config, host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    click.echo("Carrier simulator: calls are simulated, nothing reaches a phone.")
    click.echo(f"  TWILIO_API_URL={server.url}")
    click.echo(f"  TWILIO_ACCOUNT_SID={account_sid}")
    click.echo(f"  TWILIO_AUTH_TOKEN={auth_token}")
    click.echo(f"  {cps:g} call(s) per second, outcomes: {outcomes}, time scale {time_scale:g}")
    click.echo(f"  Roughness: {roughness} (POST {server.url}/_sim/roughness)")
    if numbers:
        click.echo(
            f"  Numbers: {', '.join(numbers)} (inbound calls: POST {server.url}/_sim/inbound)"
        )
    click.echo(f"  Ledger: {server.url}/_sim/calls   Press Ctrl-C to stop.")
    server.serve_forever()
