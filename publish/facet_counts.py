"""Facet counts of every unfiltered table, counted once when the database is built.

Datasette counts a facet (``?_facet=grade``) with a GROUP BY over the whole
table on every request: tens of milliseconds on a table of a million rows,
however well indexed. The database is immutable once built, so the counts of
each table's facet columns are stored here and read by the facet plugin
(publish/plugins/stored_facets.py) whenever a page has no filter; a page
filtered on one column reads the counts publish.facet_pairs takes from the
served database, any other filtered page counts its own rows.
"""

from collections.abc import Mapping, Sequence

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
            if table not in names:
                continue
            present = set(db.table(table).columns_dict)
            for column in (c for c in columns if c in present):
                db.execute(f"INSERT INTO [{FACET_COUNTS}] SELECT ?, ?, [{column}], count(*) FROM [{table}] "
                           f"WHERE [{column}] IS NOT NULL GROUP BY [{column}]", [table, column])
