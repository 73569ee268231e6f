#!/usr/bin/env bash
# The cluster fault scenarios that take a minute or more each (the tests of Category=LongFaults in
# tests/ActorSocket.Gateway.Tests/Faults/LongFaultTests.cs): a 40 s pause of a node, a partition of
# the oldest node from the two others with a publisher on it, an asymmetric partition, a minute of
# 20% packet loss and 200 ms delay between nodes, and a rolling restart of every node with durable
# history in PostgreSQL. Three daemons, each in a network namespace of its own (needs root, Debian's
# iproute2 and nftables; PostgreSQL for the last one: installed here when missing, as test.sh does),
# .NET clients on every node, every run checked by the history checker. Writes the table of what
# each measured to bench/results/faults.tsv and prints it. About 7 minutes; everything it starts
# (daemons, namespaces, the database) is stopped and removed by the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v nft >/dev/null 2>&1 || need+=(nftables)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r version cluster _; do $sudo pg_ctlcluster "$version" "$cluster" stop 2>/dev/null || true; done
  fi
fi

out=bench/results/faults.tsv
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
status=0
ACTORSOCKET_FAULT_RESULTS=$rows dotnet test tests/ActorSocket.Gateway.Tests -c Release --filter "Category=LongFaults" --logger "console;verbosity=normal" || status=$?
{
  printf 'scenario\tacknowledged publishes\tlost on the majority side\tchecker violations\tdetected after (s)\tlongest silence, majority side (s)\tlongest silence, moved clients (s)\tclients told to go elsewhere\tnotes\n'
  cat "$rows"
} > "$out"
echo
echo "$(date -u +%F): $out"
column -t -s $'\t' "$out"
exit "$status"
