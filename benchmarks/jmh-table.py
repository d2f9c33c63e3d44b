#!/usr/bin/env python3
"""Markdown table of a JMH JSON result (-rf json), with the standard library only.

    python3 benchmarks/jmh-table.py benchmarks/results/jmh-c4ae0a5.json

The median of the measurement iterations with [min-max], rather than the mean and its error:
on a shared, noisy machine one slow iteration should not move the number. Allocation per
operation (-prof gc, gc.alloc.rate.norm) is deterministic and shown as is.
"""
import json
import statistics
import sys


def fmt(v):
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def main():
    data = json.load(open(sys.argv[1]))
    print("| benchmark | params | median [min-max] | unit | alloc B/op |")
    print("|---|---|---|---|---|")
    for b in data:
        name = b["benchmark"].replace("dev.patchwire.bench.", "")
        params = ", ".join(f"{k}={v}" for k, v in (b.get("params") or {}).items())
        raw = [v for fork in b["primaryMetric"]["rawData"] for v in fork]
        med = statistics.median(raw)
        alloc = b.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        alloc_s = f"{alloc:,.0f}" if alloc is not None else ""
        print(f"| {name} | {params} | {fmt(med)} [{fmt(min(raw))}-{fmt(max(raw))}] "
              f"| {b['primaryMetric']['scoreUnit']} | {alloc_s} |")


if __name__ == "__main__":
    main()
