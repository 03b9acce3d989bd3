"""Page geometry from PDFium: every character's box, grouped into lines, words and printed rows.

Read only on pages that need layout decisions (those printing a table caption):
three ctypes calls per character cost about 5 ms per 1,000 characters, far less
than pdfminer's layout analysis of the same page. Character indices are mapped to
offsets in the page's ``get_text_range()`` string, so layout decisions can cut that
very text; words and lines are joined back into text here too (cells, captions, notes).
"""

import ctypes
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# PDFium's marker of a hyphen it found at a line end (code 2, reported as U+FFFE by get_text_range()).
PDFIUM_HYPHEN = "\ufffe"
# A line-end hyphen in joined lines whose fate (kept in a compound, dropped in a broken word) the
# caller decides with the paper's own words; a private-use character no cleaning step touches.
LINE_HYPHEN = "\ue001"
LINE_BREAKS = frozenset("\r\n")
# Two glyphs further apart than this share of the font size are in different words even where
# the text layer has no space between them; nearer ones only at a space (a digit "1" set on a
# full-width advance leaves a gap of a third of the size: "1 0.5" must stay "10.5").
WORD_GAP = 0.5
# With no space in the text layer, these never take a space before (closing) or after (opening).
CLOSING = frozenset(".,;:)]%")
OPENING = frozenset("([")


@dataclass(slots=True)
class Glyph:
    """One character of the text layer and its box (PDF points, origin bottom left)."""

    offset: int
    char: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float


