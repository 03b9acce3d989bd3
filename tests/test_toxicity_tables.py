"""Adverse events from tables: hand-made tables shaped like real JATS tables, and a real paper."""

from typing import Any

import pytest

from extractor.components.toxicity_tables import parse_cell
from extractor.parsers import paper_id_for, parse_paper
from extractor.pipeline import extract_records
from schemas import AdverseEvent, Document, Section, Table, TableCell, TableRow
from tests.conftest import PAPERS

# A header cell: text, colspan and, when the parser gave it, its grid column.
Head = tuple[str, int, int | None]


def _document(caption: str, header: list[list[Head]], body: list[list[str]], label: str = "Table 3") -> Document:
    """A Document holding one table; each row is a line of cells joined by single spaces."""
    lines: list[tuple[bool, list[Head]]] = [(True, row) for row in header]
    lines += [(False, [(text, 1, None) for text in row]) for row in body]
    text = f"{label} {caption}\n"
    rows = []
    for is_header, cells in lines:
        start, placed = len(text), []
        for cell_text, span, column in cells:
            offset = len(text)
            placed.append(TableCell(text=cell_text, start=offset, end=offset + len(cell_text), header=is_header,
                                    column=column, colspan=span))
            text += cell_text + " "
        text = text[:-1] + "\n"
        rows.append(TableRow(cells=placed, start=start, end=len(text) - 1, header=is_header))
    table = Table(label=label, caption=caption, section="results", start=0, end=len(text) - 1, rows=rows)
    return Document(paper_id=paper_id_for(text.encode()), source_path="<test>", stem="test", format="jats",
                    text=text, sections=[Section(label="results", start=0, end=len(text))], tables=[table])


def _events(document: Document) -> list[dict[str, Any]]:
    return [r.model_dump(exclude={"provenance", "kind"}) for r in extract_records(document)
            if isinstance(r, AdverseEvent)]


def _event(term: str, grade: str, arm: str | None, n: int | None, percent: float | None) -> dict[str, Any]:
    return {"term": term, "grade": grade, "arm": arm, "n": n, "of": None, "percent": percent}


def test_arms_over_grades_with_p_value_column() -> None:
    # REAL3 Table 3: arm cells spanning four grade columns, a P value column, no grid columns given.
    header: list[list[Head]] = [
        [("", 1, None), ("EOC group (n=266)", 4, None), ("mEOC+P group (n=276)", 4, None), ("p value", 1, None)],
        [("", 1, None), *[(g, 1, None) for g in ("Grade 1–2", "Grade 3", "Grade 4", "Grade 3–5") * 2], ("", 1, None)],
    ]
    body = [
        ["Vomiting", "111 (42%)", "23 (9%)", "0", "23 (9%)", "114 (41%)", "22 (8%)", "1 (<1%)", "23 (8%)", "1·00"],
        ["Any grade 3–5 toxicity", "NA", "NA", "NA", "166 (62%)", "NA", "NA", "NA", "187 (68%)", "0·21"],
    ]
    events = _events(_document("Reported toxicities according to treatment group", header, body))
    assert events == [
        _event("vomiting", "1-2", "EOC", 111, 42.0),
        _event("vomiting", "3", "EOC", 23, 9.0),
        _event("vomiting", ">=3", "EOC", 23, 9.0),
        _event("vomiting", "1-2", "mEOC+P", 114, 41.0),
        _event("vomiting", "3", "mEOC+P", 22, 8.0),
        _event("vomiting", "4", "mEOC+P", 1, None),
        _event("vomiting", ">=3", "mEOC+P", 23, 8.0),
        _event("any adverse event", ">=3", "EOC", 166, 62.0),
        _event("any adverse event", ">=3", "mEOC+P", 187, 68.0),
    ]


def test_row_spanning_stub_and_unit_row() -> None:
    # SUN 1107 Table 4: "Adverse event" spans three header rows; "n (%)" spans all value columns.
    header: list[list[Head]] = [
        [("Adverse event", 1, 0), ("n (%)", 6, 1)],
        [("Sunitinib (N = 238)", 3, 1), ("Capecitabine (N = 240)", 3, 4)],
        [(g, 1, c) for c, g in enumerate(("Any grade", "Grade 3", "Grade 4") * 2, start=1)],
    ]
    body = [["Decreased platelet count", "28 (12)", "12 (5)", "3 (1)", "3 (1)", "0", "0"],
            ["Hand–foot syndrome", "77 (32)", "19 (8)", "0", "146 (61)", "38 (16)", "0"]]
    events = _events(_document("Treatment-related adverse events occurring in at least 10% of patients", header, body))
    assert events == [
        _event("platelet count decreased", "any", "sunitinib", 28, 12.0),
        _event("platelet count decreased", "3", "sunitinib", 12, 5.0),
        _event("platelet count decreased", "4", "sunitinib", 3, 1.0),
        _event("platelet count decreased", "any", "capecitabine", 3, 1.0),
        _event("hand-foot syndrome", "any", "sunitinib", 77, 32.0),
        _event("hand-foot syndrome", "3", "sunitinib", 19, 8.0),
        _event("hand-foot syndrome", "any", "capecitabine", 146, 61.0),
        _event("hand-foot syndrome", "3", "capecitabine", 38, 16.0),
    ]


