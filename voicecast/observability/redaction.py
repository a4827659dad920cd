"""Secrets in URLs kept out of every log line.

Some links are their own authorisation: a seller's recording link (`/r/<token>`), a voicemail
link (`/voicemails/<token>`), a call-back link (`/cb/<token>`), a signed recording file
(`/recordings/<id>-<signature>.wav`), and
any `token=`/`sig=`/`signature=` query value. Whoever reads a log must not be able to follow
them. `redact` is the one function that hides them; `install` has every log record of the
process pass through it (gunicorn's access log, werkzeug's request log, ours and the
libraries'), their tracebacks included, whatever handler or format writes them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
# The paths whose segment after the prefix is a secret, at the start of a path (after a space,
# a quote, `=`, or a scheme and host), so that `/api/v1/recordings/5` keeps its id. A recording
# file keeps its extension.
SECRET_PATH = re.compile(
    r"""(?:^|(?<=[\s"'(=,])|(?<=://)(?P<host>[^/\s"']+))"""
    r"""(?P<prefix>/(?:r|cb|voicemails|recordings)/)"""
    r"""(?P<secret>[^/?#\s"']+?)(?P<ext>\.(?:wav|mp3))?(?=[/?#\s"',)]|$)"""
)
SECRET_QUERY_NAMES = ("token", "access_token", "sig", "signature", "api_key", "password",
                      "sentinel_password")  # fmt: skip
SECRET_QUERY = re.compile(
    r"(?P<name>[?&;](?:" + "|".join(SECRET_QUERY_NAMES) + r")=)[^&;#\s\"']+", re.IGNORECASE
)
TRACEBACKS = logging.Formatter()
# `scheme://user:password@host`: a password in a connection URL.
URL_PASSWORD = re.compile(r"(?P<user>://[^/\s:@\"']*:)[^/\s@\"']+(?=@)")


def redact(text: str) -> str:
    """`text` with every secret of a URL in it replaced by `[redacted]`."""
    if not may_hold_secrets(text):
        return text
    text = SECRET_PATH.sub(
        lambda m: f"{m['host'] or ''}{m['prefix']}{REDACTED}{m['ext'] or ''}", text
    )
    text = SECRET_QUERY.sub(lambda m: m["name"] + REDACTED, text)
    return URL_PASSWORD.sub(lambda m: m["user"] + REDACTED, text)


def may_hold_secrets(text: str) -> bool:
    """False for most lines, which then cost no regex: plain `in` tests take 1 us for a
    webhook's access-log line on a loaded 2-core machine, one regex search or a loop 4 us."""
    return (
        "=" in text
        or "@" in text
        or "/r/" in text
        or "/voicemails/" in text
        or "/cb/" in text
        or "/recordings/" in text
    )


def install() -> None:
    """Have every log record made in this process carry its message already redacted (once
    per process; the record factory in place before is kept and called first)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format is the handler's to report, as without us
            return record
        # Formatted once here, so the handlers do not format it again.
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:  # formatters write exc_text when it is set
            record.exc_text = redact(TRACEBACKS.formatException(record.exc_info))
        return record

    redacting_factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
