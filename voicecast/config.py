"""Settings read from environment variables, with typed parsing and safe defaults.

Nothing here runs at import time: `load_settings` is called by `create_app`, so a test or a
worker can set the environment first and then build an application from it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_TWILIO_HTTP_TIMEOUT = 10.0
DEFAULT_MAX_UPLOAD_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_JSON_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """An environment variable holds a value we cannot use; the message says which and why."""


def parse_int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def parse_float(
    env: Mapping[str, str], name: str, default: float, minimum: float | None = None
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and not value >= minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def parse_rates(env: Mapping[str, str], name: str) -> dict[str, float]:
    """ "USD=0.86,GBP=1.17": how much of PRICE_CURRENCY one unit of each currency is worth."""
    rates = {}
    for item in filter(None, (part.strip() for part in env.get(name, "").split(","))):
        code, _, raw = item.partition("=")
        try:
            rate = float(raw)
        except ValueError:
            rate = 0.0
        if len(code.strip()) != 3 or not rate > 0:
            raise ConfigError(f"{name} takes CODE=rate pairs like USD=0.86, got {item!r}")
        rates[code.strip().upper()] = rate
    return rates


def parse_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def parse_positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = parse_float(env, name, default)
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0, got {value}")
    return value


def parse_key(env: Mapping[str, str], name: str, default: str) -> str:
    """One telephone key, 0 to 9 (`#` ends a <Gather>, and `*` is hard to say)."""
    raw = env.get(name, "").strip() or default
    if len(raw) != 1 or raw not in "0123456789":
        raise ConfigError(f"{name} must be one key from 0 to 9, got {raw!r}")
    return raw


# What stays of a session between two transactions on one connection: all of it when we talk to
# PostgreSQL directly or through a pooler in session mode; nothing through one in transaction
# mode (PgBouncer's pool_mode = transaction), where each transaction may run on another server
# connection. Statement mode cannot run a transaction of several statements at all.
POOL_MODES = ("session", "transaction")


def parse_pool_mode(env: Mapping[str, str]) -> str:
    raw = env.get("DATABASE_POOL_MODE", "").strip().lower() or "session"
    if raw == "statement":
        raise ConfigError(
            "DATABASE_POOL_MODE=statement: a pooler in statement mode cannot run Voicecast's "
            "transactions (several statements each); set the pooler to transaction mode and "
            "DATABASE_POOL_MODE=transaction"
        )
    if raw not in POOL_MODES:
        raise ConfigError(f"DATABASE_POOL_MODE must be session or transaction, got {raw!r}")
    return raw


def normalize_database_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain PostgreSQL URLs (as Heroku-style hosts give them)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def embedded_redis_socket(instance_path: str | os.PathLike[str]) -> Path:
    """Where `voicecast dev` puts its own Redis server's socket."""
    return Path(instance_path) / "redis" / "redis.sock"