@dataclass(slots=True)
class Word:
    """Glyphs of one line printed close together."""

    glyphs: list[Glyph]
    x0: float
    x1: float
    y0: float
    y1: float
    size: float
    spaced: bool = False

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)

    @property
    def middle(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class Line:
    """One line of the text layer (glyphs between two line breaks), in stream order."""

    number: int
    start: int
    end: int
    words: list[Word] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def size(self) -> float:
        return statistics.median(w.size for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def read_glyphs(textpage: pdfium.PdfTextPage, text: str) -> list[Glyph] | None:
    """Every glyph of the page with its offset in ``text`` (the page's get_text_range()).

    None when the characters cannot be lined up with the text (a layout decision is
    then not made on this page rather than made on misplaced offsets).
    """
    raw = textpage.raw
    count = textpage.count_chars()
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    loose = pdfium_c.FS_RECTF()
    glyphs: list[Glyph] = []
    offset = 0
    index = 0
    while index < count:
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        width = 1
        if 0xD800 <= code <= 0xDBFF and index + 1 < count:
            # A character outside the Basic Multilingual Plane comes as two UTF-16 halves.
            low = pdfium_c.FPDFText_GetUnicode(raw, index + 1)
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            width = 2
        char = PDFIUM_HYPHEN if code == 2 else chr(code)
        pdfium_c.FPDFText_GetCharBox(raw, index, left, right, bottom, top)
        pdfium_c.FPDFText_GetLooseCharBox(raw, index, loose)
        glyphs.append(Glyph(offset, char, left.value, bottom.value, right.value, top.value, loose.top - loose.bottom))
        offset += 1
        index += width
    if offset != len(text) or any(text[g.offset] != g.char for g in glyphs):
        return None
    return glyphs


def lines_of(glyphs: list[Glyph]) -> list[Line]:
    """The text layer's lines, each cut into words at spaces and at gaps wider than a space."""
    lines: list[Line] = []
    current: list[Glyph] = []
    for glyph in [*glyphs, Glyph(-1, "\n", 0, 0, 0, 0, 0)]:
        if glyph.char in LINE_BREAKS:
            if current:
                line = Line(len(lines), current[0].offset, current[-1].offset + 1, list(_words(current)))
                if line.words:
                    lines.append(line)
            current = []
        else:
            current.append(glyph)
    return lines


def _words(glyphs: list[Glyph]) -> Iterator[Word]:
    run: list[Glyph] = []
    spaced = False
    for glyph in glyphs:
        if glyph.char == PDFIUM_HYPHEN:
            # The word goes on after the line break: the marker ends this part of it.
            if run:
                run.append(glyph)
                yield _word(run, spaced)
                run, spaced = [], False
            continue
        if glyph.char.isspace() or glyph.x1 <= glyph.x0:
            if glyph.char.isspace():
                if run:
                    yield _word(run, spaced)
                    run = []
                spaced = True
            continue
        if run:
            last = run[-1]
            size = max(last.size, glyph.size, 1.0)
            # A gap, or a step back to the left (a line the hyphen marker joined), ends the word.
            if glyph.x0 - last.x1 > WORD_GAP * size or glyph.x0 < last.x0 - 0.5 * size:
                yield _word(run, spaced)
                run, spaced = [], False
        run.append(glyph)
    if run:
        yield _word(run, spaced)


def _word(glyphs: list[Glyph], spaced: bool) -> Word:
    boxed = [g for g in glyphs if g.char != PDFIUM_HYPHEN] or glyphs
    x0, y0, x1, y1 = boxed[0].x0, boxed[0].y0, boxed[0].x1, boxed[0].y1
    for g in boxed:
        x0, y0, x1, y1 = min(x0, g.x0), min(y0, g.y0), max(x1, g.x1), max(y1, g.y1)
    return Word(glyphs, x0, x1, y0, y1, sorted(g.size for g in boxed)[len(boxed) // 2], spaced)


@dataclass
class Row:
    """Words of one printed row, with its vertical extent kept up to date."""

    words: list[Word]
    y0: float = field(init=False)
    y1: float = field(init=False)

    def __post_init__(self) -> None:
        self.y0 = min(w.y0 for w in self.words)
        self.y1 = max(w.y1 for w in self.words)

    def add(self, word: Word) -> None:
        self.words.append(word)
        self.y0, self.y1 = min(self.y0, word.y0), max(self.y1, word.y1)


def visual_rows(words: list[Word]) -> list[Row]:
    """Words grouped by vertical position, top to bottom; a raised mark joins its row."""
    rows: list[Row] = []
    for word in sorted(words, key=lambda w: -w.middle):
        height = max(word.y1 - word.y0, 0.1)
        for row in reversed(rows[-3:]):
            overlap = min(row.y1, word.y1) - max(row.y0, word.y0)
            if overlap >= 0.5 * min(height, row.y1 - row.y0):
                row.add(word)
                break
        else:
            rows.append(Row([word]))
    return rows


def words_text(words: list[Word]) -> str:
    """Words of a cell in reading order: line by line, left to right, a hyphen-marked break joined."""
    out = ""
    for row in visual_rows(words):
        previous: Word | None = None
        for word in sorted(row.words, key=lambda w: w.x0):
            # A word set flush against the one before ("m2" + ")") joins it.
            touching = previous is not None and (word.x0 - previous.x1 < 0.1 * word.size or (
                not word.spaced and (word.text[:1] in CLOSING or previous.text[-1:] in OPENING)))
            if out and not out.endswith(PDFIUM_HYPHEN) and not touching:
                out += " "
            out += word.text
            previous = word
    return out.replace(PDFIUM_HYPHEN, "")


def joined(first: str, second: str) -> str:
    return first + second if first.endswith("-") else f"{first} {second}"


def same_row(a: Line, b: Line) -> bool:
    """True when two text-layer lines are printed side by side (a raised mark beside its text counts)."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > 0.3 * min(a.y1 - a.y0, b.y1 - b.y0)


def join_lines(text: str, lines: list[Line]) -> str:
    """Lines of the text layer as one line: a line set flush after the one before on the same row
    ("a" + "Chi-square", "CD4+" + "/CD8+") joins as printed, a line after a PDFium hyphen mark joins
    at a LINE_HYPHEN, others join with a space."""
    out = ""
    previous: Line | None = None
    for line in lines:
        part = " ".join(text[line.start : line.end].split()).replace(PDFIUM_HYPHEN, LINE_HYPHEN)
        flush = previous is not None and same_row(previous, line) and (
            0 <= line.x0 - previous.x1 < 0.2 * max(line.size, previous.size))
        out = out + part if previous is None or flush or out.endswith(LINE_HYPHEN) else joined(out, part)
        previous = line
    return out
