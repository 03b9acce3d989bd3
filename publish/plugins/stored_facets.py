"""Column facets read from counts taken beforehand instead of counted by SQLite on every page.

Replaces Datasette's own column facet (its other facets stay):

- an unfiltered table reads the facet_counts table the build wrote;
- a table filtered on one column (``?section=results``) reads the counts of
  publish.facet_pairs, taken from the served (immutable) database by a thread of
  their own as the server starts, then kept for the server's life; the page's row
  count (``select count(*) ... where "section" = :p0``) is read from them too;
  until a table's are taken, its pages are counted by SQLite, as before;
- any other page (more filters, ``_where``, ``_search``, a mutable database, a
  column not counted) counts as Datasette does.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import Database, Results
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.plugins import pm
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from publish.facet_counts import FACET_COUNTS
from publish.facet_pairs import PAIR_COUNTS_ATTRIBUTE, PairCounts, PairCountsInBackground
from publish.metadata import facet_columns

# The facet columns follow from the schemas alone (computing them takes milliseconds): once per process.
_facet_columns = functools.cache(facet_columns)

# Datasette's default facet classes, replaced by register_facet_classes below (one column facet, not two).
if pm.get_plugin("datasette.facets") is not None:
    pm.unregister(name="datasette.facets")


class StoredColumnFacet(ColumnFacet):  # type: ignore[misc]
    """A column facet that reads stored counts when the table is not filtered."""

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        stored = await self._stored_counts()
        if stored is None:
            stored = await self._filtered_counts()
        if stored is None:
            return await super().facet_results()  # type: ignore[no-any-return]
        qs_pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        results = []
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            rows = stored[column][: size + 1]
            values = []
            column_qs = f"{column}__exact" if column.startswith("_") else column
            for value, count in rows[:size]:
                selected = (column_qs, str(value)) in qs_pairs
                path = (path_with_removed_args(self.request, {column_qs: str(value)}) if selected
                        else path_with_added_args(self.request, {column_qs: value}))
                values.append({"value": value, "label": value, "count": count,
                               "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                               "selected": selected})
            results.append({"name": column, "type": self.type, "hideable": source != "metadata",
                            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
                            "results": values, "truncated": len(rows) > size})
        return results, []

    async def _stored_counts(self) -> dict[str, list[tuple[Any, int]]] | None:
        """Stored (value, count) pairs of every requested column, most frequent first; None when the page is
        filtered, the database has no stored counts, or a requested column was not counted."""
        if self.params or not self.table or not self.sql.rstrip().endswith(escape_sqlite(self.table)):
            return None
        columns = [c["config"].get("column") or c["config"]["simple"] for c in self.get_configs()]
        if not columns:
            return None
        db = self.ds.get_database(self.database)
        if not await db.table_exists(FACET_COUNTS):
            return None
        marks = ", ".join("?" * len(columns))
        rows = (await db.execute(
            f"select column_name, value, count from [{FACET_COUNTS}] where table_name = ? and column_name in "
            f"({marks}) order by column_name, count desc, value", [self.table, *columns])).rows
        stored: dict[str, list[tuple[Any, int]]] = {}
        for column, value, count in rows:
            stored.setdefault(column, []).append((value, count))
        counted = {r[0] for r in (await db.execute(
            f"select distinct column_name from [{FACET_COUNTS}] where table_name = ?", [self.table])).rows}
        if not set(columns) <= counted:
            return None
        return {column: stored.get(column, []) for column in columns}

    async def _filtered_counts(self) -> dict[str, list[tuple[Any, int]]] | None:
        """(value, count) pairs of every requested column among the rows of a page filtered on exactly one
        column's text (its facet SQL is ``select <all columns> from <table> where "<column>" = :p0``); None
        for any other page, or when the table's pair counts cannot tell."""
        if not isinstance(self.params, dict) or len(self.params) != 1 or not self.table:
            return None  # (Datasette gives [] for no parameters)
        value = self.params.get("p0")
        if not isinstance(value, str):
            return None
        columns = [c["config"].get("column") or c["config"]["simple"] for c in self.get_configs()]
        if not columns or self.table not in _facet_columns():
            return None
        db = self.ds.get_database(self.database)
        if db.is_mutable:
            return None
        pairs = _pair_counts(self.ds, db, self.table)
        if pairs is None:
            return None
        table_columns = ", ".join(escape_sqlite(c) for c in await db.table_columns(self.table))
        filter_column = next((f for f in pairs.filters if self.sql in {
            f"{select} from {escape_sqlite(self.table)} where {_filter_identifier(f)} = :p0 "
            for select in (f"select {table_columns}", f"select rowid, {table_columns}")}), None)
        if filter_column is None:
            return None
        counted = {column: pairs.facet(filter_column, value, column) for column in columns}
        if any(counts is None for counts in counted.values()):
            return None
        return {column: counts or [] for column, counts in counted.items()}


def _filter_identifier(column: str) -> str:
    """A column as Datasette's column filters write it (datasette.filters._quote_sqlite_identifier)."""
    escaped = escape_sqlite(column)
    return f'"{column}"' if escaped == column else escaped


def _pair_counts(ds: Datasette, db: Database, table: str) -> PairCounts | None:
    """The table's pair counts once the server's background thread has taken them (publish.facet_pairs)."""
    counting = getattr(ds, PAIR_COUNTS_ATTRIBUTE, {}).get(db.name)
    return counting.get(table) if counting is not None else None


def _count_sql() -> dict[str, tuple[str, str]]:
    """Datasette's row count of a table page filtered on one facet column -> (table, column)."""
    return {f"select count(*) from {escape_sqlite(table)} where {_filter_identifier(column)} = :p0 ": (table, column)
            for table, columns in _facet_columns().items() for column in columns}


def counting_from_pairs(ds: Datasette, db: Database) -> Callable[..., Awaitable[Any]]:
    """``db.execute`` answering the row count of a page filtered on one text facet column from the table's pair
    counts (exact: the rows whose column holds that text); any other SQL, or a count they cannot tell, goes through."""
    execute = db.execute
    counts = _count_sql()

    @functools.wraps(execute)
    async def run(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        found = counts.get(sql)
        if found is not None and not args and not kwargs and isinstance(params, dict) and len(params) == 1 \
                and isinstance(params.get("p0"), str):
            table, column = found
            pairs = _pair_counts(ds, db, table)
            rows = pairs.facet(column, params["p0"], column) if pairs is not None else None
            if rows is not None:
                return Results([(rows[0][1] if rows else 0,)], False, [("count(*)",) + (None,) * 6])
        return await execute(sql, params, *args, **kwargs)

    return run


@hookimpl
def startup(datasette: Datasette) -> None:
    counting = getattr(datasette, PAIR_COUNTS_ATTRIBUTE, None)
    if counting is not None:
        return
    counting = {}
    for db in datasette.databases.values():
        if not db.is_mutable and not db.is_memory and db.path:
            counting[db.name] = PairCountsInBackground(db.path, _facet_columns())
            db.execute = counting_from_pairs(datasette, db)
    setattr(datasette, PAIR_COUNTS_ATTRIBUTE, counting)


@hookimpl
def register_facet_classes() -> list[type]:
    return [StoredColumnFacet, DateFacet, ArrayFacet]
