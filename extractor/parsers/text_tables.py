"""Tables printed in plain text: a 'Table N' line, a caption, then one row per line."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from extractor.parsers.sections import layout_regex
from schemas import Table, TableCell, TableRow
from schemas.vocab import SectionLabel

# Longer lines are prose, not table rows.
MAX_ROW_CHARS = 250
MAX_CAPTION_CHARS = 400


@dataclass(frozen=True)
class Line:
    """One line of the canonical text: its span and its content without surrounding blanks."""

    start: int
    end: int
    text: str
    content_start: int
    content_end: int


@dataclass
class TextTable:
    """A table found in the lines: where its label, caption and each printing of its rows are."""

    label: str
    caption: str | None
    label_line: int
    consumed: set[int] = field(default_factory=set)
    printings: list[list[int]] = field(default_factory=list)
    caption_end: int = 0


def split_lines(text: str) -> list[Line]:
    """Every line of the text (without its newline), with its stripped content span."""
    lines: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        lines.append(Line(pos, pos + len(raw), stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(raw) + 1
    return lines


def find_tables(lines: Sequence[Line]) -> list[TextTable]:
    """Tables introduced by a label line ('Table 2' or 'Table 2. Caption'), in reading order."""
    found: list[TextTable] = []
    taken: set[int] = set()
    for i, line in enumerate(lines):
        if i in taken or len(line.text) > MAX_CAPTION_CHARS:
            continue
        match = layout_regex("layout.table_label.v1").match(line.text)
        if match is None:
            continue
        table = _read_table(lines, i, match.group("label"), match.group("caption"))
        if table is not None:
            found.append(table)
            taken |= table.consumed
    return found


def _next_content(lines: Sequence[Line], i: int) -> int | None:
    for j in range(i + 1, len(lines)):
        if lines[j].text:
            return j
    return None


def _read_table(lines: Sequence[Line], i: int, label: str, caption: str | None) -> TextTable | None:
    table = TextTable(label=label, caption=caption, label_line=i, consumed={i}, caption_end=lines[i].content_end)
    cursor = i
    if caption is None:
        j = _next_content(lines, i)
        if j is None or len(lines[j].text) > MAX_CAPTION_CHARS or layout_regex("layout.table_label.v1").match(
            lines[j].text
        ):
            return None
        table.caption = lines[j].text
        table.consumed.add(j)
        table.caption_end = lines[j].content_end
        cursor = j
    start = _next_content(lines, cursor)
    if start is None:
        return table
    block: list[int] = []
    j = start
    # The rows are the run of non-blank lines after the caption; a line without letters or
    # digits (a lone footnote mark) or a long prose line ends it.
    while j < len(lines) and lines[j].text and any(c.isalnum() for c in lines[j].text):
        if len(lines[j].text) > MAX_ROW_CHARS:
            return table if not block else _with_rows(table, block, lines)
        block.append(j)
        j += 1
    return _with_rows(table, block, lines)


def _with_rows(table: TextTable, block: list[int], lines: Sequence[Line]) -> TextTable:
    # Image-only tables repeat their caption where the rows would be.
    repeats = [j for j in block if lines[j].text == table.caption]
    rows = [j for j in block if lines[j].text != table.caption]
    if len(rows) < 2:
        table.consumed.update(repeats)
        return table
    table.consumed.update(block)
    table.printings = _printings(rows, lines)
    return table


def _printings(rows: list[int], lines: Sequence[Line]) -> list[list[int]]:
    """Split the rows where the whole table is printed again (its first line repeats)."""
    texts = [lines[j].text for j in rows]
    starts = [k for k, t in enumerate(texts) if t == texts[0]]
    if len(starts) == 1:
        half = len(texts) // 2
        if len(texts) % 2 == 0 and texts[:half] == texts[half:]:
            starts = [0, half]
    bounds = [*starts, len(rows)]
    return [rows[a:b] for a, b in pairwise(bounds) if b > a]


def build_tables(
    lines: Sequence[Line], found: Sequence[TextTable], section_of: Callable[[int], SectionLabel]
) -> list[Table]:
    """Table objects for the found tables; a second printing points at the first (duplicate_of)."""
    tables: list[Table] = []
    for table in found:
        first_index: int | None = None
        printings = table.printings or [[]]
        for n, printing in enumerate(printings):
            rows = _rows(lines, printing)
            start = lines[table.label_line].content_start if n == 0 else rows[0].start
            end = rows[-1].end if rows else table.caption_end
            tables.append(
                Table(
                    label=table.label,
                    caption=table.caption,
                    section=section_of(table.label_line),
                    start=start,
                    end=end,
                    rows=rows,
                    duplicate_of=first_index,
                )
            )
            if n == 0:
                first_index = len(tables) - 1
    return tables


def _rows(lines: Sequence[Line], printing: list[int]) -> list[TableRow]:
    rows: list[TableRow] = []
    value_columns: int | None = None
    for k, j in enumerate(printing):
        line = lines[j]
        header = k == 0 and _is_header(line.text)
        spans = _cell_spans(line.text, header, value_columns)
        if header and len(spans) > 1:
            value_columns = len(spans) - 1
        cells = [
            TableCell(
                text=line.text[a:b],
                start=line.content_start + a,
                end=line.content_start + b,
                header=header,
                column=col,
            )
            for col, (a, b) in enumerate(spans)
        ]
        rows.append(TableRow(cells=cells, start=line.content_start, end=line.content_end, header=header))
    return rows


def _is_header(row: str) -> bool:
    """A table's first line is its header unless it reads as a label followed by numbers."""
    if layout_regex("layout.header_glue.v1").match(row):
        return True
    values = _peel_values(row, None)
    return not any(any(c.isdigit() for c in row[a:b]) for a, b in values[1:])


def _cell_spans(row: str, header: bool, value_columns: int | None) -> list[tuple[int, int]]:
    """Cells of a row as (start, end) in the row: column gaps, glued header words, else trailing values."""
    gaps = list(layout_regex("layout.column_gap.v1").finditer(row))
    if gaps:
        bounds = [0]
        for gap in gaps:
            bounds.extend([gap.start(), gap.end()])
        bounds.append(len(row))
        return [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b > a]
    if header:
        glue = layout_regex("layout.header_glue.v1").match(row)
        if glue is not None:
            return [(0, glue.end()), (glue.end(), len(row))]
        return [(0, len(row))]
    return _peel_values(row, value_columns)


def _peel_values(row: str, limit: int | None) -> list[tuple[int, int]]:
    """Label cell then value cells, taking value groups off the end of the row ('CR 6 (16)')."""
    value = layout_regex("layout.table_value.v1")
    values: list[tuple[int, int]] = []
    end = len(row)
    while limit is None or len(values) < limit:
        match = value.search(row, 0, end)
        if match is None:
            break
        label_end = len(row[: match.start("value")].rstrip())
        if label_end == 0:
            break
        values.append((match.start("value"), match.start("value") + len(match.group("value").rstrip())))
        end = label_end
    return [(0, end), *reversed(values)]
