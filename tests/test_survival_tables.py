"""Time-to-event and hazard-ratio rows of real tables (AML16 Table 2, SUN 1107 Table 3)."""

from functools import cache
from typing import Any

import pytest

from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import Document, EvidenceRecord, HazardRatio, TimeToEvent
from tests.conftest import PAPERS
from tests.table_documents import table_document


@cache
def _records(stem: str) -> tuple[EvidenceRecord, ...]:
    return tuple(extract_records(parse_paper(PAPERS / f"{stem}.nxml")))


def _from_row(stem: str, kind: type[EvidenceRecord], row_start: str) -> list[EvidenceRecord]:
    return [r for r in _records(stem) if isinstance(r, kind)
            and any(p.quote.startswith(row_start) for p in r.provenance)]


def test_table_rates_take_arms_from_headers_and_timepoint_from_caption() -> None:
    rows = _from_row("PMC5292678", TimeToEvent, "Overall survival 14 15")
    got = sorted((r.arm, r.endpoint, r.measure, r.value, r.unit, r.timepoint) for r in rows)
    assert got == [("DA", "OS", "rate", 14.0, "%", "5 years"), ("DClo", "OS", "rate", 15.0, "%", "5 years")]


def test_table_hazard_ratio_with_ci_in_its_cell_and_p_column() -> None:
    rows = _from_row("PMC5292678", HazardRatio, "Overall survival 14 15")
    assert [(r.hr, r.ci_low, r.ci_high, r.ci_level, r.p, r.endpoint) for r in rows] == [
        (1.04, 0.90, 1.21, 95.0, "0.6", "OS")]


@pytest.mark.parametrize("row_start", ["CR 64 58", "30-day mortality", "Resistant disease"])
def test_hr_or_column_gives_no_hazard_ratio_for_a_row_that_is_not_time_to_event(row_start: str) -> None:
    assert _from_row("PMC5292678", HazardRatio, row_start) == []
    assert _from_row("PMC5292678", TimeToEvent, row_start) == []


def test_median_row_takes_endpoint_from_group_row_and_ci_from_row_below() -> None:
    rows = _from_row("PMC2855860", TimeToEvent, "Median, months 2.8")
    got = sorted((r.arm, r.endpoint, r.value, r.unit, r.ci_low, r.ci_high) for r in rows)
    assert got == [("capecitabine", "PFS", 4.2, "months", 3.8, 5.5), ("sunitinib", "PFS", 2.8, "months", 2.4, 4.0)]


def test_hazard_ratio_with_ci_in_the_next_column_and_a_footnoted_p() -> None:
    rows = _from_row("PMC2855860", HazardRatio, "Median, months 6.9")
    assert [(r.endpoint, r.hr, r.ci_low, r.ci_high, r.p) for r in rows] == [("DOR", 2.79, 1.04, 7.46, None)]


def test_rate_rows_of_response_are_not_time_to_event() -> None:
    assert _from_row("PMC2855860", TimeToEvent, "Clinical benefit rate") == []
    assert _from_row("PMC2855860", HazardRatio, "Objective response rate") == []


def test_rows_below_a_timepoint_row_take_its_timepoint() -> None:
    document = table_document("Table 3 Survival by arm", [
        ["Endpoint", "Arm A, %", "Arm B, %", "HR (95% CI)"],
        ["Two-year analysis"],
        ["Overall survival", "81", "70", "0.62 (0.40-0.95)"],
        ["At 4 years"],
        ["Overall survival", "66", "58", "0.70 (0.50-0.98)"],
    ])
    got = sorted((r.arm, r.value, r.timepoint) for r in extract_records(document) if isinstance(r, TimeToEvent))
    assert got == [("Arm A", 66.0, "4 years"), ("Arm A", 81.0, "2 years"), ("Arm B", 58.0, "4 years"),
                   ("Arm B", 70.0, "2 years")]


def test_a_block_row_that_is_not_only_a_timepoint_gives_none() -> None:
    document = table_document("Table 3 Survival by arm", [
        ["Endpoint", "Arm A, %", "Arm B, %"],
        ["Patients relapsing within 2 years"],
        ["Overall survival", "41", "30"],
    ])
    got = sorted((r.arm, r.value, r.timepoint) for r in extract_records(document) if isinstance(r, TimeToEvent))
    assert got == [("Arm A", 41.0, None), ("Arm B", 30.0, None)]


