"""`Carrier`: the few Call resource operations Voicecast needs, over twilio-python.

Every method speaks HTTP to TWILIO_API_URL through the real `twilio.rest.Client` and turns any
failure into a `CarrierError` (see `errors.py`). Nothing here retries: callers decide, using
`retryable` and `ambiguous`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.rest.api.v2010.account.call import CallInstance

from voicecast.carrier.errors import (
    CarrierError,
    PermanentCarrierError,
    from_transport_error,
    from_twilio_exception,
)
from voicecast.carrier.http import DEFAULT_TIMEOUT_SECONDS, RebasedHttpClient

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
# An alphanumeric sender ID: up to 11 letters, digits and spaces, a letter at least.
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
STATUS_CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")
MACHINE_DETECTION_MODES = frozenset({"Enable", "DetectMessageEnd"})
MAX_INLINE_TWIML = 4000  # Twilio's limit on a `Twiml` parameter, in characters
T = TypeVar("T")


@dataclass(frozen=True)
class CallRef:
    """A call as the carrier last described it; `sid` and `status` are always set."""

    sid: str
    status: str
    to: str | None = None
    from_: str | None = None
    answered_by: str | None = None
    date_created: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    price: str | None = None
    price_unit: str | None = None

    @classmethod
    def from_instance(cls, call: CallInstance) -> CallRef:
        """Read the fields we use from twilio-python's `CallInstance`."""
        duration = call.duration
        return cls(
            sid=str(call.sid),
            status=str(call.status),
            to=call.to,
            from_=call._from,
            answered_by=call.answered_by,
            date_created=_aware(call.date_created),
            start_time=_aware(call.start_time),
            end_time=_aware(call.end_time),
            duration=int(duration) if str(duration or "").isdigit() else None,
            price=call.price,
            price_unit=call.price_unit,
        )


@dataclass(frozen=True)
class NumberRef:
    """One of the account's numbers, as the carrier describes it."""

    sid: str
    phone_number: str
    friendly_name: str | None
    voice_url: str | None
    status_callback: str | None
    sms_capable: bool | None = None
    voice_fallback_url: str | None = None

    @classmethod
    def from_instance(cls, number: Any) -> NumberRef:
        capabilities = number.capabilities if isinstance(number.capabilities, dict) else {}
        sms = capabilities.get("sms", capabilities.get("SMS"))
        return cls(
            number.sid,
            number.phone_number,
            number.friendly_name,
            number.voice_url,
            number.status_callback,
            sms if isinstance(sms, bool) else None,
            number.voice_fallback_url,
        )


