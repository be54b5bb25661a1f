#!/usr/bin/env bash
# Command 1: set up if needed, then run the action server and the Rasa server
# on localhost with the embedded SQLite tracker store. Ctrl-C stops both.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
setup

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}"
export TRACKER_DB="${TRACKER_DB:-$ROOT/build/tracker.db}"
export LOCK_DB="${LOCK_DB:-$ROOT/build/locks.db}"
# One Sanic worker per core (each loads the model: about 0.8 GB each).
export SANIC_WORKERS="${SANIC_WORKERS:-$(default_workers)}"
export KNOWLEDGE_DB="${KNOWLEDGE_DB:-$ROOT/build/knowledge.db}"
# The action server binds to loopback too unless told otherwise.
export SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}"

credentials=credentials.yml
if [ -n "${MICROSOFT_APP_ID:-}" ]; then
  credentials=credentials.teams.yml   # adds the Microsoft Teams channel
fi

api_args=()
if [ -n "${RASA_API_TOKEN:-}" ]; then
  api_args=(--enable-api --auth-token "$RASA_API_TOKEN")
fi

cd "$ROOT"
"$PY" -m bot.knowledge verify "$KNOWLEDGE_DB" >/dev/null  # says what to do, on stderr, if it fails

pids=()
stop() {
  trap - INT TERM EXIT
  log "stopping"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

# The servers' own output (Rasa's and TensorFlow's logs, third-party warnings)
# goes to build/logs/ unless VERBOSE=1. Nothing a practitioner types is logged.
mkdir -p "$LOG_DIR"
server_output() {  # server_output <name>: where a server's output goes
  if verbose; then echo /dev/stdout; else echo "$LOG_DIR/$1.log"; fi
}
"$VENV/bin/rasa" run actions --port "$ACTIONS_PORT" --actions actions >>"$(server_output actions)" 2>&1 &
pids+=($!)
"$VENV/bin/rasa" run --interface "$HOST" --port "$PORT" --model models/neglect-assistant.tar.gz \
  --endpoints endpoints.yml --credentials "$credentials" "${api_args[@]}" >>"$(server_output rasa)" 2>&1 &
pids+=($!)

log "starting $SANIC_WORKERS worker(s) and the action server (loading the model takes about a minute)"
until curl -fsS "http://$HOST:$PORT/" >/dev/null 2>&1; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      verbose || tail -n 30 "$LOG_DIR/rasa.log" "$LOG_DIR/actions.log" >&2
      die "a server exited during start-up (logs: $LOG_DIR)"
    fi
  done
  sleep 1
done
log "ready"
cat <<MSG
  Web chat:  http://$HOST:$PORT/webhooks/webchat/
  REST:      curl -s http://$HOST:$PORT/webhooks/rest/webhook -d '{"sender": "me", "message": "hello"}'
  Terminal:  make shell (in another terminal, while this runs)
  Logs:      $LOG_DIR/ (VERBOSE=1 make run shows them here)
  Ctrl-C stops both servers.
MSG
wait -n "${pids[@]}"
