"""The JATS parser on the corpus .nxml articles and the PMC fragments, and its refusal of unsafe XML."""

from pathlib import Path

import pytest

from extractor.errors import PaperError
from extractor.parsers import paper_id_for, parse_paper
from extractor.parsers.jats_text import Inline
from schemas import Document, Table
from tests.conftest import GOLD, PAPERS, ROOT
from tests.gold_quotes import find_quote, gold_quotes, label_at

JATS_PAPERS = sorted(PAPERS.glob("*.nxml"))
# Papers with dev gold: the frozen test split (corpus/gold/test) is scored, never read, tests included.
DEV_JATS_PAPERS = [p for p in JATS_PAPERS if (GOLD / f"{p.stem}.json").exists()]
# Evidence-Inference fragments: an <abstract> then a Results <sec>, no root, undeclared xlink prefix.
FRAGMENTS = sorted((ROOT / "tests" / "fixtures" / "pdf-xml-pairs").glob("*.xml"))
NO_EVIDENCE_LABELS = {"references", "back"}


@pytest.fixture(scope="module")
def real3() -> Document:
    return parse_paper(PAPERS / "PMC3669518.nxml")


def _label_of(document: Document, snippet: str) -> str:
    section = document.section_at(document.text.index(snippet))
    assert section is not None
    return section.label


def _row_texts(table: Table, document: Document) -> list[str]:
    return [document.text[row.start : row.end] for row in table.rows]


def _check_offsets(document: Document) -> None:
    position = 0
    for section in document.sections:
        assert section.start == position < section.end
        position = section.end
    assert position == len(document.text)
    for table in document.tables:
        for row in table.rows:
            assert table.start <= row.start < row.end <= table.end
            # A row reads as its cells joined by single spaces.
            assert document.text[row.start : row.end] == " ".join(c.text for c in row.cells)
            for cell in row.cells:
                assert document.text[cell.start : cell.end] == cell.text
    for span in document.citations:
        assert document.text[span.start : span.end].strip() == document.text[span.start : span.end] != ""


@pytest.mark.parametrize("path", JATS_PAPERS + FRAGMENTS, ids=lambda p: p.name)
def test_jats_file_parses_with_consistent_offsets(path: Path) -> None:
    document = parse_paper(path)
    assert document.format == "jats"
    assert document.paper_id == paper_id_for(path.read_bytes())
    assert document.stem == path.stem
    _check_offsets(document)
    assert "abstract" in {s.label for s in document.sections}
    # A protocol or a trial-design paper has no results section (MY.11's body is "Discussion").
    assert {"abstract", "methods", "results"} & {s.label for s in document.sections}


@pytest.mark.parametrize("path", DEV_JATS_PAPERS, ids=lambda p: p.stem)
def test_every_gold_quote_is_in_the_text_in_an_evidence_section(path: Path) -> None:
    document = parse_paper(path)
    quotes = gold_quotes(path.stem)
    assert quotes
    assert [q for q in quotes if find_quote(document, q) is None] == []
    # Blind gold quotes a restated result in the discussion or a protocol's unlabelled section too;
    # none comes from the references or the back matter.
    misplaced = [(q, label_at(document, q)) for q in quotes if label_at(document, q) in NO_EVIDENCE_LABELS]
    assert misplaced == []


def test_metadata_from_front(real3: Document) -> None:
    meta = real3.metadata
    assert meta.pmcid == "PMC3669518"
    assert meta.first_author == "Waddell"
    assert meta.pmid == "23594787"
    assert meta.doi == "10.1016/S1470-2045(13)70096-2"
    assert meta.journal == "The Lancet Oncology"
    assert meta.year == 2013
    assert meta.title is not None
    assert meta.title.startswith("Epirubicin, oxaliplatin, and capecitabine with or without panitumumab")
    assert real3.text.startswith(meta.title + "\n")


def test_sections_from_titles_and_nesting(real3: Document) -> None:
    assert _label_of(real3, "EGFR overexpression occurs in 27–55%") == "abstract"
    assert _label_of(real3, "Findings\nBetween June 2, 2008") == "abstract"
    assert _label_of(real3, "Gastric and oesophageal cancers are among") == "introduction"
    assert _label_of(real3, "Randomisation and masking\n") == "methods"
    assert _label_of(real3, "Statistical analysis\n") == "methods"
    assert _label_of(real3, "Results\nBetween June 2, 2008") == "results"
    assert _label_of(real3, "Discussion\nThe REAL3 trial") == "discussion"
    assert _label_of(real3, "References\n1 Ferlay J") == "references"
    assert _label_of(real3, "Conflicts of interest\n") == "back"
    titled = {s.title: s.label for s in real3.sections if s.title}
    assert titled["Randomisation and masking"] == "methods"
    assert titled["Acknowledgments"] == "back"


