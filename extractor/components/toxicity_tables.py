"""Adverse events from a row of an adverse-event table: term, then one record per value cell."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from extractor.components.toxicity_terms import (
    Term,
    clean_arm,
    clean_text,
    grade_band,
    normalise_term,
    remove_grades,
    rule,
    rules,
)
from extractor.numbers import normalise_number_text, parse_int, parse_number
from extractor.sentence import Sentence
from schemas import AdverseEvent, Table, TableCell, TableRow
from schemas.vocab import GradeBand

# Cells that print no number: not reported, not applicable, none.
_EMPTY_VALUES = frozenset({"", "na", "n/a", "nr", "ne", "nd", "-", "--", "..", "...", "\u2014", "\u2013", "\u2212"})


# A header cell that is a grade band without the word "grade", and the word alone above it.
_BARE_BAND = re.compile(
    r"^\s*(?:[≥⩾]|>=)?\s*(?:[1-5]|I{1,3}|IV|V)(?:\s*[-\u2013/]\s*(?:[1-5]|I{1,3}|IV|V))?\s*$|^\s*any\s*$", re.IGNORECASE)
# A footnote letter set apart after a row label ("Cognitive disorder/memory impairment d"), but not
# the letter that ends a name ("vitamin D", "hepatitis B", "type A").
_GLUED_FOOTNOTE = re.compile(r"(?<![Vv]itamin)(?<![Hh]epatitis)(?<![Tt]ype)(?<![Gg]roup)(?<![Gg]rade)(?<![Ss]tage)\s[a-f]$")
_BARE_GRADE_ROW = re.compile(
    r"^\s*(?:grades?\s*)?(?:[\u2265\u2a7e]|>=)?\s*(?:[0-5]|I{1,3}|IV|V)(?:\s*[-\u2013/]\s*(?:[1-5]|I{1,3}|IV|V)|\s+or\s+"
    r"(?:higher|more|above|worse))?\s*[*\u2020\u2021a-d]?\s*$|^\s*(?:any|all)\s+grades?\s*$",
    re.IGNORECASE)
# A header naming the grading scale or the count's unit, not an arm: "NCI-CTC grade (%)", "Number".
_GRADING_SCALE = re.compile(r"\b(?:grades?|ctc|ctcae|nci|who|rtog|number|no\.)\b", re.IGNORECASE)
_ALL_GRADES = re.compile(r"^(?:all|any|total|all\s+grades?|any\s+grades?)$")
_GRADE_ZERO = re.compile(r"^\s*0\s*$")
_HEADER_FOOTNOTE = re.compile(r"(?<=\d)[a-d*\u2020\u2021\u00a7]+\s*$")
_GRADE_WORD = re.compile(r"\bgrades?\b", re.IGNORECASE)
_GRADE_HEADER = re.compile(r"^(?:ctcae\s+|nci\s+|toxicity\s+|worst\s+)?grades?$")
# A footnote letter printed against the label's last word: "Neutropeniaa", "Rashb".
_TOUCHING_FOOTNOTE = re.compile(r"[a-z]{3}([a-f])\s*$")
_DECIMAL = re.compile(r"[.\u00b7]\d")


@dataclass(frozen=True)
class Column:
    """What the numbers of one grid column are: grade band, arm, and whether bare numbers are percents."""

    grade: GradeBand | None
    arm: str | None
    percent_only: bool


@dataclass(frozen=True)
class Value:
    """Numbers read from one cell."""

    n: int | None
    of: int | None
    percent: float | None
    rule_id: str
    confidence: float


@dataclass(frozen=True)
class TableFacts:
    """What a table's header says, the same for each of its rows."""

    width: int
    headers: list[TableRow]
    kind: str | None
    columns: dict[int, Column]
    default_grade: GradeBand
    # Whether "a/b" cells are patients of patients assessed: not when any prints a > b
    # ("Heart (single/multiple) 4/8 2/0" counts two kinds of event, not 4 of 8).
    fractions: bool
    # Labels X of rows printed beside a row "No X" ("ADT" / "No ADT"): strata of a covariate.
    strata: frozenset[str]
    # A column headed "Grade" whose cells are each row's grade ("Neutropenia | 3 | 5 (17%) | 4 (13%)").
    grade_column: int | None = None


