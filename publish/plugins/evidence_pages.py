"""Datasette pages of trial-evidence: a paper's text with an evidence span highlighted, and pooled estimates.

Loaded through Datasette's plugins_dir (publish.serve passes it), so it needs no install.
"""

import html
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from publish.meta_analysis import forest_svg, pool_hazard_ratios, pool_proportions
from publish.tables import evidence_specs

KINDS = [spec.name for spec in evidence_specs().values()]
STYLE = ("<style>body{font-family:sans-serif;max-width:60em;margin:1em auto;line-height:1.45}"
         "mark{background:#ffe066;padding:0 2px}pre{white-space:pre-wrap}h3{margin-top:1.5em}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style>")


def _page(title: str, body: str) -> Response:
    return Response.html(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                         f"{STYLE}</head><body>{body}</body></html>")


async def paper_page(request: Any, datasette: Any) -> Response:
    """/-/paper/<paper_id>?start=&end=: the paper's text, the span marked, and all its evidence by kind."""
    db = datasette.get_database()
    paper_id = request.url_vars["paper_id"]
    paper = (await db.execute("select * from papers where paper_id = ?", [paper_id])).first()
    if paper is None:
        return Response.html("no such paper", status=404)
    start, end = request.args.get("start"), request.args.get("end")
    span = (int(start), int(end)) if start and end and start.isdigit() and end.isdigit() else None
    sections = (await db.execute("select label, title, start, text from sections where paper_id = ? order by ordinal",
                                 [paper_id])).rows
    parts = []
    for section in sections:
        text, offset = section["text"], section["start"]
        if span and offset <= span[0] < offset + len(text):
            a, b = span[0] - offset, min(span[1] - offset, len(text))
            body = (html.escape(text[:a]) + f"<mark id='evidence'>{html.escape(text[a:b])}</mark>"
                    + html.escape(text[b:]))
        else:
            body = html.escape(text)
        parts.append(f"<section data-label='{section['label']}'><pre>{body}</pre></section>")
    evidence = []
    for kind in KINDS:
        rows = (await db.execute(f"select * from [{kind}] where paper_id = ? order by start", [paper_id])).rows
        if not rows:
            continue
        items = "".join(
            f"<li><a href='?start={r['start']}&end={r['end']}#evidence'>{html.escape(r['quote'][:160])}</a> "
            f"<small>({r['section']}, {r['rule_id']})</small></li>" for r in rows)
        evidence.append(f"<h3 class='kind'>{kind} ({len(rows)})</h3><ul>{items}</ul>")
    title = paper["title"] or paper["stem"]
    return _page(title, f"<h1>{html.escape(title)}</h1><h2>Evidence</h2>{''.join(evidence)}"
                        f"<h2>Text</h2>{''.join(parts)}")


async def pool_page(request: Any, datasette: Any) -> Response:
    """/-/pool?endpoint=OS (hazard ratios) or /-/pool?outcome=CR (proportions): HTML with a forest plot;
    /-/pool.json?... gives the same numbers as JSON."""
    outcome = request.args.get("outcome")
    endpoint = request.args.get("endpoint", "OS")
    db = datasette.get_database()
    if outcome:
        result = await db.execute_fn(lambda conn: pool_proportions(_wrap(conn), outcome))
        name, unit, ratio = f"pooled proportion: {outcome}", "proportion", False
    else:
        result = await db.execute_fn(lambda conn: pool_hazard_ratios(_wrap(conn), endpoint))
        name, unit, ratio = f"pooled hazard ratio: {endpoint}", "hr", True
    if request.url_vars.get("format") == "json":
        return Response.json(result)
    title = html.escape(name[0].upper() + name[1:])
    if "error" in result:
        return _page(title, f"<h1>{title}</h1><p>{html.escape(result['error'])}</p>")
    dl, pm, het = result["dersimonian_laird"], result["paule_mandel"], result["heterogeneity"]
    rows = "".join(
        f"<tr><td>{label}</td><td>{est[unit]:.3f}</td><td>{est[unit + '_ci_low']:.3f}–{est[unit + '_ci_high']:.3f}"
        f"</td><td>{est['tau2']:.4f}</td></tr>"
        for label, est in (("DerSimonian–Laird", dl), ("Paule–Mandel", pm)))
    summary = (f"<table><tr><th>method</th><th>{unit}</th><th>95% CI</th><th>tau²</th></tr>{rows}</table>"
               f"<p>Q = {het['q']:.3f} on {het['df']} df, I² = {100 * het['i2']:.1f}%; k = {result['k']}.</p>")
    query = html.escape(request.query_string)
    return _page(title, f"<h1>{title}</h1>{summary}<div id='forest'>{forest_svg(result, ratio=ratio)}</div>"
                        f"<p><a href='/-/pool.json?{query}'>JSON</a></p>")


def _wrap(conn: Any) -> Any:
    from sqlite_utils import Database

    return Database(conn)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/paper/(?P<paper_id>[0-9a-f]+)$", paper_page),
        (r"^/-/pool(\.(?P<format>json))?$", pool_page),
    ]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str) -> Any:
    """An evidence row's quote links to its paper's text with the span highlighted."""
    if column != "quote" or table not in KINDS or not isinstance(value, str):
        return None
    try:
        paper_id, start, end = row["paper_id"], row["start"], row["end"]
    except (KeyError, IndexError):
        return None
    href = f"/-/paper/{paper_id}?start={start}&end={end}#evidence"
    return Markup(f'<a href="{html.escape(href)}">{html.escape(value)}</a>')