def test_percent_columns_mean_grade_and_course_rows() -> None:
    # AML16 Table 3: "% grade 3–4" and "Mean grade" per arm; "Course 1" section rows; resource-use rows.
    header: list[list[Head]] = [
        [("Toxicity", 1, 0), ("DA", 2, 1), ("DClo", 2, 3), ("P-value", 1, 5)],
        [("% grade 3–4", 1, 1), ("Mean grade", 1, 2), ("% grade 3–4", 1, 3), ("Mean grade", 1, 4)],
    ]
    body = [["Course 1"], ["Liver ALT", "4%", "0.6", "6%", "0.7", "0.3"],
            ["Median days to neutrophil recovery", "20", "24", "<0.0001"],
            ["Course 2"], ["Oral", "1%", "0.4", "1%", "0.4", "0.9"]]
    events = _events(_document("Toxicity outcomes", header, body))
    assert events == [
        _event("alanine aminotransferase increased", "3-4", "DA, course 1", None, 4.0),
        _event("alanine aminotransferase increased", "3-4", "DClo, course 1", None, 6.0),
        _event("oral toxicity", "3-4", "DA, course 2", None, 1.0),
        _event("oral toxicity", "3-4", "DClo, course 2", None, 1.0),
    ]


def test_single_arm_counts_under_grade_columns() -> None:
    header: list[list[Head]] = [[("Toxicity", 1, None), ("Grade 3", 1, None), ("Grade 4", 1, None)]]
    body = [["AST elevation", "3", "1"], ["Hypokalemia", "8", "-"], ["Neutropenia", "4", "16 any febrile neutropenia"]]
    events = _events(_document("Grade 3 and 4 toxicities that occurred in more than 10% of subjects", header, body))
    assert events == [
        _event("aspartate aminotransferase increased", "3", None, 3, None),
        _event("aspartate aminotransferase increased", "4", None, 1, None),
        _event("hypokalemia", "3", None, 8, None),
        _event("neutropenia", "3", None, 4, None),
        _event("neutropenia", "4", None, 16, None),
    ]


def test_caption_grade_and_unmarked_header_row() -> None:
    # No header row marked by the parser: the first row, holding no value, is read as the header.
    body = [["Event", "Arm A (n = 50)", "Arm B (n = 48)"], ["Anaemia", "5 (10%)", "2 (4%)"],
            ["Grade ≥3"], ["Fatigue", "3 (6%)", "1 (2%)"]]
    events = _events(_document("Grade 3 or 4 adverse events", [], body))
    assert events == [
        _event("anemia", "3-4", "arm A", 5, 10.0),
        _event("anemia", "3-4", "arm B", 2, 4.0),
        _event("fatigue", ">=3", "arm A", 3, 6.0),
        _event("fatigue", ">=3", "arm B", 1, 2.0),
    ]


def test_tables_that_are_not_adverse_events() -> None:
    header: list[list[Head]] = [[("Characteristic", 1, None), ("Sunitinib (N = 238)", 1, None)]]
    body = [["Tumour grade 3", "120 (50%)"], ["Neutropenia at baseline", "4 (2%)"]]
    assert _events(_document("Patient characteristics at baseline", header, body, label="Table 1")) == []
    dlt_header: list[list[Head]] = [[("Dose level", 1, None), ("Grade 3", 1, None)]]
    assert _events(_document("Dose-limiting toxicities by dose level", dlt_header, [["Rash", "2"]])) == []


@pytest.mark.parametrize(("cell", "percent_only", "expected"), [
    ("111 (42%)", False, (111, None, 42.0)),
    ("1 (<1%)", False, (1, None, None)),
    ("94 (40)", False, (94, None, 40.0)),
    ("12/40 (30%)", False, (12, 40, 30.0)),
    ("12 (5%)a", False, (12, None, 5.0)),
    ("5%", False, (None, None, 5.0)),
    ("5", True, (None, None, 5.0)),
    ("5", False, (5, None, None)),
    ("12.5% (5)", False, (5, None, 12.5)),
    ("7.9% [n = 3]", False, (3, None, 7.9)),
    ("<1% (1)", False, (1, None, None)),
])
def test_cell_values(cell: str, percent_only: bool, expected: tuple[int | None, int | None, float | None]) -> None:
    value = parse_cell(cell, percent_only)
    assert value is not None
    assert (value.n, value.of, value.percent) == expected


