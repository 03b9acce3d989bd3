"""Datasette pages of trial-evidence: a paper's text with an evidence span highlighted, pooled estimates,
and which version of the database is served.

Loaded through Datasette's plugins_dir (publish.serve passes it), so it needs no install.
"""

import asyncio
import html
import json
import re
import sqlite3
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from publish.meta_analysis import pool_csv
from publish.plugins.limits import apply_limits
from publish.pool_html import pool_html
from publish.question import Question, pool_question
from publish.site_links import Link, cell_paper_id, paper_viewer_path, site_links, value_columns
from publish.snapshot import FileVersion, served_snapshot

VALUE_COLUMNS = value_columns()
STYLE = ("<style>header .evidence-links{float:left;margin:0 0 0 2em;font-size:0.9em}.evidence-links a{margin-right:1em}"
         "mark{background:#ffe066;padding:0 2px}pre{white-space:pre-wrap}h3{margin-top:1.5em}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}"
         ".newer{background:#fff3cd;border:1px solid #e0c060;padding:4px 8px}</style>")
# A span offset is a character position: longer digit strings are junk (and int() refuses over 4,300 digits).
OFFSET = re.compile(r"[0-9]{1,12}")
# Pooled answers kept per (database, parameters); the served database is an immutable snapshot, so none goes stale.
POOL_CACHE_SIZE = 128
# Pooling runs in this one thread, not in Datasette's SQL threads (three by default), so pools being computed
# never hold the threads that answer table and row pages.
_POOL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-pool")


def _page(title: str, body: str, datasette: Any = None) -> Response:
    """A page outside Datasette's templates (the pool page), in Datasette's stylesheet with the site's links."""
    notice = _newer_notice(datasette) if datasette is not None else ""
    links = _header_links(datasette.get_database().name) if datasette is not None else ""
    return Response.html(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                         f"<link rel='stylesheet' href='/-/static/app.css'>{STYLE}</head><body><div class='not-footer'>"
                         f"<header><nav>{links}</nav></header>{notice}<section class='content'>{body}</section>"
                         f"</div></body></html>")


def _header_links(database: str) -> str:
    crumbs = f"<p class='crumbs'><a href='/'>home</a> / <a href='/{html.escape(database)}'>{html.escape(database)}</a></p>"
    links = "".join(f" <a href='{html.escape(link.href)}'>{html.escape(link.label)}</a>" for link in site_links(database))
    return f"{crumbs}<p class='evidence-links'><a href='/'>Home</a>{links}</p>"


def _marked_text(text: str, offset: int, span: tuple[int, int] | None) -> Markup:
    """A section's text, escaped, with the span marked when it starts in this section."""
    if span and offset <= span[0] < offset + len(text):
        a, b = span[0] - offset, min(span[1] - offset, len(text))
        return Markup(html.escape(text[:a]) + f"<mark id='evidence'>{html.escape(text[a:b])}</mark>"
                      + html.escape(text[b:]))
    return Markup(html.escape(text))


