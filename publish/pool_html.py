"""The HTML of a pool page: the question's facets, the pooled estimates with the forest plot, the eligible studies
with a box each to leave one out, and the estimates the rule or the analyst left out. Every text is escaped."""

import html
from typing import Any

from publish.forest import MAX_FOREST_STUDIES, forest_svg
from publish.question import Question
from publish.site_links import paper_viewer_path

# The pool page lists at most this many studies pooled and estimates left out (the JSON has them all).
MAX_LISTED = 500
METHODS = (("DerSimonian–Laird", "dersimonian_laird"), ("Paule–Mandel", "paule_mandel"),
           ("Hartung–Knapp (DL τ², t on k−1 df)", "hartung_knapp"))


def _e(value: Any) -> str:
    return html.escape(str(value))


def estimate_text(study: dict[str, Any], ratio: bool) -> str:
    """The estimate as a reader writes it: ``HR 0.72 (0.6–0.88)`` or ``12/40 (30.0%)``."""
    if ratio:
        ci = f" ({study['ci_low']:g}–{study['ci_high']:g})" if study.get("ci_low") and study.get("ci_high") else ""
        return f"HR {study['hr']:g}{ci}"
    if study.get("events") is None or not study.get("n"):
        return "no proportion"
    return f"{study['events']}/{study['n']} ({100 * study['events'] / study['n']:.1f}%)"


def _quote_cell(study: dict[str, Any]) -> str:
    quote = _e(str(study["quote"])[:300])
    if study.get("paper_id") and study.get("start") is not None and study.get("end") is not None:
        href = paper_viewer_path(study["paper_id"], study["start"], study["end"])
        return f"<a class='quote' href='{_e(href)}'>{quote}</a>"
    return quote


def study_table(studies: list[dict[str, Any]], ratio: bool, reason: bool = False, box: str | None = None) -> str:
    """Studies with their estimate and quote (linking to the paper's text); ``box`` "in" or "out" adds a checkbox
    per study (ticked: pooled) for the form that leaves studies out; ``reason`` a column saying why left out."""
    head = ("<tr>" + ("<th>pool</th>" if box else "") + "<th>study</th><th>estimate</th><th>question</th>"
            "<th>analysis</th><th>sources</th><th>quote</th>" + ("<th>why left out</th>" if reason else "") + "</tr>")
    rows = []
    for s in studies[:MAX_LISTED]:
        tick = ""
        if box:
            sid = _e(s["study_id"])
            tick = (f"<td><input type='hidden' name='shown' value='{sid}'><input type='checkbox' name='keep' "
                    f"value='{sid}' aria-label='pool {sid}'{' checked' if box == 'in' else ''}></td>")
        rows.append(f"<tr class='study'>{tick}<td>{_e(s['study'])} <small>{_e(s['study_id'])}</small></td>"
                    f"<td>{_e(estimate_text(s, ratio))}</td><td>{_e(s['question'])}</td><td>{_e(s.get('analysis'))}</td>"
                    f"<td>{_e(s['n_sources'])}</td><td>{_quote_cell(s)}</td>"
                    + (f"<td>{_e(s['reason'])}</td>" if reason else "") + "</tr>")
    more = (f"<p class='shown'>Listing {MAX_LISTED} of {len(studies)}; the JSON and CSV have them all.</p>"
            if len(studies) > MAX_LISTED else "")
    return f"<table>{head}{''.join(rows)}</table>{more}"