@pytest.mark.parametrize("cell", ["0", "NA", "-", "–", "..", "0 (0)", "<1%", "", "0·42 (0·3–0·6)", "17.0", "2·5"])
def test_cells_that_are_no_fact(cell: str) -> None:
    assert parse_cell(cell, False) is None


def test_real_table_sun1107() -> None:
    document = parse_paper(PAPERS / "PMC2855860.nxml")
    events = {(e["term"], e["grade"], e["arm"], e["n"], e["percent"]) for e in _events(document)}
    assert ("hand-foot syndrome", "3", "capecitabine", 38, 16.0) in events
    assert ("nausea", "3", "capecitabine", 1, None) in events
    assert ("mucosal inflammation", "4", "capecitabine", 1, None) in events
    assert not any(term == "hand-foot syndrome" and grade == "4" for term, grade, *_ in events)


def test_category_column_split_counts_and_bare_grades() -> None:
    # A category cell spanning rows on the left, "Grade" over bare band headers, n and % in two columns.
    header: list[list[Head]] = [
        [("Category", 1, 0), ("Adverse event", 1, 1), ("Grade", 4, 2)],
        [("1–2", 2, 2), ("3–4", 2, 4)],
        [("n", 1, 2), ("%", 1, 3), ("n", 1, 4), ("%", 1, 5)],
    ]
    body = [["Hematologic", "Neutropenia", "4", "10", "12", "30"]]
    document = _document("Adverse events", header, body)
    table = document.tables[0]
    # The second row has no category cell: its event is in column 1.
    second_cells = [("Anemia", 1), ("2", 2), ("5", 3), ("0", 4), ("0", 5)]
    start = len(document.text)
    text, cells = document.text, []
    for cell_text, column in second_cells:
        cells.append(TableCell(text=cell_text, start=len(text), end=len(text) + len(cell_text), column=column))
        text += cell_text + " "
    text = text[:-1]
    table.rows.append(TableRow(cells=cells, start=start, end=len(text)))
    table.end = len(text)
    document = document.model_copy(update={"text": text, "sections": [Section(label="results", start=0, end=len(text))]})
    assert _events(document) == [
        _event("neutropenia", "1-2", None, 4, 10.0),
        _event("neutropenia", "3-4", None, 12, 30.0),
        _event("anemia", "1-2", None, 2, 5.0),
    ]


def test_arm_above_size_row_and_summary_rows() -> None:
    # A listing layout: arm names over "Any Grade (%)"/"Grade 3-4 (%)" columns over "(N=134)" cells.
    header: list[list[Head]] = [
        [("", 1, None), ("A: Drug X", 2, None), ("B: Placebo", 2, None)],
        [("", 1, None), ("Any Grade (%)", 1, None), ("Grade 3-4 (%)", 1, None),
         ("Any Grade (%)", 1, None), ("Grade 3-4 (%)", 1, None)],
        [("", 1, None), ("(N=134)", 1, None), ("(N=134)", 1, None), ("(N=132)", 1, None), ("(N=132)", 1, None)],
    ]
    body = [["Total number of patients with at least one adverse event", "78 (58.2%)", "0", "75 (56%)", "0"],
            ["Total AEs", "609", "12", "622", "10"],
            ["AE leading to withdrawal from treatment", "3 (2.2%)", "0", "6 (4.5%)", "0"]]
    events = _events(_document("Adverse events by highest NCI CTCAE grade", header, body))
    assert events == [
        _event("any adverse event", "any", "A: Drug X", 78, 58.2),
        _event("any adverse event", "any", "B: Placebo", 75, 56.0),
    ]


def test_safety_table_keeps_known_terms_only() -> None:
    header: list[list[Head]] = [[("Outcome", 1, None), ("Arm A (n = 50)", 1, None), ("Arm B (n = 48)", 1, None)]]
    body = [["Overall response", "20 (40%)", "15 (31%)"], ["Tumour flare", "3 (6%)", "1 (2%)"],
            ["Febrile neutropenia", "5 (10%)", "4 (8%)"]]
    events = _events(_document("Efficacy and safety outcomes", header, body, label="Table 2"))
    assert events == [_event("febrile neutropenia", "any", "arm A", 5, 10.0),
                      _event("febrile neutropenia", "any", "arm B", 4, 8.0)]