async def paper_page(request: Any, datasette: Any) -> Response:
    """/-/paper/<paper_id>?start=&end=: the paper's text with the span marked, and every evidence record of the
    paper by kind (full quote, values, link to its span and to its row)."""
    db = datasette.get_database()
    paper_id = request.url_vars["paper_id"]
    paper = (await db.execute("select * from papers where paper_id = ?", [paper_id])).first()
    if paper is None:
        return Response.html("no such paper", status=404)
    start, end = request.args.get("start") or "", request.args.get("end") or ""
    span = (int(start), int(end)) if OFFSET.fullmatch(start) and OFFSET.fullmatch(end) else None
    sections = [{"label": s["label"], "html": _marked_text(s["text"], s["start"], span)}
                for s in (await db.execute("select label, start, text from sections where paper_id = ? order by ordinal",
                                           [paper_id])).rows]
    kinds, paper_links = [], []
    for table, columns in VALUE_COLUMNS.items():
        rows = (await db.execute(f"select * from [{table}] where paper_id = ? order by start", [paper_id])).rows
        if not rows:
            continue
        shown = [c for c in columns if any(r[c] is not None for r in rows)]
        kinds.append({"name": table, "columns": shown, "rows": [{
            "quote": r["quote"], "href": paper_viewer_path(paper_id, r["start"], r["end"]),
            "cells": [r[c] for c in shown], "section": r["section"], "rule_id": r["rule_id"],
            "row_href": f"/{db.name}/{table}/{r['id']}"} for r in rows]})
        paper_links.append(Link(f"{table} ({len(rows)})", f"/{db.name}/{table}?paper_id={paper_id}"))
    paper_links.insert(0, Link("sections", f"/{db.name}/sections?paper_id={paper_id}"))
    title = paper["title"] or paper["stem"]
    return Response.html(await datasette.render_template("evidence_paper.html", {
        "title": title, "database": db.name, "paper_row": f"/{db.name}/papers/{paper_id}",
        "paper_links": paper_links, "kinds": kinds, "sections": sections,
    }, request=request))


@dataclass(frozen=True)
class PoolAnswer:
    """One pooling, ready to send: its JSON text, the HTML summary with the forest plot, and the CSV for R."""

    json: str
    html: str
    csv: str


_pool_answers: "WeakKeyDictionary[Any, OrderedDict[tuple[str, ...], asyncio.Future[PoolAnswer]]]" = WeakKeyDictionary()


async def pool_page(request: Any, datasette: Any) -> Response:
    """/-/pool?endpoint=OS (hazard ratios) or /-/pool?outcome=CR (proportions), narrowed by &drug=, &comparator=,
    &analysis=, &subgroups=1 to let subgroup and prognostic estimates in, &exclude=<study_id> (repeated) to leave
    studies out: HTML with the question's facets, a forest plot and the studies in and out; /-/pool.json?... gives
    the same as JSON, /-/pool.csv?... the pooled studies in the columns of R's meta::metagen / meta::metaprop."""
    args = request.args
    question = Question.from_args(args.get, args.getlist)
    fmt = request.url_vars.get("format")
    if args.getlist("shown"):
        # The studies form (ticked: pooled) answers with the question's permalink, the unticked ones as exclude=.
        return Response.redirect(f"/-/pool{'.' + fmt if fmt else ''}?{question.query()}")
    answer = await pooled(datasette, question)
    if fmt == "json":
        return Response(answer.json, content_type="application/json; charset=utf-8")
    if fmt == "csv":
        return Response(answer.csv, content_type="text/csv; charset=utf-8")
    name = (f"pooled proportion: {question.value}" if question.kind == "outcome"
            else f"pooled hazard ratio: {question.value}")
    title = html.escape(name[0].upper() + name[1:])
    query = question.query()
    permalink = html.escape(f"/-/pool?{query}")
    links = (f"<p>Permalink: <a id='permalink' href='{permalink}'>{permalink}</a> · "
             f"<a href='/-/pool.json?{html.escape(query)}'>JSON</a> · "
             f"<a href='/-/pool.csv?{html.escape(query)}'>CSV for R</a></p>")
    return _page(title, f"<h1>{title}</h1>{answer.html}{links}", datasette)


async def pooled(datasette: Any, question: Question) -> PoolAnswer:
    """The pooled answer for the question (every parameter) on the served database: computed once in the pool
    thread, then cached; concurrent requests for the same answer wait for the one computation."""
    db = datasette.get_database()
    loop = asyncio.get_running_loop()
    cache = _pool_answers.setdefault(datasette, OrderedDict())
    key = (str(db.path), *(f"{name}={value}" for name, value in question.params()))
    future = cache.get(key)
    if future is None or future.get_loop() is not loop:
        future = loop.run_in_executor(_POOL_THREAD, pool_answer, db.path, question)
        cache[key] = future
        while len(cache) > POOL_CACHE_SIZE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    try:
        # shield: a client that goes away must not cancel the answer other requests wait for.
        return await asyncio.shield(future)
    except Exception:
        cache.pop(key, None)
        raise


