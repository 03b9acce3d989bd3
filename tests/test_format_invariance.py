"""Format invariance: what the publisher XML of an article gives, its PDF gives too.

The PDF has more (methods, discussion). Everything stated in prose must be found in
both formats, and since PDF tables are parsed into rows, so must everything stated
in a table: the list of what the PDF path misses is empty.
"""

from functools import cache
from pathlib import Path

import pytest

from extractor.evaluate import score_summary
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from extractor.summary import build_summary
from schemas import Document, EvidenceSummary
from tests.conftest import ROOT

PAIRS = sorted((ROOT / "tests" / "fixtures" / "pdf-xml-pairs").glob("*.pdf"))


@cache
def _summary(path: Path) -> tuple[Document, EvidenceSummary]:
    document = parse_paper(path)
    return document, build_summary(document, extract_records(document))


@pytest.mark.parametrize("pdf", PAIRS, ids=[p.stem for p in PAIRS])
def test_pdf_finds_what_the_xml_states_in_prose(pdf: Path) -> None:
    xml_document, from_xml = _summary(pdf.with_suffix(".xml"))
    _, from_pdf = _summary(pdf)
    result = score_summary(from_xml, from_pdf)
    table_rows = {" ".join(c.text for c in row.cells) for t in xml_document.tables for row in t.rows}
    prose_misses = [m for m in result.misses if m.quote not in table_rows]
    assert prose_misses == [], f"{pdf.stem}: the PDF path misses {prose_misses}"


def test_what_the_pdf_path_misses_is_listed() -> None:
    """What the XML gives and the PDF path does not, pooled over the ten pairs: nothing."""
    missed, found = [], 0
    for pdf in PAIRS:
        _, from_xml = _summary(pdf.with_suffix(".xml"))
        _, from_pdf = _summary(pdf)
        result = score_summary(from_xml, from_pdf)
        missed += [(pdf.stem, m.category, m.fact.get("term")) for m in result.misses]
        found += sum(c.tp for c in result.categories.values())
    assert found >= 9
    assert missed == []