def test_outcome_table_listing_side_effects_gives_only_known_adverse_events() -> None:
    """A secondary-outcomes table that also lists side effects (PROGRESS, PLoS Med 2017):
    outcomes such as tocolytic therapy are not adverse events, and a section row such as
    'Psychological health at 34 weeks' is not a treatment period of the arm."""
    from extractor.parsers import parse_paper
    from extractor.pipeline import extract_records
    from tests.conftest import ROOT

    document = parse_paper(ROOT / "tests" / "fixtures" / "pdf-xml-pairs" / "PMC5614421.xml")
    events = {(r.arm, r.term, r.n, r.of) for r in extract_records(document) if r.kind == "adverse_event"}
    assert ("progesterone", "headache", 39, 394) in events
    assert ("placebo", "nausea", 24, 382) in events
    assert not any("tocolytic" in term or "corticosteroid" in term for _, term, _, _ in events)
    assert all(arm in {"progesterone", "placebo"} for arm, _, _, _ in events)


@pytest.mark.parametrize("label", ["III–IV", "0 / no toxicity", "Grade 3", "Age > = 70", "PTV volume < 165", "No ADT",
                                   "Missing data", "Control group", "All", "Serious", "Non-serious", "Others",
                                   "Stable disease", "Progressive disease", "Death", "Lost to follow-up", "Withdrew consent"])
def test_rows_that_are_no_adverse_event_give_no_term(label: str) -> None:
    from extractor.components.toxicity_tables import row_term

    assert row_term(label) is None


def test_a_footnote_letter_on_a_grade_header_and_roman_grade_rows() -> None:
    from extractor.components.toxicity_tables import column_meanings
    from schemas import TableCell, TableRow

    def row(*texts: str, header: bool = True) -> TableRow:
        cells = [TableCell(text=t, start=0, end=max(1, len(t)), header=header, column=i) for i, t in enumerate(texts)]
        return TableRow(cells=cells, start=0, end=1, header=header)

    grades = column_meanings([row("", "Any grade", "Grade 3a")], 3)
    assert [grades[1].grade, grades[2].grade] == ["any", "3"]
    roman = column_meanings([row("Toxicity", "0", "I", "II", "III", "IV")], 6)
    assert 1 not in roman and [roman[c].grade for c in (2, 3, 4, 5)] == ["1", "2", "3", "4"]


@pytest.mark.parametrize(("label", "term"), [("Cognitive disorder/memory impairment d", "cognitive disorder/memory impairment"),
                                           ("Hepatitis B", "hepatitis b"),
                                           ("Neutropeniaa", "neutropenia"),
                                           ("Hemoglobin elevationb", "hemoglobin elevation"),
                                           ("Bone marrow aplasia", "bone marrow aplasia"),
                                           ("Lymphangitis carcinomatosa", "lymphangitis carcinomatosa")])
def test_a_footnote_letter_set_apart_is_no_part_of_the_term(label: str, term: str) -> None:
    from extractor.components.toxicity_tables import row_term

    assert row_term(label) == term


def test_grade_rows_under_a_term_heading_take_its_term() -> None:

    lines = [("", "XELIRI", "FOLFIRI"), ("Diarrhoea",), ("Grade 1", "1 (2%)", "4 (8%)"), ("Grade 3", "1 (2%)", "2 (4%)")]
    text, rows = "", []
    for i, cells in enumerate(lines):
        row_cells, start = [], len(text)
        for col, cell in enumerate(cells):
            text += cell
            row_cells.append(TableCell(text=cell, start=len(text) - len(cell), end=len(text), header=i == 0, column=col))
            text += " "
        rows.append(TableRow(cells=row_cells, start=start, end=len(text) - 1, header=i == 0))
        text = text[:-1] + "\n"
    caption = "Adverse events, n (%)"
    table = Table(label="Table 3", caption=caption, section="results", start=0, end=len(text), rows=rows)
    document = Document(paper_id=paper_id_for(text.encode()), source_path="<test>", stem="t", format="text", text=text,
                        sections=[Section(label="results", title=None, start=0, end=len(text))], tables=[table])
    found = {(r.term, r.grade, r.n, r.arm) for r in extract_records(document) if r.kind == "adverse_event"}
    assert found == {("diarrhea", "1", 1, "XELIRI"), ("diarrhea", "1", 4, "FOLFIRI"),
                     ("diarrhea", "3", 1, "XELIRI"), ("diarrhea", "3", 2, "FOLFIRI")}


def _header(*texts: str) -> "TableRow":
    cells = [TableCell(text=t, start=0, end=max(1, len(t)), header=True, column=i) for i, t in enumerate(texts)]
    return TableRow(cells=cells, start=0, end=1, header=True)


def test_all_under_an_arm_beside_graded_columns_means_all_grades() -> None:
    from extractor.components.toxicity_tables import column_meanings

    columns = column_meanings([_header("Adverse event", "DZ group (N = 49)", "DZ group (N = 49)"),
                               _header("", "All", "≥Grade 3")], 3)
    assert [(columns[c].grade, columns[c].arm) for c in (1, 2)] == [("any", "DZ"), (">=3", "DZ")]


