"""Secrets in URLs kept out of every log line.

Some links are their own authorisation: a seller's recording link (`/r/<token>`), a voicemail
link (`/voicemails/<token>`), a signed recording file (`/recordings/<id>-<signature>.wav`), and
any `token=`/`sig=`/`signature=` query value. Whoever reads a log must not be able to follow
them. `redact` is the one function that hides them; `install` has every log record of the
process pass through it (gunicorn's access log, werkzeug's request log, ours and the
libraries'), whatever handler or format writes it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
# The paths whose segment after the prefix is a secret, at the start of a path (after a space,
# a quote, `=` or a scheme and host), so that `/api/v1/recordings/5` keeps its id. A recording
# file keeps its extension.
SECRET_PATH = re.compile(
    r"""(?P<lead>^|[\s"'(=,]|://[^/\s"']+)"""
    r"""(?P<prefix>/(?:r|voicemails|recordings)/)"""
    r"""(?P<secret>[^/?#\s"']+?)(?P<ext>\.(?:wav|mp3))?(?=[/?#\s"',)]|$)"""
)
SECRET_QUERY_NAMES = ("token", "access_token", "sig", "signature", "api_key", "password")
SECRET_QUERY = re.compile(
    r"(?P<name>[?&;](?:" + "|".join(SECRET_QUERY_NAMES) + r")=)[^&;#\s\"']+", re.IGNORECASE
)
# `scheme://user:password@host`: a password in a connection URL.
URL_PASSWORD = re.compile(r"(?P<user>://[^/\s:@\"']*:)[^/\s@\"']+(?=@)")
# A line holding none of these has nothing to hide (most lines: no regex runs on them).
HINTS = ("/r/", "/voicemails/", "/recordings/", "=", "@")


def redact(text: str) -> str:
    """`text` with every secret of a URL in it replaced by `[redacted]`."""
    if not any(hint in text for hint in HINTS):
        return text
    text = SECRET_PATH.sub(lambda m: f"{m['lead']}{m['prefix']}{REDACTED}{m['ext'] or ''}", text)
    text = SECRET_QUERY.sub(lambda m: m["name"] + REDACTED, text)
    return URL_PASSWORD.sub(lambda m: m["user"] + REDACTED, text)


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
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return record

    redacting_factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
