#!/usr/bin/env bash
# Interleaved comparison of two engine builds on the recorded sizes: A, B, A, B... so that both
# see the same background load. Labels "suite ENGINE CxR #n" merge with run-suite.sh's in the chart.
#
#   A=c4ae0a5 A_JAR=/tmp/pw-c4ae0a5/engine/target/patchwire.jar \
#   B=dde3273 B_JAR=/tmp/pw-dde3273/engine/target/patchwire.jar benchmarks/run-ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-2}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-15}
OUT=${OUT:-benchmarks/results/load.jsonl}
run() { benchmarks/run-load.sh --spawn --pin --warmup "$WARMUP" --duration "$DURATION" --out "$OUT" "$@"; }
for rep in $(seq 1 "$REPS"); do
  for size in "1000 100" "5000 20" "10000 10" "100 100"; do
    set -- $size
    run --jar "$A_JAR" --clients "$1" --rate "$2" --label "suite $A ${1}x${2} ab$rep"
    run --jar "$B_JAR" --clients "$1" --rate "$2" --label "suite $B ${1}x${2} ab$rep"
  done
done
python3 benchmarks/plot.py "$OUT" benchmarks/results/load.svg
