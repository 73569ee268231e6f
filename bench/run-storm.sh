#!/usr/bin/env bash
# A reconnect storm against a fresh daemon: 19,500 WebSocket clients (40 source addresses) connect at
# once to a process that has served one connection before, the first storm it sees, as after a
# deploy. The daemon as built (JIT) against the daemon published ReadyToRun (as deploy/Dockerfile
# publishes it), in alternating fresh processes, ROUNDS times (default 3). Prints handshakes per
# second (wsload's connect_per_s) and listen-queue overflows per run. Loopback only; about 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
ROUNDS=${ROUNDS:-3}
BASE=${PORT:-18791}
PORT=$BASE
SCRIPT=run-storm.sh
WSLOAD=${WSLOAD:-../shared/bench/wsload}
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
. bench/lib.sh
check_ports 1
r2r=$(mktemp -d)
trap 'rm -rf "$r2r"' EXIT
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
dotnet publish src/Gateway/ActorSocket.Gateway.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$r2r" -v q -nologo >/dev/null

storm() { # $1 = label, $2 = daemon dll
  dotnet "$2" --port "$PORT" --log-level Warning >/dev/null 2>&1 & local pid=$!
  "$WSLOAD" probe "ws://127.0.0.1:$PORT/echo" --timeout 30 >/dev/null
  local line
  line=$("$WSLOAD" idle "ws://127.0.0.1:$PORT/echo" --conns 19500 --hold 3 --src-ips 127.0.0.1-127.0.0.40 --server-pid "$pid" 2>/dev/null | grep '^RESULT' || true)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-12s handshakes/s %-6s listen-queue overflows %s\n' "$1" \
    "$(grep -o 'connect_per_s=[0-9]*' <<<"$line" | cut -d= -f2)" "$(grep -o 'k_listen_ovf=[0-9]*' <<<"$line" | cut -d= -f2)"
}

for round in $(seq "$ROUNDS"); do
  storm jit src/Gateway/bin/Release/net10.0/actorsocket.dll
  storm readytorun "$r2r/actorsocket.dll"
done
