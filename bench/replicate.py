"""Grow a built database to a target number of evidence rows by copying its papers under fresh ids.

For the Datasette latency benchmark only: it needs a million evidence rows, which
extracting ~25,000 papers would take most of an hour to give. Every table keyed
by paper is copied whole, with ``~<k>`` appended to the paper id and to every id
derived from it, so the copies are distinct papers with the real papers' rows.
"""

from pathlib import Path

from sqlite_utils import Database

from publish.database import EVIDENCE_TABLES
from publish.facet_counts import write_facet_counts
from publish.metadata import facet_columns
from publish.search import rebuild_search
from publish.tables import SECTIONS

# Columns holding an id that is unique per paper: suffixed with the copy number like paper_id.
ID_COLUMNS = frozenset({"paper_id", "id", "record_id", "article_id", "applied_to"})
SUFFIX = "~"
# Tables keyed by the files a build read, not by paper: copies have no files of their own.
BOOKKEEPING = frozenset({"file_stats"})


def evidence_rows(db: Database) -> int:
    """Rows across the evidence tables."""
    return sum(db.table(name).count for name in EVIDENCE_TABLES if name in db.table_names())


def grow(db_path: Path, target_rows: int) -> dict[str, int]:
    """Copy the database's papers until it holds at least ``target_rows`` evidence rows; return the counts."""
    db = Database(db_path)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        base = evidence_rows(db)
        tables = [t for t in db.tables if "paper_id" in t.columns_dict and not t.name.startswith(SECTIONS + "_")
                  and t.name not in BOOKKEEPING]
        copies = 0
        while base * (copies + 1) < target_rows:
            copies += 1
            with db.conn:
                for table in tables:
                    columns = list(table.columns_dict)
                    select = ", ".join(
                        f"[{c}] || '{SUFFIX}{copies}'" if c in ID_COLUMNS else f"[{c}]" for c in columns)
                    names = ", ".join(f"[{c}]" for c in columns)
                    db.execute(f"INSERT INTO [{table.name}] ({names}) SELECT {select} FROM [{table.name}] "
                               f"WHERE instr(paper_id, '{SUFFIX}') = 0")
        # VACUUM may renumber the rowids the full-text indexes point to: it goes first.
        db.execute("VACUUM")
        rebuild_search(db)
        write_facet_counts(db, facet_columns())
        return {"copies": copies, "papers": db.table("papers").count, "evidence_rows": evidence_rows(db)}
    finally:
        db.close()
