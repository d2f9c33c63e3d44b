#!/usr/bin/env bash
# The side-by-side: the engine (and its variants under test) against the bare Vert.x broadcast and
# the Node ws hub, same generator, same messages, pinned (server core 0, generator core 1), the
# servers interleaved within each repetition so that all see the same background load.
# Labels are "peers SERVER CxR #rep"; tables: python3 benchmarks/peers-table.py OUT.
#
#   benchmarks/run-peers.sh                                   # REPS=2, 1,000 x 50 and 1,000 x 100
#   SIZES="1000x50" SERVERS="engine broadcast" benchmarks/run-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-2}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
SIZES=${SIZES:-"1000x50 1000x100"}
SERVERS=${SERVERS:-"engine engine-io_uring engine-flush5 broadcast ws"}
OUT=${OUT:-benchmarks/results/peers.jsonl}
JAR=${ENGINE_JAR:-engine/target/patchwire.jar}
args_for() {
  case "$1" in
    engine) echo "--jar $JAR" ;;
    engine-io_uring) echo "--jar $JAR --server-opt -Dpatchwire.transport=io_uring" ;;
    engine-flush*) echo "--jar $JAR --server-arg --flush-interval --server-arg ${1#engine-flush}" ;;
    broadcast) echo "--server broadcast" ;;
    ws) echo "--server ws" ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
}
for rep in $(seq 1 "$REPS"); do
  for size in $SIZES; do
    for s in $SERVERS; do
      # shellcheck disable=SC2046
      benchmarks/run-load.sh --spawn --pin --warmup "$WARMUP" --duration "$DURATION" --drain 10 \
        --clients "${size%x*}" --rate "${size#*x}" $(args_for "$s") \
        --label "peers $s $size #$rep" --out "$OUT"
    done
  done
done
