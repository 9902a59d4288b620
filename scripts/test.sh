#!/usr/bin/env bash
# The whole test suite, on SQLite and on PostgreSQL, against real servers it starts itself:
# PostgreSQL and Redis on loopback ports, stopped again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- system packages (Debian), installed when missing and running as root ----------------
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v hey >/dev/null 2>&1 || missing+=(hey)
# bench/instructions_bench.py counts instructions with callgrind.
command -v callgrind_control >/dev/null 2>&1 || missing+=(valgrind)
# WeasyPrint (PDF letters) needs Pango and a font.
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]} (install them, or run as root to let this script do it)" >&2
    exit 1
  fi
fi

bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"

# --- the checks, before any test: the first that fails stops here ------------------------
echo "== Checks: make lint =="
make --no-print-directory lint

# --- throwaway servers ----------------------------------------------------------------------
work=$(mktemp -d /tmp/portal-test.XXXXXX)
chmod 755 "$work"
free_port() { uv run --frozen python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
redis_port=$(free_port)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg=()
if [ "$(id -u)" = "0" ]; then
  as_pg=(runuser -u postgres --)
  chown postgres "$work"
fi

cleanup() {
  set +e
  jobs -p | xargs -r kill 2>/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
"${as_pg[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres portal_test
redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --dir "$work" --databases 64 \
  --pidfile "$work/redis.pid" --save '' --appendonly no --logfile "$work/redis.log"

export TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$pg_port/portal_test"

# localstripe, the Stripe emulator, on loopback with its store in the run's folder; the tests
# that pay find it at TEST_STRIPE_API_BASE (stopped with the other background jobs at the end).
stripe_port=$(free_port)
uv run --frozen python scripts/localstripe_server.py "$stripe_port" "$work/localstripe" \
  >"$work/localstripe.log" 2>&1 &
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$stripe_port") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$stripe_port") 2>/dev/null \
  || { echo "localstripe did not start:"; cat "$work/localstripe.log"; exit 1; }
export TEST_STRIPE_API_BASE="http://127.0.0.1:$stripe_port"

# The suite on SQLite and on PostgreSQL. Each run is spread over TEST_WORKERS pytest-xdist
# processes (2 by default; 0 runs it in one process), a test file per process at a time, so a
# module's server starts once; much of a test's time is spent waiting on the servers and
# processes it starts, so four processes on two cores still gain. Every process has a database of its own (SQLite file,
# PostgreSQL database `portal_test_gwN`), a Redis database of its own (the run's first one plus
# its index, see tests/conftest.py), its own files and ports. With two cores or more both runs go
# at once; each run's output is shown when both have ended. TEST_SERIAL=1 runs them one after
# the other.
workers=${TEST_WORKERS:-2}
suite() {  # the run's first Redis database, then the settings for that run
  local redis_db=$1
  shift
  env TEST_REDIS_URL="redis://127.0.0.1:$redis_port/$redis_db" "$@" \
    uv run --frozen pytest -q -p no:cacheprovider -n "$workers" --dist loadfile "${pytest_args[@]}"
}
pytest_args=("$@")
if [ "$(nproc)" -ge 2 ] && [ "${TEST_SERIAL:-}" != "1" ]; then
  echo "== Test suite on SQLite and on PostgreSQL, side by side =="
  suite 0 >"$work/sqlite.out" 2>&1 &
  sqlite_pid=$!
  suite $((workers + 1)) DATABASE_URL="$TEST_POSTGRES_URL" >"$work/postgresql.out" 2>&1 &
  postgresql_pid=$!
  sqlite_status=0
  postgresql_status=0
  wait "$sqlite_pid" || sqlite_status=$?
  wait "$postgresql_pid" || postgresql_status=$?
  echo "== Test suite on SQLite =="
  cat "$work/sqlite.out"
  echo "== Test suite on PostgreSQL =="
  cat "$work/postgresql.out"
  if [ "$sqlite_status" != 0 ] || [ "$postgresql_status" != 0 ]; then
    exit 1
  fi
else
  echo "== Test suite on SQLite =="
  suite 0
  echo "== Test suite on PostgreSQL =="
  suite $((workers + 1)) DATABASE_URL="$TEST_POSTGRES_URL"
fi
