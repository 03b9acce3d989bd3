"""The schema of an immutable database read once, not on every page.

Datasette 0.65 reads a database's schema afresh for every page: the database page
asks each of its forty-odd tables for its columns, primary keys and full-text
table, and every table permission check (Datasette 0.65.5) looks the table's name
up in sqlite_master, each answer a round trip to a SQL thread (some two hundred
for the database page). A database served immutable (``evidence serve`` serves a
snapshot) never changes while served, so each answer is kept after the first time
(the schema methods' answers handed out as copies: callers may change what they get).
"""

import copy
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl

# Database methods that only read the schema (their arguments: table or view names, a type).
SCHEMA_METHODS = ("attached_databases", "table_exists", "table_names", "table_columns", "table_column_details",
                  "primary_keys", "fts_table", "label_column_for_table", "foreign_keys_for_table",
                  "hidden_table_names", "view_names", "get_all_foreign_keys", "get_table_definition",
                  "get_view_definition")

# The name lookup of datasette.app.Datasette.permission_allowed (0.65.5), word for word.
TABLE_NAME_SQL = "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase"


def remembered(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``method`` answering each set of arguments once; later calls get a copy of the first answer."""
    known: dict[tuple[Any, ...], Any] = {}

    @functools.wraps(method)
    async def lookup(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        if key not in known:
            known[key] = await method(*args, **kwargs)
        return copy.deepcopy(known[key])

    return lookup


@hookimpl
def startup(datasette: Any) -> None:
    for db in datasette.databases.values():
        if db.is_mutable or db.is_memory or getattr(db, "_evidence_schema_cached", False):
            continue
        for name in SCHEMA_METHODS:
            setattr(db, name, remembered(getattr(db, name)))
        db.execute = remembering_table_names(db.execute)
        db._evidence_schema_cached = True


def remembering_table_names(execute: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``execute`` answering TABLE_NAME_SQL once per name (its Results are only read); any other SQL goes through."""
    names: dict[tuple[Any, ...], Any] = {}

    @functools.wraps(execute)
    async def run(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if sql != TABLE_NAME_SQL or args or kwargs or not isinstance(params, list | tuple):
            return await execute(sql, params, *args, **kwargs)
        key = tuple(params)
        if key not in names:
            names[key] = await execute(sql, params)
        return names[key]

    return run
