"""Facet counts of every unfiltered table, counted once when the database is built.

Datasette counts a facet (``?_facet=grade``) with a GROUP BY over the whole
table on every request: tens of milliseconds on a table of a million rows,
however well indexed. The database is immutable once built, so the counts of
each table's facet columns are stored here and read by the facet plugin
(publish/plugins/stored_facets.py) whenever a page has no filter; a page
filtered on one column reads the counts publish.facet_pairs takes from the
served database, any other filtered page counts its own rows.

A build that only adds papers updates the counts by difference
(``update_facet_counts``): the new papers' rows are counted, and the curated
papers' rows before and after the corrections are applied again.
"""

import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlite_utils import Database

FACET_COUNTS = "facet_counts"

FACET_COUNTS_METADATA = {
    "description": "How many rows of each table hold each value of its facet columns, counted at build time "
                   "(Datasette reads them for a facet of an unfiltered table).",
    "columns": {
        "table_name": "Table counted.",
        "column_name": "Facet column of that table.",
        "value": "A value of the column (empty values are not counted).",
        "count": "Rows of the table holding the value.",
    },
}


def write_facet_counts(db: Database, facets: Mapping[str, Sequence[str]]) -> None:
    """(Re)write the facet_counts table: the counts of ``facets`` (table -> columns) in the database now."""
    # No declared type for value: it keeps each value's own type (3 stays a number, '3-4' text). So the key is
    # UNIQUE, not the primary key: Datasette's row pages compare a URL's key as text, which never equals 2018, so
    # rows are addressed by rowid.
    db.execute(f"DROP TABLE IF EXISTS [{FACET_COUNTS}]")
    db.execute(f"CREATE TABLE [{FACET_COUNTS}] (table_name TEXT NOT NULL, column_name TEXT NOT NULL, value, "
               f"count INTEGER NOT NULL, UNIQUE (table_name, column_name, value))")
    names = set(db.table_names())
    with db.atomic():
        for table, columns in facets.items():
            if table in names:
                _count(db, table, columns)


# Tables recounted whole even when the counts are updated by difference: their rows are rewritten at every build
# (the curators' corrections, some of which name no paper).
RECOUNTED = frozenset({"corrections"})

FacetKey = tuple[str, str, Any]


def paper_facet_counts(db: Database, facets: Mapping[str, Sequence[str]], paper_ids: Collection[str]) -> Counter[FacetKey]:
    """(table, column, value) -> rows of those papers holding the value, over ``facets`` (tables RECOUNTED left out)."""
    counts: Counter[FacetKey] = Counter()
    if not paper_ids:
        return counts
    names = set(db.table_names())
    ids = json.dumps(sorted(paper_ids))
    for table, columns in facets.items():
        if table not in names or table in RECOUNTED:
            continue
        present = set(db.table(table).columns_dict)
        if "paper_id" not in present:
            continue
        for column in (c for c in columns if c in present):
            rows = db.execute(f"SELECT [{column}], count(*) FROM [{table}] WHERE paper_id IN "
                              f"(SELECT value FROM json_each(?)) AND [{column}] IS NOT NULL GROUP BY [{column}]", [ids])
            for value, n in rows:
                counts[table, column, value] += n
    return counts


def update_facet_counts(db: Database, facets: Mapping[str, Sequence[str]], before: Counter[FacetKey],
                        paper_ids: Collection[str]) -> None:
    """Update the facet_counts table by difference: the only rows that changed since ``before`` was counted
    (paper_facet_counts) are those of ``paper_ids`` (papers added, or curated: those ``before`` counted); the
    RECOUNTED tables are counted whole. Gives the rows write_facet_counts would write, in time that follows
    the papers changed rather than the tables' size."""
    after = paper_facet_counts(db, facets, paper_ids)
    changes = [(*key, after[key] - before[key]) for key in after.keys() | before.keys() if after[key] != before[key]]
    names = set(db.table_names())
    with db.atomic():
        db.conn.executemany(f"INSERT INTO [{FACET_COUNTS}] (table_name, column_name, value, count) VALUES (?, ?, ?, ?) "
                            f"ON CONFLICT (table_name, column_name, value) DO UPDATE SET count = count + excluded.count",
                            changes)
        db.execute(f"DELETE FROM [{FACET_COUNTS}] WHERE count <= 0")
        for table in RECOUNTED & set(facets):
            db.execute(f"DELETE FROM [{FACET_COUNTS}] WHERE table_name = ?", [table])
            if table in names:
                _count(db, table, facets[table])


def _count(db: Database, table: str, columns: Sequence[str]) -> None:
    present = set(db.table(table).columns_dict)
    for column in (c for c in columns if c in present):
        db.execute(f"INSERT INTO [{FACET_COUNTS}] SELECT ?, ?, [{column}], count(*) FROM [{table}] "
                   f"WHERE [{column}] IS NOT NULL GROUP BY [{column}]", [table, column])
