"""The account's phone numbers: Twilio's IncomingPhoneNumbers resource (buy, list, configure,
release), where inbound calls find the `VoiceUrl` to fetch and the `StatusCallback` to send."""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from voicecast.simulator.ledger import Book, new_sid, now
from voicecast.simulator.resource import (
    API_VERSION,
    E164,
    ApiError,
    account_uri,
    page,
    rfc2822,
)

NUMBERS = f"/{API_VERSION}/Accounts/<account_sid>/IncomingPhoneNumbers.json"
NUMBER = f"/{API_VERSION}/Accounts/<account_sid>/IncomingPhoneNumbers/<sid>.json"
# Form parameter -> attribute, for what create and update may set.
SETTINGS = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
}
URL_SETTINGS = ("VoiceUrl", "VoiceFallbackUrl", "StatusCallback", "SmsUrl")
METHOD_SETTINGS = ("VoiceMethod", "VoiceFallbackMethod", "StatusCallbackMethod", "SmsMethod")


@dataclass
class PhoneNumber:
    """One number of the account and how it is configured."""

    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    voice_url: str | None = None
    voice_method: str = "POST"
    voice_fallback_url: str | None = None
    voice_fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None
    sms_method: str = "POST"
    origin: str = "twilio"
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)


class NumberBook(Book["PhoneNumber"]):
    """The account's numbers by sid, in purchase order; a number is bought once."""

    def add(self, record: PhoneNumber) -> None:
        with self.lock:
            if self.by_number(record.phone_number) is not None:
                raise ApiError(400, 21422, f"PhoneNumber {record.phone_number} is not available")
            super().add(record)

    def by_number(self, phone_number: str) -> PhoneNumber | None:
        with self.lock:
            return next((n for n in self.all() if n.phone_number == phone_number), None)


def sms_capable(phone_number: str) -> bool:
    """Whether Twilio lists the number as able to send SMS: French numbers other than mobiles
    (geographic 01-05, 09) cannot, as Twilio's France guidelines say; others can."""
    return not phone_number.startswith("+33") or phone_number.startswith(("+336", "+337"))


def friendly(phone_number: str) -> str:
    """Twilio's default FriendlyName: the number written nationally for +1, else as given."""
    digits = phone_number[2:]
    if phone_number.startswith("+1") and len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return phone_number


def buy(
    account_sid: str, phone_number: str, settings: Mapping[str, str] | None = None
) -> PhoneNumber:
    """A new number record (not yet in the book) configured with `settings` (form names)."""
    number = PhoneNumber(new_sid("PN"), account_sid, phone_number, friendly(phone_number))
    configure(number, settings or {})
    return number


def validate_settings(form: Mapping[str, str]) -> None:
    """Twilio's checks of the URLs and methods a number is configured with."""
    for key in URL_SETTINGS:
        value = form.get(key)
        if value and urllib.parse.urlsplit(value).scheme not in {"http", "https"}:
            raise ApiError(400, 21402, f"{key} is not a valid URL: {value}")
    for key in METHOD_SETTINGS:
        value = form.get(key)
        if value and value.upper() not in {"GET", "POST"}:
            raise ApiError(400, 21403, f"{key} must be GET or POST, got {value}")


def configure(number: PhoneNumber, form: Mapping[str, str]) -> None:
    """Apply the settings present in `form` (an empty URL clears it, as with Twilio)."""
    validate_settings(form)
    for key, attribute in SETTINGS.items():
        if key not in form:
            continue
        value = form[key]
        if key in METHOD_SETTINGS:
            value = (value or "POST").upper()
        elif key in URL_SETTINGS:
            value = value or None
        setattr(number, attribute, value)
    number.date_updated = now()


def number_json(number: PhoneNumber) -> dict[str, Any]:
    """The `api.v2010.account.incoming_phone_number` resource."""
    uri = f"{account_uri(number.account_sid)}/IncomingPhoneNumbers/{number.sid}"
    return {
        "account_sid": number.account_sid,
        "address_sid": None,
        "address_requirements": "none",
        "api_version": API_VERSION,
        "beta": False,
        "capabilities": {
            "voice": True,
            "sms": sms_capable(number.phone_number),
            "mms": False,
            "fax": False,
        },
        "date_created": rfc2822(number.date_created),
        "date_updated": rfc2822(number.date_updated),
        "friendly_name": number.friendly_name,
        "identity_sid": None,
        "phone_number": number.phone_number,
        "origin": number.origin,
        "sid": number.sid,
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": None,
        "sms_method": number.sms_method,
        "sms_url": number.sms_url,
        "status_callback": number.status_callback,
        "status_callback_method": number.status_callback_method,
        "trunk_sid": None,
        "uri": uri + ".json",
        "voice_receive_mode": "voice",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": number.voice_fallback_method,
        "voice_fallback_url": number.voice_fallback_url,
        "voice_method": number.voice_method,
        "voice_url": number.voice_url,
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "bundle_sid": None,
        "status": "in-use",
        "type": "local",
    }


def register_numbers(app: Flask, book: NumberBook, authenticate: Callable[[str], None]) -> None:
    """Serve the IncomingPhoneNumbers resource of `book` on `app`."""

    def find(account_sid: str, sid: str) -> PhoneNumber:
        authenticate(account_sid)
        number = book.get(sid)
        if number is None:
            raise ApiError(404, 20404, f"The requested resource {request.path} was not found")
        return number

    @app.post(NUMBERS)
    def create_number(account_sid: str) -> tuple[Response, int]:
        authenticate(account_sid)
        form = request.form.to_dict()
        wanted = form.get("PhoneNumber", "").strip()
        area_code = form.get("AreaCode", "").strip()
        if not wanted and area_code.isdigit() and len(area_code) == 3:
            wanted = f"+1{area_code}555{secrets.randbelow(10_000):04d}"
        if not wanted:
            raise ApiError(400, 21421, "A 'PhoneNumber' or 'AreaCode' is required")
        if not E164.match(wanted):
            raise ApiError(400, 21421, f"PhoneNumber is invalid: {wanted}")
        number = buy(account_sid, wanted, form)
        book.add(number)
        return jsonify(number_json(number)), 201

    @app.get(NUMBERS)
    def list_numbers(account_sid: str) -> Response:
        authenticate(account_sid)
        args = request.args.to_dict()
        wanted, name = args.get("PhoneNumber", ""), args.get("FriendlyName", "")
        numbers = [
            n
            for n in book.all()
            if (not wanted or wanted in n.phone_number) and (not name or name == n.friendly_name)
        ]
        path = f"{account_uri(account_sid)}/IncomingPhoneNumbers.json"
        return jsonify(page(numbers, args, path, "incoming_phone_numbers", number_json))

    @app.get(NUMBER)
    def fetch_number(account_sid: str, sid: str) -> Response:
        return jsonify(number_json(find(account_sid, sid)))

    @app.post(NUMBER)
    def update_number(account_sid: str, sid: str) -> Response:
        number = find(account_sid, sid)
        configure(number, request.form.to_dict())
        return jsonify(number_json(number))

    @app.delete(NUMBER)
    def release_number(account_sid: str, sid: str) -> tuple[str, int]:
        find(account_sid, sid)
        book.remove(sid)
        return "", 204
