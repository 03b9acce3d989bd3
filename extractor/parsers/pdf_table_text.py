"""PDF tables in the canonical text: placeholder lines, rows written with offsets, parts joined, sections.

pdf_tables finds a page's tables and leaves a placeholder line where each stood;
the lines are reflowed with the prose around them, then each placeholder becomes
the caption and one line per row (cells joined by single spaces, as the other
parsers write rows), so a cell's offsets are exact. A table floats: it belongs to
the section whose prose cites it, the results first, as the JATS parser does.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from extractor.parsers.pdf_layout import LINE_HYPHEN
from extractor.patterns import load_rules
from schemas import Section, Table, TableCell, TableRow
from schemas.vocab import SectionLabel

RULES = "pdf_tables.yaml"
# Placeholder of table n in the page text: private-use characters no cleaning step touches,
# and no digits, so no two placeholders look alike to the running-header detector.
MARK = "\ue000"
MARK_BASE = 0xE100
MARK_LINE = re.compile(f"^{MARK}([\ue100-\uefff]){MARK}$", re.MULTILINE)


@dataclass
class PdfCell:
    """A cell's text (cleaned, one line) and its place in the column grid."""

    text: str
    column: int
    colspan: int = 1


@dataclass
class PdfRow:
    cells: list[PdfCell]
    header: bool


@dataclass
class PdfTable:
    """A table read from one page (more pages' rows once a continued part is merged in)."""

    label: str
    caption: str
    rows: list[PdfRow]
    continued: bool = False
    notes: list[str] = field(default_factory=list)


def table_rule(rule_id: str) -> re.Pattern[str]:
    """A rule of patterns/pdf_tables.yaml, by id."""
    return next(r.regex for r in load_rules(RULES) if r.id == rule_id)


def table_mark(index: int) -> str:
    """The placeholder line of the index-th table of a document."""
    return f"{MARK}{chr(MARK_BASE + index)}{MARK}"


def is_table_mark(line: str) -> bool:
    """True for the placeholder line of a table (reflow keeps it a line of its own)."""
    return line.startswith(MARK) and MARK_LINE.match(line) is not None


@dataclass
class PlacedTable:
    """A table written into the canonical text: its span (caption and rows), rows with offsets,
    and the end of its notes, written on lines after it."""

    table: PdfTable
    start: int
    end: int
    rows: list[TableRow]
    notes_end: int

    def to_table(self, section: SectionLabel) -> Table:
        return Table(label=self.table.label, caption=self.table.caption, section=section,
                     start=self.start, end=self.end, rows=self.rows)


def merge_continued(tables: list[PdfTable]) -> None:
    """Rows of a part printed on a later page ("Table 2. (Continued)") join the table's first part.

    The part's header rows repeat the first part's header and are left out.
    """
    first: dict[str, PdfTable] = {}
    for table in tables:
        earlier = first.get(table.label)
        if table.continued and earlier is not None:
            earlier.rows.extend(r for r in table.rows if not r.header)
            earlier.notes.extend(table.notes)
            table.rows = []
        elif not table.continued:
            first[table.label] = table


def place_tables(text: str, bounds: list[tuple[int, SectionLabel, str | None]], tables: list[PdfTable],
                 dehyphenate: Callable[[str], str] | None = None,
                 ) -> tuple[str, list[tuple[int, SectionLabel, str | None]], list[PlacedTable]]:
    """Expand each table placeholder line into the caption and one line per row; shift the section starts.

    ``dehyphenate`` decides the line-end hyphens (LINE_HYPHEN) left in captions and notes
    (by default the broken word is joined).
    """
    resolve = dehyphenate or (lambda line: line.replace(LINE_HYPHEN, ""))
    for table in tables:
        table.caption = resolve(table.caption)
        table.notes = [resolve(note) for note in table.notes]
    pieces: list[str] = []
    placed: list[PlacedTable] = []
    edits: list[tuple[int, int, int]] = []
    last = new_pos = 0
    for match in MARK_LINE.finditer(text):
        start, end = match.start(), match.end()
        table = tables[ord(match.group(1)) - MARK_BASE]
        pieces.append(text[last:start])
        new_pos += start - last
        block, rows = _write(table, new_pos)
        if not rows:
            # A part merged into its first part leaves nothing, not even its line break.
            block = ""
            if start > last and text[start - 1] == "\n":
                pieces[-1] = pieces[-1][:-1]
                new_pos -= 1
                start -= 1
        else:
            placed.append(PlacedTable(table, new_pos, rows[-1].end, rows, new_pos + len(block)))
        pieces.append(block)
        new_pos += len(block)
        edits.append((start, end, len(block)))
        last = end
    pieces.append(text[last:])

    def shifted(offset: int) -> int:
        return offset + sum(length - (end - start) for start, end, length in edits if end <= offset)

    return "".join(pieces), [(shifted(o), label, title) for o, label, title in bounds], placed


