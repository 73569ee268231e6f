#!/usr/bin/env bash
# What securing a deployment costs on the data path, as issue 16 asks, measured by wsload (the
# referee), fan-out of one publisher to SUBS subscribers on one node:
#  plain     the embedded defaults;
#  secured   a JWT key (every handshake runs the token hook; wsload's clients are anonymous), a
#            private prefix and wildcards on in the default namespace (every request takes the
#            permission rules' slow path) and per-connection rate limits high enough never to refuse
#            (every publish takes a token from two buckets);
#  concrete  secured, and a client holding 10,000 subscriptions to plain topics (the baseline of:)
#  patterns  secured, and a client holding 10,000 wildcard patterns that do not match the topic.
# CASES picks and orders them (default: all four).
# Alternates the cases, in a turning order, ROUNDS times (default 3); every server in a fresh process; loopback only,
# bounded (about 1 minute a round). Prints one line per case and round, then the medians' ratios.
# Token validations per second and pattern matching alone: bench/run-micro.sh --filter '*Jwt*' '*Pattern*'.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
ROUNDS=${ROUNDS:-3}
CASES=${CASES:-plain secured concrete patterns}
SUBS=${SUBS:-1000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
BASE=${PORT:-18960}
WSLOAD=${WSLOAD:-../shared/bench/wsload}
[ -x "$WSLOAD" ] || make -s -C "$(dirname "$WSLOAD")"
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
DLL=src/Gateway/bin/Release/net10.0/actorsocket.dll
SCRIPT=run-identity.sh
. bench/lib.sh
check_ports 1

SECURED=(
  --set 'actorsocket.auth.jwt.hs256-secrets = ["benchmark-secret-benchmark-secret-0123"]'
  --set 'actorsocket.pubsub.default-namespace.private-prefix = "$"'
  --set 'actorsocket.pubsub.default-namespace.wildcards = on'
  --set 'actorsocket.pubsub.rate-limit { requests-per-second = 1000000, request-burst = 1000000, publishes-per-second = 1000000, publish-burst = 1000000 }'
  --set 'actorsocket.pubsub.max-topics-per-connection = 10000'
)

start() { # $@ = extra arguments
  dotnet "$DLL" --port "$BASE" --log-level Warning "$@" >/dev/null 2>&1 & pids=($!)
  "$WSLOAD" probe "ws://127.0.0.1:$BASE/echo" --timeout 30 >/dev/null
}

# A client that subscribes to 10,000 patterns ($1 = patterns; none matches "bench") or plain topics
# ($1 = concrete), then holds them until killed.
hold_patterns() {
  /usr/bin/python3 - "ws://127.0.0.1:$BASE/pubsub" "$1" <<'PY' >/dev/null &
import asyncio, json, sys, websockets
async def main(url):
    async with websockets.connect(url, max_queue=None) as ws:
        for i in range(10000):
            await ws.send(json.dumps({"op": "subscribe", "topic": ("p%d.%s" % (i, "*" if i % 2 else ">")) if sys.argv[2] == "patterns" else "p%d.x" % i, "id": i}))
        for _ in range(10000):
            answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert answer["op"] == "ack", answer
        print("ready", flush=True)
        await asyncio.Future()
asyncio.run(main(sys.argv[1]))
PY
  pids+=($!)
  for _ in $(seq 1 120); do
    [ "$(curl -fsS "http://127.0.0.1:$BASE/metrics" | grep '^actorsocket_subscriptions ' | cut -d' ' -f2)" = "10000" ] && return 0
    sleep 0.5
  done
  echo "$SCRIPT: the client never held its 10,000 subscriptions" >&2; exit 1
}

fanout() {
  local r d c
  r=$("$WSLOAD" fanout "ws://127.0.0.1:$BASE/pubsub" --subs "$SUBS" --pubs 1 --rate 0 --seconds "$SECONDS_PER_RUN" --topic bench --msg-size 32 --server-pid "${pids[0]}" 2>/dev/null | grep '^RESULT')
  d=$(echo "$r" | metric deliveries_per_s); c=$(echo "$r" | metric server_cpu_pct)
  echo "$d $(echo "scale=3; $c / 100 * 1000000 / $d" | bc -l)"
}

declare -A rates
for round in $(seq 1 "$ROUNDS"); do
  # The order turns every round: no case always runs first or last.
  read -r -a cases <<<"$CASES"
  for k in $(seq 0 $((${#cases[@]} - 1))); do
    case=${cases[$(((k + round - 1) % ${#cases[@]}))]}
    case $case in
      plain) start ;;
      secured) start "${SECURED[@]}" ;;
      patterns) start "${SECURED[@]}"; hold_patterns patterns ;;
      concrete) start "${SECURED[@]}"; hold_patterns concrete ;;
    esac
    read -r d us < <(fanout)
    stop_all
    rates[$case]+="$d "
    printf 'round %d  %-9s %10s deliveries/s  %6s us CPU/delivery\n' "$round" "$case" "$d" "$us"
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.0f\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { # $1 / $2, medians of deliveries/s
  [ -n "${rates[$1]:-}" ] && [ -n "${rates[$2]:-}" ] || return 0
  printf '%-9s / %-9s %.2f (medians)\n' "$1" "$2" "$(echo "$(echo "${rates[$1]}" | median) / $(echo "${rates[$2]}" | median)" | bc -l)"
}
ratio secured plain
ratio patterns concrete
ratio patterns plain
