#!/usr/bin/env bash
# Run a command as if it ran at another instant (libfaketime), every process it starts included:
# `make run WHEN=...` (the service on a Monday morning, to watch French calling hours open) and
# `make test-at` (the suite on a Sunday night) both go through here.
#
#   scripts/at.sh "2026-12-07 10:30" COMMAND [ARGS...]                # Paris time by default
#   scripts/at.sh "2028-05-01 10:30 Europe/Paris" COMMAND [ARGS...]
#
# The clock is moved by an offset from the real one, so it goes on from the instant given.
# PostgreSQL (or a REDIS_URL server) keeps the real clock; Voicecast reads the time only in
# Python, so nothing compares the two.
set -euo pipefail
when="${1:?usage: scripts/at.sh \"YYYY-MM-DD HH:MM [Area/City]\" COMMAND [ARGS...]}"
shift
[ "$#" -gt 0 ] || { echo "scripts/at.sh: say which command to run at $when" >&2; exit 2; }

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
# The real clock is read without libfaketime, should this already run under it (a test of the
# suite run by `make test-at` starting `voicecast dev` at another instant).
real_now=$(env -u LD_PRELOAD -u FAKETIME date +%s)
offset=$((target - real_now))
[ "$offset" -lt 0 ] || offset="+$offset"
export FAKETIME="${offset}s"
# Monotonic clocks measure timeouts and never the time of day; left real, Python's lock and queue
# timeouts and Chromium's timers run as they do without libfaketime.
export FAKETIME_DONT_FAKE_MONOTONIC=1
# Read FAKETIME once per process, not every 10 s: the re-reading calls getenv(), which is not safe
# while another thread changes the environment.
export FAKETIME_CACHE_DURATION=1000000000
preload="${LD_PRELOAD:-}"
preload="${preload//$fixes/}"; preload="${preload//$lib/}"; preload="${preload##:}"
preload="${preload%%:}"; preload="${preload//::/:}"
export LD_PRELOAD="$fixes:$lib${preload:+:$preload}"

echo "Clock set to $(TZ="$zone" date '+%A %Y-%m-%d %H:%M:%S %Z') ($zone), $(date -u '+%H:%M UTC')." >&2
# Not exec'd: the first process under libfaketime makes a shared memory object and a semaphore
# and removes them when it exits; a process that execs leaves them behind.
shared_objects() { ls /dev/shm | grep -E '^(sem\.)?faketime_(shm|sem)_[0-9]+$' || true; }
before=$(shared_objects)
remove_ours() {
  for name in $(comm -13 <(echo "$before") <(shared_objects)); do
    kill -0 "${name##*_}" 2>/dev/null || rm -f "/dev/shm/$name"  # its process has ended
  done
}
trap remove_ours EXIT
# Run in the foreground, not exec'd (see above): Ctrl-C, sent to the terminal's process group,
# reaches the command itself, and its exit status is ours.
"$@"
