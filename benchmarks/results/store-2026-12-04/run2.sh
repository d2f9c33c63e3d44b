#!/bin/sh
cd /tmp/perfstore
while pgrep -f "ab.sh" > /dev/null; do sleep 5; done
for n in 1 3 1 3; do
  echo "== pgload nodes $n $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  java -cp after.jar dev.patchwire.bench.PgWriteLoad --jar patchwire-after.jar --nodes $n --in-flight 64 \
     --warmup 10 --duration 20 --label "pgload after nodes=$n" --out pgload.jsonl 2>&1 | grep -E "acknowledged|Exception|ERROR"
done
echo "== jfr $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
java -jar after.jar 'SnapshotBenchmark.snapshot$' -p store=h2 -wi 3 -i 5 -f 1 -jvmArgsAppend "-XX:StartFlightRecording=filename=/tmp/perfstore/snap-after.jfr,settings=profile" > jfr-snap.txt 2>&1
java -jar after.jar 'SnapshotBenchmark.snapshotFiltered' -p store=h2 -wi 3 -i 5 -f 1 -jvmArgsAppend "-XX:StartFlightRecording=filename=/tmp/perfstore/snapf-after.jfr,settings=profile" > jfr-snapf.txt 2>&1
java -jar after.jar 'WriteBenchmark.createTask' -p store=h2 -wi 3 -i 5 -f 1 -jvmArgsAppend "-XX:StartFlightRecording=filename=/tmp/perfstore/write-after.jfr,settings=profile" > jfr-write.txt 2>&1
echo "== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