def _aware(value: Any) -> datetime | None:
    """twilio-python's datetimes (or the raw string when it could not parse one), as UTC."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def require_e164(number: str, field: str) -> str:
    """`number` if it is an E.164 phone number, else a `PermanentCarrierError` (never sent)."""
    if not isinstance(number, str) or not E164.match(number):
        code = 21211 if field == "To" else 21212
        raise PermanentCarrierError(
            f"{field} {number!r} is not an E.164 phone number (+ and up to 15 digits)",
            reason="invalid_number" if field == "To" else "invalid_caller_id",
            code=code,
        )
    return number


def _require_web_url(url: str, field: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{field} must be an absolute http(s) URL, got {url!r}")
    return url


def _require_sid(sid: str) -> None:
    if not isinstance(sid, str) or not CALL_SID.match(sid):
        raise ValueError(f"not a call SID: {sid!r}")


def _wire_value(value: Any) -> Any:
    """Booleans as Twilio spells them ("true"/"false"; twilio-python would send "True")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class Carrier:
    """A thin, typed layer over `twilio.rest.Client` pointed at `api_url`."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_url: str = "https://api.twilio.com",
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        http_client: RebasedHttpClient | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.api_url = api_url.rstrip("/")
        self.http_client = http_client or RebasedHttpClient(self.api_url, timeout=timeout)
        # An explicit environment: never read TWILIO_* (credentials, region, edge) from os.environ.
        environment = {"TWILIO_ACCOUNT_SID": account_sid, "TWILIO_AUTH_TOKEN": auth_token}
        self.client = Client(
            account_sid or None,
            auth_token or None,
            http_client=self.http_client,
            environment=environment,
        )
        self.client.region = None
        self.client.edge = None
        self._configured = bool(account_sid and auth_token)

    def close(self) -> None:
        """Release pooled connections."""
        self.http_client.close()

    def _call(self, operation: Callable[[], T], *, mutation: bool) -> T:
        """Run one twilio-python operation, translating its failures into `CarrierError`."""
        if not self._configured:
            raise PermanentCarrierError(
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set to reach the carrier",
                reason="not_configured",
            )
        try:
            return operation()
        except CarrierError:
            raise
        except requests.RequestException as error:
            raise from_transport_error(error, mutation=mutation) from error
        except TwilioException as error:
            raise from_twilio_exception(error, mutation=mutation) from error
        except json.JSONDecodeError as error:  # a 2xx answer that is not JSON
            raise from_twilio_exception(TwilioException(str(error)), mutation=mutation) from error

    @staticmethod
    def _ref(call: CallInstance, *, mutation: bool) -> CallRef:
        """The `CallRef` of a call the carrier described; one without sid or status is unusable."""
        if not call.sid or not call.status:
            raise from_twilio_exception(
                TwilioException("call without sid or status"), mutation=mutation
            )
        return CallRef.from_instance(call)

    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        machine_detection: str = "DetectMessageEnd",
        timeout: int = 30,
        **extra: Any,
    ) -> CallRef:
        """Ask the carrier to dial `to` from `from_`; `url` answers with TwiML at pick-up.

        Status callbacks are requested for all four progress events, by POST. `extra` goes to
        `calls.create` as is (booleans sent as "true"/"false", e.g. `async_amd=True`).
        Raises `PermanentCarrierError` for a non-E.164 number without sending anything.
        """
        require_e164(to, "To")
        require_e164(from_, "From")
        _require_web_url(url, "url")
        _require_web_url(status_callback, "status_callback")
        if machine_detection not in MACHINE_DETECTION_MODES:
            raise ValueError(f"machine_detection must be one of {sorted(MACHINE_DETECTION_MODES)}")
        if not 1 <= timeout <= 600:
            raise ValueError(f"timeout is the ring time in seconds (1-600), got {timeout}")
        options = {name: _wire_value(value) for name, value in extra.items()}
        call = self._call(
            lambda: self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                status_callback=status_callback,
                status_callback_event=list(STATUS_CALLBACK_EVENTS),
                status_callback_method="POST",
                machine_detection=machine_detection,
                timeout=timeout,
                **options,
            ),
            mutation=True,
        )
        return self._ref(call, mutation=True)

    def fetch_call(self, sid: str) -> CallRef:
        """The call as the carrier knows it now (404 is a `PermanentCarrierError`, not_found)."""
        _require_sid(sid)
        call = self._call(lambda: self.client.calls(sid).fetch(), mutation=False)
        return self._ref(call, mutation=False)

    def find_calls(
        self, to: str, started_after: datetime, *, from_: str | None = None, limit: int = 50
    ) -> list[CallRef]:
        """Calls to `to` created at or after `started_after`, oldest first: for reconciling an
        ambiguous attempt before dialing again.

        Sends `To` and `StartTime>` filters, plus a second `Status=queued` query: a call still
        waiting in the carrier's queue has no start time, so a start-time filter cannot see it.
        Results are filtered here too (on start time, else creation time, to the second), so
        the answer does not depend on how finely the carrier applies its filter. Pass a
        `started_after` taken before the attempt was sent, with a margin for clock skew.
        """
        require_e164(to, "To")
        if from_ is not None:
            require_e164(from_, "From")
        after = _utc(started_after).replace(microsecond=0)
        filters: dict[str, Any] = {"to": to, "limit": limit}
        if from_ is not None:
            filters["from_"] = from_
        started = self._call(
            lambda: self.client.calls.list(start_time_after=after, **filters), mutation=False
        )
        queued = self._call(
            lambda: self.client.calls.list(status="queued", **filters), mutation=False
        )
        found: dict[str, CallRef] = {}
        for call in [*started, *queued]:
            ref = self._ref(call, mutation=False)
            moment = ref.start_time or ref.date_created
            if moment is None or moment >= after:
                found.setdefault(ref.sid, ref)
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(found.values(), key=lambda ref: ref.date_created or ref.start_time or epoch)

    def cancel_call(self, sid: str) -> CallRef:
        """Cancel a call that is still queued or ringing (Status=canceled)."""
        return self._update_status(sid, "canceled")

    def hang_up(self, sid: str) -> CallRef:
        """End a call in progress (Status=completed)."""
        return self._update_status(sid, "completed")

    def redirect_call(self, sid: str, twiml: str) -> CallRef:
        """Give a live call new TwiML (`Twiml`, inline): what it is doing stops at once and
        the document runs instead. A call that has ended already is a `PermanentCarrierError`
        (Twilio's 21220, "not in-progress")."""
        _require_sid(sid)
        if not twiml or len(twiml) > MAX_INLINE_TWIML:
            raise ValueError(f"inline TwiML is 1 to {MAX_INLINE_TWIML} characters")
        call = self._call(lambda: self.client.calls(sid).update(twiml=twiml), mutation=True)
        return self._ref(call, mutation=True)

    def send_sms(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> str:
        """Send a text message from `from_` (a number in E.164 or an alphanumeric sender ID)
        or through a Messaging Service (`messaging_service_sid`, MG...); returns its sid."""
        require_e164(to, "To")
        if (from_ is None) == (messaging_service_sid is None):
            raise ValueError("give one of from_ and messaging_service_sid")
        if from_ is not None and not ALPHANUMERIC_SENDER.match(from_):
            require_e164(from_, "From")
        if messaging_service_sid is not None and not MESSAGING_SERVICE_SID.match(
            messaging_service_sid
        ):
            raise ValueError(f"not a Messaging Service SID: {messaging_service_sid!r}")
        sender = {"from_": from_} if from_ else {"messaging_service_sid": messaging_service_sid}
        message = self._call(
            lambda: self.client.messages.create(to=to, body=body, **sender), mutation=True
        )
        return message.sid

    def list_numbers(self) -> list[NumberRef]:
        """The account's phone numbers (IncomingPhoneNumbers)."""
        numbers = self._call(lambda: self.client.incoming_phone_numbers.list(), mutation=False)
        return [NumberRef.from_instance(number) for number in numbers]

    def point_number(
        self, sid: str, *, voice_url: str, voice_fallback_url: str, status_callback: str
    ) -> NumberRef:
        """Send the number's incoming calls to `voice_url`, to `voice_fallback_url` when the
        carrier cannot get or run the first one's answer, and their end to `status_callback`
        (all POST)."""
        _require_web_url(voice_url, "voice_url")
        _require_web_url(voice_fallback_url, "voice_fallback_url")
        _require_web_url(status_callback, "status_callback")
        number = self._call(
            lambda: self.client.incoming_phone_numbers(sid).update(
                voice_url=voice_url,
                voice_method="POST",
                voice_fallback_url=voice_fallback_url,
                voice_fallback_method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
            ),
            mutation=True,
        )
        return NumberRef.from_instance(number)

    def recording_audio(self, recording_url: str) -> bytes:
        """The WAV of a recording the carrier made (`RecordingUrl`), fetched with the
        account's credentials; only from the carrier's own API host."""
        url = self.http_client.carrier_url(recording_url) + ".wav"
        return self._call(lambda: self.http_client.get_bytes(url, self._auth), mutation=False)

    @property
    def _auth(self) -> tuple[str, str]:
        return self.client.username, self.client.password

    def _update_status(self, sid: str, status: str) -> CallRef:
        _require_sid(sid)
        call = self._call(lambda: self.client.calls(sid).update(status=status), mutation=True)
        return self._ref(call, mutation=True)
