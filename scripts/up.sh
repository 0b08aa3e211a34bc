#!/usr/bin/env bash
# Brings Ferry up on this machine: install, build, migrate the database, start the server in the
# background, wait until it answers, print its URL and the admin sign-in.
#   scripts/up.sh          start (or restart) the server
#   scripts/up.sh --stop   stop it
# Environment: FERRY_PORT (3000), FERRY_HOST (127.0.0.1; 0.0.0.0 to reach it from elsewhere),
# FERRY_DATA_DIR (./data), DATABASE_URL, FERRY_ADMIN_PASSWORD, FERRY_LAB (1: start the embedded
# two-site lab with the server; 0: no lab) — see README.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR=${FERRY_DATA_DIR:-$PWD/data}
PID_FILE=$DATA_DIR/ferry.pid
LOG_FILE=$DATA_DIR/ferry.log
PORT=${FERRY_PORT:-3000}
HOST=${FERRY_HOST:-127.0.0.1}
log() { printf '\033[1m[up]\033[0m %s\n' "$*"; }

stop_server() {
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    local pid
    pid=$(cat "$PID_FILE")
    log "stopping Ferry (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$PID_FILE"
}

if [ "${1:-}" = "--stop" ]; then
  stop_server
  log "stopped"
  exit 0
fi

bash scripts/install.sh
mkdir -p "$DATA_DIR"
log "building the dashboard (log: $DATA_DIR/build.log)"
npm run --silent build >"$DATA_DIR/build.log" 2>&1 || { tail -n 40 "$DATA_DIR/build.log"; exit 1; }
log "migrating the database"
FERRY_DATA_DIR=$DATA_DIR npm run --silent db:migrate

stop_server
log "starting Ferry on $HOST:$PORT (log: $LOG_FILE)"
echo "---- $(date -Is) start" >>"$LOG_FILE"
FERRY_LAB=${FERRY_LAB:-1} FERRY_DATA_DIR=$DATA_DIR FERRY_PORT=$PORT FERRY_HOST=$HOST NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 \
  setsid node --import tsx --import ./server/runtime/server-only-hook.mjs server/main.ts >>"$LOG_FILE" 2>&1 </dev/null &
echo $! >"$PID_FILE"

url="http://$([ "$HOST" = 0.0.0.0 ] && echo 127.0.0.1 || echo "$HOST"):$PORT"
for _ in $(seq 1 240); do
  if curl -fsS "$url/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    echo "Ferry exited during start-up; last lines of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$url/healthz" >/dev/null || { echo "Ferry did not answer at $url within 120 s; see $LOG_FILE" >&2; exit 1; }

echo
echo "  Ferry is running: $url"
# The server keeps a generated first password in a private file, never in its log.
PASSWORD_FILE=$DATA_DIR/initial-admin-password
if [ -s "$PASSWORD_FILE" ]; then
  echo "  Sign in as: admin / $(head -n 1 "$PASSWORD_FILE")   (from $PASSWORD_FILE)"
elif [ -n "${FERRY_ADMIN_PASSWORD:-}" ]; then
  echo "  Sign in as: admin / (FERRY_ADMIN_PASSWORD)"
else
  echo "  Sign in as: admin (first password no longer on file; new one: npm run admin -- reset-password admin)"
fi
echo "  Stop it:    scripts/up.sh --stop   (also takes the lab down)"
if [ "${FERRY_LAB:-1}" = 1 ]; then
  echo
  FERRY_DATA_DIR=$DATA_DIR npm run --silent lab -- status | sed 's/^/  /'
fi
