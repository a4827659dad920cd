"""What went wrong at the carrier, classified for the caller: retry or not, and dial again or not.

Every failure of a `Carrier` method is a `CarrierError`:

- `PermanentCarrierError`: retrying the same request cannot help (bad number, unverified caller
  ID, blocked destination, any other 4xx, a number we refused before sending).
- `RetryableCarrierError`: the carrier was busy or unreachable (HTTP 429 / error 20429, HTTP
  5xx, connection errors, timeouts). When `ambiguous` is true the request may have reached the
  carrier and taken effect (a call may exist): look it up (`Carrier.find_calls`) before placing
  it again.

`reason` is a short slug fit for a delivery's explanation; `affects_account` says the fault is
in our account or settings (credentials, caller ID), not in this one call, so a campaign
should pause rather than fail each delivery in turn.
"""

from __future__ import annotations

from collections.abc import Iterator

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

#: Twilio error codes that mean "this call cannot be placed as asked", with our reason slug.
PERMANENT_CODES: dict[int, str] = {
    21210: "unverified_caller_id",  # From is not a verified caller ID or owned number
    21211: "invalid_number",  # invalid To
    21212: "invalid_caller_id",  # invalid From
    21214: "unreachable_number",  # To cannot be reached
    21215: "geo_permission",  # account not allowed to call this destination
    21216: "blocked_number",  # To is blocked
    21217: "invalid_number",  # To is not a valid phone number
    21219: "trial_unverified_number",  # trial account calling an unverified number
}
RATE_LIMIT_CODES = frozenset({20429})
#: Reasons that say the number itself cannot be called: the delivery is `undeliverable`
#: with the reason, never dialed again (others are our settings' fault: `failed`).
NUMBER_REASONS = frozenset({"invalid_number", "unreachable_number", "blocked_number"})
#: Reasons that point at our account or settings rather than at the call.
ACCOUNT_REASONS = frozenset(
    {"auth", "not_configured", "configuration", "unverified_caller_id", "geo_permission"}
)
AUTH_CODES = frozenset({20003, 20005})


class CarrierError(Exception):
    """A carrier request failed; see the module docstring for the fields."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        code: int | None = None,
        status: int | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.code = code
        self.status = status
        self.ambiguous = ambiguous

    @property
    def affects_account(self) -> bool:
        return self.reason in ACCOUNT_REASONS

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, reason={self.reason!r}, code={self.code!r},"
            f" status={self.status!r}, ambiguous={self.ambiguous!r})"
        )


class PermanentCarrierError(CarrierError):
    """Do not retry: the data, the account or the request itself must change first."""

    retryable = False


class RetryableCarrierError(CarrierError):
    """Retry later with backoff; if `ambiguous`, look the call up before dialing again."""

    retryable = True


def _twilio_code(error: TwilioRestException | TwilioServiceException) -> int | None:
    """Twilio's error code; twilio-python puts the HTTP status there when the body had none."""
    code = error.code
    if not isinstance(code, int) or code == error.status or code < 10000:
        return None
    return code


def from_twilio_exception(error: TwilioException, *, mutation: bool) -> CarrierError:
    """Classify an exception raised by twilio-python.

    `mutation` is true for requests that change state at the carrier (create, update): only
    those can be ambiguous.
    """
    if not isinstance(error, TwilioRestException | TwilioServiceException):
        # A 2xx answer we could not read: the request was processed, its result is unknown.
        return RetryableCarrierError(
            f"unreadable carrier response: {error}", reason="bad_response", ambiguous=mutation
        )
    status = error.status if isinstance(error.status, int) else None
    code = _twilio_code(error)
    detail = next(
        (text for name in ("msg", "detail", "title") if (text := getattr(error, name, None))), ""
    )
    message = f"carrier answered HTTP {status}" + (f" (error {code})" if code else "")
    message += f": {detail}" if detail else ""
    if code in RATE_LIMIT_CODES or status == 429:
        # Too many concurrent requests: never processed, safe to send again.
        return RetryableCarrierError(message, reason="rate_limited", code=code, status=status)
    if code in PERMANENT_CODES:
        return PermanentCarrierError(
            message, reason=PERMANENT_CODES[code], code=code, status=status
        )
    if status is not None and status >= 500:
        return RetryableCarrierError(
            message, reason="server_error", code=code, status=status, ambiguous=mutation
        )
    if status in (401, 403) or code in AUTH_CODES:
        return PermanentCarrierError(message, reason="auth", code=code, status=status)
    if status == 404:
        return PermanentCarrierError(message, reason="not_found", code=code, status=status)
    if status is not None and 400 <= status < 500:
        return PermanentCarrierError(message, reason="rejected", code=code, status=status)
    return RetryableCarrierError(
        message, reason="unexpected_status", code=code, status=status, ambiguous=mutation
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (args, `reason`, `__cause__`, `__context__`)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        linked = [*current.args, getattr(current, "reason", None)]
        linked += [current.__cause__, current.__context__]
        pending.extend(item for item in linked if isinstance(item, BaseException))


def failed_before_sending(error: requests.RequestException) -> bool:
    """True when the request certainly never left: no connection could be opened."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    return any(
        isinstance(cause, NewConnectionError | ConnectTimeoutError) for cause in _causes(error)
    )


def from_transport_error(error: requests.RequestException, *, mutation: bool) -> CarrierError:
    """Classify an error of the HTTP transport (requests / urllib3)."""
    if isinstance(
        error,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema
        | requests.exceptions.InvalidHeader,
    ):
        return PermanentCarrierError(
            f"carrier request could not be built: {error}", reason="configuration"
        )
    unsent = failed_before_sending(error)
    if isinstance(error, requests.Timeout):
        reason, what = "timeout", "timed out"
    else:
        reason, what = "connection", "connection failed"
    when = "before sending" if unsent else "after sending"
    return RetryableCarrierError(
        f"carrier request {what} {when}: {error}",
        reason=reason,
        ambiguous=mutation and not unsent,
    )
