# Shared by the benchmark scripts (sourced, not run): servers started in the background, their
# PIDs in the array "pids", every one of them stopped on exit; loopback only.
# Needs DLL (the daemon), BASE (first port), WSLOAD and a script name in SCRIPT for messages.
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# Refuses to run when one of the COUNT ports from BASE is taken.
check_ports() { # $1 = count
  for p in $(seq 0 $(($1 - 1))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$((BASE + p))") 2>/dev/null; then
      echo "$SCRIPT: port $((BASE + p)) is in use; PORT=... to choose another" >&2; exit 1
    fi
  done
}

# The value of key $1 in a RESULT line on stdin.
metric() { tr ' ' '\n' | grep "^$1=" | head -1 | cut -d= -f2; }

stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }

# Waits until the node on port $1 sees $2 members up.
wait_up() {
  for _ in $(seq 1 120); do
    curl -fsS -D - -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null | grep -q "members $2 up of $2" && return 0
    sleep 0.5
  done
  echo "$SCRIPT: node on $1 never saw $2 members up" >&2; exit 1
}

# Three cluster nodes on BASE, BASE+1, BASE+2: node 1 starts the cluster on a free remoting port,
# 2 and 3 join it; returns once all three see three members up. Arguments go to every node.
start_three() {
  local log seed n
  log=$(mktemp)
  dotnet "$DLL" --port "$BASE" --cluster --cluster-port 0 --log-level Information "$@" >"$log" 2>&1 & pids=($!)
  for _ in $(seq 1 60); do grep -q 'Cluster node akka' "$log" && break; sleep 0.5; done
  seed=$(grep -o 'Cluster node akka.tcp://[^ ]*' "$log" | head -1 | cut -d' ' -f3)
  for n in 1 2; do
    dotnet "$DLL" --port $((BASE + n)) --cluster --cluster-port 0 --seed-node "$seed" --log-level Warning "$@" >/dev/null 2>&1 & pids+=($!)
  done
  for n in 0 1 2; do wait_up $((BASE + n)) 3; done
  rm -f "$log"
}
