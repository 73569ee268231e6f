#!/usr/bin/env bash
# Cross-node fan-out: the same fan-out load against one node and against a three-node cluster on
# 127.0.0.1 (subscribers spread evenly over the nodes, one publisher on node 1), measured by
# bench/LoadGen (wsload takes one URL, so it cannot spread subscribers; it cross-checks the
# single-node figure). Prints both, the ratio, and each node's unreachable events (must be 0).
# Loopback only; bounded: about 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# The youngest GC generation capped as in deploy/ (docs/operations.md, Garbage collection); every
# server started here, ActorSocket and its peers alike, runs with it.
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
ROUNDS=${ROUNDS:-2}
SUBS=${SUBS:-999}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
BASE=${PORT:-18910}
WSLOAD=${WSLOAD:-../shared/bench/wsload}  # the referee; not part of this repository
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
dotnet build -c Release bench/LoadGen -v q -nologo >/dev/null
DLL=src/Gateway/bin/Release/net10.0/actorsocket.dll
LOADGEN=bench/LoadGen/bin/Release/net10.0/loadgen
SCRIPT=run-cluster.sh
. bench/lib.sh
check_ports 3

args="--subs $SUBS --pubs 1 --window 64 --seconds $SECONDS_PER_RUN --msg-size 32 --topic bench"
for round in $(seq 1 "$ROUNDS"); do
  # One node (cluster mode off, as a single-node deployment runs).
  dotnet "$DLL" --port "$BASE" --log-level Warning >/dev/null 2>&1 & pids=($!)
  "$WSLOAD" probe "ws://127.0.0.1:$BASE/echo" --timeout 30 >/dev/null
  single=$("$LOADGEN" fanout "ws://127.0.0.1:$BASE/pubsub" $args --server-pid "${pids[0]}" | grep '^RESULT')
  wsref=$("$WSLOAD" fanout "ws://127.0.0.1:$BASE/pubsub" --subs "$SUBS" --pubs 1 --rate 0 --seconds "$SECONDS_PER_RUN" --topic bench --msg-size 32 2>/dev/null | grep '^RESULT')
  stop_all

  # Three nodes: node 1 starts the cluster on a free remoting port, 2 and 3 join it.
  start_three
  cluster=$("$LOADGEN" fanout "ws://127.0.0.1:$BASE/pubsub,ws://127.0.0.1:$((BASE + 1))/pubsub,ws://127.0.0.1:$((BASE + 2))/pubsub" $args \
    --server-pid "${pids[0]},${pids[1]},${pids[2]}" | grep '^RESULT')
  unreachable=""
  for n in 0 1 2; do
    unreachable+="$(curl -fsS "http://127.0.0.1:$((BASE + n))/metrics" | grep '^actorsocket_cluster_unreachable_events_total' | cut -d' ' -f2) "
  done
  stop_all

  s=$(echo "$single" | metric deliveries_per_s); c=$(echo "$cluster" | metric deliveries_per_s)
  printf 'round %s: one node %s deliveries/s (p99 %s us, lost %s; wsload %s, p99 %s us) | three nodes %s deliveries/s (p99 %s us, lost %s) | ratio %.2f | unreachable events per node: %s\n' \
    "$round" "$s" "$(echo "$single" | metric p99_us)" "$(echo "$single" | metric lost)" \
    "$(echo "$wsref" | metric deliveries_per_s)" "$(echo "$wsref" | metric p99_us)" \
    "$c" "$(echo "$cluster" | metric p99_us)" "$(echo "$cluster" | metric lost)" \
    "$(echo "$c / $s" | bc -l)" "$unreachable"
done
