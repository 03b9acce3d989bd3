"""Files of one article (the same DOI, PMID or PMCID in two formats) grouped as one article with several sources.

Each file stays a paper of its own (its quotes point into its own text), but a
meta-analysis must count the article once: ``paper_sources`` names, for every
paper, its article and whether it is the article's primary source, the one whose
evidence the meta-analysis tables count.
"""

import json
import re
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from publish.tables import PAPERS

PAPER_SOURCES = "paper_sources"
ARTICLES_VIEW = "articles"
# The format read most faithfully is the primary source: publisher XML keeps tables and
# sections as the authors marked them up; a PDF's text layer is a reconstruction.
FORMAT_PREFERENCE = ("jats", "html", "text", "pdf")
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)

ARTICLES_SQL = f"""
select s.article_id as article_id, max(p.title) as title, max(p.doi) as doi, max(p.pmid) as pmid,
       max(p.pmcid) as pmcid, count(*) as n_sources,
       json_group_array(p.paper_id) as paper_ids, json_group_array(p.format) as formats
from [{PAPER_SOURCES}] s join [{PAPERS}] p on p.paper_id = s.paper_id
group by s.article_id
"""

PAPER_SOURCES_METADATA: dict[str, Any] = {
    "description": "One row per paper file: the article it is a source of (files of one article in "
                   "several formats share article_id) and whether its evidence is the one counted.",
    "columns": {
        "paper_id": "The paper file (papers.paper_id).",
        "article_id": "paper_id of the article's primary source; the same for every file of one article.",
        "is_primary": "1 for the source the meta-analysis tables count (publisher XML before HTML, text, PDF).",
        "shared_ids": "The DOI, PMID or PMCID that make it the same article as its other sources (JSON).",
    },
    "facets": ["is_primary"],
}
ARTICLES_METADATA: dict[str, Any] = {
    "description": "One row per article: the paper files that are its sources (PDF and XML of one "
                   "article, say), so it is counted once.",
    "columns": {
        "article_id": "paper_id of the article's primary source.",
        "title": "Title found in any of its sources.",
        "doi": "DOI found in any of its sources.",
        "pmid": "PubMed id found in any of its sources.",
        "pmcid": "PubMed Central id found in any of its sources.",
        "n_sources": "How many paper files are sources of this article.",
        "paper_ids": "Ids of those files (JSON list).",
        "formats": "Their formats, in the same order (JSON list).",
    },
}


def article_keys(doi: str | None, pmid: str | None, pmcid: str | None) -> set[str]:
    """Normalised identifiers of an article: two files sharing any one of them are the same article."""
    keys = set()
    if doi and doi.strip():
        keys.add("doi:" + DOI_PREFIX.sub("", doi.strip()).lower())
    if pmid and pmid.strip().isdigit():
        keys.add("pmid:" + str(int(pmid.strip())))
    if pmcid and pmcid.strip():
        number = pmcid.strip().upper().removeprefix("PMC")
        if number.isdigit():
            keys.add("pmcid:PMC" + number)
    return keys


def group_sources(papers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One paper_sources row per paper: papers sharing an identifier (directly or through another) form one article."""
    ordered = sorted(papers, key=lambda p: (source_rank(p["format"]), p["paper_id"]))
    rank = {p["paper_id"]: i for i, p in enumerate(ordered)}
    parent = {paper_id: paper_id for paper_id in rank}
    keys = {p["paper_id"]: article_keys(p["doi"], p["pmid"], p["pmcid"]) for p in ordered}

    def root(paper_id: str) -> str:
        while parent[paper_id] != paper_id:
            paper_id = parent[paper_id]
        return paper_id

    owner: dict[str, str] = {}
    for paper_id in rank:
        for key in sorted(keys[paper_id]):
            if key not in owner:
                owner[key] = paper_id
                continue
            # The better-ranked root stays the article: the preferred format, then the smaller id.
            first, second = sorted((root(owner[key]), root(paper_id)), key=rank.__getitem__)
            parent[second] = first
    members: dict[str, list[str]] = {}
    for paper_id in rank:
        members.setdefault(root(paper_id), []).append(paper_id)
    rows = []
    for paper_id in rank:
        article_id = root(paper_id)
        shared = keys[paper_id] & set().union(*(keys[m] for m in members[article_id] if m != paper_id))
        rows.append({"paper_id": paper_id, "article_id": article_id, "is_primary": paper_id == article_id,
                     "shared_ids": json.dumps(sorted(shared)) if shared else None})
    return rows


def source_rank(fmt: str) -> int:
    """Position of a format in FORMAT_PREFERENCE: the smaller, the better a primary source."""
    return FORMAT_PREFERENCE.index(fmt) if fmt in FORMAT_PREFERENCE else len(FORMAT_PREFERENCE)


def write_articles(db: Database) -> None:
    """(Re)write paper_sources from the papers table, and create the articles view over it.

    The sources are grouped anew from every paper (a new file may join two articles); of a table already there
    only the rows that change are deleted and written again."""
    rows = group_sources(db.query(f"select paper_id, format, doi, pmid, pmcid from [{PAPERS}]"))
    columns = {"paper_id": str, "article_id": str, "is_primary": bool, "shared_ids": str}
    if PAPER_SOURCES in db.table_names() and set(db.table(PAPER_SOURCES).columns_dict) != set(columns):
        db.table(PAPER_SOURCES).drop()  # written by an older version
    if PAPER_SOURCES in db.table_names():
        stored = {row["paper_id"]: row for row in db.query(f"select * from [{PAPER_SOURCES}]")}
        new = [row for row in rows if stored.get(row["paper_id"]) != row]
        current = {row["paper_id"] for row in rows}
        stale = [paper_id for paper_id in stored if paper_id not in current]
        with db.atomic():
            db.conn.executemany(f"DELETE FROM [{PAPER_SOURCES}] WHERE paper_id = ?",
                                [(paper_id,) for paper_id in stale + [row["paper_id"] for row in new]])
        rows = new
    else:
        db.table(PAPER_SOURCES).create(
            columns, pk="paper_id", not_null={"paper_id", "article_id", "is_primary"},
            foreign_keys=[("paper_id", PAPERS, "paper_id")],
        )
    if rows:
        db.table(PAPER_SOURCES).insert_all(rows)
    db.table(PAPER_SOURCES).create_index(["article_id"], if_not_exists=True)
    db.create_view(ARTICLES_VIEW, ARTICLES_SQL, ignore=True)


def secondary_sources(db: Database) -> set[str]:
    """Papers that are another source of an article already counted (empty before write_articles ran)."""
    if PAPER_SOURCES not in db.table_names():
        return set()
    return {row["paper_id"] for row in db.query(f"select paper_id from [{PAPER_SOURCES}] where not is_primary")}