# Facts of the tables read lately, by id (the table is kept with them, so an id is never reused).
_TABLES: dict[int, tuple[Table, TableFacts]] = {}
_TABLES_SIZE = 256


def table_facts(table: Table) -> TableFacts:
    """Width, header rows, kind, column meanings and default grade of a table, worked out once."""
    cached = _TABLES.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    width = grid_width(table)
    headers = header_rows(table, width)
    kind = table_kind(table, headers)
    columns = column_meanings(headers, width) if kind is not None else {}
    if _caption_percent(table.caption or "", headers):
        columns = {c: replace(column, percent_only=True) for c, column in columns.items()}
    grade_column = _grade_column(table, headers, width) if kind is not None else None
    if grade_column is not None:
        columns = {c: column for c, column in columns.items() if c != grade_column}
    facts = TableFacts(width, headers, kind, columns, grade_band(table.caption or "") or "any",
                       _fractions(table), _strata(table), grade_column)
    if len(_TABLES) >= _TABLES_SIZE:
        _TABLES.clear()
    _TABLES[id(table)] = (table, facts)
    return facts


def _grade_column(table: Table, headers: list[TableRow], width: int) -> int | None:
    """The column headed "Grade" (one column, not over others) whose body cells are grades, if any."""
    if not headers:
        return None
    found = next((col for col, cell in grid_cells(headers[-1], width)
                  if col > 0 and cell.colspan == 1 and _GRADE_HEADER.match(clean_text(cell.text))), None)
    if found is None:
        return None
    texts = [cell.text.strip() for row in table.rows if not row.header
             for col, cell in grid_cells(row, width) if col == found and cell.text.strip()]
    graded = [text for text in texts if _BARE_GRADE_ROW.match(text) or _ALL_GRADES.match(clean_text(text))]
    return found if graded and len(graded) >= 0.8 * len(texts) else None


def _graded_row(table: Table, row: TableRow, placed: list[tuple[int, TableCell]], facts: "TableFacts",
                ) -> tuple[TableCell | None, GradeBand | None]:
    """The term cell and grade of a row of a table with a grade column: the grade from that column, the
    term from the row's first cell or, when it is blank (a term spanning its grade rows), from the rows above."""
    grade_text = next((cell.text for col, cell in placed if col == facts.grade_column), "")
    grade = "any" if _ALL_GRADES.match(clean_text(grade_text)) else _bare_grade(grade_text) if _BARE_GRADE_ROW.match(
        grade_text) else None
    first = next((cell for col, cell in placed if col < (facts.grade_column or 0) and cell.text.strip()), None)
    if first is not None:
        return first, grade
    index = next(i for i, r in enumerate(table.rows) if r is row)
    for above in reversed(table.rows[:index]):
        if above.header:
            break
        cells = [cell for col, cell in grid_cells(above, facts.width) if col < (facts.grade_column or 0)]
        if cells and cells[0].text.strip():
            return cells[0], grade
    return None, grade


_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\b")


def _fractions(table: Table) -> bool:
    """False when a body cell prints 'a/b' with a > b: the table's slashes pair two counts."""
    for row in table.rows:
        if row.header:
            continue
        for cell in row.cells[1:]:
            match = _FRACTION.match(cell.text)
            if match and int(match.group(1)) > int(match.group(2)):
                return False
    return True


def _strata(table: Table) -> frozenset[str]:
    """X for each row labelled "No X": the row X beside it is a stratum, not an event."""
    labels = (clean_text(row.cells[0].text) for row in table.rows if row.cells and not row.header)
    return frozenset(label[3:].strip() for label in labels if label.startswith("no ") and len(label) > 4)


