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


def render(runs: list[dict], *, best: int | None = None, groups: list[dict] | None = None,
           best_group: int | None = None) -> Markup:
    """`runs`: the comparison's runs (id, color, label, frontier); those without a result are left out.
    `groups` (a comparison with seeds, app/views/comparison.py): one point per setting instead, at its seed
    means, with its 90% intervals as error bars on both axes."""
    if groups:
        return _draw(*_group_points(groups, best_group))
    done = [r for r in runs if r.get("frontier")]
    points = [{"key": r["id"], "x": r["frontier"]["task_gain"], "y": r["frontier"]["mean_drop"],
               "pareto": r["frontier"]["pareto"], "color": r["color"], "text": str(r["id"]), "best": r["id"] == best,
               "tip": (f"run {r['id']}: {r['label']}\ntask gain {signed(r['frontier']['task_gain'])} points, mean "
                       f"general drop {percent(r['frontier']['mean_drop'])} points"
                       + ("\non the frontier" if r["frontier"]["pareto"] else "")
                       + ("\nlearns the task with the least forgetting" if r["id"] == best else ""))} for r in done]
    return _draw(points, "one point per run")


def _group_points(groups: list[dict], best_group: int | None) -> tuple[list[dict], str]:
    """A setting's point: the means of its seeds, error bars from their 90% intervals, the frontier on means."""
    # A setting with no task gain (runs trained outside the lab measure no task) has no place on this plane.
    done = [g for g in groups if g["summary"] and "task gain" in g["summary"]["metrics"]]
    at = {g["index"]: (g["summary"]["metrics"]["task gain"]["mean"], g["summary"]["metrics"]["mean drop"]["mean"])
          for g in done}
    # On the frontier: no other setting's means learn at least as much and forget at most as much, one strictly.
    pareto = {i: not any(o != i and q[0] >= p[0] and q[1] <= p[1] and q != p for o, q in at.items())
              for i, p in at.items()}
    points = []
    for g in done:
        gain, drop = g["summary"]["metrics"]["task gain"], g["summary"]["metrics"]["mean drop"]
        points.append({"key": f"g{g['index']}", "x": gain["mean"], "y": drop["mean"], "pareto": pareto[g["index"]],
                       "x_err": _bar(gain), "y_err": _bar(drop), "color": g["color"],
                       "text": g["label"] if len(g["label"]) <= 18 else g["label"][:17] + "…", "best": g["index"] == best_group,
                       "tip": (f"{g['label']}: {g['summary']['n']} seeds, runs {', '.join(map(str, g['ids']))}\n"
                               f"task gain {_mean(gain)} points, mean general drop {_mean(drop)} points (90% intervals)"
                               + ("\non the frontier" if pareto[g["index"]] else "")
                               + ("\nlearns the task with the least forgetting on the seed mean"
                                  if g["index"] == best_group else ""))})
    return points, "one point per setting at its seed mean, bars its 90% interval"


def _bar(v: dict) -> tuple[float | None, float | None]:
    """An interval (core/seeds.py's, already cut to what the measure can be) as an error bar."""
    return v["lo"], v["hi"]


def _mean(v: dict) -> str:
    return f"{percent(v['mean'])}" + (f" [{percent(v['lo'])}, {percent(v['hi'])}]" if v["lo"] is not None else "")


def _draw(points: list[dict], what: str) -> Markup:
    """The scatter of `points` ({key, x, y, pareto, color, text, best, tip, and x_err/y_err: (lo, hi)})."""
    xs = [p["x"] for p in points] + [v for p in points for v in p.get("x_err", ()) if v is not None]
    ys = [p["y"] for p in points] + [v for p in points for v in p.get("y_err", ()) if v is not None]
    xt, yt = _axis(xs, 0.0, 1.0), _axis(ys, 0.0, 0.2)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + INSET + (x - x0) / (x1 - x0) * (pw - 2 * INSET), 1)

    def py(y: float) -> float:  # y grows downward: more forgetting is lower
        return round(TOP + INSET + (y - y0) / (y1 - y0) * (ph - 2 * INSET), 1)

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
            f'role="img" aria-label="task gain against mean general drop, {what}">'),
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
    frontier = sorted((p for p in points if p["pareto"]), key=lambda p: p["x"])
    if len(frontier) > 1:
        path = " ".join(f"{px(p['x'])},{py(p['y'])}" for p in frontier)
        out.append(f'<polyline points="{path}" fill="none" stroke="#9aa3b2" stroke-width="1.5" '
                   'stroke-dasharray="5 4"><title>the frontier: no other point learns more and forgets less'
                   '</title></polyline>')
    placed: list[tuple[float, float]] = []  # label positions so far: a label that would overlap moves down
    for p in points:
        cx, cy = px(p["x"]), py(p["y"])
        lx, ly = cx + 10, cy - 8
        while any(abs(lx - x) < 14 and abs(ly - y) < 12 for x, y in placed):
            ly += 12
        placed.append((lx, ly))
        bars = ""
        if p.get("x_err") and p["x_err"][0] is not None:
            bars += (f'<line class="err" x1="{px(p["x_err"][0])}" x2="{px(p["x_err"][1])}" y1="{cy}" y2="{cy}" '
                     f'stroke="{p["color"]}" stroke-width="1.5"/>')
        if p.get("y_err") and p["y_err"][0] is not None:
            bars += (f'<line class="err" x1="{cx}" x2="{cx}" y1="{py(p["y_err"][0])}" y2="{py(p["y_err"][1])}" '
                     f'stroke="{p["color"]}" stroke-width="1.5"/>')
        ring = f'<circle cx="{cx}" cy="{cy}" r="12" fill="none" stroke="#1f2430" stroke-width="2"/>' if p["best"] else ""
        kind = "pt group" if "x_err" in p else "pt"
        out.append(f'<g class="{kind}" data-run="{p["key"]}">{bars}{ring}<circle cx="{cx}" cy="{cy}" r="7" '
                   f'fill="{p["color"]}" fill-opacity="0.85" stroke="#ffffff" stroke-width="1.5"/>'
                   f'<text x="{lx}" y="{ly}" {FONT}>{escape(p["text"])}</text><title>{escape(p["tip"])}</title></g>')
    out.append("</svg>")
    return Markup("".join(out))
