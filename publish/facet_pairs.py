"""Facet counts of a table filtered by one column's value, from one GROUP BY over all its facet columns.

A page with one filter and a facet (``adverse_events?section=results&_facet=grade``) has
Datasette count the facet over every matching row: some 400 ms for 370,000 rows of the
million-row database. One GROUP BY over all of a table's facet columns at once gives how
many rows hold each combination of their values; summing those gives the count of every
facet value under every one-column filter (``column = value``). The served database never
changes (publish.snapshot opens it immutable), so counts taken once from it stay exact for
the server's life: publish/plugins/stored_facets.py has them taken, table after table, by a
thread of their own as the server starts (PairCountsInBackground), and answers from them
once they are there (until then SQLite counts, as before). Nothing is stored in the
database: a rebuilt database is counted afresh by the server that serves it.
"""

import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A table whose facet columns hold more combinations than this is left to SQLite (memory stays bounded).
MAX_COMBINATIONS = 200_000
# Where a Datasette instance keeps its databases' PairCountsInBackground (database name -> counts).
PAIR_COUNTS_ATTRIBUTE = "_evidence_pair_counts"

Counts = list[tuple[Any, int]]


def sqlite_order(value: Any) -> tuple[int, Any]:
    """Sort key giving SQLite's order of values under the BINARY collation: NULL, numbers, text, blobs.

    Text compares by code point, which is the byte order of its UTF-8 (SQLite's memcmp).
    """
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, bytes(value))


def text_affinity(declared: str) -> bool:
    """True when a column declared with this type has TEXT affinity (SQLite's rules, section 3.1)."""
    upper = declared.upper()
    return "INT" not in upper and any(word in upper for word in ("CHAR", "CLOB", "TEXT"))


@dataclass(frozen=True)
class PairCounts:
    """Counts of a table's facet columns under each one-column filter.

    ``filters`` are the columns a filter may be read for: facet columns of TEXT affinity
    and the BINARY collation, where ``column = 'text'`` means equal strings (a column of
    another affinity converts the text first: left to SQLite).
    """

    columns: frozenset[str]
    filters: frozenset[str]
    counts: dict[tuple[str, str, str], Counts]

    def facet(self, filter_column: str, filter_value: str, column: str) -> Counts | None:
        """(value, rows) of ``column`` among the rows whose ``filter_column`` equals ``filter_value``, most
        frequent first then by value (Datasette's order); None when these counts cannot tell."""
        if filter_column not in self.filters or column not in self.columns:
            return None
        return self.counts.get((filter_column, filter_value, column), [])


def combine(rows: Iterable[Sequence[Any]], columns: Sequence[str], filters: Sequence[str]) -> PairCounts:
    """PairCounts from the rows of ``select <columns>, count(*) ... group by <columns>``."""
    sums: dict[tuple[str, str, str], dict[Any, list[Any]]] = {}
    positions = [(i, column) for i, column in enumerate(columns) if column in filters]
    for row in rows:
        n = row[-1]
        for i, filter_column in positions:
            key_value = row[i]
            if not isinstance(key_value, str):  # NULL (never equal) or a blob (never equal to text)
                continue
            for j, column in enumerate(columns):
                value = row[j]
                if value is None:
                    continue
                counted = sums.setdefault((filter_column, key_value, column), {})
                # SQLite grouped equal values together; Python's == agrees on text and on numbers (1 == 1.0).
                entry = counted.setdefault(value, [value, 0])
                entry[1] += n
    counts = {key: sorted(((v, c) for v, c in values.values()), key=lambda vc: (-vc[1], sqlite_order(vc[0])))
              for key, values in sums.items()}
    return PairCounts(columns=frozenset(columns), filters=frozenset(filters), counts=counts)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def count_pairs(conn: sqlite3.Connection, table: str, facet_columns: Sequence[str]) -> PairCounts | None:
    """PairCounts of ``table``'s ``facet_columns`` (those it has), counted now; None when the table is missing,
    has none of them of TEXT affinity, declares a collation, or holds more than MAX_COMBINATIONS combinations."""
    found = conn.execute("select sql from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    if found is None or re.search(r"\bcollate\b", found[0] or "", re.IGNORECASE):
        return None
    declared = {row[1]: row[2] or "" for row in conn.execute(f"pragma table_info({_quote(table)})")}
    columns = [c for c in dict.fromkeys(facet_columns) if c in declared]
    filters = [c for c in columns if text_affinity(declared[c])]
    if not filters:
        return None
    names = ", ".join(_quote(c) for c in columns)
    cursor = conn.execute(f"select {names}, count(*) from {_quote(table)} group by {names}")
    rows = cursor.fetchmany(MAX_COMBINATIONS + 1)
    if len(rows) > MAX_COMBINATIONS:
        return None
    return combine(rows, columns, filters)


class PairCountsInBackground:
    """The PairCounts of a database file's tables, taken one table after another by a daemon thread of their own
    (its own read-only connection: no SQL thread of the server is held)."""

    def __init__(self, path: str | Path, tables: Mapping[str, Sequence[str]]) -> None:
        self._counted: dict[str, PairCounts | None] = {}
        self._thread = threading.Thread(target=self._count, args=(Path(path), dict(tables)), daemon=True,
                                        name="facet-pair-counts")
        self._thread.start()

    def _count(self, path: Path, tables: dict[str, Sequence[str]]) -> None:
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)) as conn:
                for table, columns in tables.items():
                    try:
                        self._counted[table] = count_pairs(conn, table, columns)
                    except sqlite3.Error:
                        self._counted[table] = None
        except sqlite3.Error:
            pass  # an unreadable file: every page is counted by SQLite

    def get(self, table: str) -> PairCounts | None:
        """The table's counts when taken (None until then, or when they cannot be)."""
        return self._counted.get(table)

    def wait(self, timeout: float | None = None) -> None:
        """Until every table is counted (or ``timeout`` seconds)."""
        self._thread.join(timeout)


def wait_for_pair_counts(datasette: Any, timeout: float | None = None) -> None:
    """Until a Datasette instance's pair counts are all taken (tests: so their pages read them)."""
    for counting in getattr(datasette, PAIR_COUNTS_ATTRIBUTE, {}).values():
        counting.wait(timeout)
