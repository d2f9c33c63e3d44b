#!/bin/sh
# interleaved A/B (before, after, before, after) of the store benchmarks, one JMH fork each
# run in a folder holding before.jar and after.jar (benchmarks jars of the two builds); writes its results there
P="-prof gc -prof dev.patchwire.bench.CpuTimeProfiler -wi 3 -w 2 -i 5 -r 2 -f 1"
for round in 1 2; do
  for v in before after; do
    for case in "h2snap:SnapshotBenchmark:-p store=h2" "h2write:WriteBenchmark:-p store=h2" \
                "pgsnap:SnapshotBenchmark.snapshot$:-p store=postgresql" "pgwrite:WriteBenchmark.(putBenchDoc|createTask):-p store=postgresql"; do
      name=${case%%:*}; rest=${case#*:}; bench=${rest%%:*}; params=${rest#*:}
      echo "== $v $name round $round $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
      java -jar $v.jar "$bench" $params $P -rf json -rff ab-$name-$v-$round.json > ab-$name-$v-$round.txt 2>&1
      grep -E "^(Snapshot|Write)Benchmark" ab-$name-$v-$round.txt | grep -E "cpu|gc.alloc.rate.norm|  (avgt|thrpt) " 
    done
  done
done
echo "== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
