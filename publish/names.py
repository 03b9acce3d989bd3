"""File names as safe text: what is shown to people or stored in the database is valid UTF-8 on one line.

A POSIX file name is bytes: it may not be UTF-8 (Python reads b'caf\\xe9' as the
surrogate 'caf\\udce9', which SQLite, JSON and a UTF-8 terminal refuse) and may
hold a newline or other control characters that would split an error line.
``safe_text`` shows undecodable bytes as ``\\xNN`` and control characters as
``\\n``, ``\\t`` or ``\\xNN``; the file itself is still opened by its real name.
"""

import os
import re
from pathlib import Path

from schemas import Document

# C0 and C1 control characters and DEL: each would break a one-line message.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What a corpus copy's name may not hold: a backslash from safe_text and the path separator.
_UNSAFE_IN_NAME = re.compile(r"[\\/]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char, f"\\x{ord(char):02x}")


def safe_text(text: str) -> str:
    """``text`` as valid UTF-8 on one line: undecodable bytes (surrogates) as \\xNN, control characters escaped."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:  # bytes os.fsdecode could not decode come back as those bytes, shown \xNN
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a lone surrogate from elsewhere: shown \udNNN
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(_escape, text)


def safe_path(path: str | Path) -> str:
    """A path as safe text (``safe_text``), for messages and the database."""
    return safe_text(os.fsdecode(path))


def safe_file_name(name: str) -> str:
    """A file name to copy a paper to: ``safe_text`` with the escapes' backslashes made '_' ('caf_xe9.txt')."""
    return _UNSAFE_IN_NAME.sub("_", safe_text(name))


def safe_document(document: Document) -> Document:
    """``document`` with its source path and stem as safe text (the same object when they already are)."""
    source, stem = safe_text(document.source_path), safe_text(document.stem)
    if (source, stem) == (document.source_path, document.stem):
        return document
    return document.model_copy(update={"source_path": source, "stem": stem})

