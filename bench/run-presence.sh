#!/usr/bin/env bash
# Presence at scale on one node, as issue 17 asks: SUBS clients (default 10,000) join one topic of a
# namespace with presence and join/leave at once, while a watcher counts the joins it is told of.
# Prints the time until the watcher has seen every join (and how long after the last client's
# acknowledgement), the frames that took against the naive count (every join to every earlier
# subscriber), the frames and coalesced changes the server counted, the server's memory per present
# client against the same clients on a topic without presence, and presence-stats and presence
# (the full list) questions per second on the full topic. One fresh server per case; loopback only;
# bounded (about 2 minutes).
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
check_ports 1

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

# The same clients on a topic without presence: what a subscription costs without it. (The watcher
# never sees a join there, so the clients are counted by the server's subscriptions instead.)
start
/usr/bin/python3 - "$BASE" "$SUBS" "${pids[0]}" <<'PY'
import asyncio, resource, sys, websockets
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, subs, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
async def main():
    before = rss()
    sockets = []
    for start in range(0, subs, 500):
        batch = await asyncio.gather(*[websockets.connect("ws://127.0.0.1:%d/pubsub" % port) for _ in range(start, min(subs, start + 500))])
        for ws in batch:
            await ws.send('{"op":"subscribe","topic":"plain:room","id":1}')
        for ws in batch:
            await asyncio.wait_for(ws.recv(), 60)
        sockets += batch
    print("without_presence_rss_kib_per_client=%.2f" % ((rss() - before) / subs))
    await asyncio.gather(*[ws.close() for ws in sockets])
asyncio.run(main())
PY
stop_all
printf 'server memory per subscribed client: %s KiB with presence (join-leave on)\n' "$with"