def default_redis_url(instance_path: str | os.PathLike[str]) -> str:
    return f"unix://{embedded_redis_socket(instance_path)}"


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    """SECRET_KEY, else a random key kept in the instance folder so sessions survive restarts."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


# What every node of a deployment must be given, and never make up on its own disk, once the
# recordings are kept in a bucket (the one storage several nodes can share).
SHARED_SETTINGS = {
    "SECRET_KEY": "the key that signs sessions, recording and voicemail links: the same on every "
    "node, or a link signed by one node is refused by another",
    "DATABASE_URL": "the database every node shares (else each node keeps its own SQLite file)",
    "REDIS_URL": "the Redis every node shares (else each node looks for its own embedded one)",
}


def check_shared_settings(env: Mapping[str, str]) -> None:
    """With recordings in a bucket (several nodes possible), refuse to start without the
    settings a node would otherwise make up in its own instance folder."""
    if not (env.get("RECORDINGS_STORAGE_URL") or "").startswith("s3://"):
        return
    missing = [name for name in SHARED_SETTINGS if not env.get(name)]
    if missing:
        reasons = "; ".join(f"{name}: {SHARED_SETTINGS[name]}" for name in missing)
        raise ConfigError(
            f"RECORDINGS_STORAGE_URL names a bucket, so this node may be one of several: set "
            f"{', '.join(missing)} ({reasons})"
        )


def load_settings(env: Mapping[str, str], instance_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Flask config keys built from the environment `env`."""
    check_shared_settings(env)
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'voicecast.sqlite3'}"
    public_base_url = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    if not public_base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"PUBLIC_BASE_URL must start with http:// or https://, got {public_base_url!r}"
        )
    return {
        "SECRET_KEY": _secret_key(env, instance),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        # `transaction` behind PgBouncer in transaction mode: no session state (voicecast/
        # database.py)
        "DATABASE_POOL_MODE": parse_pool_mode(env),
        "REDIS_URL": env.get("REDIS_URL") or default_redis_url(instance),
        "PUBLIC_BASE_URL": public_base_url,
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_API_URL": env.get("TWILIO_API_URL", DEFAULT_TWILIO_API_URL).rstrip("/"),
        "TWILIO_HTTP_TIMEOUT": parse_positive_float(
            env, "TWILIO_HTTP_TIMEOUT", DEFAULT_TWILIO_HTTP_TIMEOUT
        ),
        # When the reconciler settles an attempt with the carrier (see voicecast/delivery/
        # reconcile.py): a dial job lost, a request with no known outcome, a silent call.
        "RECONCILE_LOST_JOB_SECONDS": parse_int(env, "RECONCILE_LOST_JOB_SECONDS", 300, 1),
        "RECONCILE_UNSURE_SECONDS": parse_int(env, "RECONCILE_UNSURE_SECONDS", 60, 1),
        "RECONCILE_SILENT_SECONDS": parse_int(env, "RECONCILE_SILENT_SECONDS", 600, 1),
        "RECONCILE_VERDICT_SECONDS": parse_int(env, "RECONCILE_VERDICT_SECONDS", 30, 1),
        "NEVER_PLACED_RETRIES": parse_int(env, "NEVER_PLACED_RETRIES", 3, 0),
        # The key a person presses to join the do-not-call list: during a drop's message
        # (voicecast/delivery/optout.py) and in a callback's greeting.
        "OPT_OUT_KEY": parse_key(env, "OPT_OUT_KEY", "9"),
        "TWILIO_CALLS_PER_SECOND": parse_positive_float(env, "TWILIO_CALLS_PER_SECOND", 1.0),
        # What a campaign preview counts per call placed (an estimate: the carrier's price).
        "PRICE_PER_CALL": parse_float(env, "PRICE_PER_CALL", 0.05, minimum=0),
        "PRICE_CURRENCY": env.get("PRICE_CURRENCY", "EUR").upper(),
        # The carrier's prices (Twilio bills in USD) in PRICE_CURRENCY: none by default, so
        # they are shown apart in their own currency, never added to another one.
        "PRICE_EXCHANGE_RATES": parse_rates(env, "PRICE_EXCHANGE_RATES"),
        # How sellers hear of a callback they missed (voicecast/callbacks/notify.py).
        "CALLBACK_NOTIFIER": env.get("CALLBACK_NOTIFIER", "sms").lower(),
        # How long the link to a callback's voicemail in that notification works.
        "VOICEMAIL_LINK_DAYS": parse_int(env, "VOICEMAIL_LINK_DAYS", 30, 1),
        # How long the call-back link of a seller's missed-callback text works, in hours
        # after the callback (voicecast/follow_through/links.py).
        "CALL_BACK_LINK_HOURS": parse_int(env, "CALL_BACK_LINK_HOURS", 72, 1),
        "RECORDINGS_DIR": env.get("RECORDINGS_DIR") or str(instance / "recordings"),
        # Where recordings and voicemails are kept: RECORDINGS_DIR's folder unless this names
        # another folder or a bucket (s3://bucket/prefix); media/store.py.
        "RECORDINGS_STORAGE_URL": env.get("RECORDINGS_STORAGE_URL") or None,
        # The S3 API's address (MinIO, Scaleway, OVH...) and region; AWS's own when unset.
        # Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY...).
        "AWS_ENDPOINT_URL": env.get("AWS_ENDPOINT_URL") or None,
        "AWS_REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        "MAX_CONTENT_LENGTH": parse_int(env, "MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, 1024),
        "API_MAX_JSON_BYTES": parse_int(env, "API_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES, 1024),
        "IMPORT_INLINE_BYTES": parse_int(env, "IMPORT_INLINE_BYTES", 256 * 1024, 0),
        # Processes that read the rows of a file of 20,000 lines or more (1: the worker's own).
        "IMPORT_PROCESSES": parse_int(env, "IMPORT_PROCESSES", 2, 1),
        "SESSION_COOKIE_SECURE": public_base_url.startswith("https://"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        **recording_settings(env),
        **operations_settings(env),
        **webhook_settings(env),
        **login_settings(env),
    }


def login_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """How failed web logins are throttled (voicecast/web/throttle.py)."""
    return {
        "LOGIN_MAX_FAILURES_PER_EMAIL": parse_int(env, "LOGIN_MAX_FAILURES_PER_EMAIL", 10, 1),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": parse_int(env, "LOGIN_MAX_FAILURES_PER_ADDRESS", 50, 1),
        "LOGIN_THROTTLE_WINDOW_SECONDS": parse_int(env, "LOGIN_THROTTLE_WINDOW_SECONDS", 900, 1),
        # Reverse proxies in front of the app whose X-Forwarded-For names the client (0: none).
        "LOGIN_TRUSTED_PROXIES": parse_int(env, "LOGIN_TRUSTED_PROXIES", 0, 0),
    }


def recording_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """How seller recordings are checked and processed, and how long recording links live."""
    return {
        "RECORDING_TARGET_LUFS": parse_float(env, "RECORDING_TARGET_LUFS", -19.0),
        "RECORDING_TRUE_PEAK_DBTP": parse_float(env, "RECORDING_TRUE_PEAK_DBTP", -1.5),
        "RECORDING_MIN_SPEECH_SECONDS": parse_float(env, "RECORDING_MIN_SPEECH_SECONDS", 5.0),
        "RECORDING_MAX_SECONDS": parse_float(env, "RECORDING_MAX_SECONDS", 60.0),
        "RECORDING_MAX_BYTES": parse_int(env, "RECORDING_MAX_BYTES", 20 * 1024 * 1024, 1024),
        "RECORDING_LINK_TTL_HOURS": parse_int(env, "RECORDING_LINK_TTL_HOURS", 168, 1),
    }


DEFAULT_WEBHOOK_RETRY_SCHEDULE = (10, 60, 300, 1800, 7200, 21600)


def parse_schedule(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """Comma-separated whole seconds, e.g. "10,60,300"."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        message = f"{name} must be whole seconds separated by commas, got {raw!r}"
        raise ConfigError(message) from None
    if any(value < 0 for value in values):
        raise ConfigError(f"{name} may not hold negative delays, got {raw!r}")
    return values


def webhook_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Outbound webhooks (voicecast/outbound/): how long an endpoint has to answer, and the
    delays between a failed attempt and the next (after the last one the event is failed)."""
    return {
        "WEBHOOK_TIMEOUT": parse_positive_float(env, "WEBHOOK_TIMEOUT", 10.0),
        # Whether webhooks may go to private, loopback or link-local addresses (not by default).
        "WEBHOOK_PRIVATE_URLS": parse_bool(env, "WEBHOOK_PRIVATE_URLS", False),
        "WEBHOOK_RETRY_SCHEDULE": parse_schedule(
            env, "WEBHOOK_RETRY_SCHEDULE", DEFAULT_WEBHOOK_RETRY_SCHEDULE
        ),
        # Days the outbox keeps an event once delivered or failed (voicecast/outbound/retention).
        "WEBHOOK_KEEP_DAYS": parse_int(env, "WEBHOOK_KEEP_DAYS", 30, 1),
    }


LOG_FORMATS = ("text", "json")


def operations_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Logs, Prometheus metrics (voicecast/observability/)."""
    log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {log_format!r}")
    return {
        "LOG_FORMAT": log_format,
        # Empty: /metrics answers requests from this host only.
        "METRICS_TOKEN": env.get("METRICS_TOKEN", "").strip(),
        # How often each process sends what it counted to Redis (0: at once, every event).
        "METRICS_FLUSH_SECONDS": parse_float(env, "METRICS_FLUSH_SECONDS", 1.0, minimum=0),
    }
