#!/bin/sh
# run in a folder holding after.jar and patchwire-after.jar (the engine of the same build), after ab.sh
for n in 1 3 1 3; do
  echo "== pgload nodes $n $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  java -cp after.jar dev.patchwire.bench.PgWriteLoad --jar patchwire-after.jar --nodes $n --in-flight 64 \
     --warmup 10 --duration 20 --label "pgload after nodes=$n" --out pgload.jsonl 2>&1 | grep -E "acknowledged|Exception|ERROR"
done
echo "== jfr $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
java -jar after.jar 'SnapshotBenchmark.snapshot$' -p store=h2 -wi 3 -i 5 -f 1 -jvmArgsAppend "-XX:StartFlightRecording=filename=snap-after.jfr,settings=profile" > jfr-snap.txt 2>&1
java -jar after.jar 'SnapshotBenchmark.snapshotFiltered' -p store=h2 -wi 3 -i 5 -f 1 -jvmArgsAppend "-XX:StartFlightRecording=filename=snapf-after.jfr,settings=profile" > jfr-snapf.txt 2>&1
java -jar after.jar 'WriteBenchmark.createTask' -p store=h2 -wi 3 -i 5 -f 1 -jvmArgsAppend "-XX:StartFlightRecording=filename=write-after.jfr,settings=profile" > jfr-write.txt 2>&1
echo "== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
# then, from the repository: python3 benchmarks/jfr-top.py WORK/snap-after.jfr 20 (and snapf-after, write-after)