def table_adverse_events(sentence: Sentence) -> Iterator[AdverseEvent]:
    """Records of one body row of an adverse-event table, one per value cell."""
    table, row = sentence.table, sentence.row
    if table is None or row is None:
        return
    facts = table_facts(table)
    width, headers, kind, columns = facts.width, facts.headers, facts.kind, facts.columns
    if kind is None or any(_same_row(row, h) for h in headers):
        return
    if not columns:
        return
    placed = sorted(grid_cells(row, width), key=lambda item: item[0])
    if is_section_row(placed):
        return
    if facts.grade_column is not None:
        first, row_grade = _graded_row(table, row, placed, facts)
        if row_grade is None:
            return
    else:
        first = _term_cell(placed, columns)
        row_grade = grade_band(first.text) if first is not None else None
    term = row_term(first.text, known_only=kind == "safety") if first is not None else None
    if first is not None and term is None and facts.grade_column is None and _BARE_GRADE_ROW.match(first.text):
        # A term heading its own block of grade rows: "Diarrhoea" / "Grade 1 1 (2%) 4 (8%)" / "Grade 2 ...".
        heading = _block_heading(table, row, width, columns) or _caption_term(table.caption or "")
        term = row_term(heading, known_only=kind == "safety") if heading else None
        # A bare label ("III–IV", "2") is a grade only under the heading it belongs to.
        row_grade = row_grade or _bare_grade(first.text)
        if row_grade is None:
            return
    if first is None or term is None or clean_text(first.text) in facts.strata:
        return
    section_grade, period = section_context(table, row, headers, width)
    default_grade = facts.default_grade
    merged: dict[tuple[str | None, GradeBand], Value | None] = {}
    for col, cell in placed:
        column = columns.get(col)
        value = parse_cell(cell.text, column.percent_only) if column is not None and cell is not first else None
        if column is None or value is None or (value.of is not None and not facts.fractions):
            continue
        grade = column.grade or row_grade or section_grade or default_grade
        arm = ", ".join(filter(None, [column.arm, period])) or None
        key = (arm, grade)
        merged[key] = _merge(merged[key], value) if key in merged else value
    for (arm, grade), value in merged.items():
        if value is None:
            continue
        yield AdverseEvent(
            arm=arm, term=term, grade=grade, n=value.n, of=value.of, percent=value.percent,
            provenance=[sentence.provenance(value.rule_id, value.confidence)],
        )


def _bare_grade(text: str) -> GradeBand | None:
    """The band of a grade printed without the word ("3", "III–IV", "≥3"), or with it."""
    return grade_band("grade " + re.sub(r"^\s*grades?\s*", "", text.strip(), flags=re.IGNORECASE))


def _caption_term(caption: str) -> str | None:
    """The known AE term a caption opens with, for a table of grade rows of one event
    ("Skin toxicity graded according to NCI CTCAE 4.0, worst per patient")."""
    match = _CAPTION_TERM.match(caption)
    if match is None:
        return None
    term = normalise_term(match.group("term"))
    return match.group("term") if term is not None and term.known else None


_CAPTION_TERM = re.compile(
    r"\s*(?:table\s*\d+[.:]?\s*)?(?P<term>[A-Za-z][\w\- ]{2,40}?)\s*(?=\bgraded\b|\baccording\b|\bby\b|[,(:]|$)",
    re.IGNORECASE)


def _block_heading(table: Table, row: TableRow, width: int, columns: dict[int, Column]) -> str | None:
    """The label of the block row above a run of grade rows (a row with its label only, or with a P value
    only: "Anemia ... 0.050"), if any."""
    index = next(i for i, r in enumerate(table.rows) if r is row)
    for above in reversed(table.rows[:index]):
        placed = sorted(grid_cells(above, width), key=lambda item: item[0])
        label = placed[0][1].text if placed else ""
        if above.header:
            return None
        if _BARE_GRADE_ROW.match(label):
            continue
        values = [cell for col, cell in placed[1:] if col in columns and cell.text.strip()]
        return label if is_section_row(placed) or (label.strip() and not values) else None
    return None


