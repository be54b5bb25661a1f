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
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} from Debian's packages for the tests"
  [ "$(id -u)" = 0 ] || die "the tests need ${missing[*]}: run 'sudo apt-get install ${missing[*]}'"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null \
    || die "could not install ${missing[*]} with apt-get"
fi

cd "$ROOT"
exec "$PY" -m pytest "$@"
