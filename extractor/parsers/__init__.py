"""Parsers: one module per format, each turning a file into a schemas.Document."""

import hashlib
import stat
from collections.abc import Callable
from pathlib import Path

from extractor.errors import PaperError
from schemas import Document

# Larger files are refused before reading: no real trial paper comes near this.
MAX_BYTES = 50 * 1024 * 1024

SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".nxml": "jats",
    ".xml": "jats",
    ".html": "html",
    ".pdf": "pdf",
    ".htm": "html",
}


def paper_id_for(data: bytes) -> str:
    """Stable paper id: the first 16 hex digits of the sha256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def format_for(path: Path) -> str:
    """Format name for a file, from its extension."""
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise PaperError(path, f"unsupported file type {path.suffix or '(none)'!r}; expected one of {sorted(SUFFIXES)}")
    return fmt


def read_paper_bytes(path: Path) -> bytes:
    """The file's bytes, refusing directories, unreadable, empty and oversized files."""
    if path.is_dir():
        raise PaperError(path, "is a directory, not a paper file")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise PaperError(path, "not a regular file (a pipe, socket or device); refused")
        if info.st_size > MAX_BYTES:
            raise PaperError(path, f"file is too large ({info.st_size} bytes; limit {MAX_BYTES})")
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PaperError(path, f"cannot read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise PaperError(path, "file is empty")
    return data


def parse_paper(path: str | Path) -> Document:
    """Parse any supported paper file into a Document; PaperError for bad input."""
    path = Path(path)
    format_for(path)
    return parse_bytes(path, read_paper_bytes(path))


def parse_bytes(path: Path, data: bytes) -> Document:
    """Parse a paper's bytes; the format comes from the path's extension."""
    return _parser(format_for(path))(path, data)


def _parser(fmt: str) -> Callable[[Path, bytes], Document]:
    if fmt == "text":
        from extractor.parsers.text import parse_text

        return parse_text
    if fmt == "pdf":
        from extractor.parsers.pdf import parse_pdf

        return parse_pdf
    if fmt == "html":
        from extractor.parsers.html import parse_html

        return parse_html
    from extractor.parsers.jats import parse_jats

    return parse_jats
