"""Time-to-event and hazard-ratio rows of real tables (AML16 Table 2, SUN 1107 Table 3)."""

from functools import cache

import pytest

from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import EvidenceRecord, HazardRatio, TimeToEvent
from tests.conftest import PAPERS


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
