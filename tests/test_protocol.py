"""A study protocol reports no results: only its trial ids, phase, design and planned regimen are evidence.

An erratum, editorial, meta-analysis or economic model reports no trial of its own: no evidence at all.
"""

import pytest

from extractor.own_trial import is_protocol
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import DocumentMetadata
from tests.conftest import PAPERS, document_from_text

PLANNED = ("This randomised phase II trial (NCT01234567) will enrol 120 patients. Patients receive "
           "oxaliplatin 85 mg/m2 on day 1. In the pilot phase, the HR for overall survival was 0.75 "
           "(95% CI 0.60-0.94) and the median overall survival 18 months.")


def _document(title: str | None, article_type: str | None):
    document = document_from_text(PLANNED, "methods")
    return document.model_copy(update={"metadata": DocumentMetadata(title=title, article_type=article_type)})


@pytest.mark.parametrize(("title", "article_type"), [
    ("A trial of X", "Study Protocol"),
    ("Exercise during chemotherapy: study protocol for a randomised controlled trial", None),
    ("Rationale and design of the ABC trial", "Original Article"),
])
def test_a_protocol_keeps_only_the_trial_and_its_regimen(title: str, article_type: str | None) -> None:
    document = _document(title, article_type)
    assert is_protocol(document)
    kinds = {record.kind for record in extract_records(document)}
    assert kinds <= {"registry_id", "phase", "design", "regimen"}
    assert {"registry_id", "regimen"} <= kinds


def test_a_results_paper_is_no_protocol() -> None:
    document = _document("Oxaliplatin in colorectal cancer: a randomised phase II trial", "Original Article")
    assert not is_protocol(document)
    assert "hazard_ratio" in {record.kind for record in extract_records(document)}


def test_the_jats_subject_heading_is_read() -> None:
    document = parse_paper(PAPERS / "PMC3342924.nxml")
    assert document.metadata.article_type == "Study Protocol"
    assert is_protocol(document)
    assert not is_protocol(parse_paper(PAPERS / "PMC1891198.nxml"))


@pytest.mark.parametrize(("title", "article_type"), [
    ("Erratum to: Genetic changes in ovarian cancer", "Erratum"),
    ("Correction: Drug A in stage IV breast cancer", None),
    ("X in the treatment of stage IV breast cancer: a randomized, placebo-controlled trial", "Corrigendum"),
    ("Highlights of the lung cancer sessions", "Editorial"),
    ("News from the melanoma sessions of the 2017 cancer congress", "Commentary"),
    ("Drug A in colorectal cancer: a systematic review and meta-analysis of randomized controlled trials", None),
    ("Adjusted indirect comparison of drug A to doublet chemotherapy in lung cancer", "Original Research"),
    ("Cost-effectiveness analysis of drug A as maintenance treatment in lung cancer", "Original Research"),
])
def test_an_article_reporting_no_trial_of_its_own_gives_no_evidence(title: str, article_type: str) -> None:
    assert extract_records(_document(title, article_type)) == []


@pytest.mark.parametrize(("title", "article_type"), [
    ("Cost-effectiveness of drug A in lung cancer: a randomised phase III trial", "Original Research"),
    ("Port devices for chemotherapy: a phase II randomised controlled trial and economic evaluation", None),
    ("Drug A after liver transplantation in hepatic carcinoma: a preliminary study", "Review"),
    ("Surgery or radiotherapy? Results of a randomized study", "Letter"),
    ("Drug A versus drug B in myeloma: a randomised trial and updated meta-analysis", "Original Article"),
    ("A meta-analysis of two randomised trials of early chemotherapy in colorectal cancer", "Clinical Studies"),
    ("Correction of vitamin D deficiency in hepatitis C: a randomised placebo-controlled trial", None),
])
def test_trial_reports_with_review_or_economic_words_keep_their_evidence(title: str, article_type: str) -> None:
    assert "hazard_ratio" in {record.kind for record in extract_records(_document(title, article_type))}
