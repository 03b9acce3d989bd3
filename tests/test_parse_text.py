"""The plain-text parser on the corpus .txt papers: text, sections, tables, metadata, bad input."""

from pathlib import Path

import pytest

from extractor.errors import PaperError
from extractor.parsers import paper_id_for, parse_paper
from extractor.parsers.text import CONTROL_CHARACTERS
from schemas import Document, Table
from tests.conftest import GOLD, PAPERS
from tests.gold_quotes import collapse, find_quote, gold_quotes, label_at

TEXT_PAPERS = sorted(PAPERS.glob("*.txt"))
# Papers with dev gold: the frozen test split (corpus/gold/test) is scored, never read, tests included.
DEV_TEXT_PAPERS = [p for p in TEXT_PAPERS if (GOLD / f"{p.stem}.json").exists()]
SEED = PAPERS / "000_59df4b2ebd5e169b.txt"
SEED_003 = PAPERS / "003_560b24a11cf67a5c.txt"
# Gold facts are the paper's own trial: their quotes stand where evidence may be read.
NO_EVIDENCE_LABELS = {"references", "back"}


@pytest.fixture(scope="module")
def seed() -> Document:
    return parse_paper(SEED)


def _label_of_line(document: Document, line_start: str) -> str:
    offset = document.text.index(line_start)
    section = document.section_at(offset)
    assert section is not None
    return section.label


def _table(document: Document, label: str) -> list[tuple[int, Table]]:
    return [(i, t) for i, t in enumerate(document.tables) if t.label == label]


@pytest.mark.parametrize("path", TEXT_PAPERS, ids=lambda p: p.stem)
def test_text_paper_parses_with_consistent_offsets(path: Path) -> None:
    data = path.read_bytes()
    document = parse_paper(path)
    assert document.format == "text"
    assert document.text == data.decode("utf-8").replace("\r\n", "\n")
    assert document.paper_id == paper_id_for(data)
    assert document.stem == path.stem
    assert document.source_path == str(path)
    position = 0
    for section in document.sections:
        assert section.start == position < section.end
        position = section.end
    assert position == len(document.text)
    for table in document.tables:
        assert document.section_at(table.start) is not None
        for row in table.rows:
            assert table.start <= row.start < row.end <= table.end
            for cell in row.cells:
                assert document.text[cell.start : cell.end] == cell.text
                assert row.start <= cell.start < cell.end <= row.end


@pytest.mark.parametrize("path", DEV_TEXT_PAPERS, ids=lambda p: p.stem)
def test_every_gold_quote_is_in_the_text_in_an_evidence_section(path: Path) -> None:
    document = parse_paper(path)
    quotes = gold_quotes(path.stem)
    assert quotes
    missing = [q for q in quotes if find_quote(document, q) is None]
    assert missing == []
    # Blind gold quotes a restated result in the discussion or a protocol's unlabelled section too;
    # none comes from the references or the back matter.
    misplaced = [(q, label_at(document, q)) for q in quotes if label_at(document, q) in NO_EVIDENCE_LABELS]
    assert misplaced == []


def test_seed_sections_follow_headings_and_unheaded_structure(seed: Document) -> None:
    assert _label_of_line(seed, "• Azacytidine and sorafenib are effective") == "abstract"
    assert _label_of_line(seed, "Patients received 5-azacytidine (AZA) 75 mg/m2") == "abstract"
    assert _label_of_line(seed, "Internal tandem duplication (ITD) mutations") == "introduction"
    assert _label_of_line(seed, "Study design and eligibility") == "methods"
    # An unknown sub-heading keeps the section it sits in.
    assert _label_of_line(seed, "Laboratory correlative studies") == "methods"
    assert _label_of_line(seed, "Statistical analysis") == "methods"
    assert _label_of_line(seed, "Patient characteristics\n\nBetween January 2011") == "results"
    assert _label_of_line(seed, "Safety and toxicity") == "results"
    assert _label_of_line(seed, "The treatment of patients with primary refractory") == "discussion"
    assert _label_of_line(seed, "Serve et al22\u00a0 randomized 197") == "discussion"
    assert _label_of_line(seed, "The online version of this article contains") == "back"
    assert _label_of_line(seed, "Conflict-of-interest disclosure:") == "back"
    assert _label_of_line(seed, "1\nNakao") == "references"
    assert _label_of_line(seed, "Zarrinkar") == "references"
    assert _label_of_line(seed, "Author notes") == "back"
    titled = {s.title: s.label for s in seed.sections if s.title}
    assert titled["Treatment regimen"] == "methods"
    assert titled["Response and outcomes"] == "results"
    assert titled["Correlation of response with FLT3-ITD allele burden"] == "results"


