"""Canonical text from JATS elements: inline text joined, blocks on their own lines, tables as rows."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from extractor.errors import PaperError
from extractor.limits import MAX_PAPER_CELLS, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, check_text_length
from extractor.parsers import paper_id_for
from schemas import Document, DocumentMetadata, Section, Span, Table, TableCell, TableRow
from schemas.vocab import DocumentFormat, SectionLabel

_WHITESPACE = re.compile(r"\s+")

# Elements whose text joins the surrounding paragraph with no added space.
INLINE = frozenset({
    "italic", "bold", "sup", "sub", "sc", "xref", "ext-link", "uri", "underline", "monospace", "roman",
    "sans-serif", "overline", "strike", "named-content", "styled-content", "inline-formula", "abbrev",
    "email", "target", "private-char", "chem-struct", "num", "x", "break",
})
# Elements left out with their content (their tails are kept).
SKIPPED = frozenset({
    "graphic", "alt-text", "object-id", "media", "inline-graphic", "long-desc", "tex-math", "hr",
    "permissions", "attrib",
})
# Containers whose <label> runs into their first paragraph ("* p values are ...", "1 Smith J ...").
RUN_IN_LABEL = frozenset({"fn", "list-item", "ref", "def-item", "corresp", "disp-formula", "statement"})
FLOATS = frozenset({"table-wrap", "fig", "boxed-text", "table-wrap-group", "fig-group", "supplementary-material"})


def local_name(node: etree._Element) -> str:
    """Tag without namespace; '' for comments, processing instructions and entities."""
    tag = node.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _is_foreign(node: etree._Element) -> bool:
    # MathML and other namespaced markup reads as inline text.
    return isinstance(node.tag, str) and node.tag.startswith("{")


def _int_attr(node: etree._Element, name: str) -> int:
    try:
        return max(1, min(int(node.get(name) or 1), 1000))
    except ValueError:
        return 1


@dataclass
class Inline:
    """A paragraph being collected: whitespace runs collapsed to one space, marked spans kept."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    marks: list[tuple[int, int]] = field(default_factory=list)

    def add(self, text: str | None) -> None:
        if not text:
            return
        # Every whitespace character but the space is unprintable (tests/test_parse_jats.py checks them
        # all): printable text without two spaces in a row is what collapsing gives back, unchanged.
        if not text.isprintable() or "  " in text:
            text = _WHITESPACE.sub(" ", text)
        if text.startswith(" ") and (not self.parts or self.parts[-1].endswith(" ")):
            text = text[1:]
        if text:
            self.parts.append(text)
            self.length += len(text)

    def space(self) -> None:
        self.add(" ")

    def finish(self) -> tuple[str, list[tuple[int, int]]]:
        """The paragraph text and its marks, trailing space removed and marks trimmed to their text."""
        text = "".join(self.parts).rstrip()
        marks = []
        for a, b in self.marks:
            b = min(b, len(text))
            while a < b and text[a] == " ":
                a += 1
            while b > a and text[b - 1] == " ":
                b -= 1
            if b > a:
                marks.append((a, b))
        return text, marks


@dataclass
class _Frame:
    label: SectionLabel
    title: str | None
    key: int


