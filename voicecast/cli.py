"""The `voicecast` command: Flask's own commands (run, shell, db ...) plus ours."""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from voicecast.extensions import db
from voicecast.media.migrate import storage_cli
from voicecast.models import Account, Role, User
from voicecast.simulator.cli import simulator_command

# Time zone of a new account when --timezone is not given, by country.
COUNTRY_TIMEZONES = {
    "FR": "Europe/Paris",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "LU": "Europe/Luxembourg",
    "MC": "Europe/Monaco",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "IT": "Europe/Rome",
    "US": "America/New_York",
    "CA": "America/Toronto",
}


def create_cli_app() -> Flask:
    from voicecast import create_app

    return create_app()


main = FlaskGroup(create_app=create_cli_app, help="Voicecast: voice campaigns in sellers' voices.")


@click.group("account", help="Manage accounts (dealerships).")
def account_cli() -> None:
    pass


@account_cli.command("create")
@click.argument("name")
@click.option("--email", required=True, help="The admin's email (their login).")
@click.option("--country", default="FR", show_default=True, help="ISO country code.")
@click.option("--timezone", default=None, help="IANA time zone; default: the country's.")
@click.option(
    "--rules",
    default="country",
    show_default=True,
    help="Calling rules: FR, US, none (only each campaign's window), or the country's.",
)
@with_appcontext
def create_account_command(
    name: str, email: str, country: str, timezone: str | None, rules: str
) -> None:
    """Create an account and its admin; the admin's API key is printed alone on the last line."""
    from voicecast.people import create_account

    country = country.upper()
    timezone = timezone or COUNTRY_TIMEZONES.get(country)
    if timezone is None:
        raise click.UsageError(f"No default time zone for {country}; pass --timezone.")
    if timezone not in zoneinfo.available_timezones():
        raise click.UsageError(f"Unknown time zone {timezone!r}, e.g. Europe/Paris.")
    try:
        account, admin, secret = create_account(name, email, country, timezone, rules)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    rules_text = account.calling_rules or "no calling rules"
    click.echo(
        f"Account {account.id} '{account.name}' ({account.country}, {account.timezone}, "
        f"{rules_text})."
    )
    click.echo(f"Admin user {admin.id} <{admin.email}>. Set a web password with:")
    click.echo(f"  voicecast user set-password {admin.email}")
    click.echo("The admin's API key follows; it is shown only once:")
    click.echo(secret)


@account_cli.command("set-caller-id")
@click.argument("account_id", type=int)
@click.argument("number")
@with_appcontext
def set_caller_id_command(account_id: int, number: str) -> None:
    """Set the number campaigns call from (a Twilio number of the account), in E.164."""
    from voicecast.models import Account
    from voicecast.phones import InvalidPhone, to_e164
    from voicecast.rules.caller_id import caller_id_problem

    account = db.session.get(Account, account_id)
    if account is None:
        raise click.UsageError(f"No account with id {account_id}.")
    try:
        account.caller_id = to_e164(number, account.country)
    except InvalidPhone as error:
        raise click.UsageError(str(error)) from None
    problem = caller_id_problem(account)
    if problem:
        raise click.UsageError(problem)
    db.session.commit()
    click.echo(f"Account {account.id} calls from {account.caller_id}.")


@account_cli.command("set-sms-sender")
@click.argument("account_id", type=int)
@click.argument("sender", required=False)
@with_appcontext
def set_sms_sender_command(account_id: int, sender: str | None) -> None:
    """Set who sellers' texts come from: an alphanumeric sender ID (quoted if it has spaces),
    a Messaging Service SID (MG...) or an SMS-capable number of the account; none given: the
    account's first SMS-capable number."""
    from voicecast.callbacks.senders import sender_problem

    account = db.session.get(Account, account_id)
    if account is None:
        raise click.UsageError(f"No account with id {account_id}.")
    problem = sender_problem(account, sender) if sender else None
    if problem:
        raise click.UsageError(problem)
    account.sms_sender = sender or None
    db.session.commit()
    click.echo(sender_line(account))


@click.group("user", help="Manage users.")
def user_cli() -> None:
    pass


@user_cli.command("create")
@click.argument("email")
@click.option("--account", "account_id", type=int, required=True, help="The account's id.")
@click.option("--name", required=True, help="The person's name.")
@click.option(
    "--role",
    type=click.Choice([Role.MANAGER.value, Role.ADMIN.value]),
    default=Role.MANAGER.value,
    show_default=True,
)
@with_appcontext
def create_user_command(email: str, account_id: int, name: str, role: str) -> None:
    """Create a manager or admin; their API key is printed alone on the last line. Sellers are
    created through the API (POST /api/v1/sellers)."""
    from voicecast.people import create_user

    try:
        user, secret = create_user(account_id, Role(role), name, email)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"User {user.id} <{user.email}>, {user.role.value} of account {account_id}.")
    click.echo(f"Set a web password with: voicecast user set-password {user.email}")
    click.echo("Their API key follows; it is shown only once:")
    click.echo(secret)


@user_cli.command("set-password")
@click.argument("email")
@click.password_option(help="The new password (asked for when not given).")
@with_appcontext
def set_password_command(email: str, password: str) -> None:
    """Set the web login password of a manager or admin."""
    user = db.session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        raise click.UsageError(f"No user with email {email}.")
    if len(password) < 10:
        raise click.UsageError("Use at least 10 characters.")
    user.set_password(password)  # ends the user's open sessions
    db.session.commit()
    click.echo(f"Password set for {user.email}; their open sessions have ended.")


@click.group(
    "operators",
    help="The service's operators: who may open RQ's dashboard (/admin/rq), which spans "
    "every account. Only this command, on the server, grants it.",
)
def operators_cli() -> None:
    pass


