#!/usr/bin/env bash
# Runs ActorSocket and the Kestrel peer (bench/peers/Kestrel) one after the other under the same
# matrix, with the independent C load generator wsload ($WSLOAD) as the referee, and prints one
# table with the ActorSocket/Kestrel ratio of each row. Each server runs in a fresh process for each
# case; the servers alternate; ROUNDS (default 2) rounds; the median of the rounds is shown.
# Loopback only; every wsload phase has a deadline. About 14 minutes on 2 cores at two rounds. Writes the
# raw figures to bench/results/latest.tsv and charts of them (bench/plot.sh) beside it. Each rate comes with
# the server's CPU time per message (cpu_us_per_msg, from wsload's server_cpu_pct).
set -euo pipefail
cd "$(dirname "$0")/.."
# The youngest GC generation capped as in deploy/ (docs/operations.md, Garbage collection); every
# server started here, ActorSocket and its peers alike, runs with it.
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
ROUNDS=${ROUNDS:-2}
WSLOAD=${WSLOAD:-../shared/bench/wsload}  # the referee; not part of this repository
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
dotnet build -c Release bench/peers/Kestrel -v q -nologo >/dev/null
PORT=${PORT:-18899}
results=$(mktemp)
trap 'rm -f "$results"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT

start() { # $1 = actorsocket | kestrel
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "run.sh: port $PORT is already in use; a stale server would be measured instead (PORT=... to choose another)" >&2
    exit 1
  fi
  if [ "$1" = actorsocket ]; then
    dotnet src/Gateway/bin/Release/net10.0/actorsocket.dll --port "$PORT" --log-level Warning >/dev/null 2>&1 &
  else
    dotnet bench/peers/Kestrel/bin/Release/net10.0/kestrel-peer.dll --port "$PORT" >/dev/null 2>&1 &
  fi
  pid=$!
  "$WSLOAD" probe "ws://127.0.0.1:$PORT/echo" --timeout 30 >/dev/null
  kill -0 "$pid" 2>/dev/null || { echo "run.sh: the $1 server exited at start" >&2; exit 1; }
}

stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; }

# The kernel's count of connections dropped because a listen queue was full (all sockets).
listen_overflows() { awk '/^TcpExt:/ { if (!h) { split($0, names); h = 1 } else { for (i = 2; i <= NF; i++) if (names[i] == "ListenOverflows") print $i } }' /proc/net/netstat; }

metric() { grep '^RESULT' | tr ' ' '\n' | grep "^$1=" | head -1 | cut -d= -f2; }

# name | wsload mode and arguments | metrics to report (first is the one the ratio is taken of)
cases=(
  "echo-100|echo /echo --conns 100 --msg-size 32 --inflight 8 --seconds 10|msgs_per_s p99_us"
  "echo-1000|echo /echo --conns 1000 --msg-size 32 --inflight 8 --seconds 10|msgs_per_s p99_us"
  "fanout-100|fanout /pubsub --subs 100 --pubs 1 --rate 0 --seconds 10 --topic bench --msg-size 32|deliveries_per_s p99_us lost"
  "fanout-1000|fanout /pubsub --subs 1000 --pubs 1 --rate 0 --seconds 10 --topic bench --msg-size 32|deliveries_per_s p99_us lost"
  "fanout-10000-max|fanout /pubsub --subs 10000 --pubs 1 --rate 0 --seconds 10 --topic bench --msg-size 32|deliveries_per_s p99_us lost"
  "fanout-10000|fanout /pubsub --subs 10000 --pubs 1 --rate 1000 --seconds 10 --topic bench --msg-size 32|deliveries_per_s p99_us lost"
  "idle-1000|idle /echo --conns 1000 --hold 10|kb_per_conn server_cpu_pct connect_per_s"
  "idle-5000|idle /echo --conns 5000 --hold 10|kb_per_conn server_cpu_pct connect_per_s"
  "idle-10000|idle /echo --conns 10000 --hold 15 --src-ips 127.0.0.1-127.0.0.20|kb_per_conn server_cpu_pct connect_per_s"
  "idle-19500|idle /echo --conns 19500 --hold 20 --src-ips 127.0.0.1-127.0.0.40|kb_per_conn server_cpu_pct connect_per_s"
  "rooms-2|rooms /pubsub --rooms 1000 --members 10 --rate 2 --seconds 10 --topic chat --msg-size 64|deliveries_per_s p99_us lost"
)

# CASES="echo-100 echo-1000" runs only those rows.
for round in $(seq 1 "$ROUNDS"); do
  for entry in "${cases[@]}"; do
    IFS='|' read -r name spec metrics <<<"$entry"
    if [ -n "${CASES:-}" ] && [[ " $CASES " != *" $name "* ]]; then continue; fi
    read -r mode path rest <<<"$spec"
    for server in actorsocket kestrel; do
      start "$server"
      if [ "$mode" = rooms ]; then
        # The chat workload is measured warm: a first run in a fresh process mostly measures the JIT.
        "$WSLOAD" "$mode" "ws://127.0.0.1:$PORT$path" ${rest/--topic /--topic warm} >/dev/null 2>&1 || true
      fi
      overflows_before=$(listen_overflows)
      line=$("$WSLOAD" "$mode" "ws://127.0.0.1:$PORT$path" $rest --server-pid "$pid" 2>/dev/null | grep '^RESULT' || true)
      overflows=$(( $(listen_overflows) - overflows_before ))
      stop
      if [ "$mode" = idle ]; then
        # A connection storm must not overflow the listen queue (a dropped SYN costs the client 1 s).
        echo "$name listen_overflows $server $overflows" >>"$results"
      fi
      # Server CPU per message handled (us), beside the rate it was measured at.
      rate=$(echo "$line" | metric "${metrics%% *}")
      cpu=$(echo "$line" | metric server_cpu_pct)
      if [ "$mode" != idle ] && [ -n "$rate" ] && [ -n "$cpu" ]; then
        echo "$name cpu_us_per_msg $server $(awk -v c="$cpu" -v r="$rate" 'BEGIN { if (r > 0) printf "%.3f", c * 10000 / r }')" >>"$results"
      fi
      for m in $metrics; do
        echo "$name $m $server $(echo "$line" | metric "$m")" >>"$results"
      done
      echo "round $round $name $server: $(for m in $metrics; do printf '%s=%s ' "$m" "$(echo "$line" | metric "$m")"; done)" >&2
    done
  done
done

# The raw figures (case, metric, server, value per run) and the charts made from them.
mkdir -p bench/results
cp "$results" bench/results/latest.tsv
bench/plot.sh bench/results/latest.tsv bench/results || echo "run.sh: no charts (gnuplot missing?)" >&2

python3 - "$results" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, metric, server, value = (line.split() + [""])[:4]
    if value:
        rows.setdefault((name, metric), {}).setdefault(server, []).append(float(value))
print(f"{'case':<14} {'metric':<17} {'ActorSocket':>14} {'Kestrel':>14} {'ratio':>7}")
for (name, metric), by in rows.items():
    a = statistics.median(by.get("actorsocket", [float("nan")]))
    k = statistics.median(by.get("kestrel", [float("nan")]))
    ratio = a / k if k else float("nan")
    digits = 3 if metric == "cpu_us_per_msg" else 1
    print(f"{name:<14} {metric:<17} {a:>14.{digits}f} {k:>14.{digits}f} {ratio:>7.2f}")
PY
