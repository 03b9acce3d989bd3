"""The HTML parser on article pages (a journal site, a PubMed Central page): furniture, sections, tables, references."""

from pathlib import Path

import pytest

from extractor.errors import PaperError
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import Document
from tests.conftest import ROOT

PAGE = ROOT / "tests" / "fixtures" / "html" / "journal_article.html"


@pytest.fixture(scope="module")
def page() -> Document:
    return parse_paper(PAGE)


def _label_of(document: Document, needle: str) -> str:
    offset = document.text.index(needle)
    section = document.section_at(offset)
    assert section is not None
    return section.label


def test_metadata_from_citation_meta_tags(page: Document) -> None:
    assert page.format == "html"
    assert page.metadata.doi == "10.5555/example.2020.0001"
    assert page.metadata.pmid == "31234567"
    assert page.metadata.year == 2020
    assert page.metadata.first_author == "Okafor"  # "Surname, Given": the first citation_author
    assert page.metadata.title is not None and page.metadata.title.startswith("Selinexor plus azacitidine")


def test_furniture_is_dropped(page: Document) -> None:
    for furniture in ("dataLayer", "font-family", "cookies", "About 42 patients", "99 months", "Issues"):
        assert furniture not in page.text


def test_sections_from_headings(page: Document) -> None:
    assert _label_of(page, "In this randomized, double-blind") == "abstract"
    assert _label_of(page, "Older patients with AML") == "introduction"
    assert _label_of(page, "Patients received azacitidine 75 mg/m2") == "methods"
    assert _label_of(page, "Composite complete remission") == "results"
    assert _label_of(page, "In an earlier trial") == "discussion"
    assert _label_of(page, "Smith J, et al.") == "references"
    covered = sum(s.end - s.start for s in page.sections)
    assert covered == len(page.text)


def test_table_rows_and_offsets(page: Document) -> None:
    (table,) = page.tables
    assert table.label == "Table 2"
    assert table.section == "results"
    assert [[c.text for c in r.cells] for r in table.rows][1] == ["Febrile neutropenia", "118 (42%)", "27 (19%)"]
    assert table.rows[0].header and not table.rows[1].header
    for row in table.rows:
        assert page.text[row.start : row.end] == " ".join(c.text for c in row.cells)
        for cell in row.cells:
            assert page.text[cell.start : cell.end] == cell.text


def test_reference_links_are_citations(page: Document) -> None:
    assert [page.text[c.start : c.end] for c in page.citations] == ["1", "2", "3", "4"]


def test_evidence_from_the_page_only_from_its_own_trial(page: Document) -> None:
    records = extract_records(page)
    ids = [r.identifier for r in records if r.kind == "registry_id"]
    assert ids == ["NCT02993523"]
    medians = {(r.arm, r.value) for r in records if r.kind == "time_to_event"}
    assert medians == {("selinexor", 14.7), ("control", 9.6)}
    events = {(r.arm, r.term, r.n) for r in records if r.kind == "adverse_event"}
    assert ("selinexor", "febrile neutropenia", 118) in events
    assert all(r.provenance[0].section not in ("introduction", "discussion", "references") for r in records)


@pytest.mark.parametrize(
    ("name", "data"),
    [("junk.html", b"\x00\x01\x02binary\xff\xfe"), ("plain.html", b"just some words, no markup at all"),
     ("empty-body.html", b"<html><body><script>var x = 1;</script></body></html>")],
)
def test_bad_html_is_one_line_naming_the_file(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PaperError) as error:
        parse_paper(path)
    message = str(error.value)
    assert str(path) in message and "\n" not in message


PMC_PAGE = ROOT / "tests" / "fixtures" / "html" / "pmc_article.html"


@pytest.fixture(scope="module")
def pmc_page() -> Document:
    return parse_paper(PMC_PAGE)


def test_pmc_page_furniture_and_metadata(pmc_page: Document) -> None:
    assert pmc_page.metadata.pmcid == "PMC6400000"
    assert pmc_page.metadata.pmid == "30845267"
    assert pmc_page.metadata.doi == "10.5555/ehr.2019.0213"
    assert pmc_page.metadata.first_author == "van der Berg"  # "Given particles Surname"
    for furniture in ("official website", "NCBI home page", "PMC home", "Similar articles", "999 patients",
                      "Rockville Pike", "ncbi", "background: #f0f0f0"):
        assert furniture not in pmc_page.text


def test_pmc_structured_abstract_keeps_its_parts(pmc_page: Document) -> None:
    by_title = [(s.title, s.label) for s in pmc_page.sections if s.title]
    assert by_title[1:6] == [("Abstract", "abstract"), ("Background", "abstract"), ("Methods", "abstract"),
                             ("Results", "abstract"), ("Trial registration", "abstract")]
    assert _label_of(pmc_page, "Hypomethylating agents") == "introduction"
    assert _label_of(pmc_page, "Patients aged 55 years") == "methods"
    assert _label_of(pmc_page, "Neutropenia 97") == "results"
    assert _label_of(pmc_page, "Doe J, Roe R.") == "references"


def test_pmc_table_caption_printed_as_a_heading(pmc_page: Document) -> None:
    (table,) = pmc_page.tables
    assert table.label == "Table 2" and table.caption == "Table 2. Grade 3 or 4 adverse events."
    assert pmc_page.text[table.start : table.end].startswith(table.caption)
    header, sub, *body = table.rows
    assert header.header and sub.header and not any(r.header for r in body)
    assert [(c.text, c.column, c.colspan) for c in header.cells] == [
        ("Event", 0, 1), ("Lenalidomide (n = 236)", 1, 2), ("Placebo (n = 233)", 3, 2)]
    assert [c.column for c in sub.cells] == [1, 2, 3, 4]
    assert [c.text for c in body[0].cells] == ["Neutropenia", "97", "41", "55", "24"]
    for row in table.rows:
        for cell in row.cells:
            assert pmc_page.text[cell.start : cell.end] == cell.text


def test_pmc_prefixed_reference_links_are_citations(pmc_page: Document) -> None:
    assert [pmc_page.text[c.start : c.end] for c in pmc_page.citations] == ["[1", "2]", "[3]", "[3]"]
    # Another study's median (cited) is not evidence of this trial; this trial's are.
    medians = {(r.arm, r.value) for r in extract_records(pmc_page) if r.kind == "time_to_event"}
    assert medians == {("lenalidomide", 24.7), ("placebo", 14.8)}
