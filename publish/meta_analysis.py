"""Meta-analysis-ready tables (one row per estimate of a study) and random-effects pooling of one estimate per study.

``meta_proportions`` is shaped for R ``meta::metaprop`` / ``metafor::escalc``
(events and n per study arm, with a Wilson 95% CI); ``meta_hazard_ratios`` for
``meta::metagen`` (log HR and its SE derived from the printed CI, the derivation
kept as columns; a row without a CI is flagged, never guessed). One row per
estimate of a study (``publish.studies``): the same value stated in several places
is one row with several sources, and every row says whether it is the study's
estimate for its question (``included``) or why not (``excluded_reason``), by the
rule of ``publish.estimates``. ``pool`` combines one estimate per study with
statsmodels' ``combine_effects`` (DerSimonian-Laird and Paule-Mandel).
"""

import csv
import io
import json
import math
import warnings
from collections.abc import Callable, Collection
from statistics import NormalDist
from typing import Any

from sqlite_utils import Database

from publish.articles import secondary_sources
from publish.estimates import SELECTION_RULE, classify, merge_sources, rank, select
from publish.studies import STUDIES, Study, assign_studies, stored_studies, study_rows, write_studies

META_PROPORTIONS = "meta_proportions"
META_HAZARD_RATIOS = "meta_hazard_ratios"
# Column types declared, not guessed from the first rows written: a table written in parts (an incremental build adds
# a study's rows to it) must type a column as one written whole would (a year first seen as None is still INTEGER).
_COMMON_TYPES: dict[str, type] = {
    "record_id": str, "study_id": str, "study": str, "trial_id": str, "paper_id": str, "year": int, "section": str,
    "start": int, "quote": str, "n_sources": int, "curation": str, "source_table": str, "problem": str,
    "question": str, "analysis": str, "in_abstract": int, "record_ids": str, "sources": str, "excluded_reason": str,
    "included": int,
}
COLUMN_TYPES: dict[str, dict[str, type]] = {
    META_PROPORTIONS: {**_COMMON_TYPES, "arm": str, "outcome": str, "events": int, "n": int, "percent": float,
                       "proportion": float, "ci_low": float, "ci_high": float, "denominator_source": str},
    META_HAZARD_RATIOS: {**_COMMON_TYPES, "endpoint": str, "comparison": str, "experimental_arm": str,
                         "control_arm": str, "inverted": int, "hr": float, "ci_low": float, "ci_high": float,
                         "ci_level": float, "z": float, "log_hr": float, "se_log_hr": float, "se_derivation": str,
                         "has_ci": int, "adjusted": int, "p": str},
}
Z = {90.0: 1.6448536269514722, 95.0: 1.959963984540054, 99.0: 2.5758293035489004}


def z_for(level: float) -> float:
    """Two-sided standard-normal quantile of a confidence level in percent (the standard library's, not scipy's:
    importing scipy.stats takes seconds a build need not spend)."""
    return Z.get(level) or NormalDist().inv_cdf(0.5 + level / 200)


def wilson(events: int, n: int, z: float = Z[95.0]) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _of_papers(papers: Collection[str] | None) -> tuple[str, list[str]]:
    """A WHERE clause and its parameters selecting the rows of ``papers`` (every row when None)."""
    if papers is None:
        return "", []
    return " where paper_id in (select value from json_each(?))", [json.dumps(sorted(papers))]


