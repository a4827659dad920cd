"""Redis for queues, rate limits and locks: one client per application, built from REDIS_URL by
`redis_from_url`, the one place a Redis connection of the service is made (the web app, the
workers and their scheduler, the metrics buffer, RQ's dashboard).

REDIS_URL takes redis-py's forms (`redis://`, `rediss://`, `unix://`) or, for a Redis kept
highly available by Sentinel:

    redis+sentinel://[[username]:password@]host1:port1[,host2:port2,...]/master_name[/db]

The hosts are the sentinels (port 26379 when left out), `master_name` the name they monitor
(`sentinel monitor <master_name> ...`), `db` the database (0 when left out), the password the
Redis servers' (`requirepass`/`masterauth`); `?sentinel_password=...` gives the sentinels' own
when they have one. The client asks the sentinels for the current primary at each new
connection; a connection that finds its server gone or demoted (READONLY) is dropped and the
command tried again, with backoff, for about FAILOVER_RETRY_S: the time sentinels take to agree
that the primary is down and promote a replica (with `down-after-milliseconds` a few seconds).
Past that the command fails as when Redis is away, which every caller survives (the database
is the truth).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from redis.sentinel import Sentinel

from voicecast.config import ConfigError

EXTENSION_KEY = "voicecast.redis"
SENTINEL_SCHEME = "redis+sentinel"
PLAIN_SCHEMES = ("redis", "rediss", "unix")
SENTINEL_PORT = 26379
# The socket timeouts of every client: a command waits this long for its answer, a new
# connection this long to be accepted (RQ's worker raises the first for its blocking waits).
SOCKET_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 2.0
# Behind Sentinel: how long a command keeps trying through a failover (backoff from 0.1 s,
# doubling to 1 s between tries), and how long the sentinels have to answer where the primary is.
FAILOVER_RETRY_S = 10.0
FAILOVER_BACKOFF_BASE_S = 0.1
FAILOVER_BACKOFF_CAP_S = 1.0
SENTINEL_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class SentinelUrl:
    """A `redis+sentinel://` URL read: where the sentinels are and which primary to ask for."""

    sentinels: list[tuple[str, int]]
    master: str
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Read `url` (the form in this module's docstring); ConfigError naming REDIS_URL if it
    cannot be used."""
    form = "redis+sentinel://[:password@]host1:port1,host2:port2/master_name[/db]"
    parts = urlsplit(url)
    hosts = parts.netloc.rsplit("@", 1)[-1]
    sentinels = [_host_port(item, url) for item in hosts.split(",") if item.strip()]
    path = [unquote(piece) for piece in parts.path.strip("/").split("/") if piece]
    if not sentinels or not path or len(path) > 2:
        raise ConfigError(f"REDIS_URL must read {form}, got {_redacted(url)!r}")
    if len(path) == 2 and not path[1].isdigit():
        raise ConfigError(f"REDIS_URL: the database after the master's name must be a number "
                          f"({form}), got {path[1]!r}")  # fmt: skip
    query = parse_qs(parts.query)
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    username, _, password = userinfo.partition(":")
    return SentinelUrl(
        sentinels=sentinels,
        master=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(username) or None,
        password=unquote(password) or None,
        sentinel_password=(query.get("sentinel_password") or [None])[0],
    )


def _host_port(item: str, url: str) -> tuple[str, int]:
    host, _, port = item.strip().rpartition(":") if ":" in item else (item, "", "")
    host = host.strip("[]") or item.strip()
    if port and not port.isdigit():
        raise ConfigError(f"REDIS_URL: sentinel {item!r} has no port number ({_redacted(url)!r})")
    return host, int(port) if port else SENTINEL_PORT


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def failover_retry() -> Retry:
    """Try a command again on a lost or refused connection for about FAILOVER_RETRY_S."""
    backoff = ExponentialBackoff(cap=FAILOVER_BACKOFF_CAP_S, base=FAILOVER_BACKOFF_BASE_S)
    waits, retries = 0.0, 0
    while waits < FAILOVER_RETRY_S:
        retries += 1
        waits += backoff.compute(retries)
    return Retry(backoff, retries, supported_errors=(RedisConnectionError, RedisTimeoutError))


def redis_from_url(
    url: str,
    *,
    socket_timeout: float | None = SOCKET_TIMEOUT_S,
    socket_connect_timeout: float = CONNECT_TIMEOUT_S,
) -> Redis:
    """A client for REDIS_URL `url`: redis-py's own for `redis://`, `rediss://` and `unix://`,
    the current primary of a Sentinel-monitored Redis for `redis+sentinel://`. Lazy: nothing
    touches the network before the first command."""
    scheme = urlsplit(url).scheme
    if scheme in PLAIN_SCHEMES:
        return Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_connect_timeout
        )
    if scheme != SENTINEL_SCHEME:
        raise ConfigError(
            f"REDIS_URL must start with redis://, rediss://, unix:// or redis+sentinel://, "
            f"got {_redacted(url)!r}"
        )
    parsed = parse_sentinel_url(url)
    sentinel = Sentinel(
        parsed.sentinels,
        sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT_S,
            "socket_connect_timeout": SENTINEL_TIMEOUT_S,
            "password": parsed.sentinel_password,
        },
    )
    return sentinel.master_for(
        parsed.master,
        db=parsed.db,
        username=parsed.username,
        password=parsed.password,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_connect_timeout,
        retry=failover_retry(),
    )


def with_database(url: str, number: int) -> str:
    """REDIS_URL `url` pointed at database `number` (the test suite gives each process its
    own)."""
    parts = urlsplit(url)
    if parts.scheme == SENTINEL_SCHEME:
        master = parse_sentinel_url(url).master
        return parts._replace(path=f"/{master}/{number}").geturl()
    return parts._replace(path=f"/{number}").geturl()


def database_of(url: str) -> int:
    """The database number REDIS_URL `url` names (0 when none)."""
    parts = urlsplit(url)
    if parts.scheme == SENTINEL_SCHEME:
        return parse_sentinel_url(url).db
    return int(parts.path.lstrip("/") or 0)


def init_app(app: Flask) -> None:
    # Connecting is lazy: nothing touches the network until the first command. A URL we cannot
    # use stops the start here, with a message naming REDIS_URL.
    app.extensions[EXTENSION_KEY] = redis_from_url(app.config["REDIS_URL"])


def get_redis() -> Redis:
    return current_app.extensions[EXTENSION_KEY]