def set_operator(email: str, operator: bool) -> User:
    """Grant (or take back) the operator role of the manager or admin with this web login."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.role.sees_whole_account:
        raise click.UsageError(f"No manager or admin with email {email}.")
    user.is_operator = operator
    db.session.commit()
    return user


@operators_cli.command("grant")
@click.argument("email")
@with_appcontext
def grant_operator_command(email: str) -> None:
    """Make the manager or admin with this web login one of the service's operators."""
    user = set_operator(email, True)
    click.echo(f"{user.email} is an operator: /admin/rq opens for their web session.")


@operators_cli.command("revoke")
@click.argument("email")
@with_appcontext
def revoke_operator_command(email: str) -> None:
    """Take the operator role back (at once: it is checked at every request)."""
    user = set_operator(email, False)
    click.echo(f"{user.email} is no longer an operator.")


@operators_cli.command("list")
@with_appcontext
def list_operators_command() -> None:
    """The operators, one email a line."""
    emails = db.session.scalars(
        select(User.email).where(User.is_operator.is_(True)).order_by(User.email)
    ).all()
    for email in emails or ["No operators; grant one with: voicecast operators grant EMAIL"]:
        click.echo(email)


@click.group("seller", help="Manage sellers.")
def seller_cli() -> None:
    pass


@seller_cli.command("recording-link")
@click.argument("seller_id", type=int)
@click.option(
    "--hours",
    type=click.IntRange(1, 24 * 90),
    default=None,
    help="How long the link works (default RECORDING_LINK_TTL_HOURS, 7 days).",
)
@with_appcontext
def recording_link_command(seller_id: int, hours: int | None) -> None:
    """Make a personal recording link for a seller; the URL is printed alone on the last line."""
    from voicecast.media.links import create_link

    seller = db.session.get(User, seller_id)
    if seller is None or seller.role != Role.SELLER:
        raise click.UsageError(f"No seller with id {seller_id}.")
    link, url = create_link(seller, None, hours)
    until = f"{link.expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"Recording link {link.id} for {seller.name}, valid until {until}:")
    click.echo(url)


@click.group("numbers", help="Manage the account's phone numbers (callback lines).")
def numbers_cli() -> None:
    pass


@numbers_cli.command("sync")
@click.option("--account", "account_id", type=int, required=True, help="Account id.")
@with_appcontext
def sync_numbers_command(account_id: int) -> None:
    """Point every number of the Twilio account (TWILIO_ACCOUNT_SID) at this service's voice
    webhook (PUBLIC_BASE_URL/twilio/voice) and register new ones to the account."""
    from voicecast.callbacks.sync import sync_numbers
    from voicecast.carrier import CarrierError, carrier_client
    from voicecast.models import Account

    account = db.session.get(Account, account_id)
    if account is None:
        raise click.UsageError(f"No account with id {account_id}.")
    try:
        lines = sync_numbers(account, carrier_client())
    except CarrierError as error:
        raise click.ClickException(f"The carrier refused: {error}") from None
    for line in lines or ["The Twilio account has no numbers."]:
        click.echo(line)
    click.echo(sender_line(account))


def sender_line(account: Account) -> str:
    """Where the account's texts to sellers go from, or that none can go and what to do."""
    from voicecast.callbacks.senders import notification_sender

    chosen = notification_sender(account)
    if chosen is None:
        return (
            f"Account {account.id} has no SMS sender: sellers' texts will not be sent. Set one: "
            f'voicecast account set-sms-sender {account.id} "NAME" (an alphanumeric sender '
            "ID where the country allows it), a Messaging Service (MG...) or an SMS-capable number."
        )
    return f"Account {account.id} sends texts from {chosen}."


@click.group("recordings", help="Manage recordings.")
def recordings_cli() -> None:
    pass


@recordings_cli.command("requeue")
@click.option("--grace-minutes", type=click.IntRange(0), default=1, show_default=True)
@with_appcontext
def requeue_command(grace_minutes: int) -> None:
    """Queue again recordings whose processing job was lost (workers also do it at start)."""
    from datetime import timedelta

    from voicecast.media.uploads import requeue_stranded

    requeued = requeue_stranded(timedelta(minutes=grace_minutes))
    click.echo(f"Queued again: {len(requeued)} recording(s) {requeued or ''}".rstrip())


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16))
@with_appcontext
def dev_command(host: str, port: int, workers: int) -> None:
    """Run everything on this machine: Redis (unless REDIS_URL is set), migrations, the web
    app and RQ workers, supervised together; Ctrl-C stops them all."""
    from voicecast.devserver import ChildSpec, run_dev
    from voicecast.simulator.dev import DevCarrierError, dev_carrier

    env = dict(os.environ)
    try:  # no Twilio credentials: the carrier simulator plays Twilio (voicecast/simulator/)
        carrier = dev_carrier(env)
    except DevCarrierError as error:
        raise click.UsageError(str(error)) from None
    code = run_dev(
        instance_path=Path(current_app.instance_path),
        host=host,
        port=port,
        workers=workers,
        env={**env, **carrier.env} if carrier else env,
        extra_children=[ChildSpec("carrier", carrier.argv)] if carrier else (),
        banner_notes=[carrier.note] if carrier else (),
    )
    raise SystemExit(code)


# The carrier simulator needs no app (and must not load one): registered on the group itself.
main.add_command(simulator_command)


def register(app: Flask) -> None:
    app.cli.add_command(account_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(operators_cli)
    app.cli.add_command(seller_cli)
    app.cli.add_command(recordings_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(numbers_cli)
    app.cli.add_command(dev_command)