def test_seed_table_2_rows_cells_and_repeat(seed: Document) -> None:
    (first_index, first), (_, repeat) = _table(seed, "Table 2")
    assert first.caption == "Overall response"
    assert first.section == "results"
    assert first.duplicate_of is None
    assert repeat.duplicate_of == first_index
    header = first.rows[0]
    assert header.header
    assert seed.text[header.start : header.end] == "ParameterN = 37 (%)"
    assert [c.text for c in header.cells] == ["Parameter", "N = 37 (%)"]
    cells = [[c.text for c in row.cells] for row in first.rows[1:]]
    assert ["CR", "6 (16)"] in cells
    assert ["4-wk mortality", "1 (3)"] in cells
    assert ["PR", "1* (3)"] in cells
    assert ["Median no. cycles received [range]", "3 [1-18]"] in cells
    assert ["Response"] in cells
    assert not any(row.header for row in first.rows[1:])
    assert [[c.text for c in r.cells] for r in repeat.rows] == [[c.text for c in r.cells] for r in first.rows]
    assert repeat.start > first.end


def test_seed_table_1_and_image_only_table_3(seed: Document) -> None:
    (_, table1), (_, _repeat) = _table(seed, "Table 1")
    cells = [[c.text for c in row.cells] for row in table1.rows]
    assert cells[0] == ["Characteristics", "No. of patients (%)"]
    assert ["Median age in years [range]", "64 [24-87]"] in cells
    assert ["Male: female", "22 (51):21 (49)"] in cells
    assert ["Median WBC × 109/L [range]", "8.9 [0.4-107.8]"] in cells
    [(_, table3)] = _table(seed, "Table 3")
    assert table3.caption == "Adverse events and chemical abnormalities"
    assert table3.rows == []


def test_003_labelled_abstract_and_identifiers() -> None:
    document = parse_paper(SEED_003)
    assert document.metadata.doi == "10.1200/JCO.21.01612"
    assert document.metadata.pmcid == "PMC9197362"
    assert document.metadata.title is not None
    assert document.metadata.title.startswith("Sorafenib in Combination With Standard Chemotherapy")
    assert _label_of_line(document, "Sorafenib in Combination With") == "title"
    assert _label_of_line(document, "Purpose: High allelic ratio") == "abstract"
    assert _label_of_line(document, "Materials and methods: Patients were treated") == "abstract"
    assert _label_of_line(document, "Conclusion: Sorafenib can be safely added") == "abstract"
    assert _label_of_line(document, "Journal Title") == "other"
    assert _label_of_line(document, "MeSH Keywords") == "other"
    assert document.metadata.journal == (
        "Journal of clinical oncology : official journal of the American Society of Clinical Oncology"
    )


@pytest.mark.parametrize("path", sorted(PAPERS.glob("d0*.txt")), ids=lambda p: p.stem)
def test_abstract_pages_are_title_and_abstract(path: Path) -> None:
    document = parse_paper(path)
    labels = {s.label for s in document.sections}
    assert labels <= {"other", "title", "abstract"}
    assert "abstract" in labels
    assert document.sections[0].label == "other"
    assert document.text[: document.sections[0].end].startswith("Source: http")


def test_abstract_page_titles_and_identifiers() -> None:
    d01 = parse_paper(PAPERS / "d01_borthakur_phase1_haematologica2011.txt")
    assert d01.metadata.title == "Phase I study of sorafenib in patients with refractory or relapsed acute leukemias"
    assert (d01.metadata.pmid, d01.metadata.doi) == ("20952518", "10.3324/haematol.2010.030452")
    assert (d01.metadata.journal, d01.metadata.year) == ("Haematologica", 2011)
    assert _label_of_line(d01, "Haematologica. 2011 Jan") == "other"
    d02 = parse_paper(PAPERS / "d02_ravandi_sorafenib_ida_arac_jco2010.txt")
    assert _label_of_line(d02, "Research paper by") == "other"
    assert _label_of_line(d02, "Indexed on:") == "other"
    assert _label_of_line(d02, "PURPOSE To determine") == "abstract"
    d03 = parse_paper(PAPERS / "d03_rollig_soraml_followup_leukemia2021.txt")
    assert (d03.metadata.doi, d03.metadata.year) == ("10.1038/s41375-021-01148-x", 2021)
    assert _label_of_line(d03, "Röllig C, Serve H") == "other"
    d04 = parse_paper(PAPERS / "d04_loo_allg_amlm16_blood2023.txt")
    assert d04.metadata.title is None
    assert _label_of_line(d04, "• Sorafenib did not significantly improve EFS") == "abstract"
    assert _label_of_line(d04, "Sorafenib maintenance improves outcomes") == "abstract"
    d06 = parse_paper(PAPERS / "d06_chen_maintenance_phase1_bbmt2014.txt")
    assert d06.metadata.pmid == "25239228"
    assert d06.metadata.journal == "Biol Blood Marrow Transplant"


