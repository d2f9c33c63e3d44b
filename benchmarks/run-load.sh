#!/usr/bin/env bash
# The WebSocket load run with enough file descriptors for 10,000 subscribers.
#
#   benchmarks/run-load.sh --spawn --pin --clients 1000 --rate 100 --duration 20 --warmup 5
#
# Each subscriber is one socket in the generator and one in the server, so both processes need
# more than N descriptors: this raises the soft limit to 65536 (or to the hard limit when that is
# lower; the JVM also raises its own soft limit to the hard one). Arguments go to LoadRun as is.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
JAR=${BENCH_JAR:-benchmarks/target/benchmarks.jar}
if [ ! -f "$JAR" ] || [ ! -f engine/target/patchwire.jar ]; then
  mvn -B -q -pl benchmarks -am package -DskipTests
fi
exec java ${LOADRUN_JAVA_OPTS:--Xms1g -Xmx4g} -cp "$JAR" dev.patchwire.bench.LoadRun "$@"
