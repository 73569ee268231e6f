#!/usr/bin/env bash
# Durable history (issue 15), in one run:
#  1. write throughput: publishes per second to one topic whose publishes are each acknowledged (wsload
#     fanout --window-mode ack, one subscriber, 1, 4 and 16 publishers of 64 in flight each), the
#     history kept in memory vs durable in SQLite vs durable in PostgreSQL (a throwaway server this
#     script starts, as the tests do, when the postgresql package is installed; PG_SKIP=1 skips it);
#  2. retention: RETENTION_SECONDS (default 600) of 100 durable topics at 2,000 publishes/s in all
#     (wsload rooms), history 100 messages for 60 s; every 30 s the SQLite file's size, the journal's
#     live rows and the snapshots, and the daemon's memory: the store must level off, not grow.
# Loopback only, bounded; every server it starts is stopped on exit. Prints one line per case.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
RETENTION_SECONDS=${RETENTION_SECONDS:-600}
BASE=${PORT:-18960}
WSLOAD=${WSLOAD:-../shared/bench/wsload}
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
DLL=src/Gateway/bin/Release/net10.0/actorsocket.dll
SCRIPT=run-durable.sh
. bench/lib.sh
check_ports 1
work=$(mktemp -d)
chmod 755 "$work" # the PostgreSQL server runs as postgres and must reach its directory
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
pg_up=""
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  stop_all
  [ -n "$pg_up" ] && as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# $1 = label, then --set values; starts the daemon on BASE and waits until it serves.
start_daemon() {
  local args=()
  for s in "$@"; do args+=(--set "$s"); done
  dotnet "$DLL" --port "$BASE" --log-level Warning "${args[@]}" >"$work/daemon.log" 2>&1 & pids=($!)
  "$WSLOAD" probe "ws://127.0.0.1:$BASE/echo" --timeout 30 >/dev/null
}

throughput() { # $1 = label, $2 = publishers
  local r
  r=$("$WSLOAD" fanout "ws://127.0.0.1:$BASE/pubsub" --subs 1 --pubs "$2" --rate 0 --seconds "$SECONDS_PER_RUN" --topic d:bench \
    --msg-size 32 --window-mode ack --server-pid "${pids[0]}" 2>/dev/null | grep '^RESULT')
  local rate cpu
  rate=$(echo "$r" | metric pub_per_s); cpu=$(echo "$r" | metric server_cpu_pct)
  printf '%-34s %2s publishers %9s publishes/s  %6s us CPU/publish  p50 %7s us  p99 %9s us  lost %s  errors %s\n' "$1" "$2" "$rate" \
    "$(echo "scale=2; $cpu / 100 * 1000000 / $rate" | bc -l)" "$(echo "$r" | metric p50_us)" "$(echo "$r" | metric p99_us)" \
    "$(echo "$r" | metric lost)" "$(echo "$r" | metric errors_rcvd)"
}

MEMORY='actorsocket.pubsub.namespaces.d { history { size = 100 } }'
DURABLE='actorsocket.pubsub.namespaces.d { history { size = 100, durable = on } }'
echo "1. write throughput (${SECONDS_PER_RUN} s a case, 32-byte messages, every publish acknowledged)"
for pubs in 1 4 16; do
  start_daemon "$MEMORY"; throughput "history in memory" "$pubs"; stop_all
  rm -rf "$work/data"
  start_daemon "$DURABLE" "actorsocket.data-directory = \"$work/data\""; throughput "durable, SQLite" "$pubs"; stop_all
done

if [ -z "${PG_SKIP:-}" ] && [ -n "$pg_bin" ]; then
  mkdir -p "$work/pg" && { [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$work/pg"; }
  as_postgres "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres --no-sync >/dev/null
  pg_port=$((BASE + 7))
  as_postgres "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
  pg_up=1
  for pubs in 1 4 16; do
    db="bench$pubs"
    as_postgres "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$db"
    ACTORSOCKET_HISTORY_STORE_CONNECTION_STRING="Host=127.0.0.1;Port=$pg_port;Database=$db;Username=postgres" \
      start_daemon "$DURABLE" 'actorsocket.history-store.provider = postgresql'
    throughput "durable, PostgreSQL (fsync on)" "$pubs"; stop_all
  done
else
  echo "PostgreSQL: skipped (PG_SKIP set, or no postgresql package)"
fi

echo "2. retention: ${RETENTION_SECONDS} s, 100 durable topics, 2,000 publishes/s, history 100 messages for 60 s"
rm -rf "$work/data"
start_daemon 'actorsocket.pubsub.namespaces.d { history { size = 100, ttl = 60s, durable = on } }' "actorsocket.data-directory = \"$work/data\""
"$WSLOAD" rooms "ws://127.0.0.1:$BASE/pubsub" --rooms 100 --members 2 --rate 10 --seconds "$RETENTION_SECONDS" --topic d:room --msg-size 64 \
  --server-pid "${pids[0]}" >"$work/rooms.txt" 2>&1 &
load=$!
printf '%8s %14s %14s %12s %10s\n' seconds file+wal_bytes journal_rows snapshots rss_kb
for t in $(seq 30 30 "$RETENTION_SECONDS"); do
  sleep 30
  size=$(( $(stat -c %s "$work/data/history.db") + $(stat -c %s "$work/data/history.db-wal" 2>/dev/null || echo 0) ))
  rows=$(/usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True); print(c.execute('select count(*) from journal where deleted = 0').fetchone()[0], c.execute('select count(*) from snapshot').fetchone()[0])" "$work/data/history.db")
  rss=$(grep VmRSS "/proc/${pids[0]}/status" | awk '{print $2}')
  printf '%8s %14s %14s %12s %10s\n' "$t" "$size" "${rows% *}" "${rows#* }" "$rss"
done
wait "$load" || true
grep '^RESULT' "$work/rooms.txt" | tr ' ' '\n' | grep -E '^(pub_per_s|deliveries_per_s|lost|p99_us)=' | tr '\n' ' '; echo
