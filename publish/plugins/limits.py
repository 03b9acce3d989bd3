"""Limits on what one request can cost or break: SQLite limits on every connection, a bad parameter as a 400.

Datasette's time limit is checked between SQLite's virtual-machine steps; one
function call that builds a string of gigabytes (``replace(hex(zeroblob(1e8)), ...)``)
is a single step, so only a size limit stops it.
"""

import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

# The largest value of a built database is a section's text: 18 KB in the bundled corpus, a few hundred KB
# for a long paper. 16 MiB keeps any real section readable (a book-length text with no headings) while one
# function call can build at most 16 MiB, about 0.3 s of work, instead of gigabytes.
MAX_VALUE_BYTES = 16 * 2**20
# Datasette's own statements are a few KB; a statement typed or linked by a user has no reason to be longer.
MAX_SQL_BYTES = 100_000
# LIKE and GLOB patterns are matched inside one VM step too; the canned queries' patterns are a search term.
MAX_PATTERN_BYTES = 10_000
LIMITS: dict[int, int] = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: MAX_SQL_BYTES,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: MAX_PATTERN_BYTES,
}
# Datasette 0.65 raises these for a request's own bad parameters with its default status, 500.
BAD_PARAMETER_ERRORS = ("Cannot sort table by ",)
# Errors of SQL or values a request supplies (a `_where` of two statements, a number SQLite cannot hold,
# a negative `_timelimit` on a CSV export) that Datasette 0.65 lets through as a 500.
BAD_SQL_ERRORS = (sqlite3.ProgrammingError, OverflowError, QueryInterrupted)
SMALL_COUNT = re.compile(r"[0-9]{1,9}")
INTEGER = re.compile(r"-?[0-9]+")
# fts3_tokenizer(name) answers a tokenizer's C pointer (an address leak); with two arguments it can install one.
DISABLED_FUNCTIONS = {"fts3_tokenizer": (1, 2)}


def _disabled(*_args: Any) -> None:
    raise sqlite3.OperationalError("this function is disabled")


def apply_limits(conn: sqlite3.Connection) -> None:
    """Set LIMITS on ``conn`` and replace the DISABLED_FUNCTIONS by one that raises."""
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    for name, arities in DISABLED_FUNCTIONS.items():
        for arity in arities:
            conn.create_function(name, arity, _disabled)


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    apply_limits(conn)


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Any:
    """A bad parameter is the client's error: answer 400 through Datasette's own handler, never 500."""
    if isinstance(exception, DatasetteError):
        if exception.status == 500 and str(exception.message).startswith(BAD_PARAMETER_ERRORS):
            exception.status = 400
        return None
    if isinstance(exception, BAD_SQL_ERRORS):
        from datasette.handle_exception import handle_exception as default_handler

        message = "SQL query took too long" if isinstance(exception, QueryInterrupted) else str(exception)
        return default_handler(datasette, request, DatasetteError(message, title="Invalid SQL", status=400))
    return None


def bad_parameter(query_string: str) -> str | None:
    """Why a query string would crash Datasette 0.65 (its parameters parsed as Datasette parses them), or None.

    Checked: NUL characters, `_timelimit` and `_ttl` (an int() of the raw value), `_through`, JSON `_facet`
    configs and `__in` lists (parsed and indexed without checks) and column filters with integers beyond
    SQLite's 64 bits.
    """
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return "a NUL character in a parameter"
        if name in ("_timelimit", "_ttl") and not SMALL_COUNT.fullmatch(value):
            return f"{name} must be a whole number"
        if name == "_through" and not _json_object(value, {"table": str, "column": str, "value": (str, int, float)}):
            return '_through must be a JSON object {"table": ..., "column": ..., "value": ...}'
        if name.startswith("_facet") and value.startswith("{") and not _json_object(value, {"simple": str}):
            return f'{name} given as JSON must be an object {{"simple": COLUMN}}'
        if name.endswith("__in") and value.startswith("[") and not _json_list(value):
            return f"{name} given as JSON must be a list"
        if "__" in name and INTEGER.fullmatch(value) and len(value) > 18 and not -(2**63) <= int(value[:21]) < 2**63:
            return f"{name}: the number is out of range"
    return None


def _json_object(text: str, fields: dict[str, Any]) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and all(isinstance(data.get(key), kind) for key, kind in fields.items())


def _json_list(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except ValueError:
        return False


@hookimpl
def asgi_wrapper() -> Callable[[Asgi], Asgi]:
    """Refuse, with a 400, the parameters Datasette 0.65 would answer with a 500 (see ``bad_parameter``)."""

    def wrap(app: Asgi) -> Asgi:
        async def checked(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                problem = bad_parameter(scope.get("query_string", b"").decode("latin-1"))
                if problem:
                    path = scope.get("path", "")
                    response = (Response.json({"ok": False, "error": problem, "status": 400}, status=400)
                                if path.endswith(".json") else Response.text(problem, status=400))
                    await response.asgi_send(send)
                    return
            await app(scope, receive, send)

        return checked

    return wrap