def test_a_median_row_labelled_with_its_ci_takes_the_unit_of_the_block_row() -> None:
    document = table_document("Table 2 Progression-free survival by central review", [
        ["", "Drug X", "Drug Y"],
        ["PFS, months"],
        ["Median PFS (95% CI)", "8.2 (6.1–9.9)", "5.0 (4.1–NE)"],
        ["HR (95% CI)", "0.61 (0.45–0.83)"],
    ])
    got = sorted((r.arm, r.endpoint, r.value, r.unit, r.ci_low) for r in extract_records(document)
                 if isinstance(r, TimeToEvent))
    assert got == [("Drug X", "PFS", 8.2, "months", 6.1), ("Drug Y", "PFS", 5.0, "months", 4.1)]


def test_a_row_of_cis_and_a_median_row_with_no_unit_anywhere_give_no_median() -> None:
    document = table_document("Table 2 Outcomes", [
        ["", "Drug X", "Drug Y"],
        ["Overall survival"],
        ["95% CI", "6.1–9.9", "4.1–6.0"],
        ["Median OS (95% CI)", "8.2 (6.1–9.9)", "5.0 (4.1–6.0)"],
    ])
    assert [r for r in extract_records(document) if isinstance(r, TimeToEvent)] == []


def test_rate_cells_with_footnote_marks_are_read() -> None:
    document = table_document("Table 1 Survival at one year", [
        ["Group", "Drug X group", "Drug Y group"],
        ["One-year survival rate (%)", "88.0", "52.5**"],
    ])
    got = sorted((r.value, r.timepoint) for r in extract_records(document) if isinstance(r, TimeToEvent))
    assert got == [(52.5, "1 year"), (88.0, "1 year")]


def test_two_values_under_one_spanning_header_give_no_medians() -> None:
    document = table_document("Table 2 Duration of response", [
        ["", "Drug X", "Drug X", "Placebo", "Placebo"],
        ["Median duration of response, months", "5.5", "14.8", "9.7", "10.9"],
    ])
    assert [r for r in extract_records(document) if isinstance(r, TimeToEvent)] == []


def test_timepoint_rows_under_a_block_row_naming_rates_are_rates() -> None:
    document = table_document("Table 3 Efficacy", [
        ["", "Drug X (n=120)", "Drug Y (n=60)"],
        ["Estimated OS probability, % (95% CI)"],
        ["At 12 months", "81.0 (74.2, 86.1)", "70.3 (58.9, 79.1)"],
        ["At 24 months", "60.2 (52.0, 67.4)", "44.9 (33.1, 56.0)"],
    ])
    got = sorted((r.arm, r.value, r.timepoint) for r in extract_records(document) if isinstance(r, TimeToEvent))
    assert got == [("Drug X", 60.2, "24 months"), ("Drug X", 81.0, "12 months"),
                   ("Drug Y", 44.9, "24 months"), ("Drug Y", 70.3, "12 months")]


def test_timepoint_rows_under_a_block_row_of_counts_are_no_rates() -> None:
    document = table_document("Table 3 Efficacy", [
        ["", "Drug X (n=120)", "Drug Y (n=60)"],
        ["Overall survival, deaths n"],
        ["At 12 months", "21", "17"],
    ])
    assert [r for r in extract_records(document) if isinstance(r, TimeToEvent)] == []


def test_a_recurrence_rate_row_with_no_timepoint_gives_nothing() -> None:
    document = table_document("Table 2 Outcomes", [
        ["", "Drug X group", "Drug Y group"],
        ["Recurrence rate (%)", "20.0", "31.5"],
    ])
    assert [r for r in extract_records(document) if isinstance(r, TimeToEvent)] == []


def _hazard_ratios(document: Document) -> list[tuple[Any, ...]]:
    return sorted(((r.endpoint, r.hr, r.ci_low, r.ci_high, r.p, r.adjusted)
                   for r in extract_records(document) if isinstance(r, HazardRatio)), key=lambda row: row[1])


def test_factor_rows_of_a_multivariable_table_take_the_endpoint_of_the_caption() -> None:
    document = table_document("Table 4 Multivariable Cox model for progression-free survival", [
        ["Factor", "HR (95% CI)", "P value"],
        ["Age older than 65 years", "1.45 (1.10–1.91)", "0.008"],
        ["ECOG 1 vs 0", "1.12 (0.85 to 1.48)", "0.42"],
        ["Female sex", "1.00", ""],
    ])
    assert _hazard_ratios(document) == [("PFS", 1.12, 0.85, 1.48, "0.42", True), ("PFS", 1.45, 1.1, 1.91, "0.008", True)]


