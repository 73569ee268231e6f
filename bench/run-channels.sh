#!/usr/bin/env bash
# Channels (topics with history) against topics without, as issue 14 asks, in one run:
#  1. fan-out to SUBS subscribers on one node: a topic with history (room:bench) vs one without
#     (bench), measured by wsload, the referee;
#  2. the same topic with history on three nodes (subscribers spread over them, the publisher on a
#     node that does not hold the topic's owner, so every publish takes the extra hop) vs one node,
#     measured by bench/LoadGen (wsload takes one URL);
#  3. recovery: 1,000 clients reconnect at once with "since" and each gets the 100 messages it
#     missed (bench/LoadGen recover): the time until all have recovered.
# Alternates the cases, ROUNDS times (default 2); every server in a fresh process; loopback only,
# bounded (about 3 minutes a round). Prints one line per case and round.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
ROUNDS=${ROUNDS:-2}
SUBS=${SUBS:-1000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
BASE=${PORT:-18930}
WSLOAD=${WSLOAD:-../shared/bench/wsload}
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
dotnet build -c Release bench/LoadGen -v q -nologo >/dev/null
DLL=src/Gateway/bin/Release/net10.0/actorsocket.dll
LOADGEN=bench/LoadGen/bin/Release/net10.0/loadgen
SCRIPT=run-channels.sh
. bench/lib.sh
check_ports 3

start_one() { dotnet "$DLL" --port "$BASE" --log-level Warning >/dev/null 2>&1 & pids=($!); "$WSLOAD" probe "ws://127.0.0.1:$BASE/echo" --timeout 30 >/dev/null; }
wsfanout() { # $1 = topic
  "$WSLOAD" fanout "ws://127.0.0.1:$BASE/pubsub" --subs "$SUBS" --pubs 1 --rate 0 --seconds "$SECONDS_PER_RUN" --topic "$1" --msg-size 32 --server-pid "${pids[0]}" 2>/dev/null | grep '^RESULT'
}
line() { # $1 = label, $2 = RESULT line
  printf '%-44s %10s deliveries/s  %6s us CPU/delivery  p99 %8s us  lost %s\n' "$1" "$(echo "$2" | metric deliveries_per_s)" \
    "$(echo "$2" | metric server_cpu_us_per_delivery)" "$(echo "$2" | metric p99_us)" "$(echo "$2" | metric lost)"
}
cpu_per_delivery() { # RESULT line -> server CPU microseconds per delivery
  local d c
  d=$(echo "$1" | metric deliveries_per_s); c=$(echo "$1" | metric server_cpu_pct)
  echo "$1 server_cpu_us_per_delivery=$(echo "scale=3; $c / 100 * 1000000 / $d" | bc -l)"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round"
  # 1. One node: without history, then with.
  for topic in bench room:bench; do
    start_one
    r=$(cpu_per_delivery "$(wsfanout "$topic")")
    stop_all
    line "one node, topic $topic (wsload)" "$r"
  done

  # 2. One node vs three, topic with history, bench/LoadGen.
  start_one
  r=$(cpu_per_delivery "$("$LOADGEN" fanout "ws://127.0.0.1:$BASE/pubsub" --subs "$SUBS" --pubs 1 --window 64 --seconds "$SECONDS_PER_RUN" --msg-size 32 --topic room:bench --server-pid "${pids[0]}" | grep "^RESULT")")
  stop_all
  line "one node, room:bench (loadgen)" "$r"
  single=$(echo "$r" | metric deliveries_per_s)

  start_three
  # Start the topic's owner (a history read), find its node, and publish from another one.
  /usr/bin/python3 - "ws://127.0.0.1:$BASE/pubsub" <<'PY'
import asyncio, json, sys, websockets
async def main(url):
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"op": "history", "topic": "room:bench", "limit": 0, "id": 1}))
        await asyncio.wait_for(ws.recv(), 30)
asyncio.run(main(sys.argv[1]))
PY
  owner=-1
  for n in 0 1 2; do
    [ "$(curl -fsS "http://127.0.0.1:$((BASE + n))/metrics" | grep '^actorsocket_topic_owners ' | cut -d' ' -f2)" = "1" ] && owner=$n
  done
  publisher=$(( (owner + 1) % 3 ))
  urls="ws://127.0.0.1:$((BASE + publisher))/pubsub"
  for n in 0 1 2; do [ "$n" != "$publisher" ] && urls+=",ws://127.0.0.1:$((BASE + n))/pubsub"; done
  r=$(cpu_per_delivery "$("$LOADGEN" fanout "$urls" --subs "$SUBS" --pubs 1 --window 64 --seconds "$SECONDS_PER_RUN" --msg-size 32 --topic room:bench \
    --server-pid "${pids[0]},${pids[1]},${pids[2]}" | grep '^RESULT')")
  stop_all
  line "three nodes, owner on node $((owner + 1)), publisher on node $((publisher + 1))" "$r"
  printf '%-44s %.2f\n' "three nodes / one node" "$(echo "$(echo "$r" | metric deliveries_per_s) / $single" | bc -l)"

  # 3. Recovery of 100 missed messages by 1,000 clients reconnecting at once.
  start_one
  r=$("$LOADGEN" recover "ws://127.0.0.1:$BASE/pubsub" --subs 1000 --missed 100 --msg-size 32 --topic room:recover --server-pid "${pids[0]}" | grep '^RESULT')
  stop_all
  printf '%-44s all recovered in %s ms (p50 %s ms, p99 %s ms), failed %s\n' "recovery, 1000 clients x 100 missed" \
    "$(echo "$r" | metric all_recovered_ms)" "$(echo "$r" | metric p50_ms)" "$(echo "$r" | metric p99_ms)" "$(echo "$r" | metric failed)"
done