def test_a_percent_column_beside_a_number_column_and_g3_4_headers() -> None:
    from extractor.components.toxicity_tables import column_meanings

    columns = column_meanings([_header("Toxicity", "Simvastatin (n=134)", "Simvastatin (n=134)", "Simvastatin (n=134)"),
                               _header("", "Number", "%", "G3–4")], 4)
    assert [columns[1].percent_only, columns[2].percent_only] == [False, True]
    assert columns[3].grade == "3-4" and columns[3].arm == "simvastatin"


def test_the_period_over_arm_columns_is_part_of_the_arm() -> None:
    from extractor.components.toxicity_tables import column_meanings

    columns = column_meanings([_header("Toxicity", "First chemotherapy cycle", "First chemotherapy cycle",
                                       "During radiotherapy", "During radiotherapy"),
                               _header("", "Arm A (n=63)", "Arm B (n=61)", "Arm A (n=63)", "Arm B (n=61)")], 5)
    assert [columns[c].arm for c in (1, 2, 3, 4)] == [
        "arm A, first chemotherapy cycle", "arm B, first chemotherapy cycle",
        "arm A, during radiotherapy", "arm B, during radiotherapy"]


@pytest.mark.parametrize(("caption", "header", "body", "expected"), [
    pytest.param(  # term rows spanning the table, grade rows carrying roman bands only
        "Hematological toxicities",
        [[("", 1, 0), ("Group 1 TE (60) N (%)", 1, 1), ("Group 2 TEL (61) N (%)", 1, 2)]],
        [["Leukopenia"], ["I–II", "26 (43.3)", "29 (47.5)"], ["III–IV", "14 (23.3)", "20 (32.8)"]],
        [("leukopenia", "1-2", "Group 1 TE", 26, 43.3), ("leukopenia", "1-2", "Group 2 TEL", 29, 47.5),
         ("leukopenia", "3-4", "Group 1 TE", 14, 23.3), ("leukopenia", "3-4", "Group 2 TEL", 20, 32.8)],
        id="roman-rows-under-a-heading"),
    pytest.param(  # one event named by the caption, its grades as rows
        "Skin toxicity graded according to NCI CTCAE 4.0, worst per patient",
        [[("NCI CTCAE grade", 1, 0), ("Doxycycline", 1, 1), ("Erythromycin", 1, 2)]],
        [["N", "41", "39"], ["1", "12 (29%)", "9 (23%)"], ["3", "8 (20%)", "15 (38%)"]],
        [("skin toxicity", "1", "doxycycline", 12, 29.0), ("skin toxicity", "1", "erythromycin", 9, 23.0),
         ("skin toxicity", "3", "doxycycline", 8, 20.0), ("skin toxicity", "3", "erythromycin", 15, 38.0)],
        id="grade-rows-of-the-caption-event"),
])
def test_bare_grade_rows_take_the_event_above_them(caption: str, header: list[list[Head]], body: list[list[str]],
                                                   expected: list[tuple[str, str, str, int, float]]) -> None:
    assert _events(_document(caption, header, body)) == [_event(*row) for row in expected]


@pytest.mark.parametrize(("label", "term"), [("Grade 1–5 AEs, n (%)", "any adverse event"),
                                           ("Serious AEs, n", "serious adverse event"),
                                           ("Fatigue (%)", "fatigue"),
                                           ("≥1 AE", "any adverse event"),
                                           ("≥1 serious AE", "serious adverse event")])
def test_a_unit_after_the_row_label_is_no_part_of_the_term(label: str, term: str) -> None:
    from extractor.components.toxicity_tables import row_term

    assert row_term(label) == term


def test_arm_sizes_over_percent_columns_give_percents() -> None:
    # "(N = 47)" under an arm is its size, not a count unit: "All grades (%)" cells stay percents.
    header: list[list[Head]] = [
        [("Toxicity", 1, None), ("Cohort one (N = 47)", 2, None), ("Cohort two (N = 31)", 2, None)],
        [("All grades (%)", 1, None), ("Grade 3–4 (%)", 1, None), ("All grades (%)", 1, None),
         ("Grade 3–4 (%)", 1, None)],
    ]
    body = [["Neuropathy", "72.3", "17.0", "19.4", "3.2"]]
    events = _events(_document("Frequency of common toxicities", header, body))
    assert events == [
        _event("peripheral neuropathy", "any", "cohort one", None, 72.3),
        _event("peripheral neuropathy", "3-4", "cohort one", None, 17.0),
        _event("peripheral neuropathy", "any", "cohort two", None, 19.4),
        _event("peripheral neuropathy", "3-4", "cohort two", None, 3.2),
    ]


