#!/usr/bin/env bash
# The server API's publish rate, as a backend sees it: COUNT publishes through POST /api/publish,
# each on a new connection and then on kept-alive ones, by 1 and by CONCURRENCY workers at once,
# on a topic without history and on one with history (the answer then carries the offset). Prints
# requests/s and the daemon's CPU per request. Python's http.client (Debian's /usr/bin/python3) is
# the backend. One daemon; loopback only; bounded (COUNT per case).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x400000}
COUNT=${COUNT:-3000}
CONCURRENCY=${CONCURRENCY:-8}
BASE=${PORT:-18995}
SCRIPT=run-api.sh
DLL=src/Gateway/bin/Release/net10.0/actorsocket.dll
dotnet build -c Release src/Gateway -v q -nologo >/dev/null
. bench/lib.sh
check_ports 1

KEY=bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
ACTORSOCKET_API_KEYS=$KEY dotnet "$DLL" --port "$BASE" --log-level Warning >/dev/null 2>&1 & pids=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in clock ticks
ticks=$(getconf CLK_TCK)
for topic in plain:api room:api; do
  for keep in 0 1; do
  for workers in 1 "$CONCURRENCY"; do
    before=$(cpu "${pids[0]}")
    result=$(/usr/bin/python3 - "$BASE" "$KEY" "$topic" "$COUNT" "$workers" "$keep" <<'PY'
import http.client, json, sys, threading, time
port, key, topic, count, workers, keep = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1"
body = json.dumps({"topic": topic, "data": {"text": "x" * 64}})
failures = []
def work(n):
    c = None
    for _ in range(n):
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/api/publish", body, {"Authorization": "apikey " + key, "Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        if not keep or r.getheader("Connection") == "close":
            c.close(); c = None
        if r.status != 200: failures.append(r.status)
start = time.perf_counter()
threads = [threading.Thread(target=work, args=(count // workers,)) for _ in range(workers)]
[t.start() for t in threads]; [t.join() for t in threads]
elapsed = time.perf_counter() - start
print(f"{(count // workers) * workers / elapsed:.0f} {len(failures)}")
PY
)
    after=$(cpu "${pids[0]}")
    read -r rate failed <<<"$result"
    us=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$COUNT" 'BEGIN { printf "%.0f", t / hz / n * 1e6 }')
    echo "RESULT mode=api topic=$topic keepalive=$keep workers=$workers requests_per_s=$rate failed=$failed server_cpu_us_per_request=$us"
  done
  done
done
stop_all
