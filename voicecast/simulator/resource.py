"""Twilio's shapes: the Call resource JSON, create validation, list filters, paging, errors."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from typing import Any

from voicecast.simulator.ledger import CallRecord

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
PRICE_PER_MINUTE = 0.013
STATUSES = {
    "queued",
    "ringing",
    "in-progress",
    "canceled",
    "completed",
    "failed",
    "busy",
    "no-answer",
    "initiated",
}


class ApiError(Exception):
    """An error answered in Twilio's JSON shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


def account_uri(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}"


def call_json(call: CallRecord) -> dict[str, Any]:
    """The `api.v2010.account.call` resource. Hold the ledger lock while calling."""
    uri = f"{account_uri(call.account_sid)}/Calls/{call.sid}"
    minutes = -(-(call.duration or 0) // 60)
    priced = call.terminal and call.duration is not None
    subresources = ("notifications", "recordings", "payments", "events", "siprec", "streams")
    subresources += ("transcriptions", "user_defined_message_subscriptions")
    subresources += ("user_defined_messages",)
    return {
        "sid": call.sid,
        "date_created": rfc2822(call.date_created),
        "date_updated": rfc2822(call.date_updated),
        "parent_call_sid": call.parent_call_sid,
        "account_sid": call.account_sid,
        "to": call.to,
        "to_formatted": call.to,
        "from": call.from_,
        "from_formatted": call.from_,
        "phone_number_sid": None,
        "status": public_status(call),
        "start_time": rfc2822(call.start_time),
        "end_time": rfc2822(call.end_time),
        "duration": None if call.duration is None else str(call.duration),
        "price": f"{-PRICE_PER_MINUTE * minutes:.5f}" if priced else None,
        "price_unit": "USD",
        "direction": call.direction,
        "answered_by": call.answered_by,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": str(call.queue_time_ms),
        "trunk_sid": None,
        "uri": uri + ".json",
        "subresource_uris": {name: f"{uri}/{camel(name)}.json" for name in subresources},
    }


def public_status(call: CallRecord) -> str:
    """The resource's status: Twilio's enum has no `initiated` (only callbacks say it)."""
    return "queued" if call.status == "initiated" else call.status


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def validate_create(params: Mapping[str, Any]) -> list[str]:
    """Raise ApiError as Twilio would for a bad create request; returns soft warnings."""
    to, from_ = str(params.get("To", "")).strip(), str(params.get("From", "")).strip()
    if not to:
        raise ApiError(400, 21201, "No 'To' number is specified")
    if not E164.match(to):
        raise ApiError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if not from_:
        raise ApiError(400, 21213, "No 'From' number is specified")
    if not E164.match(from_):
        raise ApiError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
    if not (params.get("Url") or params.get("Twiml") or params.get("ApplicationSid")):
        raise ApiError(400, 21205, "Url parameter is required")
    for key in ("Url", "FallbackUrl", "StatusCallback", "AsyncAmdStatusCallback"):
        value = params.get(key)
        if value and urllib.parse.urlsplit(str(value)).scheme not in {"http", "https"}:
            raise ApiError(400, 21205, f"{key} is not a valid URL: {value}")
    warnings = []
    if len(str(params.get("Twiml", ""))) > 4000:
        warnings.append("Twiml is longer than Twilio's 4000 characters")
    amd = params.get("MachineDetection")
    if amd and amd not in {"Enable", "DetectMessageEnd"}:
        warnings.append(f"MachineDetection={amd!r}: Twilio knows Enable and DetectMessageEnd")
    if params.get("SendDigits") and amd:
        warnings.append("SendDigits disables machine detection")
    timeout = str(params.get("Timeout", "60"))
    if not timeout.isdigit() or not 1 <= int(timeout) <= 600:
        warnings.append(f"Timeout={timeout!r}: Twilio wants whole seconds, 1 to 600")
    return warnings


def parse_moment(name: str, value: str) -> tuple[datetime, bool]:
    """(moment, is a bare date) of a filter value: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC), True
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, 20001, f"Invalid {name}: {value!r}, expected YYYY-MM-DD") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False


def time_filter(args: Mapping[str, str], name: str, value: datetime | None) -> bool:
    """Whether `value` passes `name`, `name>` (on or after) and `name<` (on or before)."""
    for op in ("", ">", "<"):
        raw = args.get(name + op)
        if not raw:
            continue
        if value is None:
            return False  # a call not started (queued) has no start_time to compare
        moment, bare = parse_moment(name + op, raw)
        if op == "":  # `StartTime=` names a day (twilio-python sends it as midnight, "T00:00:00Z")
            moment, bare = moment.replace(hour=0, minute=0, second=0, microsecond=0), True
        end = moment + timedelta(days=1) if bare else moment
        if op == "" and not moment <= value < end:
            return False
        if op == ">" and value < moment:
            return False
        if op == "<" and not (value < end if bare else value <= moment):
            return False
    return True


def matches(call: CallRecord, args: Mapping[str, str]) -> bool:
    """The list filters: To, From, Status, ParentCallSid, StartTime*, EndTime*."""
    if args.get("To") and args["To"] != call.to:
        return False
    if args.get("From") and args["From"] != call.from_:
        return False
    if args.get("Status") and args["Status"] != public_status(call):
        return False
    if args.get("ParentCallSid") and args["ParentCallSid"] != call.parent_call_sid:
        return False
    return time_filter(args, "StartTime", call.start_time) and time_filter(
        args, "EndTime", call.end_time
    )


def check_call_filters(args: Mapping[str, str]) -> None:
    if args.get("Status") and args["Status"] not in STATUSES:
        raise ApiError(400, 20001, f"Invalid Status: {args['Status']}")


def page(
    items: list[Any],
    args: Mapping[str, str],
    path: str,
    key: str = "calls",
    render: Callable[[Any], dict[str, Any]] = call_json,
) -> dict[str, Any]:
    """Twilio's paging envelope over `items` (already filtered, newest first), each shown by
    `render` in the list named `key` (`calls`, `messages`, `incoming_phone_numbers`)."""
    try:
        size = min(MAX_PAGE_SIZE, max(1, int(args.get("PageSize") or DEFAULT_PAGE_SIZE)))
        number = max(0, int(args.get("Page") or 0))
    except ValueError:
        raise ApiError(400, 20001, "Page and PageSize must be whole numbers") from None
    start = number * size
    chunk = items[start : start + size]
    kept = {k: v for k, v in args.items() if k not in {"Page", "PageSize", "PageToken"}}

    def uri(page_number: int, token: str | None = None) -> str:
        query = {**kept, "PageSize": str(size), "Page": str(page_number)}
        if token:
            query["PageToken"] = token
        return f"{path}?{urllib.parse.urlencode(query)}"

    more = start + size < len(items)
    return {
        key: [render(item) for item in chunk],
        "end": start + max(0, len(chunk) - 1),
        "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1, f"PA{chunk[-1].sid}") if more and chunk else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": uri(number - 1, f"PB{chunk[0].sid}") if number and chunk else None,
        "start": start,
        "uri": uri(number, args.get("PageToken")),
    }
