#!/usr/bin/env python3
"""Markdown tables of the load runs for RESULTS.md, with the standard library only.

    python3 benchmarks/tables.py benchmarks/results/load.jsonl

One row per engine and size: the median of the repetitions, and [min-max] where it matters.
"""
import json
import statistics
import sys
from collections import defaultdict


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/load.jsonl"
    groups = defaultdict(list)
    idle = []
    order = []
    for line in open(path):
        if not line.strip():
            continue
        r = json.loads(line)
        label = r.get("label", "").split()
        if label and label[0] == "idle":
            idle.append(r)
        if len(label) < 3 or label[0] != "suite":
            continue
        key = (label[1], r["clients"], r["rate"])
        if key not in groups:
            order.append(key)
        groups[key].append(r)

    def med(rs, f):
        return statistics.median(f(r) for r in rs)

    def rng(rs, f, fmt):
        vals = [f(r) for r in rs]
        return f"{fmt(statistics.median(vals))} [{fmt(min(vals))}-{fmt(max(vals))}]"

    print("| engine | subscribers x writes/s | offered/s | delivered/s | lost | dup | p50 ms | p90 ms | p99 ms | max ms "
          "| server µs/delivery | event-loop µs/delivery | JIT compiler s | server core use | server waited for CPU s | generator core use | load avg | runs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def loop_us(r):
        t = r.get("serverThreadCpuSeconds") or {}
        loop = sum(v for k, v in t.items() if k.startswith("vert.x-eventloo"))
        return loop * 1e6 / r["deliveries"] if t and r["deliveries"] else float("nan")

    def jit_s(r):
        t = r.get("serverThreadCpuSeconds") or {}
        return sum(v for k, v in t.items() if "Compiler" in k) if t else float("nan")

    for key in order:
        e, c, rate = key
        rs = groups[key]
        lat = lambda k: (lambda r: r["latencyMillis"][k])
        print(f"| {e} | {c:,} x {rate} | {med(rs, lambda r: r['offeredPerSecond']):,.0f} "
              f"| {rng(rs, lambda r: r['deliveriesPerSecond'], lambda v: f'{v:,.0f}')} "
              f"| {sum(r['lost'] for r in rs)} | {sum(r['duplicated'] for r in rs)} "
              f"| {med(rs, lat('p50')):,.1f} | {med(rs, lat('p90')):,.1f} "
              f"| {rng(rs, lat('p99'), lambda v: f'{v:,.0f}')} | {med(rs, lat('max')):,.0f} "
              f"| {rng(rs, lambda r: r['serverCpuMicrosPerDelivery'], lambda v: f'{v:.1f}')} "
              f"| {rng(rs, loop_us, lambda v: f'{v:.1f}')} | {med(rs, jit_s):.1f} "
              f"| {med(rs, lambda r: r['serverCoreUse']) * 100:.0f}% "
              f"| {med(rs, lambda r: r.get('serverRunQueueSeconds', -1)):.1f} "
              f"| {med(rs, lambda r: r['generatorCoreUse']) * 100:.0f}%{' SATURATED' if any(r['generatorSaturated'] for r in rs) else ''} "
              f"| {med(rs, lambda r: r.get('loadAverageStart', -1)):.1f} | {len(rs)} |")
    if idle:
        print()
        print("| run | subscribers | live heap before | live heap after | per subscriber | server RSS |")
        print("|---|---|---|---|---|---|")
        for r in idle:
            if r["heapBeforeBytes"] < 0:
                continue
            print(f"| {r['label']} | {r['connected']:,} | {r['heapBeforeBytes'] / 1048576:.1f} MiB "
                  f"| {r['heapAfterBytes'] / 1048576:.1f} MiB | {r['heapPerClientBytes'] / 1024:.2f} KiB "
                  f"| {r['serverRssBytes'] / 1048576:.0f} MiB |")


if __name__ == "__main__":
    main()
