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
# simulator, the suite's own Redis, Chromium (scripts/at.sh).
set -euo pipefail
when="${1:?usage: scripts/test-at.sh \"YYYY-MM-DD HH:MM [Area/City]\" [pytest args]}"
shift
exec "$(dirname "$0")/at.sh" "$when" "$(dirname "$0")/test.sh" "$@"