def _term_cell(placed: list[tuple[int, TableCell]], columns: dict[int, Column]) -> TableCell | None:
    """The cell naming the row's event: the last text cell before the first value cell.

    Usually the first cell; when a category cell spans rows on the left ("Hematologic"
    over three rows), the event is in the next column.
    """
    term = None
    for col, cell in placed:
        if col in columns and (cell.text.strip().lower() in _EMPTY_VALUES or parse_cell(cell.text, False)):
            break
        known = term is None and re.search(r"[A-Za-z]", cell.text) and (found := normalise_term(cell.text)) and found.known
        if re.search(r"[A-Za-z]{3}", cell.text) or (term is None and _BARE_GRADE_ROW.match(cell.text)) or known:
            # A bare grade label ("III–IV") stands for the term heading its block; a short known label ("≥1 AE") names one.
            term = cell
    return term


def _merge(kept: Value | None, value: Value) -> Value | None:
    """Count and percent of one arm and grade printed in two columns ("n", "%") make one value;
    two counts (or two percents) for one arm and grade mean the header was misread: neither is kept."""
    if kept is None or (kept.n and value.n) or (kept.percent is not None and value.percent is not None):
        return None
    return Value(n=kept.n or value.n, of=kept.of or value.of,
                 percent=kept.percent if kept.percent is not None else value.percent,
                 rule_id=kept.rule_id, confidence=min(kept.confidence, value.confidence))


def header_rows(table: Table, width: int) -> list[TableRow]:
    """The header rows: those the parser marked, else the leading rows that hold no value cell."""
    marked = [row for row in table.rows if row.header]
    if marked:
        # Rows the parser left in the body right under its header, with labels over two or more
        # value columns and no value ("Adverse event | All grades | Grade 1-2 | Grade≥3 ..."), head too.
        for row in table.rows[len(marked):] if all(r.header for r in table.rows[: len(marked)]) else []:
            labels = [cell for col, cell in grid_cells(row, width) if col > 0 and cell.text.strip()]
            if len(labels) < 2 or not all(_is_label(cell.text) for cell in labels):
                break
            marked.append(row)
        return marked
    leading = []
    for row in table.rows:
        values = [cell for col, cell in grid_cells(row, width) if col > 0]
        if not values or any(parse_cell(cell.text, False) is not None for cell in values):
            break
        leading.append(row)
    return leading if len(leading) < len(table.rows) else []


def _is_label(text: str) -> bool:
    """A cell naming what a column holds ("All grades", "N (%)"), not a value ("0", "NA", "12 (5%)")."""
    cleaned = " ".join(text.split()).lower()
    return bool(re.search(r"[a-z]", cleaned)) and cleaned not in _EMPTY_VALUES and parse_cell(text, True) is None


def _same_row(row: TableRow, other: TableRow) -> bool:
    return row is other or (row.start, row.end) == (other.start, other.end)


def table_kind(table: Table, headers: list[TableRow]) -> str | None:
    """'adverse events' when the caption or header rows say so; 'safety' when they name safety
    only, or outcomes besides side effects (then only rows naming a known term count);
    None for any other table."""
    caption = " ".join(filter(None, [table.label, table.caption]))
    header = " ".join(cell.text for row in headers for cell in row.cells)
    if rule("toxicity.table.not_adverse_events.v1").regex.search(caption):
        return None
    if rule("toxicity.table.adverse_events.v1").regex.search(f"{caption} {header}"):
        # A table of outcomes that also lists side effects holds other outcomes too.
        return "safety" if rule("toxicity.table.mixed_outcomes.v1").regex.search(caption) else "adverse events"
    if rule("toxicity.table.safety.v1").regex.search(f"{caption} {header}"):
        return "safety"
    return None


def row_term(text: str, known_only: bool = False) -> str | None:
    """The record term of a row's first cell, or None when the row is not an adverse event."""
    text = _GLUED_FOOTNOTE.sub("", text.strip())
    text = rule("toxicity.row.unit_suffix.v1").regex.sub("", text)
    cleaned = clean_text(text)
    term = normalise_term(text)
    # A label needs a word of three letters, unless the lexicon knows it ("≥1 AE").
    if not (re.search(r"[a-z]{3}", cleaned) or (term is not None and term.known)) or len(cleaned.split()) > 12:
        return None
    if term is not None and not term.known:
        term = _without_touching_footnote(text) or term
    if term is None or (not term.known and (known_only or rule("toxicity.row.not_event.v1").regex.search(cleaned))):
        return None
    return term.term


