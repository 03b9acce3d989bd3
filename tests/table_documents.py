"""A Document made of one table (and optionally a prose line after it), for table-reading tests."""

from schemas import Document, Section, Table, TableCell, TableRow


def table_document(caption: str, rows: list[list[str]], prose: str = "") -> Document:
    """The caption, then one line per row (the first row the header; a row of one cell labels a block), then prose."""
    lines = [caption, *(" ".join(row) for row in rows), *([prose] if prose else [])]
    text = "\n".join(lines)
    start = len(caption) + 1
    table_rows = []
    for index, row in enumerate(rows):
        cells, pos = [], start
        for column, cell in enumerate(row):
            cells.append(TableCell(text=cell, start=pos, end=pos + len(cell), header=index == 0, column=column))
            pos += len(cell) + 1
        table_rows.append(TableRow(cells=cells, start=start, end=start + len(lines[index + 1]), header=index == 0))
        start += len(lines[index + 1]) + 1
    table = Table(label=None, caption=caption, section="results", start=0, end=start - 1, rows=table_rows)
    return Document(paper_id="0" * 16, source_path="<test>", stem="test", format="text", text=text,
                    sections=[Section(label="results", title=None, start=0, end=len(text))], tables=[table])