def test_a_caption_in_percent_makes_bare_cells_percents() -> None:
    header: list[list[Head]] = [[("", 1, None), ("Grade 3", 1, None), ("Grade 4", 1, None)]]
    body = [["Neutropenia", "38", "20"], ["Anaemia", "4", "—"]]
    events = _events(_document("Haematological toxicity (% of courses)", header, body))
    assert events == [
        _event("neutropenia", "3", None, None, 38.0),
        _event("neutropenia", "4", None, None, 20.0),
        _event("anemia", "3", None, None, 4.0),
    ]


def test_slashed_pairs_that_are_no_fraction_give_no_counts() -> None:
    # "single/multiple" events: 10/6 cannot be 10 of 6 patients, so no slashed cell of the table is n/N.
    header: list[list[Head]] = [
        [("", 1, None), ("Grade I or II", 2, None), ("Grade III or IV", 2, None)],
        [("", 1, None), ("Arm A", 1, None), ("Arm B", 1, None), ("Arm A", 1, None), ("Arm B", 1, None)],
    ]
    body = [["Mucosa (single/multiple)", "14/18", "12/7", "0/0", "0/0"], ["Liver", "3/9", "4/4", "0/1", "0/0"]]
    assert _events(_document("Organ toxicity by treatment arm", header, body)) == []
    fractions = [["Mucositis", "14/18", "12/17", "0/18", "0/17"]]
    assert len(_events(_document("Organ toxicity by treatment arm", header, fractions))) == 2


def test_strata_of_a_covariate_are_no_events() -> None:
    # A row "Hormone therapy" beside "No hormone therapy" is a stratum of toxicity rates, not an event.
    header: list[list[Head]] = [[("Characteristic", 1, None), ("Arm A (%)", 1, None), ("Arm B (%)", 1, None)]]
    body = [["Hormone therapy", "8 (7.6)", "13 (11.6)"], ["No hormone therapy", "10 (9.5)", "10 (8.9)"],
            ["Diarrhoea", "4 (3.8)", "6 (5.4)"]]
    events = _events(_document("Grade 2 or worse acute bowel toxicity by treatment arm", header, body))
    assert [e["term"] for e in events] == ["diarrhea", "diarrhea"]
    assert _events(_document("Maximum acute toxicity and clinical parameters", header, body)) == []


def test_group_headers_over_repeated_arms_tell_the_columns_apart() -> None:
    # "All patients" and "Patients over 70" each over the same two arms: four columns, four arms.
    header: list[list[Head]] = [
        [("Event, n (%)", 1, None), ("All patients", 4, None), ("Patients over 70", 4, None)],
        [("", 1, None), ("Drug A (n = 200)", 2, None), ("Drug B (n = 198)", 2, None),
         ("Drug A (n = 30)", 2, None), ("Drug B (n = 28)", 2, None)],
        [("", 1, None), *[(g, 1, None) for g in ("All grades", "Grade ≥3") * 4]],
    ]
    body = [["Diarrhoea", "90 (45)", "12 (6)", "60 (30)", "5 (3)", "15 (50)", "3 (10)", "9 (32)", "0"]]
    events = _events(_document("Common adverse events", header, body))
    assert [(e["arm"], e["grade"], e["n"]) for e in events] == [
        ("Drug A, all patients", "any", 90), ("Drug A, all patients", ">=3", 12),
        ("Drug B, all patients", "any", 60), ("Drug B, all patients", ">=3", 5),
        ("Drug A, patients over 70", "any", 15), ("Drug A, patients over 70", ">=3", 3),
        ("Drug B, patients over 70", "any", 9),
    ]


def test_a_column_of_patients_assessed_is_no_count_of_events() -> None:
    header: list[list[Head]] = [
        [("", 1, None), ("Arm A", 3, None), ("Arm B", 3, None)],
        [("", 1, None), *[(g, 1, None) for g in ("Total patients", "Grade 1–2", "Grade 3") * 2]],
    ]
    body = [["Nausea", "529", "317 (60%)", "36 (7%)", "525", "303 (58%)", "23 (4%)"]]
    events = _events(_document("Adverse events during chemotherapy", header, body))
    assert [(e["arm"], e["grade"], e["n"]) for e in events] == [
        ("arm A", "1-2", 317), ("arm A", "3", 36), ("arm B", "1-2", 303), ("arm B", "3", 23)]