def _write(table: PdfTable, start: int) -> tuple[str, list[TableRow]]:
    if not table.rows:
        return "", []
    lines = [table.caption] if table.caption else []
    pos = start + sum(len(line) + 1 for line in lines)
    rows: list[TableRow] = []
    for row in table.rows:
        cells = [c for c in row.cells if c.text]
        if not cells:
            continue
        line = " ".join(c.text for c in cells)
        offset = pos
        table_cells = []
        for cell in cells:
            table_cells.append(TableCell(text=cell.text, start=offset, end=offset + len(cell.text),
                                         header=row.header, column=cell.column, colspan=cell.colspan))
            offset += len(cell.text) + 1
        rows.append(TableRow(cells=table_cells, start=pos, end=pos + len(line), header=row.header))
        lines.append(line)
        pos += len(line) + 1
    # Notes follow the rows as lines of their own: outside the table span, they are read as prose.
    return "\n".join(lines + [note for note in table.notes if note]), rows


def document_tables(text: str, placed: list[PlacedTable],
                    sections: list[Section]) -> tuple[list[Table], list[Section]]:
    """Tables of the Document, and the sections with each table's span made a section of its own.

    A table belongs to the results when the results cite it, else to the first
    section of the body that cites it, else to the section it was printed in.
    """
    spans = [(p.start, p.end) for p in placed]
    cited = _citing_sections(text, spans, sections)
    tables: list[Table] = []
    for item in placed:
        where = [label for label in cited.get(_number(item.table.label), []) if label != "references"]
        here = next((s.label for s in sections if s.start <= item.start < s.end), "other")
        label: SectionLabel = "results" if "results" in where else next(iter(where), here)
        tables.append(item.to_table(label))
        sections = _split(sections, item.start, item.notes_end, label, item.table.label)
    return tables, sections


def _number(label: str) -> str:
    return re.sub(r"^\D*", "", label).upper()


def _citing_sections(text: str, spans: list[tuple[int, int]], sections: list[Section]) -> dict[str, list[SectionLabel]]:
    """Table number -> labels of the sections whose prose mentions it, in reading order."""
    mention = table_rule("pdf_table.mention.v1")
    cited: dict[str, list[SectionLabel]] = {}
    for match in mention.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue
        section = next((s.label for s in sections if s.start <= match.start() < s.end), None)
        if section is None:
            continue
        for number in _numbers(match.group("refs")):
            cited.setdefault(number, []).append(section)
    return cited


def _numbers(refs: str) -> list[str]:
    """"1, 2 and 4" -> 1, 2, 4; a range "2-4" of arabic numbers -> 2, 3, 4."""
    out: list[str] = []
    for part in re.split(r"\s*(?:,|and|&)\s*", refs):
        ends = re.split(r"\s*[-\u2013]\s*", part.strip())
        if len(ends) == 2 and all(e.isdigit() for e in ends) and int(ends[0]) < int(ends[1]) <= int(ends[0]) + 20:
            out.extend(str(n) for n in range(int(ends[0]), int(ends[1]) + 1))
        else:
            out.extend(e.upper() for e in ends if e)
    return out


def _split(sections: list[Section], start: int, end: int, label: SectionLabel, title: str) -> list[Section]:
    out: list[Section] = []
    for section in sections:
        if not (section.start <= start < section.end):
            out.append(section)
            continue
        stop = min(end, section.end)
        pieces = [(section.start, start, section.label, section.title), (start, stop, label, title),
                  (stop, section.end, section.label, section.title)]
        out.extend(Section(label=lab, title=tit, start=a, end=b) for a, b, lab, tit in pieces if b > a)
    return out
