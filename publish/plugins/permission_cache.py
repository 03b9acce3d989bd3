"""Table permission rules looked up once per table, not on every check.

Datasette 0.65.5 works out a table's ``allow`` rules by deep-copying the whole
metadata on every permission check; with this project's metadata (a description
for every column of every table) that is about half a millisecond a check, and
the index page makes some eighty checks. The metadata is fixed for the life of
the server (it is generated once at start, and the database is a snapshot), so
each table's rules are computed once and kept.
"""

from collections.abc import Callable
from typing import Any

from datasette import hookimpl

Rules = Callable[[str, str], list[Any]]


def cached_rules(rules: Rules) -> Rules:
    """``rules(database, table)`` computed once per (database, table)."""
    known: dict[tuple[str, str], list[Any]] = {}

    def lookup(database: str, table: str) -> list[Any]:
        key = (database, table)
        if key not in known:
            known[key] = rules(database, table)
        return known[key]

    return lookup


@hookimpl
def startup(datasette: Any) -> None:
    rules = getattr(datasette, "_table_permission_allows", None)
    if rules is not None and not getattr(datasette, "_evidence_rules_cached", False):
        datasette._table_permission_allows = cached_rules(rules)
        datasette._evidence_rules_cached = True
