#!/usr/bin/env bash
# The soak: 30 minutes (SOAK_SECONDS) of mixed traffic against one daemon on loopback (bench/soak.py:
# echo, fan-out with sequence checks, subscribers that stop reading, clients that vanish, reconnect
# storms, hostile clients), sampled every 10 s into bench/results/soak.csv and charted with gnuplot
# into bench/results/soak.png. Not part of CI. Pass: memory and handles plateau, no message lost for
# subscribers that keep up, every vanished client reported once (checked here from the daemon's log).
set -euo pipefail
cd "$(dirname "$0")/.."
# The youngest GC generation capped as in deploy/ (docs/operations.md, Garbage collection); every
# server started here, ActorSocket and its peers alike, runs with it.
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
SECONDS_TO_RUN=${SOAK_SECONDS:-1800}
PORT=${PORT:-18977}
OUT=bench/results
mkdir -p "$OUT"
command -v gnuplot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null; }
/usr/bin/python3 -c 'import websockets' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-websockets >/dev/null
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "soak.sh: port $PORT is in use" >&2; exit 1; fi

# The daemon runs from a copy of its build, so a rebuild during the half hour cannot change its files.
copy=$(mktemp -d)
cp -r src/Gateway/bin/Release/net10.0/. "$copy"
log=$OUT/soak-daemon.log
dotnet "$copy/actorsocket.dll" --port "$PORT" --log-level Information >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$copy"' EXIT
for _ in $(seq 1 60); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.5; done

result=$(/usr/bin/python3 bench/soak.py "ws://127.0.0.1:$PORT" "$pid" "$SECONDS_TO_RUN" "$OUT/soak.csv" | grep '^RESULT')
kill -TERM "$pid"; wait "$pid" || true
trap - EXIT
rm -rf "$copy"

# Every connection that ended abnormally is logged once: no connection id twice.
lost=$(grep -c ' lost (' "$log" || true)
duplicates=$(grep -o 'Connection [0-9]* from [^ ]* on [^ ]* lost' "$log" | awk '{print $2}' | sort | uniq -d | wc -l)
errors=$(grep -c ' ERR\] \| FTL\] ' "$log" || true)
echo "$result lost_lines=$lost duplicate_reports=$duplicates error_lines=$errors"

gnuplot <<EOF
set terminal pngcairo size 1200,800 font ",10" noenhanced
set output "$OUT/soak.png"
set datafile separator ","
set key autotitle columnhead outside bottom
set multiplot layout 2,1 title "ActorSocket soak: $((SECONDS_TO_RUN / 60)) minutes of mixed traffic (bench/soak.sh)"
set xlabel "seconds"
set ylabel "MiB"
plot "$OUT/soak.csv" using 1:2 with lines lw 2, "" using 1:3 with lines lw 2
set ylabel "count"
plot "$OUT/soak.csv" using 1:4 with lines lw 2, "" using 1:5 with lines lw 2, "" using 1:6 with lines lw 2
unset multiplot
EOF
echo "soak.sh: $OUT/soak.csv, $OUT/soak.png, $log"