def test_label_rows_left_in_the_body_under_the_header_head_the_columns() -> None:
    # The parser marked only the arm row as header; the grade and unit rows came as body rows.
    header: list[list[Head]] = [[("", 1, None), ("Drug X (n=78)", 2, None), ("Control (n=75)", 2, None)]]
    body = [["Adverse event", "All grades", "Grade≥3", "All grades", "Grade≥3"], ["N (%)", "", "", "", ""],
            ["Rash", "37(47.4%)", "2 (2.6%)", "34 (44.2%)", "1 (1.3%)"]]
    events = _events(_document("Treatment-related adverse events", header, body))
    assert events == [
        _event("rash", "any", "Drug X", 37, 47.4), _event("rash", ">=3", "Drug X", 2, 2.6),
        _event("rash", "any", "control", 34, 44.2), _event("rash", ">=3", "control", 1, 1.3),
    ]
    zeros = [["Leakage", "0", "-", "0", "-"], ["Pneumonia", "1", "0", "2", "0"]]
    assert [(e["term"], e["n"]) for e in _events(_document("Complications", header, zeros))] == [
        ("pneumonia", 1), ("pneumonia", 2)]


def test_a_short_known_label_names_its_row() -> None:
    header: list[list[Head]] = [[("Adverse event, n (%)", 1, None), ("Any grade (n = 507)", 1, None),
                                 ("≥Grade 3 (n = 507)", 1, None)]]
    body = [["≥1 AE", "447 (88.2)", "217 (42.8)"], ["Fatigue", "198 (39.1)", "50 (9.9)"]]
    events = _events(_document("Summary of adverse events according to grade", header, body))
    assert [(e["term"], e["grade"], e["n"]) for e in events] == [
        ("any adverse event", "any", 447), ("any adverse event", ">=3", 217), ("fatigue", "any", 198),
        ("fatigue", ">=3", 50)]


def test_above_grade_header_is_grade_3_or_more_and_patients_with_graded_aes_is_a_summary_row() -> None:
    # "> Grade 3 (%)" beside "All grades (%)" counts grade 3 or worse; "Patients with NCI-CTC grade 3
    # or 4 AEs" is the any-adverse-event row of a grade 3-4 table.
    header: list[list[Head]] = [
        [("Toxicity", 1, 0), ("Drug A (N = 40)", 2, 1), ("Drug B (N = 28)", 2, 3)],
        [("", 1, 0), ("All grades (%)", 1, 1), (">Grade 3 (%)", 1, 2), ("All grades (%)", 1, 3), (">Grade 3 (%)", 1, 4)],
    ]
    body = [["Mucositis", "12.5", "5.0", "10.7", "0"]]
    events = _events(_document("Frequency of common toxicities", header, body))
    assert events == [
        _event("mucositis", "any", "Drug A", None, 12.5),
        _event("mucositis", ">=3", "Drug A", None, 5.0),
        _event("mucositis", "any", "Drug B", None, 10.7),
    ]
    header = [[("AEs", 1, 0), ("Drug A (n = 40)", 1, 1), ("Drug B (n = 44)", 1, 2)]]
    body = [["Patients with NCI-CTC toxicity grade 3 or 4 AEs", "30 (75%)", "26 (59%)"], ["Headache", "4 (10%)", "3 (7%)"]]
    events = _events(_document("Patients with grade 3/4 adverse events in ≥10% of patients", header, body))
    assert events == [
        _event("any adverse event", "3-4", "Drug A", 30, 75.0),
        _event("any adverse event", "3-4", "Drug B", 26, 59.0),
        _event("headache", "3-4", "Drug A", 4, 10.0),
        _event("headache", "3-4", "Drug B", 3, 7.0),
    ]


def test_percentage_of_patients_header_spanning_the_arms_makes_bare_numbers_percents() -> None:
    # "Percentage of patients in each category" spanning both arms names the unit, not an arm, and
    # the bare numbers below it are percents (its "patients" names no count).
    header: list[list[Head]] = [
        [("", 1, 0), ("Drug A+5-FU (N=56)", 1, 1), ("Drug B+5-FU (N=58)", 1, 2)],
        [("Adverse event category", 1, 0), ("Percentage of patients in each category", 2, 1)],
    ]
    body = [["Neutropenia", "9", "57"], ["Diarrhoea", "18", "0"]]
    events = _events(_document("Grade 3 or 4 toxicity according to NCIC-CTC", header, body))
    assert events == [
        _event("neutropenia", "3-4", "Drug A+5-FU", None, 9.0),
        _event("neutropenia", "3-4", "Drug B+5-FU", None, 57.0),
        _event("diarrhea", "3-4", "Drug A+5-FU", None, 18.0),
    ]