def _without_touching_footnote(text: str) -> Term | None:
    """The term of a label whose footnote letter touches its last word ("Neutropeniaa",
    "Hemoglobin elevationb"): when the label without it is a known term, or its last word then
    ends like a medical noun and the letter cannot end one."""
    match = _TOUCHING_FOOTNOTE.search(text)
    if match is None:
        return None
    term = normalise_term(text[: match.start(1)])
    if term is None:
        return None
    if term.known or rule("toxicity.row.noun_ending.v1").regex.search(text[: match.start(1)]):
        return term
    return None


def grid_width(table: Table) -> int:
    """Number of grid columns: the widest row, spans expanded (parser columns when given)."""
    widths = [
        max(((cell.column or 0) + cell.colspan for cell in row.cells), default=0)
        if all(cell.column is not None for cell in row.cells)
        else sum(cell.colspan for cell in row.cells)
        for row in table.rows
    ]
    return max(widths, default=0)


def grid_cells(row: TableRow, width: int) -> list[tuple[int, TableCell]]:
    """Each cell of a row with its grid column.

    Uses the parser's columns when given. Otherwise cells are laid left to right; a
    header row narrower than the grid is pushed right, since the cells it lacks are
    the row-spanning stub cells on the left ("Adverse event" spanning three header rows).
    """
    if row.cells and all(cell.column is not None for cell in row.cells):
        return [(cell.column or 0, cell) for cell in row.cells]
    total = sum(cell.colspan for cell in row.cells)
    col = width - total if row.header and total < width else 0
    placed = []
    for cell in row.cells:
        placed.append((col, cell))
        col += cell.colspan
    return placed


def column_meanings(headers: list[TableRow], width: int) -> dict[int, Column]:
    """Grade band, arm and unit of each value column, from the header cells above it."""
    value_columns = set(range(1, width))
    covering: dict[int, list[TableCell]] = {c: [] for c in value_columns}
    grade_rows = 0
    for placed in (grid_cells(row, width) for row in headers):
        # "Grade 3a": a footnote letter glued to a header is no part of it.
        placed = [(col, cell.model_copy(update={"text": _HEADER_FOOTNOTE.sub("", cell.text)})) for col, cell in placed]
        grade_rows += _is_grade_row(placed)
        for col, cell in placed:
            for c in range(col, col + cell.colspan):
                if c in covering and cell.text.strip():
                    covering[c].append(cell)
    skip = rule("toxicity.column.skip.v1").regex
    period_rule = rule("toxicity.column.period.v1").regex
    grade_named = grade_rows > 0 or any(
        _GRADE_HEADER.match(clean_text(cell.text)) for row in headers for cell in row.cells)
    columns: dict[int, Column] = {}
    for c, cells in covering.items():
        if not cells or any(skip.search(clean_text(cell.text)) for cell in cells):
            continue
        # Under a row of grades "0 I II III IV", the grade-0 column counts patients without the event.
        if grade_rows and _GRADE_ZERO.match(cells[-1].text):
            continue
        grade = next((b for b in (grade_band(cell.text) for cell in reversed(cells)) if b), None)
        if grade is None and (grade_named or any(_GRADE_WORD.search(cell.text) for cell in cells)):
            # "Grade" spanning columns headed "1–2", "3", "4".
            grade = next((_bare_grade(cell.text) for cell in reversed(cells) if _BARE_BAND.match(cell.text)), None)
        arm = _arm(cells, len(value_columns))
        period = next((clean_text(cell.text) for cell in cells[:-1]
                       if cell.colspan < len(value_columns) and period_rule.search(clean_text(cell.text))), None)
        if arm and period and period not in arm:
            # "First chemotherapy cycle" over "Arm A", "Arm B": the same arm in each period is another column.
            arm = f"{arm}, {period}"
        columns[c] = Column(grade=grade, arm=arm, percent_only=_percent_only(cells))
    if any(column.grade for column in columns.values()):
        # Beside graded columns, "All" / "Total" under an arm means all grades of that arm.
        for c, column in list(columns.items()):
            labelled = [cell for cell in covering[c] if _ALL_GRADES.match(clean_text(cell.text))]
            if column.grade is None and labelled:
                others = [cell for cell in covering[c] if cell is not labelled[-1]]
                columns[c] = replace(column, grade="any", arm=_arm(others, len(value_columns)))
    return _grouped(columns, covering, len(value_columns))


