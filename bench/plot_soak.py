#!/usr/bin/env python3
"""Draws the soak CSV (bench/soak_driver.mjs) as one SVG of four panels over time: server RSS
(MB), open file descriptors, latency p50/p95/p99 (ms) and errors per interval. No plotting
library: the SVG is written by hand.

usage: plot_soak.py SOAK.csv OUT.svg [TITLE]
"""
import csv
import math
import sys


def nice_max(v):
    if v <= 0 or math.isnan(v):
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * e:
            return m * e
    return 10 * e


def panel(x0, y0, w, h, title, xs, series, xmax, zero_based=True):
    out = []
    vals = [v for _, _, ys in series for v in ys if v is not None]
    top = nice_max(max(vals) if vals else 1.0)
    bottom = 0.0
    if not zero_based and vals:
        lo = min(vals)
        bottom = max(0.0, lo - (top - lo) * 0.25)
        top = max(vals) + max(1.0, (max(vals) - lo) * 0.25)
    out.append(f'<text x="{x0}" y="{y0 - 8}" font-size="13" font-weight="bold">{title}</text>')
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#999"/>')
    for i in range(5):
        v = bottom + (top - bottom) * i / 4
        y = y0 + h - h * i / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{v:.4g}</text>')
    for i in range(6):
        xv = xmax * i / 5
        x = x0 + w * i / 5
        out.append(f'<text x="{x:.1f}" y="{y0 + h + 14}" font-size="10" text-anchor="middle">{xv:.3g}</text>')
    for ly, (name, color, ys) in enumerate(series):
        pts = [(x0 + w * (x / xmax if xmax else 0), y0 + h - h * ((y - bottom) / (top - bottom) if top > bottom else 0))
               for x, y in zip(xs, ys) if y is not None]
        if pts:
            out.append('<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>' %
                       (color, " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)))
            for px, py in pts:
                out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2" fill="{color}"/>')
        out.append(f'<text x="{x0 + w - 4}" y="{y0 + 14 + 13 * ly}" font-size="11" fill="{color}" text-anchor="end">{name}</text>')
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else "Segue soak"
    rows = list(csv.DictReader(open(src)))
    f = lambda r, k: float(r[k]) if r.get(k) not in (None, "") else None
    xs = [float(r["minute"]) for r in rows]
    xmax = max(xs) if xs else 1
    W, H, pw, ph = 900, 760, 360, 250
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{W / 2}" y="22" font-size="15" text-anchor="middle">{title}</text>',
           f'<text x="{W / 2}" y="{H - 8}" font-size="11" text-anchor="middle">minutes since the start of the load</text>']
    svg += panel(70, 60, pw, ph, "server RSS (MB)", xs, [("rss", "#1f77b4", [f(r, "rss_mb") for r in rows])], xmax, zero_based=False)
    svg += panel(510, 60, pw, ph, "open file descriptors", xs, [("fds", "#2ca02c", [f(r, "fds") for r in rows])], xmax, zero_based=False)
    svg += panel(70, 420, pw, ph, "latency per minute (ms)", xs,
                 [("p50", "#1f77b4", [f(r, "p50_ms") for r in rows]), ("p95", "#ff7f0e", [f(r, "p95_ms") for r in rows]),
                  ("p99", "#d62728", [f(r, "p99_ms") for r in rows])], xmax)
    svg += panel(510, 420, pw, ph, "errors and requests/100 per minute", xs,
                 [("errors", "#d62728", [f(r, "errors") for r in rows]),
                  ("requests/100", "#7f7f7f", [(f(r, "requests") or 0) / 100 for r in rows])], xmax)
    svg.append("</svg>")
    open(dst, "w").write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
