"""Meta-analysis-ready tables, random-effects pooling and forest plots.

``meta_proportions`` is shaped for R ``meta::metaprop`` / ``metafor::escalc``
(events and n per study arm, with a Wilson 95% CI); ``meta_hazard_ratios`` for
``meta::metagen`` (log HR and its SE derived from the printed CI, the derivation
kept as columns; a row without a CI is flagged, never guessed). ``pool`` combines
studies with statsmodels' ``combine_effects`` (DerSimonian-Laird and Paule-Mandel).
"""

import io
import json
import math
from typing import Any

from sqlite_utils import Database

from publish.articles import secondary_sources

META_PROPORTIONS = "meta_proportions"
META_HAZARD_RATIOS = "meta_hazard_ratios"
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


def forest_svg(result: dict[str, Any], ratio: bool = True) -> str:
    """A forest plot of the studies and the DerSimonian-Laird estimate, as SVG text.

    ``ratio``: effects are log hazard ratios (drawn as ratios on a log axis);
    otherwise logit proportions (drawn as proportions).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    studies = result["studies"]
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.4 * (len(studies) + 1)), layout="constrained")
    show = math.exp if ratio else _expit
    for i, study in enumerate(studies):
        half = 1.959963984540054 * math.sqrt(study["variance"])
        y = len(studies) - i
        ax.plot([show(study["effect"] - half), show(study["effect"] + half)], [y, y], color="black")
        ax.plot([show(study["effect"])], [y], "s", color="steelblue")
    dl = result["dersimonian_laird"]
    ax.plot([show(dl["ci_low"]), show(dl["ci_high"])], [0, 0], color="darkred", linewidth=3)
    ax.plot([show(dl["estimate"])], [0], "D", color="darkred")
    labels = [s["label"] if len(s["label"]) <= 48 else s["label"][:47] + "…" for s in reversed(studies)]
    ax.set_yticks(range(len(studies) + 1), ["Pooled (DL)", *labels])
    if ratio:
        ax.axvline(1.0, color="grey", linestyle="--")
        ax.set_xscale("log")
    ax.set_xlabel("Hazard ratio (95% CI)" if ratio else "Proportion (95% CI)")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()


def result_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2)
