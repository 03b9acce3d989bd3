"""Full-text search over passages: an FTS5 index whose text is read from the sections, and the query that
answers a search with a snippet of each passage found.

A search over whole sections returns (and, for a common word, counts and sorts)
hundreds of thousands of long rows: seconds on a million-row database. Over
passages (paragraphs and table rows) the index finds the newest matches by rowid
and reads only their text, so a search answers in milliseconds however common the
word. The passages table holds offsets only; the view ``passage_texts`` cuts each
passage's text out of its section, and the index reads it from there (FTS5
external content), so the text is stored once.
"""

import re

from sqlite_utils import Database

from publish.tables import PASSAGES, SECTIONS

PASSAGE_TEXTS = "passage_texts"
PASSAGES_FTS = f"{PASSAGES}_fts"

PASSAGE_TEXTS_VIEW = f"""
select p.rowid as rowid, p.paper_id, p.section, p.start, p."end",
       substr(s.text, p.start - s.start + 1, p."end" - p.start) as text
from [{PASSAGES}] p join [{SECTIONS}] s on s.paper_id = p.paper_id and s.ordinal = p.section_ordinal
"""

# Results per search: the newest passages first (the highest rowids are the last papers written).
SEARCH_LIMIT = 50

SEARCH_QUERY = {
    "title": "Search the papers' text",
    "description": (f"Passages (paragraphs and table rows) holding every word of :q, newest papers first, "
                    f"at most {SEARCH_LIMIT}; each links to the paper with the passage marked."),
    "sql": (f"select pa.label as paper, t.section, "
            f"snippet({PASSAGES_FTS}, 0, '[', ']', '…', 16) as snippet, "
            f"'/-/paper/' || t.paper_id || '?start=' || t.start || '&end=' || t.\"end\" || '#evidence' as link "
            f"from {PASSAGES_FTS} f join {PASSAGE_TEXTS} t on t.rowid = f.rowid "
            f"join papers pa on pa.paper_id = t.paper_id "
            f"where {PASSAGES_FTS} match fts_words(:q) order by f.rowid desc limit {SEARCH_LIMIT}"),
}

WORD = re.compile(r"\w+")


def fts_words(query: str | None) -> str:
    """An FTS5 query matching passages that hold every word of ``query``, each word quoted, so no
    input is an FTS syntax error; '""' (matches nothing) when it has no word."""
    words = WORD.findall(query or "")
    return " ".join(f'"{word}"' for word in words) if words else '""'


def ensure_search(db: Database) -> None:
    """Create the passage view and its full-text index when missing (the index is filled by rebuild_search)."""
    db.create_view(PASSAGE_TEXTS, PASSAGE_TEXTS_VIEW, ignore=True)
    if PASSAGES_FTS not in db.table_names():
        db.execute(f"CREATE VIRTUAL TABLE [{PASSAGES_FTS}] USING FTS5 (text, content=[{PASSAGE_TEXTS}], "
                   f"content_rowid=rowid)")


def rebuild_search(db: Database) -> None:
    """Rebuild both full-text indexes (sections and passages) from the rows now in the database."""
    db.table(SECTIONS).rebuild_fts()
    db.execute(f"INSERT INTO [{PASSAGES_FTS}]([{PASSAGES_FTS}]) VALUES('rebuild')")


def last_rowids(db: Database) -> dict[str, int]:
    """The highest rowid of sections and passages now: rows written later are the new ones (see index_new_rows)."""
    return {table: db.execute(f"select coalesce(max(rowid), 0) from [{table}]").fetchone()[0]
            for table in (SECTIONS, PASSAGES)}


def index_new_rows(db: Database, after: dict[str, int], columns: list[str]) -> None:
    """Add to both full-text indexes only the sections and passages written after ``after`` (last_rowids).

    For a build that only added papers: the index work follows the new papers, not the whole
    corpus. A build that replaced or removed a paper rebuilds instead (an external-content index
    forgets a row only when told its old text).
    """
    listed = ", ".join(f"[{c}]" for c in columns)
    with db.atomic():
        db.execute(f"INSERT INTO [{SECTIONS}_fts](rowid, {listed}) SELECT rowid, {listed} FROM [{SECTIONS}] "
                   "WHERE rowid > ?", [after[SECTIONS]])
        db.execute(f"INSERT INTO [{PASSAGES_FTS}](rowid, text) SELECT rowid, text FROM [{PASSAGE_TEXTS}] "
                   "WHERE rowid > ?", [after[PASSAGES]])