def test_floats_group_tables_take_the_section_citing_them(real3: Document) -> None:
    toxicity = next(t for t in real3.tables if t.label == "Table 3")
    assert toxicity.section == "results"
    assert toxicity.caption == "Reported toxicities according to treatment group in 542 assessable patients"
    assert real3.text[toxicity.start :].startswith("Table 3\nReported toxicities")
    rows = _row_texts(toxicity, real3)
    assert "Diarrhoea 121 (45%) 27 (10%) 2 (1%) 30 (11%) 132 (48%) 48 (17%) 0 48 (17%) 0·050" in rows
    first, second = toxicity.rows[:2]
    assert first.header and second.header
    # The empty corner cell is left out; colspans place the group headers over their columns.
    assert [(c.text, c.column, c.colspan) for c in first.cells] == [
        ("EOC group (n=266)", 1, 4), ("mEOC+P group (n=276)", 5, 4), ("p value*", 9, 1),
    ]
    vomiting = next(r for r in toxicity.rows if r.cells[0].text == "Vomiting")
    assert not vomiting.header
    assert [c.column for c in vomiting.cells] == list(range(10))
    assert vomiting.cells[-1].text == "1·00"


def test_table_inside_a_paragraph_keeps_its_section() -> None:
    document = parse_paper(PAPERS / "PMC2855860.nxml")
    adverse = next(t for t in document.tables if t.label == "Table 4")
    assert adverse.section == "results"
    assert "Nausea 76 (32) 2 (1) 0 68 (28) 1 (<1) 0" in _row_texts(adverse, document)
    assert [r.header for r in adverse.rows[:4]] == [True, True, True, False]
    efficacy = next(t for t in document.tables if t.label == "Table 3")
    assert "Median, months 6.9 9.3 2.79 1.04–7.46 NA" in _row_texts(efficacy, document)


def test_table_in_a_nested_results_section() -> None:
    document = parse_paper(PAPERS / "PMC5787508.nxml")
    response = next(t for t in document.tables if t.label == "Table 3")
    assert response.section == "results"
    assert "CR 7 (28)" in _row_texts(response, document)
    assert _label_of(document, "MATERIALS AND METHODS\n") == "methods"
    assert _label_of(document, "REFERENCES\n1 Weller M") == "references"


def test_inline_markup_adds_no_space_and_unicode_is_kept(real3: Document) -> None:
    assert "epirubicin 50 mg/m2 and oxaliplatin 130 mg/m2 on day 1" in real3.text
    assert "(hazard ratio [HR] 1·37, 95% CI 1·07–1·76; p=0·013)" in real3.text
    assert "grade ≥3 neutropenia" in real3.text
    assert "  " not in real3.text


def test_bibliographic_xrefs_are_citation_spans() -> None:
    document = parse_paper(PAPERS / "PMC5787508.nxml")
    marks = [document.text[s.start : s.end] for s in document.citations]
    assert marks[:3] == ["1", "2", "3"]
    first = document.citations[0]
    assert document.text[first.start - 1 : first.end + 1] == "[1]"
    assert document.text[: first.start].endswith("Surgical resection has only minimal effects on survival [")
    assert _label_of(document, "Surgical resection has only minimal") == "introduction"


