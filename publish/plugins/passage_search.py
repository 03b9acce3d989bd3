"""The passage search query's helpers: fts_words(:q) turns any text into a safe FTS5 query, and each
result's link to the paper's text is shown as a link."""

import html
from typing import Any

from datasette import hookimpl
from markupsafe import Markup

from publish.search import fts_words

PAPER_LINK = "/-/paper/"


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("fts_words", 1, fts_words, deterministic=True)


@hookimpl
def render_cell(value: Any, column: str, table: str | None) -> Any:
    """A query result's ``link`` column (the search query's) as a link to the passage in its paper."""
    if table is not None or column != "link" or not isinstance(value, str) or not value.startswith(PAPER_LINK):
        return None
    return Markup(f'<a href="{html.escape(value)}">passage in context</a>')
