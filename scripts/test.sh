#!/usr/bin/env bash
# The whole suite: lint, then pytest on SQLite, and on PostgreSQL too when one answers.
# TEST_POSTGRES_URL picks the server (default: the local one, database `test`);
# REQUIRE_POSTGRES=1 (set by CI) makes a missing PostgreSQL an error instead of a note.
# LINT=0 leaves ruff out.
set -euo pipefail
venv="${VENV:-.venv}"
bin="$venv/bin"

default_pg="postgresql://postgres@127.0.0.1:5432/test"
pg_url="${TEST_POSTGRES_URL:-$default_pg}"
if "$bin/python" - "$pg_url" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {error}".strip(), file=sys.stderr)
    sys.exit(1)
PY
then
  export TEST_POSTGRES_URL="$pg_url"
  echo "Running the suite on SQLite and PostgreSQL ($pg_url)."
elif [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "REQUIRE_POSTGRES=1 but PostgreSQL does not answer." >&2
  exit 1
else
  unset TEST_POSTGRES_URL
  echo "Running the suite on SQLite only (no PostgreSQL answered at $pg_url)."
fi

if [ "${LINT:-1}" = 1 ]; then  # `make test-latest` skips it: a newer ruff has rules of its own
  "$bin/ruff" check .
  "$bin/ruff" format --check .
fi
# One pytest process per core (PYTEST_WORKERS to change it, 0 for none); each has its own Redis
# database or server, SQLite files and PostgreSQL schema (tests/conftest.py).
status=0
"$bin/python" -m pytest -n "${PYTEST_WORKERS:-auto}" "$@" || status=$?
lint_said=$([ "${LINT:-1}" = 1 ] && echo "lint included" || echo "no lint")
echo "scripts/test.sh: ${SECONDS} s in all, ${lint_said} (pytest exit ${status})."
exit "$status"
