#!/usr/bin/env bash
# A/B of two builds of ActorSocket under wsload, for a change on a hot path: the daemon of revision
# BASE (built in a temporary worktree) and of the working tree, each case in a fresh process,
# alternating, ROUNDS rounds; prints every run and the median of each side.
#   bench/ab.sh BASE [ROUNDS]         e.g. bench/ab.sh main~3 3
# CASES (default: echo-100 echo-1000 fanout-1000 idle-19500) picks the rows. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
# The youngest GC generation capped as in deploy/ (docs/operations.md, Garbage collection); every
# server started here, ActorSocket and its peers alike, runs with it.
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
base=${1:?usage: bench/ab.sh BASE [ROUNDS]}
rounds=${2:-3}
CASES=${CASES:-"echo-100 echo-1000 fanout-1000 idle-19500"}
PORT=${PORT:-18898}
WSLOAD=${WSLOAD:-../shared/bench/wsload}  # the referee; not part of this repository
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"

work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
git worktree add -f "$work/base" "$base" >/dev/null 2>&1
dotnet build -c Release "$work/base/src/Gateway" -v q -nologo >/dev/null
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
declare -A dll=([base]="$work/base/src/Gateway/bin/Release/net10.0/actorsocket.dll" [new]="src/Gateway/bin/Release/net10.0/actorsocket.dll")

declare -A spec=(
  [echo-100]="echo /echo --conns 100 --msg-size 32 --inflight 8 --seconds 10|msgs_per_s"
  [echo-1000]="echo /echo --conns 1000 --msg-size 32 --inflight 8 --seconds 10|msgs_per_s"
  [fanout-1000]="fanout /pubsub --subs 1000 --pubs 1 --rate 0 --seconds 10 --topic bench --msg-size 32|deliveries_per_s"
  [fanout-10000]="fanout /pubsub --subs 10000 --pubs 1 --rate 1000 --seconds 10 --topic bench --msg-size 32|p99_us"
  [idle-19500]="idle /echo --conns 19500 --hold 20 --src-ips 127.0.0.1-127.0.0.40|kb_per_conn"
  [rooms-2]="rooms /pubsub --rooms 1000 --members 10 --rate 2 --seconds 10 --topic chat --msg-size 64|p99_us"
)
results=$work/results
for round in $(seq 1 "$rounds"); do
  for name in $CASES; do
    IFS='|' read -r args metric <<<"${spec[$name]}"
    read -r mode path rest <<<"$args"
    for side in base new; do
      dotnet "${dll[$side]}" --port "$PORT" --log-level Warning >/dev/null 2>&1 &
      pid=$!
      "$WSLOAD" probe "ws://127.0.0.1:$PORT/echo" --timeout 30 >/dev/null
      if [ "$mode" = rooms ]; then
        # The chat workload is measured warm: a first run in a fresh process mostly measures the JIT.
        "$WSLOAD" "$mode" "ws://127.0.0.1:$PORT$path" ${rest/--topic /--topic warm} >/dev/null 2>&1 || true
      fi
      line=$("$WSLOAD" "$mode" "ws://127.0.0.1:$PORT$path" $rest --server-pid "$pid" 2>/dev/null | grep '^RESULT' || true)
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
      value=$(echo "$line" | tr ' ' '\n' | grep "^$metric=" | cut -d= -f2)
      cpu=$(echo "$line" | tr ' ' '\n' | grep "^server_cpu_pct=" | cut -d= -f2)
      echo "round $round $name $side $metric=$value server_cpu_pct=$cpu"
      echo "$name $side $value" >>"$results"
    done
  done
done
echo "median per case (base -> new):"
for name in $CASES; do
  b=$(awk -v n="$name" '$1==n && $2=="base" {print $3}' "$results" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  n=$(awk -v n="$name" '$1==n && $2=="new" {print $3}' "$results" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "  $name ${spec[$name]##*|}: $b -> $n"
done