class TextBuilder:
    """Appends lines to the canonical text and records sections, tables and citation spans."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cells = 0
        self.chunks: list[str] = []
        self.pos = 0
        self.bounds: list[tuple[int, SectionLabel, str | None]] = []
        self.citations: list[Span] = []
        self.tables: list[Table] = []
        self.cited_in: dict[str, list[SectionLabel]] = {}
        self.frames: list[_Frame] = [_Frame("other", None, 0)]
        self._open_key: int | None = None
        self._keys = 0
        self.buf = Inline()
        self.inline_only = False

    # Sections -----------------------------------------------------------------
    @property
    def label(self) -> SectionLabel:
        return self.frames[-1].label

    def push(self, label: SectionLabel, title: str | None) -> None:
        """Enter a section: lines from now on belong to it until pop()."""
        self.flush()
        self._keys += 1
        self.frames.append(_Frame(label, title, self._keys))

    def pop(self) -> None:
        self.flush()
        self.frames.pop()

    def sections(self) -> list[Section]:
        """Contiguous sections covering the whole text."""
        text_len = self.pos
        bounds = self.bounds or [(0, "other", None)]
        bounds[0] = (0, bounds[0][1], bounds[0][2])
        ends = [b[0] for b in bounds[1:]] + [text_len]
        return [
            Section(label=label, title=title, start=start, end=end)
            for (start, label, title), end in zip(bounds, ends, strict=True)
            if end > start
        ]

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def document(self, path: Path, data: bytes, fmt: DocumentFormat, metadata: DocumentMetadata,
                 empty: str) -> Document:
        """The Document of what was read; PaperError with cause ``empty`` when no letters were read."""
        text = self.text
        if not any(c.isalpha() for c in text):
            raise PaperError(path, empty)
        return Document(
            paper_id=paper_id_for(data), source_path=str(path), stem=path.stem, format=fmt, text=text,
            sections=self.sections(), tables=self.tables, citations=self.citations, metadata=metadata,
        )

    # Lines ------------------------------------------------------------------
    def append_line(self, text: str, marks: list[tuple[int, int]] | None = None) -> tuple[int, int] | None:
        """Add one line; returns its (start, end) in the canonical text, or None if empty."""
        if not text:
            return None
        if self.pos:
            self.chunks.append("\n")
            self.pos += 1
        frame = self.frames[-1]
        if frame.key != self._open_key:
            self.bounds.append((self.pos, frame.label, frame.title))
            self._open_key = frame.key
        start = self.pos
        self.chunks.append(text)
        self.pos += len(text)
        check_text_length(self.path, self.pos)
        self.citations.extend(Span(start=start + a, end=start + b) for a, b in marks or [])
        return start, self.pos

    def flush(self) -> tuple[int, int] | None:
        """End the paragraph being collected, writing it as a line."""
        if self.inline_only:
            return None
        text, marks = self.buf.finish()
        self.buf = Inline()
        return self.append_line(text, marks)

    def flow(self, node: etree._Element) -> tuple[int, int] | None:
        """Write a block element: its inline text as lines, nested blocks on lines of their own."""
        self.flush()
        first = self.pos + (1 if self.pos else 0)
        before = len(self.chunks)
        self.dispatch(node)
        self.flush()
        return (first, self.pos) if len(self.chunks) > before else None

    def dispatch(self, node: etree._Element) -> None:
        """Write any element in block position; subclasses add handlers (sections, tables)."""
        self.content(node)

    # Inline content -----------------------------------------------------------
    def content(self, node: etree._Element) -> None:
        self.buf.add(node.text)
        run_in = False
        for child in node:
            name = local_name(child)
            if name == "label" and local_name(node) in RUN_IN_LABEL:
                self.content(child)
                self.buf.space()
                run_in = True
            elif run_in and name == "p":
                self.content(child)
                run_in = False
            else:
                self.child(child)
            self.buf.add(child.tail)

    def child(self, node: etree._Element) -> None:
        name = local_name(node)
        if not name or name in SKIPPED:
            return
        if name == "break":
            self.buf.space()
        elif name == "xref":
            self._xref(node)
        elif name in INLINE or _is_foreign(node):
            self.content(node)
        elif self.inline_only:
            self.buf.space()
            self.content(node)
            self.buf.space()
        else:
            self.flush()
            self.dispatch(node)
            self.flush()

    def _xref(self, node: etree._Element) -> None:
        for rid in (node.get("rid") or "").split():
            self.cited_in.setdefault(rid, []).append(self.label)
        start = self.buf.length
        self.content(node)
        if node.get("ref-type") == "bibr":
            self.buf.marks.append((start, self.buf.length))

    # Tables -----------------------------------------------------------------
    def table_rows(self, table: etree._Element) -> list[TableRow]:
        """Write each row of a <table> as one line, cells joined by single spaces.

        Rows past MAX_TABLE_ROWS and cells starting past MAX_TABLE_COLUMNS are not read, and spans
        are clipped to the columns read: a cell costs its width, never what its spans claim.
        """
        rows: list[TableRow] = []
        # Per column, the first row not covered by a row-spanning cell above (a set of covered
        # cells would cost rowspan x colspan entries per cell).
        free_from: dict[int, int] = {}
        # A row is a header row when it has a <thead> ancestor: above the table (the same for every
        # row) or inside it (the rows under each of the table's <thead> elements, found once).
        head_above = any(local_name(a) == "thead" for a in table.iterancestors())
        head_rows = {tr for head in table.iter() if local_name(head) == "thead"
                     for tr in head.iter() if local_name(tr) == "tr"}
        for r, tr in enumerate(tr for tr in table.iter() if local_name(tr) == "tr"):
            if r == MAX_TABLE_ROWS:
                break
            in_head = head_above or tr in head_rows
            cells = [c for c in tr if local_name(c) in ("td", "th")]
            header = in_head or (bool(cells) and all(local_name(c) == "th" for c in cells))
            pieces: list[tuple[str, list[tuple[int, int]], int, int, bool]] = []
            col = 0
            for cell in cells:
                while free_from.get(col, 0) > r:
                    col += 1
                if col >= MAX_TABLE_COLUMNS:
                    break
                span = min(_int_attr(cell, "colspan"), MAX_TABLE_COLUMNS - col)
                down = _int_attr(cell, "rowspan")
                for covered in range(col, col + span):
                    free_from[covered] = max(free_from.get(covered, 0), r + down)
                text, marks = self._cell_text(cell)
                if text:
                    pieces.append((text, marks, col, span, header or local_name(cell) == "th"))
                col += span
            self._count_cells(len(pieces))
            row = self._row_line(pieces, header)
            if row is not None:
                rows.append(row)
        return rows

    def _count_cells(self, count: int) -> None:
        self.cells += count
        if self.cells > MAX_PAPER_CELLS:
            raise PaperError(self.path, f"too many table cells (over {MAX_PAPER_CELLS:,}, the limit)")

    def _cell_text(self, cell: etree._Element) -> tuple[str, list[tuple[int, int]]]:
        saved, self.buf, self.inline_only = self.buf, Inline(), True
        try:
            self.content(cell)
            return self.buf.finish()
        finally:
            self.buf, self.inline_only = saved, False

    def _row_line(self, pieces: list[tuple[str, list[tuple[int, int]], int, int, bool]], header: bool) -> TableRow | None:
        line = " ".join(p[0] for p in pieces)
        offsets, marks, pos = [], [], 0
        for text, cell_marks, *_ in pieces:
            offsets.append(pos)
            marks.extend((pos + a, pos + b) for a, b in cell_marks)
            pos += len(text) + 1
        span = self.append_line(line, marks)
        if span is None:
            return None
        start = span[0]
        cells = [
            TableCell(text=text, start=start + off, end=start + off + len(text), header=is_head, column=col, colspan=width)
            for (text, _, col, width, is_head), off in zip(pieces, offsets, strict=True)
        ]
        return TableRow(cells=cells, start=span[0], end=span[1], header=header)