def _grouped(columns: dict[int, Column], covering: dict[int, list[TableCell]], n_value_columns: int) -> dict[int, Column]:
    """Columns that would share an arm and grade ("Overall population" and "Japanese patients",
    each over "Axitinib", "Sorafenib") told apart by the group header above their arm."""
    shared: dict[tuple[str | None, GradeBand | None], list[int]] = {}
    for c, column in columns.items():
        if column.arm is not None:
            shared.setdefault((column.arm, column.grade), []).append(c)
    grouped = dict(columns)
    for (arm, _), cols in shared.items():
        groups = [next((clean_text(cell.text) for cell in covering[c]
                        if 1 < cell.colspan < n_value_columns and _is_group_label(cell.text, arm)), None) for c in cols]
        # Only labels that differ tell the columns apart ("Number" and "%" under one arm are one value).
        if len(cols) < 2 or None in groups or len(set(groups)) < len(groups):
            continue
        for c, group in zip(cols, groups, strict=True):
            grouped[c] = replace(columns[c], arm=f"{arm}, {group}")
    return grouped


def _is_group_label(text: str, arm: str | None) -> bool:
    """A header naming a group of columns: no grade, unit or scale, and not the arm itself."""
    cleaned = clean_text(text)
    return bool(cleaned) and grade_band(text) is None and not _BARE_BAND.match(text) and not (
        rule("toxicity.column.unit_only.v1").regex.match(text) or _GRADING_SCALE.search(text)
        or _ALL_GRADES.match(cleaned) or (arm is not None and cleaned == arm.lower()))


def _is_grade_row(placed: list[tuple[int, TableCell]]) -> bool:
    """A header row of bare grades under the arms: "0 I II III IV 0 I II III IV"."""
    texts = [cell.text.strip() for col, cell in placed if col > 0 and cell.text.strip()]
    return len(texts) >= 3 and all(_BARE_BAND.match(t) or _GRADE_ZERO.match(t) for t in texts) and any(
        _GRADE_ZERO.match(t) or not t.isdigit() for t in texts)


def _arm(cells: list[TableCell], n_value_columns: int) -> str | None:
    unit_only = rule("toxicity.column.unit_only.v1").regex
    whole = rule("toxicity.column.whole_population.v1").regex
    for cell in reversed(cells):
        text = " ".join(cell.text.split())
        if grade_band(text) is not None or unit_only.match(text) or _BARE_BAND.match(text) or (
                _GRADE_HEADER.match(clean_text(text))) or _GRADING_SCALE.search(text) or _ALL_GRADES.match(clean_text(text)):
            continue
        if whole.match(text):
            return None
        # A header spanning every value column titles the table, not an arm.
        if cell.colspan >= n_value_columns and n_value_columns > 1:
            return None
        label = clean_arm(text)
        # "(N=134)" under an arm name is no label: look further up.
        if label is not None:
            return label
    return _arm_with_grade(cells[-1]) if cells else None


