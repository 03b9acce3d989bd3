"""Checks on a PDF's bytes before and after PDFium reads it: inflation bombs, truncated files, pdfminer's noise."""

import logging
import re
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractor.errors import PaperError
from extractor.limits import MAX_PDF_DECODED_BYTES, MAX_PDF_STREAM_BYTES, MAX_PDF_STREAMS

# The keyword opening a stream's data ("endstream" is not one); the data follows its end of line.
STREAM = b"stream"
# The dictionary of a stream is at most this many bytes before its data (a font's runs to a few hundred).
DICTIONARY_BYTES = 4096
FLATE = re.compile(rb"/FlateDecode\b")
IMAGE = re.compile(rb"/Subtype\s*/Image\b")
# Inflated a slice at a time, so checking a bomb never holds more than this.
CHUNK = 1 << 16
# A complete PDF ends with %%EOF (perhaps followed by a few end-of-line bytes or padding).
EOF_MARK = b"%%EOF"
TAIL_BYTES = 2048


def refuse_bombs(path: Path, data: bytes) -> None:
    """PaperError when a FlateDecode stream other than an image inflates past MAX_PDF_STREAM_BYTES,
    all of them together past MAX_PDF_DECODED_BYTES, or the file holds over MAX_PDF_STREAMS streams:
    PDFium would hold them whole in memory.

    Images are left out: PDFium decodes them only to draw a page, never to read its text.
    """
    view = memoryview(data)
    total = previous = count = 0
    for begin, keyword in _stream_starts(data):
        count += 1
        if count > MAX_PDF_STREAMS:
            raise PaperError(path, f"PDF holds too many streams (over {MAX_PDF_STREAMS:,}, the limit)")
        # A dictionary lies after the stream before it: each byte is looked at once, however many streams.
        dictionary = data[max(previous, keyword - DICTIONARY_BYTES) : keyword]
        dictionary = dictionary[dictionary.rfind(b" obj") + 1 :]
        previous = begin
        if not FLATE.search(dictionary) or IMAGE.search(dictionary):
            continue
        size = inflated_size(view, begin, MAX_PDF_STREAM_BYTES)
        if size > MAX_PDF_STREAM_BYTES:
            raise PaperError(path, f"PDF stream inflates past {MAX_PDF_STREAM_BYTES // 2**20} MB (the limit); "
                                   "refused as a decompression bomb")
        total += size
        if total > MAX_PDF_DECODED_BYTES:
            raise PaperError(path, f"PDF streams inflate past {MAX_PDF_DECODED_BYTES // 2**20} MB in all (the limit); "
                                   "refused as a decompression bomb")


def _stream_starts(data: bytes) -> Iterator[tuple[int, int]]:
    """(offset of the data, offset of the keyword) of each stream, found with bytes.find (a regex with a
    look-behind scans a 50 MB file ten times slower)."""
    keyword = data.find(STREAM)
    while keyword != -1:
        after = keyword + len(STREAM)
        if data[keyword - 3 : keyword] != b"end":
            eol = data[after : after + 2]
            if eol == b"\r\n":
                yield after + 2, keyword
            elif eol[:1] in (b"\n", b"\r"):
                yield after + 1, keyword
        keyword = data.find(STREAM, after)


def inflated_size(data: memoryview, start: int, limit: int) -> int:
    """Bytes the zlib stream at ``start`` inflates to, counted up to just past ``limit`` (a broken stream
    counts what inflated before the damage)."""
    inflater = zlib.decompressobj()
    size, pos, pending = 0, start, b""
    while size <= limit and not inflater.eof:
        if not pending:
            if pos >= len(data):
                break
            pending, pos = data[pos : pos + CHUNK], pos + CHUNK
        try:
            size += len(inflater.decompress(pending, CHUNK))
        except zlib.error:
            break
        pending = inflater.unconsumed_tail
    return size


def is_truncated(data: bytes) -> bool:
    """True when a file holding PDF objects lacks the %%EOF every complete PDF ends with: it was cut short
    (a file with no object at all is junk, not a truncated PDF)."""
    return EOF_MARK not in data[-TAIL_BYTES:] and b" obj" in data


def truncated(path: Path) -> PaperError:
    return PaperError(path, "PDF file is truncated (no %%EOF at its end); the download or copy is incomplete")


@contextmanager
def quiet_pdfminer() -> Iterator[None]:
    """pdfminer's warnings and log lines silenced: the one `error:` line is the report of a bad file."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
