"""SMS: Twilio's Messages resource. Every message is validated as Twilio does, kept (nothing is
sent to a phone), listed at `GET /_sim/messages`, and reported `sent` then `delivered` to its
StatusCallback, signed like every webhook."""

from __future__ import annotations

import copy
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

from voicecast.simulator.ledger import Book, iso, new_sid, now
from voicecast.simulator.numbers import sms_capable
from voicecast.simulator.resource import (
    API_VERSION,
    E164,
    ApiError,
    account_uri,
    page,
    rfc2822,
    time_filter,
)
from voicecast.simulator.webhooks import signed_request

if TYPE_CHECKING:
    from voicecast.simulator.engine import Simulator

MESSAGES = f"/{API_VERSION}/Accounts/<account_sid>/Messages.json"
MESSAGE = f"/{API_VERSION}/Accounts/<account_sid>/Messages/<sid>.json"
MAX_BODY = 1600
PRICE_PER_SEGMENT = 0.0079
# GSM 03.38: the basic set, and the extension characters that take two septets.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")
# An alphanumeric sender ID (a letter at least, 11 characters at most), and the destinations
# whose networks refuse them (the US and Canada: Twilio's 21612).
ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
NO_ALPHANUMERIC = ("+1",)


@dataclass
class MessageRecord:
    """One message asked for through the API, and what happened to it."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    params: dict[str, str]
    messaging_service_sid: str | None = None
    status: str = "queued"
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    date_sent: datetime | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def num_segments(self) -> int:
        return segments(self.body)

    def to_ledger(self) -> dict[str, Any]:
        """The `/_sim/messages` view."""
        return {
            "sid": self.sid,
            "to": self.to,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "body": self.body,
            "num_segments": self.num_segments,
            "status": self.status,
            "created_at": iso(self.date_created),
            "sent_at": iso(self.date_sent),
            "request": self.params,
            "callbacks": self.callbacks,
            "warnings": self.warnings,
        }


class MessageBook(Book["MessageRecord"]):
    """Messages by sid, in creation order."""


def segments(body: str) -> int:
    """SMS parts the body takes: GSM-7 (160, or 153 per part) or else UCS-2 (70, or 67)."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in body):
        septets = sum(2 if char in GSM_EXTENDED else 1 for char in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def validate_message(params: Mapping[str, str]) -> None:
    """Raise ApiError as Twilio does for a message it would not send."""
    to, from_ = params.get("To", "").strip(), params.get("From", "").strip()
    service = params.get("MessagingServiceSid", "").strip()
    if not to:
        raise ApiError(400, 21604, "A 'To' phone number is required.")
    if not E164.match(to):
        raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if not from_ and not service:
        raise ApiError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
    if from_ and ALPHANUMERIC.match(from_):
        if to.startswith(NO_ALPHANUMERIC):
            raise ApiError(400, 21612, f"The 'To' number {to} cannot receive this message")
    elif from_ and not E164.match(from_):
        raise ApiError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
    body = params.get("Body", "")
    if not body and not params.get("MediaUrl"):
        raise ApiError(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise ApiError(
            400, 21617, f"The concatenated message body exceeds the {MAX_BODY} character limit."
        )
    callback = params.get("StatusCallback")
    if callback and urllib.parse.urlsplit(callback).scheme not in {"http", "https"}:
        raise ApiError(400, 21609, f"Invalid StatusCallback: {callback}")


def message_json(message: MessageRecord) -> dict[str, Any]:
    """The `api.v2010.account.message` resource."""
    uri = f"{account_uri(message.account_sid)}/Messages/{message.sid}"
    priced = message.status in {"sent", "delivered"}
    return {
        "body": message.body,
        "num_segments": str(message.num_segments),
        "direction": "outbound-api",
        "from": message.from_,
        "to": message.to,
        "date_updated": rfc2822(message.date_updated),
        "price": f"{-PRICE_PER_SEGMENT * message.num_segments:.5f}" if priced else None,
        "error_message": None,
        "uri": uri + ".json",
        "account_sid": message.account_sid,
        "num_media": "0",
        "status": message.status,
        "messaging_service_sid": message.messaging_service_sid,
        "sid": message.sid,
        "date_sent": rfc2822(message.date_sent),
        "date_created": rfc2822(message.date_created),
        "error_code": None,
        "price_unit": "USD",
        "api_version": API_VERSION,
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
    }


def deliver(sim: Simulator, message: MessageRecord) -> None:
    """Move the message to `sent`, then `delivered`, sending each to its StatusCallback."""
    for status in ("sent", "delivered"):
        if sim.stopped.wait(sim.config.timings.initiate * sim.config.time_scale):
            return
        with sim.messages.lock:
            if sim.messages.get(message.sid) is not message:
                return  # forgotten by a reset
            message.status = status
            message.date_updated = now()
            if status == "sent":
                message.date_sent = message.date_updated
            url = message.params.get("StatusCallback")
        if url:
            send_status(sim, message, url, status)


def send_status(sim: Simulator, message: MessageRecord, url: str, status: str) -> None:
    params = {
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.from_ or "",
        "To": message.to,
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    config = sim.config
    result = signed_request(url, params, config.auth_token, "POST", config.webhook_timeout)
    with sim.messages.lock:
        message.callbacks.append(
            {
                "url": url,
                "message_status": status,
                "params": params,
                "http_status": result.status,
                "error": result.error,
                "sent_at": iso(now()),
            }
        )


def can_send(sim: Simulator, sender: str) -> bool:
    """Whether a message may go from `sender`: an alphanumeric ID may; a number as its
    capabilities say, unless a roughness script says otherwise."""
    if not E164.match(sender):
        return True
    scripted = sim.roughness.for_number(sender)[0].sms_capable
    return sms_capable(sender) if scripted is None else scripted


def register_messages(app: Flask, sim: Simulator, authenticate: Callable[[str], None]) -> None:
    """Serve the Messages resource and `/_sim/messages` on `app`."""
    book = sim.messages

    @app.post(MESSAGES)
    def create_message(account_sid: str) -> tuple[Response, int]:
        authenticate(account_sid)
        params = request.form.to_dict()
        validate_message(params)
        message = MessageRecord(
            new_sid("SM"),
            account_sid,
            params["To"].strip(),
            params.get("From", "").strip() or None,
            params.get("Body", ""),
            params,
            params.get("MessagingServiceSid") or None,
        )
        if message.from_ and not can_send(sim, message.from_):
            raise ApiError(
                400, 21606, f"The From phone number {message.from_} is not a valid, "
                "SMS-capable inbound phone number or short code for your account.",
            )  # fmt: skip
        number = message.from_ and E164.match(message.from_)
        if number and sim.numbers.by_number(message.from_) is None:
            message.warnings.append(
                f"From {message.from_} is not one of the account's IncomingPhoneNumbers: "
                "Twilio would refuse it (21606)"
            )
        created = message_json(message)  # before delivery moves it on: Twilio says queued
        book.add(message)
        sim.submit(deliver, sim, message)
        return jsonify(created), 201

    @app.get(MESSAGES)
    def list_messages(account_sid: str) -> Response:
        authenticate(account_sid)
        args = request.args.to_dict()
        with book.lock:
            found = [
                m
                for m in reversed(book.all())
                if (not args.get("To") or args["To"] == m.to)
                and (not args.get("From") or args["From"] == m.from_)
                and time_filter(args, "DateSent", m.date_sent)
            ]
            path = f"{account_uri(account_sid)}/Messages.json"
            return jsonify(page(found, args, path, "messages", message_json))

    @app.get(MESSAGE)
    def fetch_message(account_sid: str, sid: str) -> Response:
        authenticate(account_sid)
        with book.lock:
            message = book.get(sid)
            if message is None:
                raise ApiError(404, 20404, f"The requested resource {request.path} was not found")
            return jsonify(message_json(message))

    @app.get("/_sim/messages")
    def ledger_messages() -> Response:
        with book.lock:
            messages = [copy.deepcopy(message.to_ledger()) for message in book.all()]
        return jsonify(messages=messages, count=len(messages))
