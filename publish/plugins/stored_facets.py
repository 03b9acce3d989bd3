"""Column facets of an unfiltered table read from the facet_counts table the build wrote.

Replaces Datasette's own column facet (its other facets stay): on a page with a
filter, or for a column the build did not count, it counts as Datasette does.
"""

from typing import Any

from datasette import hookimpl
from datasette.facets import ArrayFacet, ColumnFacet, DateFacet
from datasette.plugins import pm
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from publish.facet_counts import FACET_COUNTS

# Datasette's default facet classes, replaced by register_facet_classes below (one column facet, not two).
if pm.get_plugin("datasette.facets") is not None:
    pm.unregister(name="datasette.facets")


class StoredColumnFacet(ColumnFacet):  # type: ignore[misc]
    """A column facet that reads stored counts when the table is not filtered."""

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        stored = await self._stored_counts()
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


@hookimpl
def register_facet_classes() -> list[type]:
    return [StoredColumnFacet, DateFacet, ArrayFacet]
