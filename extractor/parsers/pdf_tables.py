"""Tables of a PDF page from the text layer's geometry: caption, header and rows of cells, rules not needed.

A table is found beside its caption ("Table 2 ..."): the text-layer lines after it
(or before it, for captions printed under the table) that are not prose, up to
prose, a figure, another caption or a wide gap. Their words are cut into rows by
vertical position and into columns by the white-space channels the value rows leave
between them (the text-alignment strategy: most journal tables have no vertical
rules); header rows are those above the first row holding a value. The caption and
rows leave the page text for a placeholder line (pdf_table_text), expanded after
reflow, so every row and cell is a verbatim stretch of the canonical text.
"""

import statistics
from collections.abc import Callable

import pypdfium2 as pdfium

from extractor.parsers.pdf_layout import Line, join_lines, lines_of, read_glyphs, same_row, words_text
from extractor.parsers.pdf_table_grid import chunks, grid, is_value
from extractor.parsers.pdf_table_text import PdfTable, table_mark, table_rule

# A line of one run of words is prose, and ends the table, when it has PROSE_WORDS words and is
# PROSE_WIDTH as wide as the table (or a column: COLUMN_SHARE of the page), or PROSE_SENTENCE words.
PROSE_WORDS = 5
PROSE_WIDTH = 0.7
PROSE_SENTENCE = 9
COLUMN_SHARE = 0.45
# Lines the scan may pass over before the first row: footnotes between a table and a caption
# printed under it, or given by the text layer before the rows they sit under.
MAX_SKIPPED = 12
MAX_CAPTION_LINES = 5