def test_each_hazard_ratio_column_of_a_subgroup_row_gives_its_own_hazard_ratio() -> None:
    document = table_document("Table 3 Effect of maintenance by marker status", [
        ["Subgroup", "Relapse-free survival HR (95% CI)", "P", "Overall survival HR (95% CI)", "P"],
        ["KIT mutated", "0.52 (0.30 to 0.90)", "0.02", "0.75 (0.41 to 1.37)", "0.35"],
    ])
    assert _hazard_ratios(document) == [("RFS", 0.52, 0.3, 0.9, "0.02", None), ("OS", 0.75, 0.41, 1.37, "0.35", None)]


def test_factor_rows_take_the_endpoint_of_their_block_row_and_a_response_block_gives_none() -> None:
    document = table_document("Table 2 Cox regression of weight loss before radiotherapy", [
        ["Weight loss", "Crude HR (95% CI)", "P-value"],
        ["Overall survival"],
        ["More than 10%", "2.8 (1.9–4.1)", "<0.001"],
        ["Complete response"],
        ["More than 10%", "0.60 (0.40–0.90)", "0.01"],
    ])
    assert _hazard_ratios(document) == [("OS", 2.8, 1.9, 4.1, "<0.001", False)]


def test_a_row_of_unknown_endpoint_among_endpoint_rows_takes_no_endpoint_from_the_caption() -> None:
    document = table_document("Table 2 Survival outcomes by arm", [
        ["Endpoint", "Arm A, %", "Arm B, %", "HR (95% CI)", "P"],
        ["PFS", "80", "70", "0.61 (0.40–0.93)", "0.02"],
        ["Metastasis-free interval", "85", "80", "0.72 (0.45–1.15)", "0.17"],
    ])
    assert _hazard_ratios(document) == [("PFS", 0.61, 0.4, 0.93, "0.02", None), (None, 0.72, 0.45, 1.15, "0.17", None)]


@pytest.mark.parametrize("rows", [
    [["Characteristic", "HR+ (n = 40)", "HR- (n = 20)"], ["Age, median (range)", "55 (40–70)", "52 (38–69)"]],
    [["Factor", "HR (95% CI)", "P"], ["Complete remission after cycle 1", "0.50 (0.30–0.80)", "0.004"]],
    [["Factor", "HR (95% CI)", "P"], ["30-day mortality", "1.50 (0.90–2.50)", "0.12"]],
    [["Factor", "HR/OR (95% CI)", "P"], ["Age older than 60", "1.50 (1.10–2.05)", "0.01"]],
])
def test_rows_that_are_no_time_to_event_hazard_ratio_give_none(rows: list[list[str]]) -> None:
    assert _hazard_ratios(table_document("Table 2 Relapse-free survival by patient characteristics", rows)) == []


def test_factor_rows_of_a_table_naming_no_time_to_event_give_none() -> None:
    document = table_document("Table 2 Heart rate by group", [
        ["Group", "HR (95% CI)", "P"], ["Smokers", "1.50 (1.10–2.05)", "0.01"]])
    assert _hazard_ratios(document) == []


def test_a_row_of_hazard_ratios_below_median_rows_takes_the_endpoint_above_and_p_below() -> None:
    document = table_document("Table 3 Efficacy by region", [
        ["", "All patients", "Region A"],
        ["Median OS, months (95% CI)", "14.2 (12.0–16.1)", "15.0 (11.2–NE)"],
        ["HR (95% CI)", "0.71 (0.58–0.87)", "0.52 (0.20–1.36)"],
        ["P value", "<0.001", "0.18"],
    ])
    assert _hazard_ratios(document) == [("OS", 0.52, 0.2, 1.36, "0.18", None), ("OS", 0.71, 0.58, 0.87, "<0.001", None)]


@pytest.mark.parametrize("label", ["HR+ (n = 40)", "HR/OR (95% CI)"])
def test_a_row_of_hormone_receptor_counts_or_odds_ratios_gives_no_hazard_ratio(label: str) -> None:
    document = table_document("Table 3 Progression-free survival", [
        ["", "Arm A", "Arm B"], ["Median PFS, months", "8.1", "6.0"], [label, "0.71 (0.58–0.87)", "1.10 (0.80–1.50)"]])
    assert _hazard_ratios(document) == []


def test_a_factor_row_reads_its_ci_in_the_column_beside_and_a_comparison_with_a_reference_level() -> None:
    document = table_document("Table 2 Cox model of overall survival", [
        ["Variable", "Hazard ratio", "95% CI", "P"],
        ["Female sex", "Reference", "—", "—"],
        ["Stage (ref: I)", "1.25", "1.07-1.43", "0.016"],
    ])
    assert _hazard_ratios(document) == [("OS", 1.25, 1.07, 1.43, "0.016", None)]
