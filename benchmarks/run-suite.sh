#!/usr/bin/env bash
# The recorded load runs of RESULTS.md: 100; 1,000; 5,000 and 10,000 subscribers, each REPS times
# (server pinned to core 0, generator to core 1), then 10,000 idle subscribers for the heap, then
# the chart. Results are appended to benchmarks/results/load.jsonl (one JSON line per run).
#
#   benchmarks/run-suite.sh                     # the engine of this work tree
#   ENGINE_JAR=/tmp/pw-c4ae0a5/engine/target/patchwire.jar ENGINE=c4ae0a5 benchmarks/run-suite.sh
#
# REPS=3 DURATION=20 WARMUP=5 by default. ENGINE names the engine build in the labels; the chart
# draws one line per ENGINE.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-5}
OUT=${OUT:-benchmarks/results/load.jsonl}
ENGINE_JAR=${ENGINE_JAR:-engine/target/patchwire.jar}
ENGINE=${ENGINE:-$(git rev-parse --short HEAD)}
run() { benchmarks/run-load.sh --spawn --pin --jar "$ENGINE_JAR" --warmup "$WARMUP" --duration "$DURATION" --out "$OUT" "$@"; }
for rep in $(seq 1 "$REPS"); do
  run --clients 100   --rate 100 --label "suite $ENGINE 100x100 #$rep"
  run --clients 1000  --rate 100 --label "suite $ENGINE 1000x100 #$rep"
  run --clients 5000  --rate 20  --label "suite $ENGINE 5000x20 #$rep"
  run --clients 10000 --rate 10  --label "suite $ENGINE 10000x10 #$rep"
done
run --clients 10000 --rate 0 --duration 3 --warmup 0 --heap --label "idle $ENGINE 10000"
python3 benchmarks/plot.py "$OUT" benchmarks/results/load.svg