def facets_html(result: dict[str, Any]) -> str:
    """The question's choices: each facet's values with their study counts, as links (the chosen one in bold;
    for drug, comparator and analysis its link removes the choice)."""
    parts = []
    for facet in result.get("facets", []):
        links = " · ".join(
            (f"<a class='selected' href='{_e(v['href'])}'><b>{_e(v['value'])}</b></a> ({v['count']})" if v["selected"]
             else f"<a href='{_e(v['href'])}'>{_e(v['value'])}</a> ({v['count']})") for v in facet["values"])
        more = " · …" if facet["truncated"] else ""
        parts.append(f"<p class='facet' id='facet-{_e(facet['name'])}'><b>{_e(facet['name'])}</b>: "
                     f"{links or '<i>none</i>'}{more}</p>")
    if not parts:
        return ""
    return ("<div class='facets'><p><small>Choose what to pool (studies with an eligible estimate in brackets); "
            "a chosen drug, disease, comparator or analysis set is removed by clicking it again; diseases are "
            "those a paper's title or abstract names (publish/disease_words.yaml).</small></p>"
            + "".join(parts) + "</div>")


def _studies_form(result: dict[str, Any], question: Question) -> str:
    """The studies pooled (ticked) and those left out by the analyst (unticked) in one GET form: submitting it
    answers with a redirect to the question's permalink, the unticked ones as ``exclude=``."""
    hidden = "".join(f"<input type='hidden' name='{_e(k)}' value='{_e(v)}'>" for k, v in question.form_fields())
    pooled = (f"<h2>Studies pooled ({len(result['studies'])})</h2>"
              f"{study_table(result['studies'], question.ratio, box='in')}")
    left_out = (f"<h2>Left out by you ({len(result['left_out'])})</h2>"
                f"{study_table(result['left_out'], question.ratio, reason=True, box='out')}"
                if result.get("left_out") else "")
    return (f"<form method='get' action='/-/pool' id='studies-form'>{hidden}"
            f"<p><small>Untick a study to leave it out of the pool; tick one left out to put it back.</small></p>"
            f"{pooled}{left_out}<p><button type='submit'>Pool the ticked studies</button></p></form>")


def pool_html(result: dict[str, Any], question: Question) -> str:
    """The question's facets, the pooled estimates, heterogeneity and the forest plot of a pooling result (or its
    error), the selection rule, the studies pooled (with a box to leave each out) and the estimates left out."""
    ratio = question.ratio
    rule = (f"<p class='rule'><b>Selection rule.</b> {_e(result['rule'])}"
            + (" Subgroup and prognostic estimates are let in (subgroups=1)." if result["subgroups"] else "") + "</p>")
    studies = _studies_form(result, question)
    excluded = (f"<h2>Estimates left out ({len(result['excluded'])})</h2>{study_table(result['excluded'], ratio, True)}"
                if result["excluded"] else "")
    facets = facets_html(result)
    if "error" in result:
        return f"{facets}<p class='pool-error'>{_e(result['error'])}</p>{rule}{studies}{excluded}"
    unit = "hr" if ratio else "proportion"
    het = result["heterogeneity"]
    rows = "".join(
        f"<tr><td>{label}</td><td>{est[unit]:.3f}</td><td>{est[unit + '_ci_low']:.3f}–{est[unit + '_ci_high']:.3f}"
        f"</td><td>{est['tau2']:.4f}</td></tr>"
        for label, est in ((label, result[key]) for label, key in METHODS))
    summary = (f"<table id='pooled'><tr><th>method</th><th>{unit}</th><th>95% CI</th><th>tau²</th></tr>{rows}</table>"
               f"<p>Q = {het['q']:.3f} on {het['df']} df, I² = {100 * het['i2']:.1f}%; "
               f"<span id='k'>k = {result['k']}</span> studies, one estimate each.</p>")
    k = len(result["studies"])
    shown = (f"<p class='shown'>Showing {MAX_FOREST_STUDIES} of {k} studies: the {MAX_FOREST_STUDIES} most precise "
             f"(smallest variance). The pooled estimates and the JSON use all {k}.</p>" if k > MAX_FOREST_STUDIES else "")
    return (f"{facets}{summary}{rule}{shown}<div id='forest'>{forest_svg(result, ratio=ratio)}</div>"
            f"{studies}{excluded}")
