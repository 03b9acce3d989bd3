"""Response and early-mortality numbers read from table rows of the corpus papers (components.rates.table_row)."""

from functools import cache

import pytest

from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import Document, EarlyMortality, Response
from tests.conftest import PAPERS
from tests.table_documents import table_document

Row = tuple[str | None, str, int | None, int | None, float | None]


@cache
def _table_records(name: str) -> tuple[set[Row], set[Row]]:
    """(arm, outcome or window, n, of, percent) of the records a table row states."""
    records = extract_records(parse_paper(PAPERS / name))
    responses, deaths = set(), set()
    for record in records:
        if not any(p.rule_id.endswith(".table_row.v1") for p in record.provenance):
            continue
        if isinstance(record, Response):
            responses.add((record.arm, record.outcome, record.n, record.of, record.percent))
        elif isinstance(record, EarlyMortality):
            deaths.add((record.arm, record.window, record.n, record.of, record.percent))
    return responses, deaths


def test_two_arm_table_takes_arms_from_the_header() -> None:
    responses, _ = _table_records("PMC3669518.nxml")
    assert responses == {
        ("EOC", "CR", 5, None, 2.0), ("mEOC+P", "CR", 8, None, 3.0),
        ("EOC", "PR", 95, None, 40.0), ("mEOC+P", "PR", 108, None, 43.0),
    }


def test_percent_columns_and_statistics_columns() -> None:
    responses, deaths = _table_records("PMC5292678.nxml")
    assert responses == {
        ("DA", "CR", None, None, 64.0), ("DClo", "CR", None, None, 58.0),
        ("DA", "CRi", None, None, 6.0), ("DClo", "CRi", None, None, 8.0),
        ("DA", "CRc", None, None, 71.0), ("DClo", "CRc", None, None, 66.0),
        ("DA", "NR", None, None, 18.0), ("DClo", "NR", None, None, 24.0),
    }
    assert deaths == {
        ("DA", "induction", None, None, 11.0), ("DClo", "induction", None, None, 11.0),
        ("DA", "30 days", None, None, 9.0), ("DClo", "30 days", None, None, 8.0),
        ("DA", "60 days", None, None, 15.0), ("DClo", "60 days", None, None, 14.0),
    }


def test_label_with_percent_unit() -> None:
    responses, _ = _table_records("PMC2855860.nxml")
    assert responses == {("sunitinib", "ORR", None, None, 11.0), ("capecitabine", "ORR", None, None, 16.0)}


def test_n_percent_cells_under_a_percent_header() -> None:
    responses, _ = _table_records("PMC5787508.nxml")
    assert responses == {(None, "CR", 7, None, 28.0), (None, "PR", 4, None, 16.0)}


def test_plain_text_table_with_footnote_marks_and_mortality_rows() -> None:
    responses, deaths = _table_records("000_59df4b2ebd5e169b.txt")
    assert responses == {
        (None, "CR", 6, None, 16.0), (None, "CRi", 10, None, 27.0),
        (None, "PR", 1, None, 3.0), (None, "NR", 18, None, 49.0),
    }
    assert deaths == {(None, "4 weeks", 1, None, 3.0), (None, "8 weeks", 1, None, 3.0)}


def _one_table_document(caption: str, header: list[str], row: list[str], prose: str = "") -> Document:
    return table_document(caption, [header, row], prose)


@pytest.mark.parametrize(
    ("caption", "header", "row"),
    [
        ("Table 1 Baseline characteristics", ["Response to prior therapy", "n (%)"], ["CR", "10 (20)"]),
        ("Table 2 Response", ["", "Arm A", "Arm B"], ["Survival post CR", "20", "23"]),
        ("Table 2 Response", ["", "Arm A"], ["CR", "12"]),
    ],
    ids=["baseline-table", "not-an-outcome-label", "plain-number-without-unit"],
)
def test_table_rows_that_are_not_responses(caption: str, header: list[str], row: list[str]) -> None:
    records = extract_records(_one_table_document(caption, header, row))
    assert [r for r in records if r.kind in ("response", "mortality")] == []


def test_hand_made_table_row_is_read() -> None:
    document = _one_table_document("Table 2 Response", ["", "Arm A (n=20)", "Arm B (n=21)"], ["CR", "8 (40%)", "6 (29%)"])
    found = {(r.arm, r.outcome, r.n, r.percent) for r in extract_records(document) if isinstance(r, Response)}
    assert found == {("Arm A", "CR", 8, 40.0), ("Arm B", "CR", 6, 29.0)}