def _arm_with_grade(cell: TableCell) -> str | None:
    """The arm of a header printing it with its grade band, "Drug any grade", "Placebo grade >=3 (%)";
    None when the words left are no arm (a unit, a scale, adverse events)."""
    text = " ".join(cell.text.split())
    if grade_band(text) is None:
        return None
    rest = re.sub(r"[,;:]?\s*(?:n\s*)?\(\s*%\s*\)|,\s*(?:n|%)\s*$", "", remove_grades(text), flags=re.IGNORECASE).strip(" ,;:-")
    if not re.search(r"[A-Za-z]{2}", rest) or _GRADING_SCALE.search(rest) or _ALL_GRADES.match(clean_text(rest)) or rule(
            "toxicity.table.adverse_events.v1").regex.search(rest) or rule("toxicity.column.unit_only.v1").regex.match(rest):
        return None
    return clean_arm(rest)


def _caption_percent(caption: str, headers: list[TableRow]) -> bool:
    """A caption saying its numbers are percents ("toxicity (% of cycles)") over headers naming no count."""
    header = " ".join(cell.text for row in headers for cell in row.cells)
    count_named = rule("toxicity.column.count_named.v1").regex
    return bool(rule("toxicity.table.percent_caption.v1").regex.search(caption)) and not (
        count_named.search(caption) or count_named.search(header))


def _percent_only(cells: list[TableCell]) -> bool:
    # A column headed "%" under an arm "(N = 49)" beside a "Number" column holds percentages.
    if cells and re.fullmatch(r"[(\[]?\s*%\s*[)\]]?", cells[-1].text.strip()):
        return True
    text = " ".join(cell.text for cell in cells)
    percent = rule("toxicity.column.percent_only.v1").regex.search(text)
    return percent is not None and rule("toxicity.column.count_named.v1").regex.search(text) is None


def is_section_row(placed: list[tuple[int, TableCell]]) -> bool:
    """A row naming a group of the rows below: only its first cell holds text."""
    return bool(placed) and all(not cell.text.strip() for col, cell in placed[1:]) and (
        len(placed) == 1 or any(cell.text.strip() for _, cell in placed[:1])
    )


def section_context(table: Table, row: TableRow, headers: list[TableRow],
                    width: int) -> tuple[GradeBand | None, str | None]:
    """Grade band and treatment period ('course 1') set by section rows above the row."""
    grade: GradeBand | None = None
    period: str | None = None
    period_rule = rule("toxicity.column.period.v1").regex
    for other in table.rows:
        if _same_row(row, other):
            break
        if any(_same_row(other, h) for h in headers):
            continue
        placed = grid_cells(other, width)
        if not is_section_row(placed):
            continue
        text = " ".join(placed[0][1].text.split())
        band = grade_band(text)
        if band is not None:
            grade = band
        elif period_rule.search(text):
            period = clean_text(text)
        else:
            # A section row of another kind ("Side effects") ends the period above it.
            period = None
    return grade, period


def parse_cell(text: str, percent_only: bool) -> Value | None:
    """The numbers of a value cell, or None for zero, NA, '-' and other empty cells."""
    cleaned = re.sub(r"[*\u2020\u2021\u00a7\u00b6]+$", "", normalise_number_text(" ".join(text.split())))
    # A footnote letter printed after the value: "12 (5%)a".
    cleaned = re.sub(r"(?<=[)\]%])\s?[a-z]$", "", cleaned)
    cleaned = cleaned.replace("\u2009", "").replace("\u00a0", " ").strip()
    if cleaned.lower() in _EMPTY_VALUES:
        return None
    for cell_rule in rules("toxicity.cell."):
        match = cell_rule.regex.match(cleaned)
        if match is None:
            continue
        groups = match.groupdict()
        n = parse_int(groups["n"]) if groups.get("n") else None
        of = parse_int(groups["of"]) if groups.get("of") else None
        percent = parse_number(groups["pct"]) if groups.get("pct") and not groups.get("lt") else None
        if groups.get("num"):
            number = parse_number(groups["num"])
            if percent_only:
                percent = number
            elif not _DECIMAL.search(groups["num"]):
                # "17.0" under a column that names no unit is a percent or a mean, never a count.
                n = parse_int(groups["num"])
        if not n and not percent:
            return None
        if percent is not None and percent > 100:
            return None
        return Value(n=n or None, of=of, percent=percent, rule_id=cell_rule.id, confidence=cell_rule.confidence)
    return None