def test_fragment_without_root_is_wrapped_and_read() -> None:
    document = parse_paper(FRAGMENTS[0])
    assert document.metadata.pmcid is None
    assert document.sections[0].label == "abstract"
    assert any(s.label == "results" and s.title == "Plasma total vitamin E level" for s in document.sections)
    hindawi = parse_paper(next(p for p in FRAGMENTS if p.stem == "PMC3654355"))
    assert len(hindawi.tables) == 8
    assert {t.section for t in hindawi.tables} == {"results"}


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE article [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<article><body><sec><title>Results</title><p>&lol9;</p></sec></body></article>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE article [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<article><body><sec><title>Results</title><p>CR in &secret; patients.</p></sec></body></article>
"""
SMALL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE article [ <!ENTITY drug "sorafenib"> ]>
<article><body><sec><title>Results</title><p>&drug; given to 37 patients.</p></sec></body></article>
"""


@pytest.mark.parametrize(
    ("name", "data", "cause"),
    [
        ("laughs.nxml", LAUGHS.encode(), "entities"),
        ("external.nxml", EXTERNAL_ENTITY.encode(), "entities"),
        ("entity.nxml", SMALL_ENTITY.encode(), "entities"),
        # UTF-16 hides the declaration from the byte check; the parsed DOCTYPE is checked as well.
        ("utf16.nxml", EXTERNAL_ENTITY.replace('"1.0"', '"1.0" encoding="UTF-16"').encode("utf-16"), "entities"),
        ("malformed.nxml", b"<article><body><p>unclosed</body></article>", "malformed XML"),
        ("fragment.xml", b"<abstract><p>one</p></abstract><sec><p>two</sec>", "malformed XML"),
        ("junk.nxml", bytes(range(256)) * 8, "malformed XML"),
        ("latin1.nxml", '<?xml version="1.0" encoding="utf-8"?><article>R\xe9ponse</article>'.encode("latin-1"),
         "malformed XML"),
        ("empty.nxml", b"<article><front><journal-meta/></front></article>", "no article content"),
        ("html.xml", b"<html><body><p>Hello</p></body></html>", "no article content"),
        ("blank.nxml", b"\n \n", "empty"),
    ],
)
def test_bad_xml_raises_paper_error_naming_the_file(tmp_path: Path, name: str, data: bytes, cause: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PaperError) as info:
        parse_paper(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert cause in message
    assert "\n" not in message


def test_printable_text_without_double_spaces_needs_no_whitespace_collapsing() -> None:
    # Inline.add skips its whitespace regex on such text: every whitespace character but the space is unprintable.
    whitespace = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) != " "]
    assert whitespace and not any(c.isprintable() for c in whitespace)
    inline = Inline()
    for piece in ["Overall survival", " was ", "6.2\u00a0months", "\n (95%\tCI)", "  ", "end"]:
        inline.add(piece)
    assert inline.finish()[0] == "Overall survival was 6.2 months (95% CI) end"


def test_floats_wrap_of_nlm_2_articles_is_read_like_floats_group(tmp_path: Path) -> None:
    """Older PMC articles (NLM Archiving DTD 2.x) keep their tables in <floats-wrap> after the back
    matter: the tables are read and take the section that cites them, as with <floats-group>."""
    xml = (
        "<article><front><article-meta><title-group><article-title>A randomised trial</article-title>"
        "</title-group></article-meta></front><body><sec><title>Results</title>"
        '<p>Toxicity is shown in <xref ref-type="table" rid="tbl2">Table 2</xref>.</p></sec></body>'
        "<back><ref-list><ref><mixed-citation>Doe J. Old trial. 1999.</mixed-citation></ref></ref-list></back>"
        '<floats-wrap><table-wrap id="tbl2"><label>Table 2</label><caption><title>Grade 3-4 toxicity</title>'
        "</caption><table><thead><tr><th/><th>Arm A (n=40)</th></tr></thead>"
        "<tbody><tr><td>Neutropenia</td><td>12 (30%)</td></tr></tbody></table></table-wrap></floats-wrap>"
        "</article>"
    )
    path = tmp_path / "floats.nxml"
    path.write_text(xml, encoding="utf-8")
    document = parse_paper(path)
    table = next(t for t in document.tables if t.label == "Table 2")
    assert table.section == "results"
    assert "Neutropenia 12 (30%)" in _row_texts(table, document)


def test_methods_nested_inside_the_background_section_are_methods(tmp_path: Path) -> None:
    """Some articles nest "Patients and methods" inside "Background": from that heading on, the
    subsections are methods (not introduction, which the extractor never reads for results), while a
    background subsection before it stays introduction."""
    xml = (
        "<article><front><article-meta><title-group><article-title>A randomised trial</article-title>"
        "</title-group></article-meta></front><body>"
        '<sec sec-type="introduction"><title>Background</title><p>Earlier trials gave 30%.</p>'
        "<sec><title>Rationale</title><p>Why now.</p></sec>"
        "<sec><title>Patients and methods</title><sec><title>Patient inclusion</title><p>Adults.</p></sec></sec>"
        "<sec><title>Neoadjuvant treatment</title><p>Cisplatin 100 mg/m2 was given on day 1.</p></sec></sec>"
        "<sec><title>Discussion</title><sec><title>Treatment</title><p>Others used 75 mg/m2.</p></sec></sec>"
        "</body></article>"
    )
    path = tmp_path / "nested.nxml"
    path.write_text(xml, encoding="utf-8")
    labels = [(s.label, s.title) for s in parse_paper(path).sections if s.label != "title"]
    assert labels == [
        ("introduction", "Background"), ("introduction", "Rationale"), ("methods", "Patients and methods"),
        ("methods", "Patient inclusion"), ("methods", "Neoadjuvant treatment"),
        ("discussion", "Discussion"), ("discussion", "Treatment"),
    ]