def _records(db: Database, table: str, papers: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The rows of an evidence table (of ``papers`` only, when given) with curators' corrected values applied
    (primary sources only)."""
    if table not in db.table_names():
        return []
    secondary = secondary_sources(db)
    rows = []
    where, params = _of_papers(papers)
    for row in db.query(f"select * from [{table}]{where}", params):
        if row["paper_id"] in secondary:
            continue
        row = dict(row)
        if row["corrected_values"]:
            row.update(json.loads(row["corrected_values"]))
        rows.append(row)
    return rows


def _base(r: dict[str, Any], study: Study, years: dict[str, int | None], table: str) -> dict[str, Any]:
    return {"record_id": r["id"], "study_id": study.study_id, "study": study.label, "trial_id": study.trial_id,
            "paper_id": r["paper_id"], "year": years.get(r["paper_id"]), "section": r["section"], "start": r["start"],
            "quote": r["quote"], "n_sources": r["n_sources"], "curation": r["curation"], "source_table": table,
            "problem": "rejected by curator" if r["curation"] == "rejected" else None}


def _years(db: Database, papers: Collection[str] | None = None) -> dict[str, int | None]:
    where, params = _of_papers(papers)
    return {r["paper_id"]: r["year"] for r in db.query(f"select paper_id, year from papers{where}", params)}


def _questions(rows: list[dict[str, Any]]) -> None:
    """Set each HR row's question: its endpoint, and its comparison when its study names several for it."""
    named: dict[tuple[str, str | None], set[str]] = {}
    for r in rows:
        if r["comparison"]:
            named.setdefault((r["study_id"], r["endpoint"]), set()).add(_norm(r["comparison"]))
    for r in rows:
        several = len(named.get((r["study_id"], r["endpoint"]), ())) > 1
        r["question"] = f"{r['endpoint'] or 'endpoint not stated'} | " + (
            (_norm(r["comparison"]) if r["comparison"] else "comparison not stated") if several else "the trial's comparison")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _finish(estimates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Included and excluded_reason by the selection rule (one per study per question); JSON columns serialised."""
    reasons = select(estimates, lambda e: (e["study_id"], e["question"]))
    for e in estimates:
        e["excluded_reason"] = reasons[e["record_id"]]
        e["included"] = reasons[e["record_id"]] is None
        e["record_ids"], e["sources"] = json.dumps(e["record_ids"]), json.dumps(e["sources"], ensure_ascii=False)
    return estimates


def population_denominators(db: Database, papers: Collection[str] | None = None) -> dict[str, list[tuple[int, str]]]:
    """paper_id -> its distinct evaluable counts (value, quote) from the population table, curators' decisions applied
    (of ``papers`` only, when given)."""
    counts: dict[str, dict[int, str]] = {}
    for r in _records(db, "population", papers):
        if r["field"] == "n_evaluable" and r["curation"] != "rejected" and r["value"] and float(r["value"]).is_integer():
            counts.setdefault(r["paper_id"], {}).setdefault(int(r["value"]), r["quote"])
    return {paper: sorted(values.items()) for paper, values in counts.items()}


def _percent_agrees(events: int, n: int, percent: float | None) -> bool:
    """True when events/n rounds to the printed percent (to its printed precision), or no percent is printed."""
    if percent is None:
        return True
    # Half a unit of the printed precision, and a little more: papers round 67.65 up or down.
    tolerance = 0.5 if float(percent).is_integer() else 0.05
    return abs(100 * events / n - percent) <= tolerance + 0.01


def _denominator(r: dict[str, Any], evaluable: list[tuple[int, str]]) -> tuple[int | None, int | None, str | None, str]:
    """(events, n, problem, denominator_source) of a response (see README: proportions with the stated denominator)."""
    events, of, percent = r["n"], r["of"], r["percent"]
    if of is not None:
        if of <= 0 or events is None or events > of:
            return None, None, "responders and denominator do not make a proportion", "printed with the number"
        return events, of, None, "printed with the number"
    if r["arm"]:
        return None, None, "no denominator printed for the arm", "none"
    if len(evaluable) != 1:
        why = "no evaluable count stated" if not evaluable else f"{len(evaluable)} different evaluable counts stated"
        return None, None, f"no denominator printed and {why}", "none"
    n, quote = evaluable[0]
    source = f"population n_evaluable = {n} ({quote[:120]})"
    if events is None:
        if percent is None:
            return None, None, "neither responders nor percent printed", "none"
        events = round(percent * n / 100)
        source = f"events = {percent:g}% of {n} = {events}; " + source
    if events > n or not _percent_agrees(events, n, percent):
        return None, None, f"the stated evaluable count {n} does not agree with {events} ({percent:g}%)", source
    return events, n, None, source


def _proportion_analysis(r: dict[str, Any]) -> str:
    """The response's analysis (extractor/effects.py): an arm named by disease state or marker is a subgroup's."""
    kind = classify(r, r["n"] if r["n"] is not None else r["percent"])
    return "subgroup" if kind == "prognostic" else kind


def proportion_rows(db: Database, studies: dict[str, Study] | None = None,
                    papers: Collection[str] | None = None) -> list[dict[str, Any]]:
    """One row per proportion estimate (responders over a denominator) of a study, chosen or excluded with its reason.

    With ``papers``, only the rows of those papers: every paper of a study must be among them, as the estimates of
    one study are merged and chosen among themselves."""
    studies = assign_studies(db) if studies is None else studies
    years, evaluable = _years(db, papers), population_denominators(db, papers)
    records = []
    for r in _records(db, "responses", papers):
        row = _base(r, studies[r["paper_id"]], years, "responses")
        events, n, problem, source = _denominator(r, evaluable.get(r["paper_id"], []))
        row["problem"] = row["problem"] or problem
        proportion = events / n if events is not None and n else None
        low, high = wilson(events, n) if proportion is not None and events is not None and n else (None, None)
        row.update({"arm": r["arm"], "outcome": r["outcome"], "events": events, "n": n, "percent": r["percent"],
                    "proportion": proportion, "ci_low": low, "ci_high": high, "denominator_source": source,
                    "question": f"{r['outcome']} | {r['arm'] or 'all patients'}",
                    "analysis": _proportion_analysis(r)})
        records.append(row)
    return _finish(merge_sources(records, lambda e: (e["events"], e["n"])))


def hazard_ratio_rows(db: Database, studies: dict[str, Study] | None = None,
                      papers: Collection[str] | None = None) -> list[dict[str, Any]]:
    """One row per hazard-ratio estimate of a study: log HR, and its SE from the printed CI with the derivation visible.

    With ``papers``, only the rows of those papers (whole studies, as proportion_rows)."""
    studies = assign_studies(db) if studies is None else studies
    years = _years(db, papers)
    records = []
    for r in _records(db, "hazard_ratios", papers):
        row = _base(r, studies[r["paper_id"]], years, "hazard_ratios")
        level = r["ci_level"] or 95.0
        has_ci = r["ci_low"] is not None and r["ci_high"] is not None and 0 < r["ci_low"] < r["ci_high"]
        z = z_for(level)
        se = (math.log(r["ci_high"]) - math.log(r["ci_low"])) / (2 * z) if has_ci else None
        row["problem"] = row["problem"] or (None if has_ci else "no CI printed")
        # Printed as control vs experimental (extractor/effects.py, or a curator): the pool takes 1/HR.
        sign = -1.0 if r.get("inverted") else 1.0
        row.update({
            "endpoint": r["endpoint"], "comparison": r["comparison"], "experimental_arm": r.get("experimental_arm"),
            "control_arm": r.get("control_arm"), "inverted": r.get("inverted"), "hr": r["hr"], "ci_low": r["ci_low"],
            "ci_high": r["ci_high"], "ci_level": level, "z": z, "log_hr": sign * math.log(r["hr"]), "se_log_hr": se,
            "se_derivation": (f"(ln {r['ci_high']} - ln {r['ci_low']}) / (2 x {z:.4f})" if has_ci
                              else "no CI printed: SE not derived")
            + ("; printed as control vs experimental: log_hr = -ln HR" if sign < 0 else ""),
            "has_ci": has_ci, "adjusted": r["adjusted"], "p": r["p"],
            "analysis": classify(r, r["hr"]),
        })
        records.append(row)
    _questions(records)
    estimates = merge_sources(records, lambda e: (e["endpoint"], e["hr"], e["ci_low"], e["ci_high"], e["ci_level"]))
    comparison = {r["record_id"]: r["comparison"] for r in records if r["comparison"]}
    for e in estimates:
        # The same value under an unnamed and a named comparison: the estimate keeps the name.
        e["comparison"] = e["comparison"] or next((comparison[i] for i in e["record_ids"] if i in comparison), None)
    return _finish(estimates)


def write_meta_tables(db: Database, changed: Collection[str] | None = None) -> None:
    """(Re)write the studies table and both meta-analysis tables from the evidence tables.

    ``changed``: the papers written, removed or curated since the tables were last written from the same code and
    corrections (None: unknown, everything is rewritten). Then only the studies those papers belong to (before or
    after) and the studies whose row changes (papers joining or leaving them) are written again: the rows of every
    other study are those a full rewrite would give, as a study's estimates depend only on its own papers.
    """
    studies = assign_studies(db)
    old = stored_studies(db) if changed is not None else None
    names = set(db.table_names())
    if old is None or not {META_PROPORTIONS, META_HAZARD_RATIOS} <= names:
        write_studies(db, studies)
        for name, rows in ((META_PROPORTIONS, proportion_rows(db, studies)),
                           (META_HAZARD_RATIOS, hazard_ratio_rows(db, studies))):
            db.table(name).drop(ignore=True)
            _insert_meta(db, name, rows)
        return
    assert changed is not None
    was_in = {paper: study_id for study_id, row in old.items() for paper in json.loads(row["paper_ids"])}
    # A study's row follows from its papers alone, and only a changed paper joins or parts studies: the rows that
    # can differ are those of the studies now holding a changed paper or a paper of an old study that held one;
    # the old studies that can change or go are those of those studies' papers (one merged into another).
    held = {was_in[p] for p in changed if p in was_in}
    moved = set(changed) | {p for study_id in held for p in json.loads(old[study_id]["paper_ids"])}
    new = study_rows({p: studies[p] for p in moved if p in studies})
    merged = {was_in[p] for row in new.values() for p in json.loads(row["paper_ids"]) if p in was_in}
    stale = ({study_id for study_id, row in new.items() if old.get(study_id) != row} | held | merged
             | {studies[p].study_id for p in changed if p in studies})
    write_studies(db, studies, only=stale, rows=new)
    papers = {paper for study_id in stale if study_id in new for paper in json.loads(new[study_id]["paper_ids"])}
    for name, rows in ((META_PROPORTIONS, proportion_rows(db, studies, papers)),
                       (META_HAZARD_RATIOS, hazard_ratio_rows(db, studies, papers))):
        with db.atomic():
            db.execute(f"DELETE FROM [{name}] WHERE study_id IN (SELECT value FROM json_each(?)) "
                       f"OR paper_id IN (SELECT value FROM json_each(?))",
                       [json.dumps(sorted(stale)), json.dumps(sorted(set(changed) | papers))])
        _insert_meta(db, name, rows)
        if db.execute(f"SELECT 1 FROM [{name}] LIMIT 1").fetchone() is None:
            db.table(name).drop()  # as a full rewrite leaves no table without rows


# The question column (endpoint, outcome) is indexed too, first of an index shaped for the canned query that selects
# by it: hazard_ratios_for_endpoint reads its rows already in order (study, record_id), so Datasette's first 1,000
# come without sorting every match; response_rates seeks (outcome, paper) for the drug's papers.
QUESTION_INDEXES = {META_PROPORTIONS: ["outcome", "paper_id"], META_HAZARD_RATIOS: ["endpoint", "study", "record_id"]}


def _insert_meta(db: Database, name: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows into a meta table, creating it with its keys and indexes when missing."""
    if not rows:
        return
    db.table(name).insert_all(rows, pk="record_id", columns=COLUMN_TYPES[name],
                              foreign_keys=[("paper_id", "papers", "paper_id"), ("study_id", STUDIES, "study_id")])
    for columns in (["study_id"], ["included"], QUESTION_INDEXES[name]):
        db.table(name).create_index(columns, if_not_exists=True)


def pool(effects: list[float], variances: list[float], labels: list[str]) -> dict[str, Any]:
    """Random-effects pooling (DerSimonian-Laird, Paule-Mandel, and Hartung-Knapp on the DerSimonian-Laird
    tau²) with heterogeneity."""
    import numpy as np
    from statsmodels.stats.meta_analysis import combine_effects

    out: dict[str, Any] = {"k": len(effects), "studies": []}
    y, v = np.array(effects), np.array(variances)
    # statsmodels leaves the DerSimonian-Laird tau² (Q - df) / C negative when Q < k - 1; the estimator truncates
    # it at 0. The random-effects fit then uses that tau² as given (an "iterated" fit that starts there, 0 steps).
    with warnings.catch_warnings():  # its own random-effects fit over a negative tau² takes square roots of < 0
        warnings.simplefilter("ignore", RuntimeWarning)
        moments = combine_effects(y, v, method_re="dl")
    tau2 = max(0.0, float(moments.tau2))
    fits = {"dersimonian_laird": combine_effects(y, v, method_re="iterated", tau2_start=tau2, maxiter=0),
            "paule_mandel": combine_effects(y, v, method_re="pm")}
    for key, result in fits.items():
        low, high = result.conf_int(alpha=0.05)[1]
        out[key] = {"estimate": float(result.mean_effect_re), "se": float(result.sd_eff_w_re),
                    "ci_low": float(low), "ci_high": float(high), "tau2": float(result.tau2)}
    q = float(moments.q)
    out["heterogeneity"] = {"q": q, "df": len(effects) - 1, "i2": max(0.0, (q - (len(effects) - 1)) / q) if q > 0 else 0.0}
    # Hartung-Knapp(-Sidik-Jonkman): the DerSimonian-Laird estimate with the weighted residual
    # variance as its SE and a t quantile on k - 1 df (statsmodels' "random effect wls", use_t).
    with warnings.catch_warnings():  # use_t asks for per-study n it does not need for the pooled CI
        warnings.simplefilter("ignore")
        knapp = combine_effects(y, v, method_re="iterated", tau2_start=tau2, maxiter=0, use_t=True)
        low, high = knapp.conf_int(alpha=0.05)[3]
    out["hartung_knapp"] = {"estimate": float(knapp.mean_effect_re), "se": float(knapp.sd_eff_w_re_hksj),
                            "ci_low": float(low), "ci_high": float(high), "tau2": float(knapp.tau2)}
    out["studies"] = [{"label": lab, "effect": e, "variance": v} for lab, e, v in zip(labels, effects, variances, strict=True)]
    return out


def pool_selection(rows: list[dict[str, Any]], *, subgroups: bool = False, whole_first: bool = False,
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the estimates a pool takes, one per study; the others each with its ``reason``), by the selection rule.

    ``subgroups`` lets subgroup and prognostic estimates in; ``whole_first`` prefers
    a study's whole-population estimate to an arm's (proportions).
    """
    per_question = select(rows, lambda e: (e["study_id"], e["question"]), subgroups=subgroups)
    candidates = [r for r in rows if per_question[r["record_id"]] is None]
    key = (lambda e: (0 if e["arm"] is None else 1, *rank(e))) if whole_first else rank
    per_study = select(candidates, lambda e: e["study_id"], subgroups=True, key=key, same="another estimate pooled")
    chosen = [r for r in candidates if per_study[r["record_id"]] is None]
    excluded = [{**r, "reason": per_question[r["record_id"]] or per_study[r["record_id"]]} for r in rows
                if per_question[r["record_id"]] or per_study[r["record_id"]]]
    return chosen, excluded


def _meta_rows(db: Database, table: str, column: str, value: str) -> list[dict[str, Any]]:
    # A database built before studies were counted has no selection to pool from: nothing, until it is rebuilt.
    if table not in db.table_names() or "problem" not in db.table(table).columns_dict:
        return []
    # The paper's first author (a papers column from the parser, in databases built since it was read) names
    # the study in forest plots.
    author = ("(select first_author from papers where papers.paper_id = m.paper_id)"
              if "first_author" in db.table("papers").columns_dict else "null")
    return [dict(r) for r in db.query(f"select m.*, {author} as first_author from [{table}] m where [{column}] = ? "
                                      "order by study, record_id", [value])]


# A forest label's name part is cut to this many characters, so its year and trial id stay visible.
LABEL_NAME_CHARS = 26
LEFT_OUT_BY_YOU = "left out by you"


def forest_label(row: dict[str, Any]) -> str:
    """How a forest plot names a study: ``First author Year (trial)`` where known; the paper's first author
    when its parser read one, else the study's label (shortened), the paper's year, the study's registry id."""
    name = row.get("first_author") or row["study"] or row["study_id"]
    name = name if len(name) <= LABEL_NAME_CHARS else name[:LABEL_NAME_CHARS - 1].rstrip() + "…"
    year = f" {row['year']}" if row.get("year") else ""
    trial = f" ({row['trial_id']})" if row.get("trial_id") else ""
    return f"{name}{year}{trial}"


def _described(row: dict[str, Any], keys: tuple[str, ...], sources: bool = True) -> dict[str, Any]:
    described = {k: row.get(k) for k in ("study_id", "study", "record_id", "question", *keys, "analysis", "n_sources",
                                         "quote", "paper_id", "start", "year", "trial_id")}
    # quote is text[start:end] of the paper, so its end is start + its length (the paper viewer marks the span).
    described["end"] = row["start"] + len(row["quote"]) if row.get("start") is not None and row.get("quote") else None
    described["label"] = forest_label(row)
    return described | {"sources": json.loads(row["sources"])} if sources else described


def _narrowed(db: Database, table: str, column: str, value: str, keep: Callable[[dict[str, Any]], bool] | None,
              leave_out: Collection[str], subgroups: bool, whole_first: bool = False,
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(chosen, excluded by the rule, left out by the analyst): the question's rows kept by ``keep``, one per
    study by the selection rule, then the studies in ``leave_out`` taken out of the pool."""
    rows = [r for r in _meta_rows(db, table, column, value) if keep is None or keep(r)]
    chosen, excluded = pool_selection(rows, subgroups=subgroups, whole_first=whole_first)
    left_out = [{**r, "reason": LEFT_OUT_BY_YOU} for r in chosen if r["study_id"] in leave_out]
    return [r for r in chosen if r["study_id"] not in leave_out], excluded, left_out


def _selection(result: dict[str, Any], chosen: list[dict[str, Any]], excluded: list[dict[str, Any]],
               keys: tuple[str, ...], subgroups: bool, left_out: list[dict[str, Any]]) -> dict[str, Any]:
    if "studies" in result:
        result["studies"] = [{**study, **_described(row, keys)} for study, row in zip(result["studies"], chosen, strict=True)]
    else:
        result["studies"] = [_described(row, keys) for row in chosen]
    # The estimates left out keep their quote and record id, not every source (a pool of many studies stays small).
    result["excluded"] = [{**_described(row, keys, sources=False), "reason": row["reason"]} for row in excluded]
    result["left_out"] = [{**_described(row, keys, sources=False), "reason": row["reason"]} for row in left_out]
    result["rule"] = SELECTION_RULE
    result["subgroups"] = subgroups
    return result


def pool_hazard_ratios(db: Database, endpoint: str, *, subgroups: bool = False,
                       keep: Callable[[dict[str, Any]], bool] | None = None, leave_out: Collection[str] = (),
                       ) -> dict[str, Any]:
    """Pool one log hazard ratio per study of an endpoint (the selection rule); ratios back-transformed.

    ``keep`` narrows the estimates before the rule chooses (a drug, a comparator, an analysis set);
    the studies in ``leave_out`` are taken out of the pool and listed in ``left_out``."""
    chosen, excluded, left_out = _narrowed(db, META_HAZARD_RATIOS, "endpoint", endpoint, keep, leave_out, subgroups)
    keys = ("endpoint", "comparison", "hr", "ci_low", "ci_high", "ci_level", "log_hr", "se_log_hr")
    if len(chosen) < 2:
        result: dict[str, Any] = {"endpoint": endpoint, "k": len(chosen),
                                  "error": "fewer than two studies with a hazard ratio and CI to pool"}
        return _selection(result, chosen, excluded, keys, subgroups, left_out)
    result = pool([r["log_hr"] for r in chosen], [r["se_log_hr"] ** 2 for r in chosen],
                  [forest_label(r) for r in chosen])
    for key in ("dersimonian_laird", "paule_mandel", "hartung_knapp"):
        est = result[key]
        est.update({"hr": math.exp(est["estimate"]), "hr_ci_low": math.exp(est["ci_low"]),
                    "hr_ci_high": math.exp(est["ci_high"])})
    result["endpoint"] = endpoint
    return _selection(result, chosen, excluded, keys, subgroups, left_out)


def pool_proportions(db: Database, outcome: str, *, subgroups: bool = False,
                     keep: Callable[[dict[str, Any]], bool] | None = None, leave_out: Collection[str] = (),
                     ) -> dict[str, Any]:
    """Pool one logit proportion per study of an outcome (0.5 added to both cells when one is empty); back-transformed.
    ``keep`` and ``leave_out`` as for ``pool_hazard_ratios``."""
    chosen, excluded, left_out = _narrowed(db, META_PROPORTIONS, "outcome", outcome, keep, leave_out, subgroups,
                                           whole_first=True)
    keys = ("outcome", "arm", "events", "n", "proportion", "denominator_source")
    if len(chosen) < 2:
        result: dict[str, Any] = {"outcome": outcome, "k": len(chosen),
                                  "error": "fewer than two studies with a proportion to pool"}
        return _selection(result, chosen, excluded, keys, subgroups, left_out)
    effects, variances = [], []
    for r in chosen:
        events, n = r["events"], r["n"]
        add = 0.5 if events in (0, n) else 0.0
        effects.append(math.log((events + add) / (n - events + add)))
        variances.append(1 / (events + add) + 1 / (n - events + add))
    result = pool(effects, variances, [forest_label(r) for r in chosen])
    for key in ("dersimonian_laird", "paule_mandel", "hartung_knapp"):
        est = result[key]
        est.update({"proportion": expit(est["estimate"]), "proportion_ci_low": expit(est["ci_low"]),
                    "proportion_ci_high": expit(est["ci_high"])})
    result["outcome"] = outcome
    return _selection(result, chosen, excluded, keys, subgroups, left_out)


# The columns R's meta::metagen (TE, seTE, studlab) and meta::metaprop (event, n, studlab) take, then context.
CSV_HAZARD_RATIOS = ("studlab", "TE", "seTE", "study_id", "hr", "ci_low", "ci_high", "ci_level", "comparison",
                     "n_sources", "record_id", "quote")
CSV_PROPORTIONS = ("studlab", "event", "n", "study_id", "arm", "proportion", "denominator_source", "n_sources",
                   "record_id", "quote")


def pool_csv(result: dict[str, Any], ratio: bool) -> str:
    """The pooled studies as CSV for R: ``meta::metagen(TE, seTE, studlab, data = d, sm = "HR")`` or
    ``meta::metaprop(event, n, studlab, data = d)``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = CSV_HAZARD_RATIOS if ratio else CSV_PROPORTIONS
    writer.writerow(columns)
    for study in result["studies"]:
        named = {"studlab": study["study"], "TE": study.get("log_hr"), "seTE": study.get("se_log_hr"),
                 "event": study.get("events")}
        writer.writerow([named[c] if c in named else study.get(c) for c in columns])
    return out.getvalue()


def expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))
