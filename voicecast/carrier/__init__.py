"""The carrier (Twilio, or anything speaking its REST API), reached over HTTP with twilio-python.

`carrier_client()` gives the application's `Carrier`, built once per app from its config:
TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_URL (Twilio itself, or the carrier simulator)
and TWILIO_HTTP_TIMEOUT.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

from voicecast.carrier.client import STATUS_CALLBACK_EVENTS, CallRef, Carrier, require_e164
from voicecast.carrier.errors import (
    CarrierError,
    PermanentCarrierError,
    RetryableCarrierError,
)
from voicecast.carrier.http import DEFAULT_TIMEOUT_SECONDS, RebasedHttpClient

__all__ = [
    "STATUS_CALLBACK_EVENTS",
    "CallRef",
    "Carrier",
    "CarrierError",
    "PermanentCarrierError",
    "RebasedHttpClient",
    "RetryableCarrierError",
    "carrier_client",
    "carrier_from_config",
    "close_carrier_client",
    "require_e164",
]

EXTENSION_KEY = "voicecast.carrier"
_lock = threading.Lock()


def carrier_from_config(config: dict) -> Carrier:
    """A new `Carrier` from Flask config values (the caller closes it)."""
    return Carrier(
        config.get("TWILIO_ACCOUNT_SID", ""),
        config.get("TWILIO_AUTH_TOKEN", ""),
        config.get("TWILIO_API_URL") or "https://api.twilio.com",
        timeout=float(config.get("TWILIO_HTTP_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS),
    )


def carrier_client(app: Flask | None = None) -> Carrier:
    """The `Carrier` of `app` (default: the current app), created on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    carrier = app.extensions.get(EXTENSION_KEY)
    if carrier is None:
        with _lock:
            carrier = app.extensions.get(EXTENSION_KEY)
            if carrier is None:
                carrier = carrier_from_config(app.config)
                app.extensions[EXTENSION_KEY] = carrier
    return carrier


def close_carrier_client(app: Flask) -> None:
    """Close and forget `app`'s `Carrier` (tests, or a worker shutting down)."""
    carrier = app.extensions.pop(EXTENSION_KEY, None)
    if carrier is not None:
        carrier.close()
