"""Meta-analysis-ready tables, random-effects pooling and forest plots.

``meta_proportions`` is shaped for R ``meta::metaprop`` / ``metafor::escalc``
(events and n per study arm, with a Wilson 95% CI); ``meta_hazard_ratios`` for
``meta::metagen`` (log HR and its SE derived from the printed CI, the derivation
kept as columns; a row without a CI is flagged, never guessed). ``pool`` combines
studies with statsmodels' ``combine_effects`` (DerSimonian-Laird and Paule-Mandel).
"""

import html
import json
import math
from typing import Any

from sqlite_utils import Database

from publish.articles import secondary_sources

META_PROPORTIONS = "meta_proportions"
META_HAZARD_RATIOS = "meta_hazard_ratios"
# A forest plot draws at most this many studies (the most precise); the pooled numbers use them all.
MAX_FOREST_STUDIES = 100
Z = {90.0: 1.6448536269514722, 95.0: 1.959963984540054, 99.0: 2.5758293035489004}


def z_for(level: float) -> float:
    """Two-sided standard-normal quantile of a confidence level in percent."""
    from scipy.stats import norm

    return Z.get(level) or float(norm.ppf(0.5 + level / 200))


def wilson(events: int, n: int, z: float = Z[95.0]) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _studies(db: Database) -> dict[str, dict[str, Any]]:
    trial = {r["paper_id"]: r["identifier"] for r in db.query("select paper_id, min(identifier) as identifier "
                                                               "from registry_ids group by paper_id")}
    # Another source of an article already counted (its PDF beside its XML) is left out: one article, one study.
    secondary = secondary_sources(db)
    return {r["paper_id"]: {"study": r["label"], "trial_id": trial.get(r["paper_id"])}
            for r in db.query("select paper_id, label from papers") if r["paper_id"] not in secondary}


def proportion_rows(db: Database) -> list[dict[str, Any]]:
    """One row per response with responders and a denominator printed together."""
    studies = _studies(db)
    rows = []
    for r in db.query("select * from responses where n is not null and of is not null and of > 0 and n <= of"):
        if r["paper_id"] not in studies:
            continue
        low, high = wilson(r["n"], r["of"])
        rows.append({
            "record_id": r["id"], "paper_id": r["paper_id"], **studies[r["paper_id"]], "arm": r["arm"],
            "outcome": r["outcome"], "events": r["n"], "n": r["of"], "proportion": r["n"] / r["of"],
            "ci_low": low, "ci_high": high, "quote": r["quote"],
        })
    return rows


def hazard_ratio_rows(db: Database) -> list[dict[str, Any]]:
    """One row per hazard ratio: log HR, and its SE from the printed CI with the derivation visible."""
    studies = _studies(db)
    rows = []
    for r in db.query("select * from hazard_ratios"):
        if r["paper_id"] not in studies:
            continue
        level = r["ci_level"] or 95.0
        has_ci = r["ci_low"] is not None and r["ci_high"] is not None and 0 < r["ci_low"] < r["ci_high"]
        z = z_for(level)
        se = (math.log(r["ci_high"]) - math.log(r["ci_low"])) / (2 * z) if has_ci else None
        rows.append({
            "record_id": r["id"], "paper_id": r["paper_id"], **studies[r["paper_id"]], "endpoint": r["endpoint"],
            "comparison": r["comparison"], "hr": r["hr"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            "ci_level": level, "z": z, "log_hr": math.log(r["hr"]), "se_log_hr": se,
            "se_derivation": (f"(ln {r['ci_high']} - ln {r['ci_low']}) / (2 x {z:.4f})" if has_ci
                              else "no CI printed: SE not derived"),
            "has_ci": has_ci, "adjusted": r["adjusted"], "p": r["p"], "quote": r["quote"],
        })
    return rows


def write_meta_tables(db: Database) -> None:
    """(Re)write both meta-analysis tables from the evidence tables."""
    for name, rows in ((META_PROPORTIONS, proportion_rows(db)), (META_HAZARD_RATIOS, hazard_ratio_rows(db))):
        db.table(name).drop(ignore=True)
        if rows:
            db.table(name).insert_all(rows, pk="record_id", foreign_keys=[("paper_id", "papers", "paper_id")])


def pool(effects: list[float], variances: list[float], labels: list[str]) -> dict[str, Any]:
    """Random-effects pooling (DerSimonian-Laird and Paule-Mandel) with heterogeneity."""
    import numpy as np
    from statsmodels.stats.meta_analysis import combine_effects

    out: dict[str, Any] = {"k": len(effects), "studies": []}
    for method in ("dl", "pm"):
        result = combine_effects(np.array(effects), np.array(variances), method_re=method)
        low, high = result.conf_int(alpha=0.05)[1]
        key = {"dl": "dersimonian_laird", "pm": "paule_mandel"}[method]
        out[key] = {"estimate": float(result.mean_effect_re), "se": float(result.sd_eff_w_re),
                    "ci_low": float(low), "ci_high": float(high), "tau2": float(result.tau2)}
        if method == "dl":
            out["heterogeneity"] = {"q": float(result.q), "df": len(effects) - 1, "i2": float(result.i2)}
    out["studies"] = [{"label": lab, "effect": e, "variance": v} for lab, e, v in zip(labels, effects, variances, strict=True)]
    return out


def pool_hazard_ratios(db: Database, endpoint: str) -> dict[str, Any]:
    """Pool the log hazard ratios of an endpoint that have a CI; ratios back-transformed."""
    rows = [r for r in db.query(f"select * from [{META_HAZARD_RATIOS}] where endpoint = ? and has_ci", [endpoint])] \
        if META_HAZARD_RATIOS in db.table_names() else []
    if len(rows) < 2:
        return {"endpoint": endpoint, "k": len(rows), "error": "fewer than two hazard ratios with a CI to pool"}
    result = pool([r["log_hr"] for r in rows], [r["se_log_hr"] ** 2 for r in rows],
                  [f"{r['study']} ({r['comparison'] or r['endpoint']})" for r in rows])
    for key in ("dersimonian_laird", "paule_mandel"):
        est = result[key]
        est.update({"hr": math.exp(est["estimate"]), "hr_ci_low": math.exp(est["ci_low"]),
                    "hr_ci_high": math.exp(est["ci_high"])})
    result["endpoint"] = endpoint
    return result


def pool_proportions(db: Database, outcome: str) -> dict[str, Any]:
    """Pool the logit proportions of an outcome (0.5 added to both cells when one is empty); back-transformed."""
    rows = list(db.query(f"select * from [{META_PROPORTIONS}] where outcome = ?", [outcome])) \
        if META_PROPORTIONS in db.table_names() else []
    if len(rows) < 2:
        return {"outcome": outcome, "k": len(rows), "error": "fewer than two proportions to pool"}
    effects, variances = [], []
    for r in rows:
        events, n = r["events"], r["n"]
        add = 0.5 if events in (0, n) else 0.0
        effects.append(math.log((events + add) / (n - events + add)))
        variances.append(1 / (events + add) + 1 / (n - events + add))
    result = pool(effects, variances, [f"{r['study']} ({r['arm'] or 'all'})" for r in rows])
    for key in ("dersimonian_laird", "paule_mandel"):
        est = result[key]
        est.update({"proportion": _expit(est["estimate"]), "proportion_ci_low": _expit(est["ci_low"]),
                    "proportion_ci_high": _expit(est["ci_high"])})
    result["outcome"] = outcome
    return result


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


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
    to_x = (lambda effect: effect) if ratio else _expit
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


def result_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2)
