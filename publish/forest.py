"""Forest plots as plain SVG written by hand: the studies of a pooling result and its DerSimonian-Laird estimate."""

import html
import math
from typing import Any

from publish.meta_analysis import Z, expit

# A forest plot draws at most this many studies (the most precise); the pooled numbers use them all.
MAX_FOREST_STUDIES = 100


def forest_rows(studies: list[dict[str, Any]], limit: int = MAX_FOREST_STUDIES) -> list[dict[str, Any]]:
    """The studies a forest plot draws: all of them up to ``limit``, else the ``limit`` most precise (smallest
    variance, the ones that weigh most in the pool), kept in their own order."""
    if len(studies) <= limit:
        return list(studies)
    keep = set(sorted(range(len(studies)), key=lambda i: (studies[i]["variance"], i))[:limit])
    return [study for i, study in enumerate(studies) if i in keep]


def forest_svg(result: dict[str, Any], ratio: bool = True, limit: int = MAX_FOREST_STUDIES) -> str:
    """A forest plot of the studies (at most ``limit``, see ``forest_rows``) and the DerSimonian-Laird estimate.

    Plain SVG written by hand (lines, squares and escaped text): it takes milliseconds
    for any number of studies and no text is ever read as markup or math.
    ``ratio``: effects are log hazard ratios (drawn as ratios on a log axis);
    otherwise logit proportions (drawn as proportions on a linear axis).
    """
    studies = forest_rows(result["studies"], limit)
    dl = result["dersimonian_laird"]
    # x is the drawn scale: log HR for ratios (a log axis), the proportion itself otherwise.
    to_x = (lambda effect: effect) if ratio else expit
    bars = []
    for study in studies:
        half = Z[95.0] * math.sqrt(study["variance"])
        bars.append((study["label"], to_x(study["effect"] - half), to_x(study["effect"]), to_x(study["effect"] + half)))
    pooled = (to_x(dl["ci_low"]), to_x(dl["estimate"]), to_x(dl["ci_high"]))
    finite = [x for _, *xs in bars for x in xs if math.isfinite(x)] + [x for x in pooled if math.isfinite(x)]
    low, high = (min(finite), max(finite)) if finite else (-1.0, 1.0)
    if ratio:
        low, high = min(low, 0.0), max(high, 0.0)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    label_w, plot_w, row_h, top = 360, 520, 18, 20
    height = top + row_h * (len(bars) + 2) + 40

    def px(x: float) -> float:
        x = min(max(x, low), high) if math.isfinite(x) else (high if x > 0 else low)
        return label_w + plot_w * (x - low) / (high - low)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 20}" height="{height}" '
             f'font-family="sans-serif" font-size="12" role="img">']
    for i, (label, a, mid, b) in enumerate(bars):
        y = top + row_h * i + row_h / 2
        short = label if len(label) <= 48 else label[:47] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end">{html.escape(short)}</text>'
                     f'<line x1="{px(a):.1f}" y1="{y:.1f}" x2="{px(b):.1f}" y2="{y:.1f}" stroke="black"/>'
                     f'<rect x="{px(mid) - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="steelblue"/>')
    y = top + row_h * len(bars) + row_h
    a, mid, b = (px(x) for x in pooled)
    parts.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end" font-weight="bold">Pooled (DL)</text>'
                 f'<line x1="{a:.1f}" y1="{y:.1f}" x2="{b:.1f}" y2="{y:.1f}" stroke="darkred" stroke-width="3"/>'
                 f'<polygon points="{mid - 6:.1f},{y:.1f} {mid:.1f},{y - 6:.1f} {mid + 6:.1f},{y:.1f} {mid:.1f},{y + 6:.1f}" '
                 f'fill="darkred"/>')
    axis_y = y + row_h
    parts.append(f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}" stroke="grey"/>')
    if ratio:
        parts.append(f'<line x1="{px(0.0):.1f}" y1="{top}" x2="{px(0.0):.1f}" y2="{axis_y}" stroke="grey" '
                     f'stroke-dasharray="4 3"/>')
    for tick, text in _ticks(low, high, ratio):
        parts.append(f'<line x1="{px(tick):.1f}" y1="{axis_y}" x2="{px(tick):.1f}" y2="{axis_y + 4}" stroke="grey"/>'
                     f'<text x="{px(tick):.1f}" y="{axis_y + 16}" text-anchor="middle">{text}</text>')
    name = "Hazard ratio (95% CI), log scale" if ratio else "Proportion (95% CI)"
    parts.append(f'<text x="{label_w + plot_w / 2}" y="{axis_y + 32}" text-anchor="middle">{name}</text></svg>')
    return "".join(parts)


def _ticks(low: float, high: float, ratio: bool) -> list[tuple[float, str]]:
    """Axis ticks inside [low, high]: round hazard ratios on the log axis, tenths (or fifths) of a proportion."""
    if ratio:
        values = [m * 10.0**e for e in range(-4, 5) for m in (1, 2, 5)]
        ticks = [(math.log(v), f"{v:g}") for v in values if low <= math.log(v) <= high]
        return ticks if len(ticks) <= 12 else [(x, t) for x, t in ticks if t.lstrip("0.").startswith("1")]
    step = 0.1 if high - low <= 0.5 else 0.2
    return [(i * step, f"{i * step:.1f}") for i in range(int(1 / step) + 1) if low - 1e-9 <= i * step <= high + 1e-9]
