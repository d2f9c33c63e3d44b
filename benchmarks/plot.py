#!/usr/bin/env python3
"""Draws the load-run chart of RESULTS.md as an SVG, with the Python standard library only.

    python3 benchmarks/plot.py benchmarks/results/load.jsonl benchmarks/results/load.svg

Reads the JSON lines LoadRun --out appends, keeps the runs whose label starts with "suite",
groups them by subscriber count and plots the median of the repetitions: deliveries per second
(with the offered rate) on the left, p99 write-to-delivery latency on the right, with the
issue's targets (p99 under 50 ms at 1,000 subscribers, under 100 ms at 5,000).
"""
import json
import statistics
import sys
from collections import defaultdict

W, H = 960, 440
PANEL_W, PANEL_H = 380, 290
LEFT = [(80, 60), (560, 60)]
TARGETS_P99 = {1000: 50, 5000: 100}


def load(path):
    """{engine: {clients: [runs]}} from labels "suite ENGINE CxR #n", in file order of engines."""
    runs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            label = str(r.get("label", "")).split()
            if len(label) < 3 or label[0] != "suite" or "latencyMillis" not in r:
                continue
            runs.setdefault(label[1], defaultdict(list))[r["clients"]].append(r)
    return {e: dict(sorted(c.items())) for e, c in runs.items()}


def nice_max(v):
    if v <= 0:
        return 1
    for m in (1, 2, 2.5, 5, 10):
        step = 10 ** len(str(int(v))) / 10
        if m * step >= v:
            return m * step
    return v


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def panel(out, origin, title, xs, series, ymax, ylabel, fmt, extra=None, log=False):
    """One chart; with log=True the y axis runs in decades from 1 to ymax."""
    import math
    ox, oy = origin

    def py(v):
        if log:
            top = 10 ** max(1, math.ceil(math.log10(ymax)))
            return oy + PANEL_H - PANEL_H * math.log10(max(1.0, min(v, top))) / math.log10(top)
        return oy + PANEL_H - PANEL_H * min(v, ymax) / ymax

    out.append(f'<text x="{ox + PANEL_W / 2}" y="{oy - 20}" text-anchor="middle" font-size="15" '
               f'font-weight="bold">{esc(title)}</text>')
    out.append(f'<rect x="{ox}" y="{oy}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#999"/>')
    decades = max(1, math.ceil(math.log10(ymax))) if log else 0
    ticks = [10 ** d for d in range(decades + 1)] if log else [ymax * i / 5 for i in range(6)]
    for v in ticks:
        y = py(v)
        out.append(f'<line x1="{ox}" y1="{y}" x2="{ox + PANEL_W}" y2="{y}" stroke="#eee"/>')
        out.append(f'<text x="{ox - 6}" y="{y + 4}" text-anchor="end" font-size="11">{fmt(v)}</text>')
    n = len(xs)

    def px(i):
        return ox + PANEL_W * (i + 0.5) / n


    for i, x in enumerate(xs):
        out.append(f'<text x="{px(i)}" y="{oy + PANEL_H + 18}" text-anchor="middle" font-size="11">'
                   f'{x:,}</text>')
    out.append(f'<text x="{ox + PANEL_W / 2}" y="{oy + PANEL_H + 38}" text-anchor="middle" '
               f'font-size="12">subscribers (server on 1 core)</text>')
    out.append(f'<text x="{ox - 60}" y="{oy + PANEL_H / 2}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 {ox - 60} {oy + PANEL_H / 2})">{esc(ylabel)}</text>')
    if extra:
        extra(out, px, py)
    for name, color, dash, values in series:
        if not any(v is not None for v in values):
            continue
        pts = [(px(i), py(v)) for i, v in enumerate(values) if v is not None]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" '
                   f'stroke-dasharray="{dash}"/>')
        for (x, y), v in zip(pts, [v for v in values if v is not None]):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
            out.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="10" '
                       f'fill="{color}">{fmt(v)}</text>')


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/load.jsonl"
    dst = sys.argv[2] if len(sys.argv) > 2 else "benchmarks/results/load.svg"
    engines = load(src)
    if not engines:
        sys.exit("no suite runs in " + src)
    xs = sorted({x for runs in engines.values() for x in runs})

    def med(runs, x, f):
        return statistics.median(f(r) for r in runs[x]) if x in runs else None

    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
    dps_series, p99_series = [], []
    offered = [None] * len(xs)
    rates = [None] * len(xs)
    for k, (engine, runs) in enumerate(engines.items()):
        color = colors[k % len(colors)]
        dps_series.append((engine, color, "", [med(runs, x, lambda r: r["deliveriesPerSecond"]) for x in xs]))
        p99_series.append((engine, color, "", [med(runs, x, lambda r: r["latencyMillis"]["p99"]) for x in xs]))
        for i, x in enumerate(xs):
            if x in runs:
                offered[i] = med(runs, x, lambda r: r["offeredPerSecond"])
                rates[i] = runs[x][0]["rate"]
    reps = min(len(v) for runs in engines.values() for v in runs.values())
    all_dps = [v for s in dps_series for v in s[3] if v is not None] + [v for v in offered if v]
    all_p99 = [v for s in p99_series for v in s[3] if v is not None]

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif">',
           f'<rect width="{W}" height="{H}" fill="white"/>']
    kfmt = lambda v: f"{v / 1000:.0f}k" if v >= 1000 else f"{v:.0f}"
    panel(out, LEFT[0], "Deliveries per second", xs,
          [("offered", "#999", "6,4", offered)] + dps_series,
          nice_max(max(all_dps) * 1.15), "deliveries / s", kfmt)

    def targets(o, px, py):
        for i, x in enumerate(xs):
            if x in TARGETS_P99:
                y = py(TARGETS_P99[x])
                o.append(f'<line x1="{px(i) - 30}" y1="{y}" x2="{px(i) + 30}" y2="{y}" stroke="#d62728" '
                         f'stroke-width="2" stroke-dasharray="3,3"/>')
                o.append(f'<text x="{px(i) + 32}" y="{y + 4}" font-size="10" fill="#d62728">'
                         f'target {TARGETS_P99[x]} ms</text>')

    lat_fmt = lambda v: f"{v:.0f}" if v >= 10 else f"{v:.1f}"
    panel(out, LEFT[1], "p99 write-to-delivery latency (log scale)", xs, p99_series,
          max(all_p99 + [100]) * 1.15, "milliseconds", lambda v: f"{v:,.0f}", targets, log=True)
    legend = [(s[1], "engine " + s[0]) for s in dps_series] + [("#999", "offered/s"), ("#d62728", "issue target")]
    lx = 80
    for color, name in legend:
        out.append(f'<rect x="{lx}" y="{H - 38}" width="14" height="4" fill="{color}"/>')
        out.append(f'<text x="{lx + 18}" y="{H - 32}" font-size="11">{name}</text>')
        lx += 140
    rate_text = ", ".join(f"{x:,}x{r}/s" for x, r in zip(xs, rates) if r is not None)
    out.append(f'<text x="{W - 10}" y="{H - 2}" text-anchor="end" font-size="10" fill="#555">'
               f'median of {reps}+ runs; subscribers x writes/s: {esc(rate_text)}</text>')
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
