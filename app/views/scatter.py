"""The learning-vs-forgetting scatter as standalone SVG: task gain (x) against mean general drop (y).

Drawn on the server because it is a handful of points: the page gets it with no script, each point's
<title> is its hover text (the run's config), and the same markup is the SVG download. Presentation
lives in attributes, not CSS classes, so the file looks the same outside the page.
"""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

from .percent import percent, signed

W, H = 520, 360
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 16, 46  # margins around the plot area
INSET = 12  # data stay this far inside the frame, so points on the axes' ends are not cut in half
FONT = 'font-family="system-ui, sans-serif" font-size="12" fill="#4b5563"'


def _axis(values: list[float], low: float, high: float) -> list[float]:
    """Five or so round ticks covering at least [low, high] and every value (in accuracy units)."""
    lo, hi = min([low, *values]), max([high, *values])
    step = next(s for s in (0.02, 0.05, 0.1, 0.2, 0.25, 0.5) if (hi - lo) / s <= 6)
    first, last = math.floor(round(lo / step, 6)), math.ceil(round(hi / step, 6))
    return [round(i * step, 6) for i in range(first, last + 1)]


def render(runs: list[dict], *, best: int | None = None) -> Markup:
    """`runs`: the comparison's runs (id, color, label, frontier); those without a result are left out."""
    done = [r for r in runs if r.get("frontier")]
    xs = [r["frontier"]["task_gain"] for r in done]
    ys = [r["frontier"]["mean_drop"] for r in done]
    xt, yt = _axis(xs, 0.0, 1.0), _axis(ys, 0.0, 0.2)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + INSET + (x - x0) / (x1 - x0) * (pw - 2 * INSET), 1)

    def py(y: float) -> float:  # y grows downward: more forgetting is lower
        return round(TOP + INSET + (y - y0) / (y1 - y0) * (ph - 2 * INSET), 1)

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
            'role="img" aria-label="task gain against mean general drop, one point per run">'),
           f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>']
    for gx in xt:  # grid and tick labels, in percentage points
        out.append(f'<line x1="{px(gx)}" y1="{TOP}" x2="{px(gx)}" y2="{TOP + ph}" stroke="#eef0f3"/>'
                   f'<text x="{px(gx)}" y="{TOP + ph + 16}" text-anchor="middle" {FONT}>{signed(gx)}</text>')
    for gy in yt:
        out.append(f'<line x1="{LEFT}" y1="{py(gy)}" x2="{LEFT + pw}" y2="{py(gy)}" stroke="#eef0f3"/>'
                   f'<text x="{LEFT - 6}" y="{py(gy) + 4}" text-anchor="end" {FONT}>{percent(gy)}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#cfd4dc"/>'
               f'<text x="{LEFT + pw / 2}" y="{H - 8}" text-anchor="middle" {FONT}>task gain (points): '
               'learns more →</text>'
               f'<text transform="translate(14 {TOP + ph / 2}) rotate(-90)" text-anchor="middle" {FONT}>'
               'mean general drop (points): forgets more ↓</text>')
    frontier = sorted((r for r in done if r["frontier"]["pareto"]), key=lambda r: r["frontier"]["task_gain"])
    if len(frontier) > 1:
        path = " ".join(f"{px(r['frontier']['task_gain'])},{py(r['frontier']['mean_drop'])}" for r in frontier)
        out.append(f'<polyline points="{path}" fill="none" stroke="#9aa3b2" stroke-width="1.5" '
                   'stroke-dasharray="5 4"><title>the frontier: no other run learns more and forgets less'
                   '</title></polyline>')
    placed: list[tuple[float, float]] = []  # label positions so far: a label that would overlap moves down
    for r in done:
        f = r["frontier"]
        cx, cy = px(f["task_gain"]), py(f["mean_drop"])
        lx, ly = cx + 10, cy - 8
        while any(abs(lx - x) < 14 and abs(ly - y) < 12 for x, y in placed):
            ly += 12
        placed.append((lx, ly))
        tip = (f"run {r['id']}: {r['label']}\ntask gain {signed(f['task_gain'])} points, mean general drop "
               f"{percent(f['mean_drop'])} points" + ("\non the frontier" if f["pareto"] else "")
               + ("\nlearns the task with the least forgetting" if r["id"] == best else ""))
        ring = f'<circle cx="{cx}" cy="{cy}" r="12" fill="none" stroke="#1f2430" stroke-width="2"/>' if r["id"] == best else ""
        out.append(f'<g class="pt" data-run="{r["id"]}">{ring}<circle cx="{cx}" cy="{cy}" r="7" fill="{r["color"]}" '
                   f'fill-opacity="0.85" stroke="#ffffff" stroke-width="1.5"/>'
                   f'<text x="{lx}" y="{ly}" {FONT}>{r["id"]}</text><title>{escape(tip)}</title></g>')
    out.append("</svg>")
    return Markup("".join(out))
