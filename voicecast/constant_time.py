"""Comparing a secret someone sent with the one expected, in constant time."""

from __future__ import annotations

import hmac


def same_secret(expected: str, sent: str) -> bool:
    """Whether `sent` is `expected`, in time that does not depend on where they differ.

    `hmac.compare_digest` raises TypeError on a str that is not ASCII (a forged header or a
    URL such as `/recordings/1-%C3%A9.wav`): both are compared as UTF-8 bytes instead, so any
    input is simply not the secret."""
    return hmac.compare_digest(_bytes(expected), _bytes(sent))


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
