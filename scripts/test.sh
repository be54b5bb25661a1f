#!/usr/bin/env bash
# Command 2: set up if needed, then run the whole test suite with pytest:
# unit tests of bot/ and actions/, rasa data validate, story tests, the NLU
# held-out evaluation, end-to-end tests against running servers, the web chat
# in headless Chromium, the Teams channel against a fake Bot Framework, and
# the scaled set-up (PostgreSQL + Redis) when those services are reachable.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup

# Debian packages the tests drive: Chromium (web chat in a real browser) and
# nginx (the load balancer of the scaled set-up).
ensure_debian_packages chromium nginx-light

cd "$ROOT"
exec "$PY" -m pytest "$@"
