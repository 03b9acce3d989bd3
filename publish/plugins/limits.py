"""Limits on what one request can cost or break: SQLite limits on every connection, a bad parameter as a 400.

Datasette's time limit is checked between SQLite's virtual-machine steps; one
function call that builds a string of gigabytes (``replace(hex(zeroblob(1e8)), ...)``)
is a single step, so only a size limit stops it.
"""

import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.views.base import DatasetteError

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
def handle_exception(exception: Exception) -> None:
    """A bad parameter is the client's error: give it status 400 and let Datasette's own handler render it."""
    if (isinstance(exception, DatasetteError) and exception.status == 500
            and str(exception.message).startswith(BAD_PARAMETER_ERRORS)):
        exception.status = 400
