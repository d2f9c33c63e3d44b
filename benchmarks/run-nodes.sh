#!/usr/bin/env bash
# Scale-out runs (issue #11): 1, 2 and 3 engine nodes on one throwaway PostgreSQL, subscribers
# spread over the nodes, the writer on node 1, so latency "on another node" is write -> commit ->
# NOTIFY/tail -> other node's fan-out. Every engine node is pinned to core 0 and the generator to
# core 1 (--pin); PostgreSQL floats. Each run gets a fresh database. Labels "nodes N CxR #rep".
#
#   benchmarks/run-nodes.sh            # REPS=2; CONFIGS="1:1000x100 2:1000x100 3:1000x100 1:30x1000 3:30x1000"
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-2}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-15}
CONFIGS=${CONFIGS:-"1:1000x100 2:1000x100 3:1000x100 1:30x1000 3:30x1000"}
OUT=${OUT:-benchmarks/results/nodes.jsonl}
JAR=${ENGINE_JAR:-engine/target/patchwire.jar}
PGPORT=${PGPORT:-25437}
PGDIR=$(mktemp -d /tmp/patchwire-pg.XXXXXX)
trap 'benchmarks/pg-throwaway.sh stop "$PGDIR" || true; rm -rf "$PGDIR"' EXIT
benchmarks/pg-throwaway.sh start "$PGDIR" "$PGPORT"
n=0
for rep in $(seq 1 "$REPS"); do
  for c in $CONFIGS; do
    nodes=${c%%:*} size=${c#*:}
    n=$((n + 1))
    url=$(benchmarks/pg-throwaway.sh createdb "$PGDIR" "$PGPORT" "load$n")
    benchmarks/run-load.sh --spawn --pin --jar "$JAR" --nodes "$nodes" --database-url "$url" \
      --warmup "$WARMUP" --duration "$DURATION" --drain 10 \
      --clients "${size%x*}" --rate "${size#*x}" --label "nodes $nodes $size #$rep" --out "$OUT"
  done
done
