#!/usr/bin/env python3
"""Markdown tables of run-peers.sh's runs (labels "peers SERVER CxR #rep"), standard library only.

    python3 benchmarks/peers-table.py benchmarks/results/peers.jsonl [--runs]

One row per server and size: medians of the repetitions, [min-max] where it matters, CPU per
delivery split into user and system time, and the contention each run saw. --runs: every run.
"""
import json
import statistics
import sys
from collections import defaultdict


def fmt_range(vals, fmt):
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt(m)
    return f"{fmt(m)} [{fmt(min(vals))}-{fmt(max(vals))}]"


def main():
    path = sys.argv[1]
    every = "--runs" in sys.argv
    groups = defaultdict(list)
    order = []
    for line in open(path):
        if not line.strip():
            continue
        r = json.loads(line)
        label = r.get("label", "").split()
        if len(label) < 3 or label[0] != "peers":
            continue
        key = (label[2], label[1])
        if key not in groups:
            order.append(key)
        groups[key].append(r)
    order.sort(key=lambda k: (int(k[0].split("x")[0]), int(k[0].split("x")[1])))

    def per(r, f):
        d = r["deliveries"]
        return r[f] * 1e6 / d if d else float("nan")

    print("| size | server | runs | delivered/s | lost | µs/delivery (user + sys) | p50 ms | p99 ms "
          "| server waited for a CPU s | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = [(k, [r]) for k in order for r in groups[k]] if every else [(k, groups[k]) for k in order]
    for (size, server), rs in rows:
        lat = [r.get("latencyMillis", {}) for r in rs]
        cpu = fmt_range([r["serverCpuMicrosPerDelivery"] for r in rs], lambda v: f"{v:.2f}")
        user = statistics.median(per(r, "serverUserSeconds") for r in rs)
        sys_ = statistics.median(per(r, "serverSystemSeconds") for r in rs)
        print(f"| {size} | {server} | {len(rs)} "
              f"| {fmt_range([r['deliveriesPerSecond'] for r in rs], lambda v: f'{v:,.0f}')} "
              f"| {sum(r['lost'] for r in rs)} "
              f"| {cpu} ({user:.2f} + {sys_:.2f}) "
              f"| {fmt_range([l.get('p50', float('nan')) for l in lat], lambda v: f'{v:,.1f}')} "
              f"| {fmt_range([l.get('p99', float('nan')) for l in lat], lambda v: f'{v:,.0f}')} "
              f"| {fmt_range([r['serverRunQueueSeconds'] for r in rs], lambda v: f'{v:.1f}')} "
              f"| {fmt_range([r['loadAverageStart'] for r in rs], lambda v: f'{v:.1f}')} |")


if __name__ == "__main__":
    main()
