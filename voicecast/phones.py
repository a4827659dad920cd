"""Phone numbers as the carrier wants them: E.164, parsed with the account's country as default."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    """The text is not a dialable phone number; the message says why."""


def to_e164(raw: str, default_region: str) -> str:
    try:
        number = phonenumbers.parse(raw, default_region.upper())
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"{raw!r} is not a phone number ({error._msg}).") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            f"{raw!r} is not a valid number for {default_region.upper()}; "
            "write it in E.164 form, e.g. +33612345678."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
