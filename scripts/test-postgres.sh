#!/usr/bin/env bash
# A private, throw-away PostgreSQL server for the test run (Debian's postgresql binaries, its own
# data directory, loopback only). Usage: source it, then call pg_test_start / pg_test_stop.
# pg_test_start exports FERRY_TEST_POSTGRES_URL.

pg_test_start() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ]; then
    echo "[postgres] no PostgreSQL binaries; PostgreSQL tests are skipped" >&2
    return 0
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/ferry-pg-XXXXXX)
  chown postgres:postgres "$PG_TEST_DIR"
  local port=55432
  while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
  runuser -u postgres -- "$bindir/initdb" -D "$PG_TEST_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  runuser -u postgres -- "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TEST_DIR -c fsync=off" start >/dev/null
  export FERRY_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  PG_TEST_BIN=$bindir
  echo "[postgres] test server on 127.0.0.1:$port"
}

pg_test_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  runuser -u postgres -- "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
  unset PG_TEST_DIR FERRY_TEST_POSTGRES_URL
}
