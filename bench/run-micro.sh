#!/usr/bin/env bash
# Runs the codec and actor hot-path micro-benchmarks (BenchmarkDotNet, Release) and prints their summary tables.
# Usage: bench/run-micro.sh [BenchmarkDotNet arguments], e.g. --filter '*Masking*' --job short
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--filter '*' --job short)
dotnet run -c Release --project bench/ActorSocket.Benchmarks -- "${args[@]}"
