"""Rules about users and accounts shared by the API, the web pages and the CLI."""

from __future__ import annotations

from sqlalchemy import func, select

from voicecast.errors import invalid_field
from voicecast.extensions import db
from voicecast.models import Account, ApiKey, Role, User
from voicecast.phones import InvalidPhone, to_e164
from voicecast.rules.presets import default_preset_name, preset_named

COUNTRY_RULES = "country"  # a new account's rules: its country's preset, if we have one


def email_taken(email: str, except_id: int | None = None) -> bool:
    stmt = select(func.count()).select_from(User).where(User.email == email.lower())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return bool(db.session.scalar(stmt))


def phone_for_account(raw: str | None, account: Account, field: str) -> str | None:
    """`raw` in E.164 with the account's country as default region; a 422 naming `field`."""
    if raw is None:
        return None
    try:
        return to_e164(raw, account.country)
    except InvalidPhone as error:
        raise invalid_field(field, str(error), "phone") from None


def create_user(account_id: int, role: Role, name: str, email: str) -> tuple[User, str]:
    """A new user of an existing account with a first API key; returns the key's secret too."""
    if db.session.get(Account, account_id) is None:
        raise ValueError(f"No account with id {account_id}.")
    if email_taken(email):
        raise ValueError(f"{email} is already used by another user.")
    user = User(account_id=account_id, role=role, name=name, email=email.lower())
    db.session.add(user)
    db.session.flush()
    key, secret = ApiKey.issue(user, "created with the user")
    db.session.add(key)
    db.session.commit()
    return user, secret


def create_account(
    name: str,
    admin_email: str,
    country: str = "FR",
    timezone: str = "Europe/Paris",
    calling_rules: str | None = COUNTRY_RULES,
) -> tuple[Account, User, str]:
    """A new account with its admin user and a first API key; returns the key's secret too.
    It calls under its country's rules unless `calling_rules` names others ("none": none)."""
    if email_taken(admin_email):
        raise ValueError(f"{admin_email} is already used by another user.")
    if calling_rules == COUNTRY_RULES:
        calling_rules = default_preset_name(country)
    preset = preset_named(calling_rules)
    account = Account(
        name=name,
        country=country.upper(),
        timezone=timezone,
        calling_rules=preset.name if preset else None,
    )
    db.session.add(account)
    db.session.flush()
    admin, secret = create_user(account.id, Role.ADMIN, admin_email.split("@")[0], admin_email)
    return account, admin, secret
