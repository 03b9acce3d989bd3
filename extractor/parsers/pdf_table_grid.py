"""Rows of cells from the words of a PDF table: columns from white space, wrapped lines joined.

Columns are the union along x of the cells of the value rows (the text-alignment
strategy: journal tables seldom draw vertical rules). Header rows are those above
the first row holding a value; a label or value printed over two lines is one cell.
"""

import statistics
from collections import Counter

from extractor.parsers.pdf_layout import Row, Word, joined, visual_rows, words_text
from extractor.parsers.pdf_table_text import PdfCell, PdfRow, table_rule

# Words further apart than this share of the font size are in different cells.
CELL_GAP = 0.8


def chunks(words: list[Word]) -> list[list[Word]]:
    """Words of one visual row split where the gap is wider than a cell gap."""
    runs: list[list[Word]] = []
    for word in sorted(words, key=lambda w: w.x0):
        if runs and word.x0 - runs[-1][-1].x1 <= CELL_GAP * max(word.size, runs[-1][-1].size):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def is_value(text: str) -> bool:
    """A cell holding a number (a few letters allowed: "0.663a", "-0.45 to 1.50"), not "12 months"."""
    return bool(table_rule("pdf_table.value.v1").match(text)) and sum(c.isalpha() for c in text) <= 3


def _columns(rows: list[Row]) -> list[tuple[float, float]]:
    """Column spans along x: the union of the cells of the value rows.

    Rows with as many cells as most rows (or more) set the columns; a cell of another
    row that bridges two of those columns (a label run into its value) is left out.
    """
    chunked = [chunks(row.words) for row in rows]
    counts = Counter(len(parts) for parts in chunked)
    modal = max(counts, key=lambda n: (counts[n], n))
    core = _union([(c[0].x0, c[-1].x1) for parts in chunked if len(parts) >= modal for c in parts])
    extra = [(c[0].x0, c[-1].x1) for parts in chunked if len(parts) < modal for c in parts]
    kept = [(a, b) for a, b in extra if sum(1 for x0, x1 in core if min(b, x1) > max(a, x0)) < 2]
    return _union(core + kept)


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for x0, x1 in sorted(spans):
        if merged and x0 <= merged[-1][1] + 0.5:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return [(a, b) for a, b in merged]


def _column_of(x0: float, x1: float, columns: list[tuple[float, float]]) -> tuple[int, int]:
    """First column and number of columns a stretch of x covers (the nearest one if it falls in a gap)."""
    covered = [i for i, (a, b) in enumerate(columns) if min(b, x1) - max(a, x0) > 0]
    if covered:
        return covered[0], covered[-1] - covered[0] + 1
    middle = (x0 + x1) / 2
    nearest = min(range(len(columns)), key=lambda i: min(abs(columns[i][0] - middle), abs(columns[i][1] - middle)))
    return nearest, 1


def grid(words: list[Word]) -> tuple[list[PdfRow], set[int]] | None:
    """Rows of cells from the table's words; None unless there are two value rows and two columns."""
    rows = visual_rows(words)
    first = next((i for i, row in enumerate(rows) if any(is_value(words_text(c)) for c in chunks(row.words)[1:])), None)
    if first is None:
        return None
    body = [row for row in rows[first:] if len(chunks(row.words)) > 1]
    if len(body) < 2:
        return None
    columns = _columns(body)
    if len(columns) < 2:
        return None
    out: list[PdfRow] = []
    kept: list[Row] = []
    footnote = table_rule("pdf_table.footnote.v1")
    for n, row in enumerate(rows):
        header = n < first
        cells: dict[int, list[Word]] = {}
        spans: dict[int, int] = {}
        parts = chunks(row.words)
        # One run of words with no value in it (a group label, a note) is one cell, however wide.
        whole = len(parts) == 1 and (footnote.search(words_text(parts[0])) or len(parts[0]) >= 8
                                     or not any(is_value(w.text) for w in parts[0]))
        for chunk in parts:
            if header or whole:
                column, span = _column_of(chunk[0].x0, chunk[-1].x1, columns)
                cells.setdefault(column, []).extend(chunk)
                spans[column] = max(spans.get(column, 1), span)
            else:
                for word in chunk:
                    column, _ = _column_of(word.x0, word.x1, columns)
                    cells.setdefault(column, []).append(word)
        pdf_cells = [PdfCell(words_text(cells[c]), c, spans.get(c, 1)) for c in sorted(cells)]
        out.append(PdfRow(pdf_cells, header))
        kept.append(row)
    out, kept = _merge_wrapped(out, kept)
    out, kept = _drop_footnotes(out, kept)
    return out, {id(w) for row in kept for w in row.words}


def _merge_wrapped(rows: list[PdfRow], geometry: list[Row]) -> tuple[list[PdfRow], list[Row]]:
    """A label cut over two lines ("Median (IQR) cigarettes smoked" / "daily before pregnancy") is one cell."""
    out: list[PdfRow] = []
    kept: list[Row] = []
    for row, shape in zip(rows, geometry, strict=True):
        if out and not row.header and not out[-1].header and _continues(out[-1], kept[-1], row, shape):
            by_column = {c.column: c for c in out[-1].cells}
            for cell in row.cells:
                if cell.column in by_column:
                    by_column[cell.column].text = joined(by_column[cell.column].text, cell.text)
                else:
                    out[-1].cells.append(cell)
            out[-1].cells.sort(key=lambda c: c.column)
            kept[-1] = Row(kept[-1].words + shape.words)
            continue
        out.append(row)
        kept.append(shape)
    return out, kept


def _continues(above: PdfRow, above_shape: Row, row: PdfRow, shape: Row) -> bool:
    """True when a row, on the next line, is the rest of the row above it.

    Its cells finish cells of the row above ("41/388" / "(10.6)"; a label opening
    in lower case), or it holds the values of a label printed over several lines,
    or it is a label with no values set in under a row that has them (a hanging indent).
    """
    first = row.cells[0]
    if not above.cells or above.cells[0].column != 0:
        return False
    size = statistics.median(w.size for w in shape.words)
    gap = above_shape.y0 - shape.y1
    finishes = {c.column for c in row.cells} <= {c.column for c in above.cells} and len(row.cells) < len(above.cells)
    if first.column != 0:
        # A row with no label at all can only be the rest of the one above.
        return gap < size and (len(above.cells) == 1 or finishes)
    if gap >= 0.45 * size:
        return False
    if first.text[:1].islower() or first.text[:1] in "([":
        return len(row.cells) == 1 or len(above.cells) == 1 or finishes
    indented = min(w.x0 for w in shape.words) > min(w.x0 for w in above_shape.words) + 0.5 * size
    return indented and len(row.cells) == 1 < len(above.cells)


def _drop_footnotes(rows: list[PdfRow], geometry: list[Row]) -> tuple[list[PdfRow], list[Row]]:
    """Rows of one cell under the last value row are notes, not table: they stay text."""
    while rows and len(rows[-1].cells) == 1 and not rows[-1].header:
        rows, geometry = rows[:-1], geometry[:-1]
    return rows, geometry
