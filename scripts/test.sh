#!/usr/bin/env bash
# Command 2: set up if needed, then run the whole test suite with pytest:
# unit tests of bot/ and actions/, rasa data validate, story tests, the NLU
# held-out evaluation, end-to-end tests against running servers, the web chat
# in headless Chromium, the Teams channel against a fake Bot Framework, and
# the scaled set-up (PostgreSQL + Redis) when those services are reachable.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's Chromium for the browser test"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
      || die "could not install chromium (apt-get install chromium)"
  else
    die "the browser test needs Debian's chromium: run 'sudo apt-get install chromium'"
  fi
fi

cd "$ROOT"
exec "$PY" -m pytest "$@"
