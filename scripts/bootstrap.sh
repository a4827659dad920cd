#!/usr/bin/env bash
# Install what Voicecast needs on a fresh Debian machine with Python 3.11: the venv module if
# Debian left it out, then a virtual environment with the project and its dev tools, at the
# versions requirements.lock pins (`make lock` changes it on purpose).
# `bootstrap.sh --latest DIR` installs the newest releases pyproject.toml allows instead, into a
# venv of their own (`make test-latest`: what the next `make lock UPGRADE=1` would bring).
set -euo pipefail
latest=0
if [ "${1:-}" = --latest ]; then latest=1; shift; fi
venv="${1:-.venv}"
python="${PYTHON:-python3}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  command -v apt-get >/dev/null || { echo "Please install: $*" >&2; exit 1; }
  echo "Installing Debian packages: $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Voicecast needs Python 3.11 or newer; $python is $("$python" -V 2>&1)." >&2; exit 1; }

if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  apt_install "python${ver}-venv" || apt_install python3-venv
fi

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
command -v chromium >/dev/null || apt_install chromium
# Recordings: ffmpeg decodes and encodes audio; espeak-ng and sox make French speech for tests.
# faketime and a C compiler run the suite under another clock (scripts/test-at.sh).
tools_missing=()
for tool in ffmpeg espeak-ng sox faketime; do
  command -v "$tool" >/dev/null || tools_missing+=("$tool")
done
command -v cc >/dev/null || tools_missing+=(gcc)
# PgBouncer: tests/test_pgbouncer.py runs a campaign through one of its own (in transaction
# mode, on a port of its own). Debian's package also enables a pgbouncer service on
# 127.0.0.1:6432 with no database: it serves nothing until its pgbouncer.ini names one.
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || tools_missing+=(pgbouncer)
[ "${#tools_missing[@]}" -eq 0 ] || apt_install "${tools_missing[@]}"

if [ "$latest" = 1 ]; then
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
  echo "Installed Voicecast into $venv with the newest releases pyproject.toml allows."
  exit 0
fi

# The venv holds exactly what requirements.lock says (versions and hashes): one made from
# another lock is made anew, so nothing left from it lingers.
lock="requirements.lock"
lock_sum=$(sha256sum "$lock" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.lock-sha256" 2>/dev/null)" != "$lock_sum" ]; then
  echo "$lock changed since $venv was made: making it anew."
  rm -rf "$venv"
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
# With hashes required, pip also refuses a lock that misses a dependency of a package in it.
"$venv/bin/python" -m pip install --quiet --require-hashes -r "$lock"
# The project itself, editable, on top: its dependencies are all in the lock already.
"$venv/bin/python" -m pip install --quiet --no-deps -e .
echo "$lock_sum" > "$venv/.lock-sha256"
echo "Installed Voicecast into $venv from $lock."
