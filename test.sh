#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs every test project.
# Prints a closing line "N passed, N failed" and exits non-zero when any test fails or a test
# assembly reports nothing.
set -euo pipefail
cd "$(dirname "$0")"

# End-to-end tests drive the server with clients nobody here wrote: Python's websockets and Node's ws,
# both from Debian's packages (Python's is used through /usr/bin/python3, Debian's own interpreter).
need=()
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || need+=(python3-websockets)
[ -d /usr/share/nodejs/ws ] || need+=(node-ws)
command -v node >/dev/null 2>&1 || need+=(nodejs)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
# Durable history is tested against a real PostgreSQL: the tests start a throwaway server of their own
# (a new cluster in a temporary directory on a free port, stopped and deleted at the end).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# Cluster fault tests put each daemon in a network namespace of its own and cut links with nftables.
command -v nft >/dev/null 2>&1 || need+=(nftables)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  if [[ " ${need[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null 2>&1; then
    # The package may start a default cluster of its own; the tests do not use it: leave nothing running.
    pg_lsclusters -h 2>/dev/null | while read -r version cluster _; do $sudo pg_ctlcluster "$version" "$cluster" stop 2>/dev/null || true; done
  fi
fi

# The chat page is driven in Debian's headless Chromium through playwright-core (no browser download).
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# The verdict comes from the runner's exit code and its machine-readable results (one TRX file per
# test assembly), not from its console text.
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
# The fault scenarios of a minute or more each (Category=LongFaults) are bench/run-faults.sh's, not the test command's.
dotnet test ActorSocket.sln -c Release --filter "Category!=LongFaults" --logger trx --results-directory "$results" || status=$?

projects=$(dotnet sln ActorSocket.sln list | grep -c '^tests/.*\.csproj$' || true)
read -r files passed failed < <(/usr/bin/python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
files = glob.glob(sys.argv[1] + "/**/*.trx", recursive=True)
passed = failed = 0
for path in files:
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
print(len(files), passed, failed)
PY
)
echo "${passed} passed, ${failed} failed (${files} of ${projects} test assemblies reported)"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ] || [ "$files" -ne "$projects" ]; then
  exit 1
fi