def _responses(document: Document) -> set[tuple[str | None, str, int | None, int | None, float | None]]:
    return {(r.arm, r.outcome, r.n, r.of, r.percent) for r in extract_records(document) if isinstance(r, Response)}


def test_outcome_columns_with_a_patient_count_column() -> None:
    document = _one_table_document(
        "Table 3 Tumour response by treatment group", ["Group", "n", "CR", "PR", "SD", "Response rate", "P"],
        ["Combination", "24", "2", "6", "9", "33.3% (8/24)", "0.04"])
    assert _responses(document) == {
        ("combination", "CR", 2, 24, None), ("combination", "PR", 6, 24, None), ("combination", "ORR", 8, 24, 33.3)}


def test_outcome_column_under_an_arm_with_a_subgroup_row() -> None:
    document = _one_table_document(
        "Table 2 Objective response by subgroup", ["Factor", "Arm A (n = 30) ORR, n (%)", "Arm B (n = 28) ORR, n (%)"],
        ["ECOG 0", "12 (70.6)", "8 (50.0)"])
    assert _responses(document) == {("Arm A, ECOG 0", "ORR", 12, None, 70.6), ("Arm B, ECOG 0", "ORR", 8, None, 50.0)}


def test_an_abbreviation_the_paper_defines_as_a_response_names_a_column() -> None:
    prose = "Tumours classified as CR or PR were defined as objective response (OR)."
    document = _one_table_document(
        "Table 2 Analysis of factors influencing outcomes", ["Factor", "Arm A OR (%)", "Arm B OR (%)"],
        ["Premenopausal", "14 (82.4)", "6 (46.2)"], prose)
    assert _responses(document) == {("Arm A, premenopausal", "ORR", 14, None, 82.4),
                                    ("Arm B, premenopausal", "ORR", 6, None, 46.2)}
    odds = "The odds ratio (OR) of response was estimated by logistic regression."
    document = _one_table_document(
        "Table 2 Analysis of factors influencing outcomes", ["Factor", "Arm A OR (%)", "Arm B OR (%)"],
        ["Premenopausal", "14 (82.4)", "6 (46.2)"], odds)
    assert _responses(document) == set()


@pytest.mark.parametrize(
    ("caption", "header", "row"),
    [
        ("Table 3 Response", ["Group", "CR", "PR"], ["Arm A", "2", "6"]),
        ("Table 3 Response", ["Group", "n", "Median time to CR (days)"], ["Arm A", "24", "21"]),
        ("Table 3 Response", ["Group", "n", "Prior CR, n (%)"], ["Arm A", "24", "5 (21)"]),
        ("Table 1 Baseline characteristics", ["Group", "n", "CR", "PR"], ["Arm A", "24", "2", "6"]),
        ("Table 3 Response", ["Group", "n", "CR"], ["Arm A", "24", "30"]),
    ],
    ids=["plain-numbers-without-patient-count", "time-to-outcome", "prior-response", "baseline-table",
         "count-above-the-patients"],
)
def test_outcome_columns_that_are_no_counts(caption: str, header: list[str], row: list[str]) -> None:
    assert _responses(_one_table_document(caption, header, row)) == set()


def test_a_confidence_interval_after_the_count_and_in_the_label() -> None:
    document = _one_table_document(
        "Table 2 Efficacy", ["", "Drug (n = 47)", "Placebo (n = 50)"],
        ["Overall response rate (CR + PR) [95% CI], n (%)", "13 (27.7) [15.6–42.6]", "5 (10.0) [3.3–21.8]"])
    assert _responses(document) == {("drug", "ORR", 13, None, 27.7), ("placebo", "ORR", 5, None, 10.0)}


def test_a_responders_row_of_a_response_table() -> None:
    document = _one_table_document(
        "Table 2 Tumour response", ["", "Arm A (n = 42) n (%)", "Arm B (n = 44) n (%)"],
        ["Responding (complete and partial)", "17 (40)", "18 (41)"])
    assert _responses(document) == {("Arm A", "ORR", 17, None, 40.0), ("Arm B", "ORR", 18, None, 41.0)}
    baseline = _one_table_document(
        "Table 1 Patient characteristics", ["", "Arm A (n = 42)", "Arm B (n = 44)"],
        ["Responding (complete and partial)", "17 (40)", "18 (41)"])
    assert _responses(baseline) == set()


def test_a_bare_responders_row_is_no_objective_response() -> None:
    # A "Responders" row may count stable disease as well.
    document = _one_table_document(
        "Table 2 Summary of efficacy outcomes", ["", "Arm A n (%)", "Arm B n (%)"], ["Responders", "11 (65)", "10 (50)"])
    assert _responses(document) == set()


