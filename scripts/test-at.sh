#!/usr/bin/env bash
# The whole suite (scripts/test.sh) as if it ran at another instant: a Sunday night, a public
# holiday, outside calling hours. Proves that no test passes only at the hour it was written.
#
#   scripts/test-at.sh "2026-12-06 01:30" [pytest args]        # Paris time by default
#   scripts/test-at.sh "2028-05-01 10:30 Europe/Paris" -k rules
#   scripts/test-at.sh "2026-12-05 15:00 America/New_York"
#
# libfaketime (Debian's `faketime`, which scripts/bootstrap.sh installs) shifts the wall clock of
# every process the suite starts: pytest, gunicorn, the workers, `voicecast dev`, the carrier
# simulator, the suite's own Redis, Chromium. PostgreSQL (or a REDIS_URL server) keeps the real
# clock; Voicecast reads the time only in Python, so nothing compares the two.
set -euo pipefail
when="${1:?usage: scripts/test-at.sh \"YYYY-MM-DD HH:MM [Area/City]\" [pytest args]}"
shift

zone="Europe/Paris"
last_word="${when##* }"
if [[ "$last_word" == */* ]]; then
  zone="$last_word"
  when="${when% *}"
fi
[ -e "/usr/share/zoneinfo/$zone" ] || { echo "Unknown time zone: $zone" >&2; exit 2; }
target=$(date -d "TZ=\"$zone\" $when" +%s) || { echo "Cannot read the instant: $when" >&2; exit 2; }

lib="${FAKETIME_LIB:-}"
if [ -z "$lib" ]; then
  for candidate in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
    [ -e "$candidate" ] && { lib="$candidate"; break; }
  done
fi
[ -n "$lib" ] && [ -e "$lib" ] || {
  echo "libfaketime not found: run scripts/bootstrap.sh (or apt-get install faketime)." >&2; exit 1; }
# What libfaketime gets wrong for a multi-threaded Python (see the source), built into the venv.
fixes_source="$(dirname "$0")/faketime-fixes.c"
fixes="$(realpath "${VENV:-.venv}")/lib/faketime-fixes.so"
if [ ! -e "$fixes" ] || [ "$fixes_source" -nt "$fixes" ]; then
  cc -shared -fPIC -O2 -Wall -o "$fixes" "$fixes_source" -ldl
fi

# An offset from the real clock, not libfaketime's "@start" form: "@" restarts the clock at the
# given instant in each new process, so a server started ten minutes into the suite would be ten
# minutes behind the test talking to it. With an offset every process agrees, and time goes on.
offset=$((target - $(date +%s)))
[ "$offset" -lt 0 ] || offset="+$offset"
export FAKETIME="${offset}s"
# Monotonic clocks measure timeouts and never the time of day; left real, Python's lock and queue
# timeouts and Chromium's timers run as they do without libfaketime.
export FAKETIME_DONT_FAKE_MONOTONIC=1
# Read FAKETIME once per process, not every 10 s: the re-reading calls getenv(), which is not safe
# while another thread changes the environment.
export FAKETIME_CACHE_DURATION=1000000000
export LD_PRELOAD="$fixes:$lib${LD_PRELOAD:+:$LD_PRELOAD}"

echo "Clock set to $(TZ="$zone" date '+%A %Y-%m-%d %H:%M:%S %Z') ($zone), $(date -u '+%H:%M UTC')."
# Not exec'd: the first process under libfaketime makes a shared memory object and a semaphore
# and removes them when it exits, but test.sh execs pytest, so they would stay behind.
shared_objects() { ls /dev/shm | grep -E '^(sem\.)?faketime_(shm|sem)_[0-9]+$' || true; }
before=$(shared_objects)
remove_ours() {
  for name in $(comm -13 <(echo "$before") <(shared_objects)); do
    kill -0 "${name##*_}" 2>/dev/null || rm -f "/dev/shm/$name"  # its process has ended
  done
}
trap remove_ours EXIT
"$(dirname "$0")/test.sh" "$@"