def pool_answer(db_path: str, question: Question) -> PoolAnswer:
    """Pool the question from the database file and render it (runs in the pool thread, on its own connection)."""
    from sqlite_utils import Database

    conn = sqlite3.connect(f"{Path(db_path).as_uri()}?immutable=1", uri=True)
    try:
        apply_limits(conn)
        result = pool_question(Database(conn), question)
    finally:
        conn.close()
    return PoolAnswer(json.dumps(result), pool_html(result, question), pool_csv(result, ratio=question.ratio))


def _version(version: FileVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    modified = datetime.fromtimestamp(version.mtime_ns / 1e9, UTC).isoformat(timespec="seconds")
    return {"modified": modified, "inode": version.inode, "size": version.size}


def _newer_notice(datasette: Any) -> str:
    snapshot = served_snapshot(datasette.get_database().path)
    if snapshot is None or not snapshot.newer_available():
        return ""
    return (f"<p class='newer' id='newer-database'>A newer {html.escape(snapshot.source.name)} has been built; "
            f"this server still answers from the version it opened at start. Stop and start <code>evidence serve</code> "
            f"again to serve the new one.</p>")


async def version_json(datasette: Any) -> Response:
    """/-/evidence-version.json: the version of the database file served, the file's current one, and whether
    a newer build is available (the server keeps answering from the version it started with)."""
    db = datasette.get_database()
    snapshot = served_snapshot(db.path)
    if snapshot is None:
        return Response.json({"database": db.name, "snapshot": None, "newer_available": False})
    return Response.json({
        "database": db.name,
        "file": snapshot.source.name,
        "snapshot": "hard link" if snapshot.linked else "copy",
        "serving": _version(snapshot.version),
        "current": _version(FileVersion.of(snapshot.source)),
        "newer_available": snapshot.newer_available(),
    })


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/paper/(?P<paper_id>[0-9a-f]+)$", paper_page),
        (r"^/-/pool(\.(?P<format>json|csv))?$", pool_page),
        (r"^/-/evidence-version\.json$", version_json),
    ]


@hookimpl
def extra_body_script(datasette: Any) -> str:
    """On every Datasette page: a banner at the top when a newer database file has been built."""
    notice = _newer_notice(datasette)
    return f"document.body.insertAdjacentHTML('afterbegin', {json.dumps(notice)});" if notice else ""


@hookimpl
def extra_template_vars(datasette: Any) -> dict[str, Any]:
    """Every page's header links (publish/templates/base.html shows them)."""
    return {"evidence_links": site_links(datasette.get_database().name)}


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    """The same links in Datasette's menu."""
    return [{"href": link.href, "label": link.label} for link in site_links(datasette.get_database().name)]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str) -> Any:
    """An evidence row's quote links to its paper's text with the span highlighted; a paper's label and id
    link to its text."""
    if table == "papers" and column in ("label", "paper_id") and isinstance(value, str):
        try:
            paper_id = cell_paper_id(row["paper_id"] if column == "label" else value)
        except (KeyError, IndexError):
            return None
        if paper_id is None:
            return None
        return Markup(f'<a href="{html.escape(paper_viewer_path(paper_id))}">{html.escape(value)}</a>')
    if column != "quote" or table not in VALUE_COLUMNS or not isinstance(value, str):
        return None
    try:
        paper_id, start, end = cell_paper_id(row["paper_id"]), row["start"], row["end"]
    except (KeyError, IndexError):
        return None
    if paper_id is None or not isinstance(start, int) or not isinstance(end, int):
        return None
    return Markup(f'<a href="{html.escape(paper_viewer_path(paper_id, start, end))}">{html.escape(value)}</a>')
