"""A PgBouncer of the test's own, in transaction mode, in front of the suite's PostgreSQL
(tests/test_pgbouncer.py).

It is started from Debian's binary (`apt-get install pgbouncer`; scripts/bootstrap.sh installs
it) on a free port, with its files in the test's folder. It is set to be harsh on session
state: a few server connections handed out in turn (`server_round_robin`), so two
transactions of one client seldom meet the same server connection, and whatever a session
kept (a prepared statement, a SET, a temporary table) is found missing or someone else's.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import psycopg
import sqlalchemy as sa

from tests.s3_server import free_port

# Debian installs it in /usr/sbin, which a user's PATH may leave out.
PLACES = ("/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer")
SERVER_CONNECTIONS = 4
DATABASE = "voicecast"


def binary() -> str | None:
    """Where the pgbouncer program is, if installed."""
    return shutil.which("pgbouncer") or next((p for p in PLACES if os.access(p, os.X_OK)), None)


def config_text(upstream: sa.URL, port: int, schema: str, users: Path) -> str:
    """pgbouncer.ini: DATABASE on `upstream`'s server, its tables in `schema` (set by the
    pooler on each server connection it opens, since it forwards no `options`)."""
    target = (
        f"host={upstream.host or '127.0.0.1'} port={upstream.port or 5432} "
        f"dbname={upstream.database} user={upstream.username or 'postgres'}"
    )
    return f"""[databases]
{DATABASE} = {target} connect_query='SET search_path TO {schema}'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
admin_users = {upstream.username or "postgres"}
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 500
server_round_robin = 1
idle_transaction_timeout = 60
"""


class PgBouncer:
    """One pgbouncer process; `url` reaches `schema` of the upstream's database through it."""

    def __init__(self, program: str, folder: Path, upstream_url: str, schema: str):
        upstream = sa.make_url(upstream_url)
        self.port = free_port()
        self.user = upstream.username or "postgres"
        folder.mkdir(parents=True, exist_ok=True)
        users = folder / "users.txt"
        users.write_text(f'"{self.user}" ""\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(config_text(upstream, self.port, schema, users))
        # It refuses to run as root; as another user it reads its files before switching.
        argv = [program, *(["-u", "nobody"] if os.getuid() == 0 else []), str(ini)]
        self.log = folder / "pgbouncer.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"postgresql://{self.user}@127.0.0.1:{self.port}/{DATABASE}"
        self.wait_until_listening()

    def wait_until_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pgbouncer did not listen within {timeout:.0f} s")

    def stats(self) -> dict[str, int]:
        """Transactions and queries it passed on for DATABASE (its admin console's SHOW STATS,
        which speaks only the simple query protocol)."""
        admin = f"postgresql://{self.user}@127.0.0.1:{self.port}/pgbouncer"
        with psycopg.connect(admin, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
            cursor = conn.execute("SHOW STATS")
            names = [column.name for column in cursor.description]
            for row in cursor.fetchall():
                found = dict(zip(names, row, strict=True))
                if found["database"] == DATABASE:
                    return {"transactions": int(found["total_xact_count"]),
                            "queries": int(found["total_query_count"])}  # fmt: skip
        return {"transactions": 0, "queries": 0}

    def errors(self) -> list[str]:
        """The lines of its log that tell of a failure (a client's or a server's)."""
        words = ("ERROR", "FATAL", "WARNING")
        return [line for line in self.log.read_text(errors="replace").splitlines()
                if any(word in line for word in words)]  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
