#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs every test project.
# Prints a closing line "N passed, N failed" and exits non-zero when any test fails.
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
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The chat page is driven in Debian's headless Chromium through playwright-core (no browser download).
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test ActorSocket.sln -c Release 2>&1 | tee "$log" || status=$?

# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 204, ...").
read -r passed failed < <(awk '
  /(Passed|Failed)! +- +Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") { gsub(",", "", $(i+1)); f += $(i+1) }
      if ($i == "Passed:") { gsub(",", "", $(i+1)); p += $(i+1) }
    }
  }
  END { print p + 0, f + 0 }' "$log")
echo "${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