def test_a_row_label_saying_its_numbers_are_cases() -> None:
    document = _one_table_document(
        "Table 2 Responses to induction chemotherapy", ["Response", "Arm A (n=59)", "Arm B (n=56)"],
        ["PR (cases)", "50", "49"])
    assert _responses(document) == {("Arm A", "PR", 50, None, None), ("Arm B", "PR", 49, None, None)}


def test_a_response_table_stratified_by_prior_therapy() -> None:
    document = _one_table_document(
        "Table 4 Objective tumour response (overall or stratified by prior therapy)", ["", "Drug n (%)", "Control n (%)"],
        ["ORR (CR + PR)", "70 (19.4)", "34 (9.4)"])
    assert _responses(document) == {("drug", "ORR", 70, None, 19.4), ("control", "ORR", 34, None, 9.4)}
    prior = _one_table_document(
        "Table 1 Prior therapy", ["", "Drug n (%)", "Control n (%)"], ["CR", "70 (19.4)", "34 (9.4)"])
    assert _responses(prior) == set()


def test_a_footnote_mark_before_the_unit_suffix() -> None:
    document = _one_table_document(
        "Table 2 Tumor response according to RECIST", ["Response", "Drug A (n = 78) n (%)", "Drug B (n = 77) n (%)"],
        ["Overall response rate*, %", "13 (16.7%)", "17 (22.1%)"])
    assert _responses(document) == {("Drug A", "ORR", 13, None, 16.7), ("Drug B", "ORR", 17, None, 22.1)}


def test_outcome_rate_columns_by_subgroup() -> None:
    document = _one_table_document(
        "Table 3 Response by cytogenetic risk", ["Risk group", "CR rate (%)", "CRi rate (%)"], ["Adverse", "45", "10"])
    assert _responses(document) == {("adverse", "CR", None, None, 45.0), ("adverse", "CRi", None, None, 10.0)}


def _split_column_document(caption: str, top: list[tuple[str, int]], sub: list[str], row: list[str]) -> Document:
    """A table whose arms head two columns each ('Arm A (n=50)' over 'No. | %')."""
    from schemas import Section, Table, TableCell, TableRow  # the models this helper builds, imported here alone

    lines = [caption, " ".join(t for t, _ in top), " ".join(sub), " ".join(row)]
    text = "\n".join(lines)
    starts = [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]
    top_cells, pos, column = [], starts[1], 0
    for cell, span in top:
        top_cells.append(TableCell(text=cell, start=pos, end=pos + len(cell), header=True, column=column, colspan=span))
        pos, column = pos + len(cell) + 1, column + span

    def plain(index: int, texts: list[str], header: bool) -> TableRow:
        cells, at = [], starts[index]
        for col, cell in enumerate(texts):
            cells.append(TableCell(text=cell, start=at, end=at + len(cell), header=header, column=col))
            at += len(cell) + 1
        return TableRow(cells=cells, start=starts[index], end=starts[index] + len(lines[index]), header=header)

    rows = [TableRow(cells=top_cells, start=starts[1], end=starts[1] + len(lines[1]), header=True),
            plain(2, sub, True), plain(3, row, False)]
    table = Table(label=None, caption=caption, section="results", start=0, end=len(text), rows=rows)
    return Document(paper_id="0" * 16, source_path="<test>", stem="test", format="text", text=text,
                    sections=[Section(label="results", title=None, start=0, end=len(text))], tables=[table])


def test_a_count_column_and_the_percent_column_beside_it_are_one_count() -> None:
    document = _split_column_document(
        "Table 2 Best overall response", [("Response", 1), ("Arm A (n=120)", 2), ("Arm B (n=118)", 2)],
        ["", "No.", "%", "No.", "%"], ["Partial response", "18", "15.0", "9", "7.6"])
    assert _responses(document) == {("Arm A", "PR", 18, None, 15.0), ("Arm B", "PR", 9, None, 7.6)}


def test_a_percent_column_under_another_header_is_no_share_of_the_count() -> None:
    # Near-miss: the '%' column after a count column heads another arm: two facts, not one merged count.
    document = _split_column_document(
        "Table 2 Best overall response", [("Response", 1), ("Arm A (n=40)", 1), ("Arm B (n=38)", 1)],
        ["", "No.", "%"], ["Complete response", "4", "12.5"])
    assert _responses(document) == {("Arm A", "CR", 4, None, None), ("Arm B", "CR", None, None, 12.5)}