def test_crlf_is_read_as_newline_and_offsets_follow(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"Results\r\n\r\nCR was achieved in 6 of 37 patients (16%).\r\n")
    document = parse_paper(path)
    assert document.text == "Results\n\nCR was achieved in 6 of 37 patients (16%).\n"
    assert [(s.label, s.title) for s in document.sections] == [("results", "Results")]
    assert collapse(document.text) == "Results CR was achieved in 6 of 37 patients (16%)."


@pytest.mark.parametrize(
    ("name", "data", "cause"),
    [
        ("empty.txt", b"  \n\n", "empty"),
        ("junk.txt", bytes(range(256)) * 8, "binary"),
        ("latin1.txt", "Réponse complète chez 6 patients".encode("latin-1"), "not UTF-8"),
        ("controls.txt", b"\x01\x02\x03\x04 text \x05\x06\x07\x08", "binary"),
        ("digits.txt", b"12 34 56\n", "no text"),
    ],
)
def test_bad_text_input_raises_paper_error_naming_the_file(tmp_path: Path, name: str, data: bytes, cause: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PaperError) as info:
        parse_paper(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert cause in message
    assert "\n" not in message


def _parse_lines(tmp_path: Path, text: str) -> Document:
    path = tmp_path / "paper.txt"
    path.write_text(text, encoding="utf-8")
    return parse_paper(path)


PARAGRAPH = "We treated the patients with the study drug and they were followed for a median of two years."


def test_structured_abstract_keeps_its_subheadings_until_one_repeats(tmp_path: Path) -> None:
    text = (
        f"Abstract\n\nBackground\n\n{PARAGRAPH}\n\nMethods\n\n{PARAGRAPH}\n\nResults\n\nCR was 16%.\n\n"
        f"Introduction\n\n{PARAGRAPH}\n\nMethods\n\n{PARAGRAPH}\n"
    )
    document = _parse_lines(tmp_path, text)
    assert [(s.title, s.label) for s in document.sections] == [
        ("Abstract", "abstract"), ("Background", "abstract"), ("Methods", "abstract"), ("Results", "abstract"),
        ("Introduction", "introduction"), ("Methods", "methods"),
    ]


def test_unstructured_abstract_ends_at_the_first_body_heading(tmp_path: Path) -> None:
    document = _parse_lines(tmp_path, f"Abstract\n\n{PARAGRAPH}\n\nMethods\n\n{PARAGRAPH}\n")
    assert [(s.title, s.label) for s in document.sections] == [("Abstract", "abstract"), ("Methods", "methods")]


def test_table_with_caption_on_its_label_line_and_column_gaps(tmp_path: Path) -> None:
    text = (
        "Results\n\nTable 1. Response by arm\n\nResponse\tArm A\tArm B\nCR\t6 (16)\t4 (11)\n"
        "Grade 3  2 (5)  1 (3)\n\nCR was reached by six patients in arm A.\n"
    )
    document = _parse_lines(tmp_path, text)
    [table] = document.tables
    assert (table.label, table.caption, table.section) == ("Table 1", "Response by arm", "results")
    assert [[c.text for c in r.cells] for r in table.rows] == [
        ["Response", "Arm A", "Arm B"], ["CR", "6 (16)", "4 (11)"], ["Grade 3", "2 (5)", "1 (3)"],
    ]
    assert [r.header for r in table.rows] == [True, False, False]
    assert document.text[table.start : table.end].startswith("Table 1. Response by arm")


def test_control_characters_are_those_below_32_but_tab_newline_return_and_form_feed() -> None:
    assert set(CONTROL_CHARACTERS) == {chr(c) for c in range(32)} - set("\t\n\r\f")


def test_a_lower_case_section_name_on_its_own_line_is_a_heading() -> None:
    from extractor.parsers.text import parse_text

    text = "Source: https://example.org/x\n\nA phase 1 trial of X\n\nOverview\n\nabstract\n\nTwenty patients were treated.\n"
    document = parse_text(Path("x.txt"), text.encode())
    labels = [s.label for s in document.sections]
    assert labels[-1] == "abstract"
    start = document.text.index("Twenty")
    assert document.section_at(start).label == "abstract"


@pytest.mark.parametrize(("stem", "year"), [
    ("ha04_tower_blinatumomab_all", 2017),  # "N Engl J Med 2017;376:836-47. ... Copyright © 2017"
    ("hb03_czuczman_lenalidomide_dlbcl", 2017),  # "Clin Cancer Res; 23(15); 4127–37. ©2017 AACR."
    ("p12_scott_zk304709_solid", 2009),  # "© 2009 Springer-Verlag."
    ("d05_sorafenib_clagm_bloodadv2023", None),  # states no year (only its references do): none taken
])
def test_year_from_the_papers_own_citation_or_copyright_line(stem: str, year: int | None) -> None:
    assert parse_paper(PAPERS / f"{stem}.txt").metadata.year == year
