#!/usr/bin/env bash
# Coverage-guided fuzzing of one target for N minutes: SharpFuzz instruments ActorSocket's assemblies,
# AFL++ (Debian's afl++) drives fuzz/ActorSocket.Fuzz. New coverage is kept in the corpus the tests
# replay; every crash is copied into fuzz/corpus/TARGET/ as crash-* and so becomes a regression test.
#   fuzz/run.sh TARGET [MINUTES]      TARGET: http | frames | frames-deflate | pubsub | cluster
# Prints executions per second and the coverage AFL++ reached. Not part of CI (the corpus replay is).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [MINUTES]}
minutes=${2:-5}
command -v afl-fuzz >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null; }
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0 >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish fuzz/ActorSocket.Fuzz -c Release -o "$work/bin" -v q -nologo >/dev/null
for assembly in ActorSocket.Protocol.dll ActorSocket.Actors.dll; do
  sharpfuzz "$work/bin/$assembly" >/dev/null
done

# .NET is no AFL-instrumented binary: the forkserver is SharpFuzz's, inside the process.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
afl-fuzz -i "fuzz/corpus/$target" -o "$work/out" -t 10000 -m none -V $((minutes * 60)) \
  -- dotnet "$work/bin/ActorSocket.Fuzz.dll" "$target" >"$work/afl.log" 2>&1 || { tail -30 "$work/afl.log"; exit 1; }

stats="$work/out/default/fuzzer_stats"
get() { grep "^$1 " "$stats" | cut -d: -f2 | tr -d ' '; }
echo "fuzz $target: $(get execs_done) executions in $minutes min, $(get execs_per_sec) per second, coverage $(get bitmap_cvg) of the map, $(get corpus_count) inputs in the queue, $(get saved_crashes) crashes, $(get saved_hangs) hangs"

# Inputs that found new coverage join the corpus (named by content, at most 200 of at most 4 KiB each,
# smallest first, so the replay stays fast); crashes become regression inputs.
find "$work/out/default/queue" -maxdepth 1 -name 'id:*' -size -4097c -printf '%s %p\n' | sort -n | head -200 | cut -d' ' -f2- |
while read -r file; do
  name=$(sha1sum "$file" | cut -c1-16)
  [ -e "fuzz/corpus/$target/q-$name" ] || cp "$file" "fuzz/corpus/$target/q-$name"
done
for file in "$work/out/default/crashes"/id:*; do
  [ -f "$file" ] || continue
  cp "$file" "fuzz/corpus/$target/crash-$(sha1sum "$file" | cut -c1-16)"
  echo "crash: fuzz/corpus/$target/crash-$(sha1sum "$file" | cut -c1-16) (dotnet fuzz/ActorSocket.Fuzz/bin/Release/net10.0/ActorSocket.Fuzz.dll $target FILE reproduces it)"
done