def test_grade_column_gives_each_row_its_grade() -> None:
    # "Toxicity | Grade | Arm A | Arm B": the grade column is no count, and a blank term cell (a term
    # spanning its grade rows) takes the term of the row above.
    header: list[list[Head]] = [[("Toxicity", 1, None), ("Grade", 1, None), ("Arm A (n=30)", 1, None),
                                 ("Arm B (n=30)", 1, None)]]
    body = [["Neutropenia", "3", "5 (16.7)", "4 (13.3)"], ["", "4", "2 (6.7)", "1 (3.3)"],
            ["Anaemia", "3", "3 (10)", "2 (6.7)"]]
    events = _events(_document("Haematological toxicity", header, body))
    assert events == [
        _event("neutropenia", "3", "arm A", 5, 16.7),
        _event("neutropenia", "3", "arm B", 4, 13.3),
        _event("neutropenia", "4", "arm A", 2, 6.7),
        _event("neutropenia", "4", "arm B", 1, 3.3),
        _event("anemia", "3", "arm A", 3, 10.0),
        _event("anemia", "3", "arm B", 2, 6.7),
    ]


def test_a_grade_header_over_counts_is_no_grade_column() -> None:
    # A column headed "Grade" whose cells are counts, not grades, stays a value column.
    header: list[list[Head]] = [[("Toxicity", 1, None), ("Grade", 1, None)]]
    body = [["Nausea", "12 (30)"], ["Fatigue", "9 (22.5)"]]
    events = _events(_document("Toxicity", header, body))
    assert [(e["term"], e["n"]) for e in events] == [("nausea", 12), ("fatigue", 9)]


def test_caption_ending_in_percent_makes_bare_numbers_percents() -> None:
    header: list[list[Head]] = [[("Event", 1, None), ("All grades", 1, None), ("Grade 3/4", 1, None)]]
    body = [["Diarrhoea", "45", "8"]]
    events = _events(_document("Adverse events, %", header, body))
    assert events == [_event("diarrhea", "any", None, None, 45.0), _event("diarrhea", "3-4", None, None, 8.0)]


def test_arm_printed_with_its_grade_in_one_header() -> None:
    # "Drug any grade | Drug grade ≥3 | Placebo any grade | Placebo grade ≥3": the arm is the words left
    # once the grade band is taken off.
    header: list[list[Head]] = [[("Adverse event", 1, None), ("Drug any grade", 1, None), ("Drug grade ≥3", 1, None),
                                 ("Placebo any grade", 1, None), ("Placebo grade ≥3", 1, None)]]
    body = [["Fatigue", "40 (40%)", "5 (5%)", "30 (31%)", "2 (2%)"]]
    events = _events(_document("Adverse events", header, body))
    assert events == [
        _event("fatigue", "any", "drug", 40, 40.0),
        _event("fatigue", ">=3", "drug", 5, 5.0),
        _event("fatigue", "any", "placebo", 30, 31.0),
        _event("fatigue", ">=3", "placebo", 2, 2.0),
    ]
    # A header of a grade and its unit only names no arm.
    header = [[("Adverse event", 1, None), ("Any grade, n (%)", 1, None), ("Grade 3–4, n (%)", 1, None)]]
    events = _events(_document("Adverse events", header, [["Fatigue", "40 (40%)", "5 (5%)"]]))
    assert events == [_event("fatigue", "any", None, 40, 40.0), _event("fatigue", "3-4", None, 5, 5.0)]


def test_adverse_events_by_dose_level_are_read_but_toxicities_by_dose_level_are_not() -> None:
    # A phase 1 table of adverse events per dose level has the dose levels for arms; "Toxicities by dose
    # level" may count dose-limiting toxicities and stays unread.
    header: list[list[Head]] = [[("Toxicity", 1, None), ("Dose level 1 (n=3)", 1, None), ("Dose level 2 (n=6)", 1, None)]]
    body = [["Fatigue", "1 (33)", "2 (33)"]]
    events = _events(_document("Treatment-related adverse events by dose level", header, body))
    assert [(e["term"], e["n"], e["arm"]) for e in events] == [("fatigue", 1, "Dose level 1"), ("fatigue", 2, "Dose level 2")]
    assert _events(_document("Toxicities by dose level", header, body)) == []


def test_any_grade_and_grade_at_least_rows_under_their_event() -> None:
    # "Neutropenia" heading its rows "Any grade" and "Grade ≥3".
    header: list[list[Head]] = [[("Adverse event", 1, None), ("Arm A (n=50)", 1, None), ("Arm B (n=50)", 1, None)]]
    body = [["Neutropenia", "", ""], ["Any grade", "30 (60)", "20 (40)"], ["Grade ≥3", "10 (20)", "5 (10)"]]
    events = _events(_document("Adverse events", header, body))
    assert events == [
        _event("neutropenia", "any", "arm A", 30, 60.0),
        _event("neutropenia", "any", "arm B", 20, 40.0),
        _event("neutropenia", ">=3", "arm A", 10, 20.0),
        _event("neutropenia", ">=3", "arm B", 5, 10.0),
    ]
