#!/usr/bin/env bash
# The same daemon with the runtime's own youngest-generation budget (DOTNET_GCgen0size=0) and with
# the cap that deploy/ and the other scripts set (0x400000), alternating in fresh processes, ROUNDS
# rounds; each process serves one warm-up run (JIT, tiering) and then the measured one (except idle).
#   bench/gc-gen0.sh [ROUNDS]          CASES="rooms-2 idle-19500" picks rows. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
CASES=${CASES:-"rooms-2 echo-100 fanout-1000 idle-19500"}
PORT=${PORT:-18899}
WSLOAD=${WSLOAD:-../shared/bench/wsload}  # the referee; not part of this repository
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
dll=src/Gateway/bin/Release/net10.0/actorsocket.dll
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

declare -A spec=(
  [rooms-2]="rooms /pubsub --rooms 1000 --members 10 --rate 2 --seconds 10 --topic chat --msg-size 64"
  [echo-100]="echo /echo --conns 100 --msg-size 32 --inflight 8 --seconds 10"
  [fanout-1000]="fanout /pubsub --subs 1000 --pubs 1 --rate 0 --seconds 10 --topic bench --msg-size 32"
  [idle-19500]="idle /echo --conns 19500 --hold 20 --src-ips 127.0.0.1-127.0.0.40"
)
for round in $(seq 1 "$rounds"); do
  for name in $CASES; do
    read -r mode path rest <<<"${spec[$name]}"
    for gen0 in 0 0x400000; do
      DOTNET_GCgen0size=$gen0 dotnet "$dll" --port "$PORT" --log-level Warning >/dev/null 2>&1 &
      pid=$!
      "$WSLOAD" probe "ws://127.0.0.1:$PORT/echo" --timeout 30 >/dev/null
      if [ "$mode" != idle ]; then
        "$WSLOAD" "$mode" "ws://127.0.0.1:$PORT$path" ${rest/--topic /--topic warm} >/dev/null 2>&1 || true
      fi
      line=$("$WSLOAD" "$mode" "ws://127.0.0.1:$PORT$path" $rest --server-pid "$pid" 2>/dev/null | grep '^RESULT' || true)
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
      echo "round $round $name gen0=$gen0 $(echo "$line" | tr ' ' '\n' | grep -E '^(msgs_per_s|deliveries_per_s|p50_us|p99_us|kb_per_conn|server_cpu_pct|rss_peak_kb|lost)=' | tr '\n' ' ')"
    done
  done
done
