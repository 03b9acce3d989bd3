"""Facts worked out once per paper and asked about for every sentence: a small memo per function."""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from schemas import Document

T = TypeVar("T")
# Papers are read one after another: a few remembered suffice, and the memo is emptied when full.
_SIZE = 32


def per_paper(function: Callable[[Document], T]) -> Callable[[Document], T]:
    """Memoise a function of one Document, keyed by the paper's id (a hash of its file's bytes) and
    the length of its text."""
    memo: dict[tuple[str, int], T] = {}

    @wraps(function)
    def remembered(document: Document) -> T:
        key = (document.paper_id, len(document.text))
        if key not in memo:
            if len(memo) >= _SIZE:
                memo.clear()
            memo[key] = function(document)
        return memo[key]

    return remembered
