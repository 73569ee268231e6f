#!/usr/bin/env bash
# Starts a three-node ActorSocket cluster on 127.0.0.1, prints the nodes' addresses once all three
# are up, and stops them on Ctrl-C (SIGTERM to each: they leave the cluster and close their
# connections with 1001). HTTP ports 8081-8083 and remoting ports 4053-4055 unless BASE_PORT /
# CLUSTER_BASE_PORT say otherwise. With ACTORSOCKET_HISTORY_STORE_CONNECTION_STRING set (a PostgreSQL
# every node reaches, e.g. "Host=127.0.0.1;Database=actorsocket;Username=actorsocket;Password=..."),
# the chat rooms' history is durable there: restart any node and its clients recover what they missed.
set -euo pipefail
cd "$(dirname "$0")/.."
# The youngest GC generation capped as in deploy/ (docs/operations.md, Garbage collection); every
# server started here, ActorSocket and its peers alike, runs with it.
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}

base_port=${BASE_PORT:-8081}
cluster_base_port=${CLUSTER_BASE_PORT:-4053}
dll=src/Gateway/bin/Release/net10.0/actorsocket.dll
logs=$(mktemp -d)

echo "run-local-cluster: building (Release)"
dotnet build src/Gateway -c Release -v quiet -nologo >/dev/null

seeds="[\"127.0.0.1:$cluster_base_port\", \"127.0.0.1:$((cluster_base_port + 1))\", \"127.0.0.1:$((cluster_base_port + 2))\"]"
durable=()
if [ -n "${ACTORSOCKET_HISTORY_STORE_CONNECTION_STRING:-}" ]; then
  echo "run-local-cluster: durable history in PostgreSQL (ACTORSOCKET_HISTORY_STORE_CONNECTION_STRING)"
  durable=(--set "actorsocket.history-store.provider = postgresql" --set "actorsocket.pubsub.namespaces.room.history.durable = on")
fi
pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "run-local-cluster: stopping ${pids[*]}"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  echo "run-local-cluster: stopped; logs in $logs"
}
trap stop INT TERM EXIT

for i in 0 1 2; do
  dotnet "$dll" --config deploy/cluster.conf \
    --port $((base_port + i)) --cluster-port $((cluster_base_port + i)) \
    --set "actorsocket.cluster.seed-nodes = $seeds" "${durable[@]}" >"$logs/node$((i + 1)).log" 2>&1 &
  pids+=($!)
done

# Ready when every node's /healthz says 200 with three members up.
for i in 0 1 2; do
  port=$((base_port + i))
  for _ in $(seq 1 120); do
    if curl -fsS -D - -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null | grep -q 'members 3 up of 3'; then
      break
    fi
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "run-local-cluster: node $((i + 1)) exited:"; cat "$logs/node$((i + 1)).log"; exit 1
    fi
    sleep 0.5
  done
done

for i in 0 1 2; do
  port=$((base_port + i))
  member=$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$port/healthz" | tr -d '\r' | sed -n 's/^X-Cluster-Member: //ip')
  echo "node $((i + 1)) (pid ${pids[$i]}): ws://127.0.0.1:$port/pubsub   $member"
done
echo "run-local-cluster: logs in $logs; Ctrl-C stops all three"
wait
