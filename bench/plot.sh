#!/usr/bin/env bash
# Charts of a bench/run.sh result file (lines "case metric server value", one per run): the median of
# each case's runs per server, drawn with gnuplot (Debian's gnuplot-nox) as PNG files in OUTDIR.
#   bench/plot.sh bench/results/latest.tsv bench/results
# throughput.png, cpu-per-message.png, p99.png: every load case, ActorSocket beside the Kestrel peer;
# connections.png: memory and CPU per idle connection, and handshakes/s, at 1k to 19.5k connections;
# subscribers.png: fan-out rate and CPU per delivery at 100 to 10,000 subscribers.
set -euo pipefail
results=${1:?usage: bench/plot.sh RESULTS.tsv OUTDIR}
out=${2:?usage: bench/plot.sh RESULTS.tsv OUTDIR}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"
out_abs=$(cd "$out" && pwd)
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

# One data file per chart: a row per case (or per size), a column per server, medians of the runs.
python3 - "$results" "$data" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 4 and parts[3] not in ("", "nan"):
        runs[(parts[0], parts[1], parts[2])].append(float(parts[3]))
med = {key: statistics.median(values) for key, values in runs.items()}
servers = ["actorsocket", "kestrel"]

def table(name, rows, metric, scale=1.0):
    with open(f"{sys.argv[2]}/{name}.dat", "w") as f:
        for label, case in rows:
            values = [med.get((case, metric, s)) for s in servers]
            if all(v is None for v in values):
                continue
            f.write(f'"{label}" ' + " ".join("NaN" if v is None else f"{v * scale:.6g}" for v in values) + "\n")

load = [("echo 100", "echo-100"), ("echo 1k", "echo-1000"), ("fan-out 1k", "fanout-1000"),
        ("fan-out 10k\\n1k pub/s", "fanout-10000"), ("chat 1k rooms", "rooms-2")]
rate_metric = {"echo-100": "msgs_per_s", "echo-1000": "msgs_per_s"}
with open(f"{sys.argv[2]}/throughput.dat", "w") as f:
    for label, case in load:
        metric = rate_metric.get(case, "deliveries_per_s")
        values = [med.get((case, metric, s)) for s in servers]
        if any(v is not None for v in values):
            f.write(f'"{label}" ' + " ".join("NaN" if v is None else f"{v:.6g}" for v in values) + "\n")
table("cpu", load, "cpu_us_per_msg")
table("p99", load, "p99_us", 1 / 1000)
idle = [("1k", "idle-1000"), ("5k", "idle-5000"), ("10k", "idle-10000"), ("19.5k", "idle-19500")]
table("idle-kb", idle, "kb_per_conn")
table("idle-cpu", idle, "server_cpu_pct")
table("idle-connect", idle, "connect_per_s")
subs = [("100", "fanout-100"), ("1k", "fanout-1000"), ("10k", "fanout-10000-max")]
table("subs-rate", subs, "deliveries_per_s", 1 / 1e6)
table("subs-cpu", subs, "cpu_us_per_msg")
PY

cd "$data"
common='set terminal pngcairo size 900,420 font "sans,10"; set bmargin 4; set style data histograms; set style histogram clustered gap 1;
set style fill solid 0.85 border -1; set key top left; set grid ytics; set xtics nomirror; set ytics nomirror;
set linetype 1 lc rgb "#1f77b4"; set linetype 2 lc rgb "#ff7f0e"'
bars() { # $1 data file, $2 output png, $3 title, $4 y label, $5 extra settings
  [ -s "$1" ] || return 0
  gnuplot -e "$common; set output '$out_abs/$2'; set title '$3'; set ylabel '$4'; $5;
    plot '$1' using 2:xtic(1) title 'ActorSocket', '' using 3 title 'Kestrel peer'"
}
bars throughput.dat throughput.png "Messages delivered per second (wsload, loopback, 2 cores)" "messages/s" "set logscale y; set format y '%.0s%c'"
bars cpu.dat cpu-per-message.png "Server CPU time per message delivered" "microseconds" "set yrange [0:*]"
bars p99.dat p99.png "99th percentile latency" "milliseconds (log)" "set logscale y"

# Connections: three panels side by side.
if [ -s idle-kb.dat ]; then
  gnuplot -e "set terminal pngcairo size 1200,420 font 'sans,10'; set output '$out_abs/connections.png';
    set style data histograms; set style histogram clustered gap 1; set style fill solid 0.85 border -1;
    set grid ytics; set key top left; set linetype 1 lc rgb '#1f77b4'; set linetype 2 lc rgb '#ff7f0e';
    set multiplot layout 1,3 title 'Idle connections: 1k to 19.5k';
    set title 'memory per connection'; set ylabel 'KiB (log)'; set logscale y;
    plot 'idle-kb.dat' using 2:xtic(1) title 'ActorSocket', '' using 3 title 'Kestrel peer';
    unset logscale y; set yrange [0:*]; set title 'server CPU while idle (keepalive)'; set ylabel '% of one core';
    plot 'idle-cpu.dat' using 2:xtic(1) title 'ActorSocket', '' using 3 title 'Kestrel peer';
    set title 'handshakes per second while connecting'; set ylabel 'handshakes/s';
    plot 'idle-connect.dat' using 2:xtic(1) title 'ActorSocket', '' using 3 title 'Kestrel peer';
    unset multiplot"
fi

if [ -s subs-rate.dat ]; then
  gnuplot -e "set terminal pngcairo size 900,420 font 'sans,10'; set output '$out_abs/subscribers.png';
    set style data histograms; set style histogram clustered gap 1; set style fill solid 0.85 border -1;
    set grid ytics; set key top left; set linetype 1 lc rgb '#1f77b4'; set linetype 2 lc rgb '#ff7f0e';
    set multiplot layout 1,2 title 'Fan-out of one publisher (as fast as it goes) to 100 to 10,000 subscribers';
    set title 'deliveries per second'; set ylabel 'millions/s'; set yrange [0:*];
    plot 'subs-rate.dat' using 2:xtic(1) title 'ActorSocket', '' using 3 title 'Kestrel peer';
    set title 'server CPU per delivery'; set ylabel 'microseconds';
    plot 'subs-cpu.dat' using 2:xtic(1) title 'ActorSocket', '' using 3 title 'Kestrel peer';
    unset multiplot"
fi
ls "$out_abs"/*.png >&2