def page_tables(textpage: pdfium.PdfTextPage, text: str, tables: list[PdfTable],
                clean: Callable[[str], str]) -> str:
    """The page text with each table found on it replaced by a placeholder line; the tables go to ``tables``."""
    caption = table_rule("pdf_table.caption.v1")
    if not any(caption.match(line) for line in text.splitlines()):
        return text
    glyphs = read_glyphs(textpage, text)
    if glyphs is None:
        return text
    lines = lines_of(glyphs)
    cuts: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    for index, line in enumerate(lines):
        match = caption.match(line.text)
        if match is None or index in taken:
            continue
        found = _table_at(text, lines, index, taken, clean)
        if found is None:
            continue
        table, used = found
        taken.update(used)
        mark = table_mark(len(tables))
        tables.append(table)
        spans = sorted((lines[i].start, lines[i].end) for i in used)
        cuts.extend((start, end, mark if n == 0 else "") for n, (start, end) in enumerate(spans))
    for start, end, replacement in sorted(cuts, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _table_at(text: str, lines: list[Line], index: int, taken: set[int],
              clean: Callable[[str], str]) -> tuple[PdfTable, list[int]] | None:
    """The table beside a caption line: below it or, for captions printed under tables, above it.

    When both sides hold something table-like, the side nearer the caption wins.
    Returns the table and the lines it takes from the page text (caption, rows, notes).
    """
    caption_lines = _caption_block(lines, index)
    best: tuple[float, PdfTable, list[int]] | None = None
    for direction in (1, -1):
        body, gap, passed = _body(lines, caption_lines, direction, taken)
        found = grid([w for i in body for w in lines[i].words]) if body else None
        if found is None or (best is not None and gap >= best[0]):
            continue
        rows, used_words = found
        used = [i for i in body if any(id(w) in used_words for w in lines[i].words)]
        notes = _notes(lines, used, [i for i in body if i not in used] + passed, direction, taken)
        table = PdfTable("", "", rows, notes=[join_lines(text, [lines[i] for i in note]) for note in notes])
        best = (gap, table, used + [i for note in notes for i in note])
    if best is None:
        return None
    _, table, used = best
    table.caption = clean(join_lines(text, [lines[i] for i in caption_lines]))
    match = table_rule("pdf_table.caption.v1").match(table.caption)
    table.label = " ".join(match.group("label").split()) if match else table.caption
    table.continued = bool(match and table_rule("pdf_table.continued.v1").match(match.group("caption")))
    table.notes = [clean(note) for note in table.notes]
    for row in table.rows:
        for cell in row.cells:
            cell.text = clean(cell.text)
    return table, caption_lines + used


def _notes(lines: list[Line], used: list[int], candidates: list[int], direction: int,
           taken: set[int]) -> list[list[int]]:
    """The table's footnotes, as groups of lines, each group one note.

    Candidates are lines the table's scan passed over or left out of its rows; after
    the rows come more, in the table's size (not larger) just under it. They keep the
    text layer's order; a note opens with a footnote mark or an explanation on a line
    of its own ("Abbreviations", "SD = ..."), else it goes on the note before it.
    """
    size = statistics.median(lines[i].size for i in used)
    bottom = min(lines[i].y0 for i in used)
    footnote = table_rule("pdf_table.footnote.v1")
    picked = [i for i in candidates if lines[i].size <= 1.05 * size and lines[i].y1 <= bottom + size]
    if direction > 0:
        edge = min([bottom, *(lines[i].y0 for i in picked)])
        for j in range(max(used + picked) + 1, len(lines)):
            line = lines[j]
            if j in taken or _starts_block(line) or line.size > 1.05 * size or not 0 <= edge - line.y1 <= 2.5 * size:
                break
            picked.append(j)
            edge = line.y0
    groups: list[list[int]] = []
    for i in sorted(set(picked)):
        line = lines[i]
        if groups:
            last = lines[groups[-1][-1]]
            opens = footnote.match(line.text) is not None and not same_row(last, line)
            if not opens and (same_row(last, line) or last.y0 - line.y1 < 0.6 * size):
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def _caption_block(lines: list[Line], index: int) -> list[int]:
    """The caption's line and the lines continuing it: just below, aligned with it, one run of words.

    A label printed on a line of its own ("Table 1", often in small capitals) is
    continued by the caption line under it, whatever that line's size.
    """
    block = [index]
    first = lines[index]
    match = table_rule("pdf_table.caption.v1").match(first.text)
    label_only = match is not None and not match.group("caption").strip()
    for j in range(index + 1, min(index + 1 + MAX_CAPTION_LINES, len(lines))):
        prev, line = lines[block[-1]], lines[j]
        size = max(line.size, prev.size)
        if abs(line.y0 - prev.y0) < 0.3 * size and 0 <= line.x0 - prev.x1 < size:
            # The text layer broke the line in two where the font changed ("CD4+" + "/CD8+").
            block.append(j)
            continue
        gap = prev.y0 - line.y1
        same_size = abs(line.size - first.size) <= 0.12 * first.size or (label_only and len(block) == 1)
        left_aligned = abs(line.x0 - first.x0) <= 2 * size
        centred = abs((line.x0 + line.x1) - (first.x0 + first.x1)) <= 4 * size
        if (not same_size or not -0.3 * size <= gap <= (1.0 if label_only else 0.6) * size
                or not (left_aligned or centred) or len(chunks(line.words)) > 1 or _starts_block(line)):
            break
        block.append(j)
    return block


def _starts_block(line: Line) -> bool:
    text = line.text
    return bool(table_rule("pdf_table.caption.v1").match(text) or table_rule("pdf_table.figure.v1").match(text))


def _is_value_row(line: Line) -> bool:
    return any(is_value(words_text(chunk)) for chunk in chunks(line.words)[1:])


def _is_prose(line: Line, width: float) -> bool:
    words = line.words
    if len(words) < PROSE_WORDS or len(chunks(words)) > 1:
        return False
    letters = sum(c.isalpha() for w in words for c in w.text)
    if letters < 0.5 * sum(len(w.text) for w in words):
        return False
    # A sentence's worth of words is prose however narrow the column it is set in.
    return len(words) >= PROSE_SENTENCE or line.x1 - line.x0 >= PROSE_WIDTH * width


def _body(lines: list[Line], caption: list[int], direction: int,
          taken: set[int]) -> tuple[list[int], float, list[int]]:
    """Stream-order lines of the table on one side of its caption, the gap between them and it,
    and the lines passed over on the way (notes the text layer gives out of place)."""
    head = lines[caption[0]]
    tail = lines[caption[-1]]
    size = head.size
    # Prose fills a column: at least about half the page's printed width.
    page_width = max(line.x1 for line in lines) - min(line.x0 for line in lines)
    width = max(max(lines[i].x1 - lines[i].x0 for i in caption), COLUMN_SHARE * page_width)
    sizes: list[float] = []
    found: list[int] = []
    passed: list[int] = []
    first_gap = float("inf")
    edge = tail.y0 if direction > 0 else head.y1
    order = range(caption[-1] + 1, len(lines)) if direction > 0 else range(caption[0] - 1, -1, -1)
    for j in order:
        line = lines[j]
        if j in taken or _starts_block(line):
            break
        above_caption, below_caption = line.y1 > head.y1 + 0.5 * size, line.y0 < tail.y0 - 0.5 * size
        if (direction > 0 and above_caption) or (direction < 0 and below_caption):
            break
        gap = (edge - line.y1) if direction > 0 else (line.y0 - edge)
        if found and gap > max(4 * size, 3 * statistics.median(sizes)):
            break
        single = len(chunks(line.words)) == 1
        if not found and single and len(passed) < MAX_SKIPPED:
            if direction < 0 and len(line.words) >= 3:
                # Footnotes between a table and the caption printed under it.
                passed.append(j)
                edge = line.y1
                continue
            if direction > 0 and gap > 2 * size:
                # Footnotes the text layer gives before the rows they sit under (Springer).
                passed.append(j)
                continue
        first_gap = max(gap, 0.0) if not found else first_gap
        prose = _is_prose(line, width) or (len(found) >= 2 and line.size > 1.15 * statistics.median(sizes)
                                           and len(line.words) >= PROSE_WORDS and single)
        # A header line can read like prose; the value rows right after it show it is not.
        if prose and not any(_is_value_row(lines[k]) for k in (j + direction, j + 2 * direction) if 0 <= k < len(lines)):
            break
        found.append(j)
        sizes.append(line.size)
        width = max(width, line.x1 - line.x0)
        edge = line.y0 if direction > 0 else line.y1
    return sorted(found), first_gap, passed


