"""Gold quotes of the bundled corpus and where they stand in a parsed Document (parser tests)."""

import json
import re
from functools import cache
from typing import Any

from schemas import Document
from tests.conftest import GOLD

_WHITESPACE = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Whitespace runs as one space, ends stripped (how gold quotes are compared)."""
    return _WHITESPACE.sub(" ", text).strip()


def gold_quotes(stem: str) -> list[str]:
    """Every "quote" string of a paper's gold summary."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "quote" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads((GOLD / f"{stem}.json").read_text(encoding="utf-8")))
    return found


@cache
def _collapsed(text: str) -> tuple[str, tuple[int, ...]]:
    """The text with whitespace runs as one space, and each kept character's offset in the text."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                offsets.append(i)
        else:
            chars.append(char)
            offsets.append(i)
    return "".join(chars), tuple(offsets)


def find_quote(document: Document, quote: str) -> int | None:
    """Offset in document.text where the quote starts, comparing with whitespace collapsed."""
    collapsed, offsets = _collapsed(document.text)
    k = collapsed.find(collapse(quote))
    return None if k < 0 else offsets[k]


def label_at(document: Document, quote: str) -> str | None:
    """Section label where a quote (whitespace-collapsed) first occurs, or None if it is missing."""
    offset = find_quote(document, quote)
    if offset is None:
        return None
    section = document.section_at(offset)
    return None if section is None else section.label
