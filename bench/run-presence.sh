#!/usr/bin/env bash
# Presence at scale on one node, as issue 17 asks: SUBS clients (default 10,000) join one topic of a
# namespace with presence and join/leave at once, while a watcher counts the joins it is told of.
# Prints the time until the watcher has seen every join (and how long after the last client's
# acknowledgement), the frames that took against the naive count (every join to every earlier
# subscriber), the frames and coalesced changes the server counted, the server's memory per present
# client (connection included), and presence-stats and presence
# (the full list) questions per second on the full topic. Then the same with the clients spread over
# three cluster nodes (a watcher on each node; the questions go to the first). One fresh server per case; loopback only; bounded
# (about 4 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
SUBS=${SUBS:-10000}
BASE=${PORT:-18990}
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
dotnet build -c Release bench/LoadGen -v q -nologo >/dev/null
DLL=src/Gateway/bin/Release/net10.0/actorsocket.dll
LOADGEN=bench/LoadGen/bin/Release/net10.0/loadgen
SCRIPT=run-presence.sh
WSLOAD=${WSLOAD:-../shared/bench/wsload}
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
. bench/lib.sh
check_ports 3

start() { # $@ = extra settings
  dotnet "$DLL" --port "$BASE" --log-level Warning \
    --set "actorsocket.pubsub.namespaces.crowd { presence = on, join-leave = on, presence-max-clients = 20000 }" \
    --set "actorsocket.pubsub.namespaces.plain { presence = off }" "$@" >/dev/null 2>&1 & pids=($!)
  "$WSLOAD" probe "ws://127.0.0.1:$BASE/echo" --timeout 30 >/dev/null
}
metric_of() { curl -fsS "http://127.0.0.1:$BASE/metrics" | grep "^$1 " | cut -d' ' -f2; }

start
r=$("$LOADGEN" presence "ws://127.0.0.1:$BASE/pubsub" --subs "$SUBS" --topic crowd:room --seconds 3 --server-pid "${pids[0]}" | grep '^RESULT')
frames=$(metric_of actorsocket_presence_frames_total); coalesced=$(metric_of actorsocket_presence_coalesced_total)
stop_all
echo "$r"
printf 'presence: every join seen %s ms after the first subscribe, %s ms after the last acknowledgement\n' "$(echo "$r" | metric complete_ms)" "$(echo "$r" | metric after_last_ack_ms)"
printf 'frames to the watcher: %s (naive: %s); the server sent %s presence frames in all, %s changes coalesced\n' \
  "$(echo "$r" | metric watcher_frames)" "$(echo "$r" | metric naive_frames)" "$frames" "$coalesced"
printf 'questions on %s present clients: presence-stats %s/s, presence (full list) %s/s\n' "$SUBS" "$(echo "$r" | metric stats_per_s)" "$(echo "$r" | metric lists_per_s)"
with=$(echo "$r" | metric rss_kib_per_client)

printf 'server memory per present client, connection included: %s KiB (what an entry alone costs: bench/run-micro.sh --filter "*Presence*")\n' "$with"

# Three nodes: every node must learn the others' clients.
SETTINGS=(--set "actorsocket.pubsub.namespaces.crowd { presence = on, join-leave = on, presence-max-clients = 20000 }")
start_three "${SETTINGS[@]}"
r=$("$LOADGEN" presence "ws://127.0.0.1:$BASE/pubsub,ws://127.0.0.1:$((BASE + 1))/pubsub,ws://127.0.0.1:$((BASE + 2))/pubsub" --subs "$SUBS" --topic crowd:room --seconds 3 \
  --server-pid "${pids[0]},${pids[1]},${pids[2]}" | grep '^RESULT')
counts=""
for n in 0 1 2; do
  counts+="$(curl -fsS "http://127.0.0.1:$((BASE + n))/metrics" | grep '^actorsocket_present_clients ' | cut -d' ' -f2) "
done
stop_all
echo "$r"
printf 'three nodes: every join seen on every node %s ms after the first subscribe, %s ms after the last acknowledgement (per node: %s); present per node: %s\n' \
  "$(echo "$r" | metric complete_ms)" "$(echo "$r" | metric after_last_ack_ms)" "$(echo "$r" | metric after_last_ack_ms_per_node)" "$counts"
printf 'three nodes: questions on node 1, presence-stats %s/s, presence %s/s\n' "$(echo "$r" | metric stats_per_s)" "$(echo "$r" | metric lists_per_s)"
