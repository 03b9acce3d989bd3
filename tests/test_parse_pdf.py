"""The PDF parser on the bundled journal PDFs, and on broken PDFs."""

from pathlib import Path

import pytest

from extractor.errors import PaperError
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import Document
from tests.conftest import CORPUS, ROOT

PDFS = sorted((CORPUS / "pdf").glob("*.pdf"))
PAIRS = ROOT / "tests" / "fixtures" / "pdf-xml-pairs"


def minimal_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A small well-formed PDF with the given objects (object 1 is the catalog)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra
    out += b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
ONE_PAGE = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
BLANK_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
BROKEN = {
    "zero-pages.pdf": (minimal_pdf([CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>"]), "no pages"),
    "image-only.pdf": (minimal_pdf([CATALOG, ONE_PAGE, BLANK_PAGE]), "no text layer"),
    "encrypted.pdf": (
        minimal_pdf(
            [CATALOG, ONE_PAGE, BLANK_PAGE,
             b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"],
            b"/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ",
        ),
        "encrypted",
    ),
    "truncated.pdf": ((CORPUS / "pdf" / "bmj_2015_physical_activity_smoking_cessation_pregnancy_rct.pdf")
                      .read_bytes()[:200_000], "PDF file is truncated (no %%EOF at its end)"),
    "junk.pdf": (b"%PDF-1.4\n\x00\xff garbage that is not a PDF body", "corrupt or truncated"),
}


@pytest.fixture(scope="module", params=PDFS, ids=[p.stem[:30] for p in PDFS])
def document(request: pytest.FixtureRequest) -> Document:
    return parse_paper(request.param)


def test_every_bundled_pdf_parses_into_sections(document: Document) -> None:
    assert document.format == "pdf"
    labels = {s.label for s in document.sections}
    assert "abstract" in labels or "methods" in labels
    assert sum(s.end - s.start for s in document.sections) == len(document.text)
    assert all(a.end == b.start for a, b in zip(document.sections, document.sections[1:], strict=False))


def test_no_glued_words_or_ligatures(document: Document) -> None:
    words = document.text.split()
    long_tokens = [w for w in words if len(w) > 25 and "/" not in w and "http" not in w and "@" not in w]
    assert len(long_tokens) < 0.002 * len(words), long_tokens[:10]
    for ligature in "\ufb00\ufb01\ufb02\ufb03\ufb04\ufffe\u00ad":
        assert ligature not in document.text


def test_running_footer_and_page_numbers_are_dropped() -> None:
    document = parse_paper(PAIRS / "PMC5614421.pdf")
    assert "PLOS Medicine | https://doi.org" not in document.text
    assert "\n4 / 18\n" not in document.text
    # A sentence broken across a page break and a hyphenated line reads whole.
    assert "respiratory distress syndrome" in document.text
    assert "func\u00adtional" not in document.text and "functional" in document.text


def test_structured_abstract_and_references() -> None:
    document = parse_paper(PAIRS / "PMC5614421.pdf")
    by_title = {s.title: s.label for s in document.sections if s.title}
    assert by_title["Abstract"] == by_title["Findings"] == by_title["Trial registration"] == "abstract"
    assert by_title["Introduction"] == "introduction"
    assert by_title["Results"] == "results"
    assert by_title["References"] == "references"
    assert document.metadata.doi == "10.1371/journal.pmed.1002390"


def test_evidence_from_a_pdf() -> None:
    document = parse_paper(CORPUS / "pdf" / "lancet_2015_pathway2_spironolactone_resistant_hypertension_rct.pdf")
    records = extract_records(document)
    ids = {r.identifier for r in records if r.kind == "registry_id"}
    assert ids == {"NCT02369081", "2008-007149-30"}
    doses = {(r.drug, r.dose, r.dose_max, r.unit) for r in records if r.kind == "regimen"}
    assert ("spironolactone", 25.0, 50.0, "mg") in doses
    for record in records:
        for prov in record.provenance:
            assert document.text[prov.start : prov.end] == prov.quote


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_pdf_is_one_line_naming_the_file(tmp_path: Path, name: str) -> None:
    data, cause = BROKEN[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PaperError) as error:
        parse_paper(path)
    message = str(error.value)
    assert message.startswith(str(path)) and cause in message and "\n" not in message


def test_line_end_hyphens_follow_the_papers_own_words() -> None:
    from extractor.parsers.pdf import join_hyphenated

    words = {"treatment", "non-adherent", "z-scores", "blood"}
    assert join_hyphenated("the treat-", "ment was", words) == "the treatment was"
    assert join_hyphenated("four non-", "adherent patients", words) == "four non-adherent patients"
    assert join_hyphenated("composite z-", "scores were", set()) == "composite z-scores were"
    assert join_hyphenated("either actual or func-", "tional", set()) == "either actual or functional"


def test_split_ligatures_are_repaired() -> None:
    from extractor.parsers.pdf import repair_ligatures

    assert repair_ligatures("the eff ective dose was signifi cant at fi rst") == "the effective dose was significant at first"
    assert repair_ligatures("turned off the pump; staff members") == "turned off the pump; staff members"
    document = parse_paper(CORPUS / "pdf" / "lancet_2015_pathway2_spironolactone_resistant_hypertension_rct.pdf")
    assert "eff ective" not in document.text and "modifi ed" not in document.text
    assert "effective" in document.text


# Title (opening words) and year each bundled PDF prints on its first page; where the year was read from.
PRINTED = {
    "bmcanesthesiol_2015_haloperidol_dexamethasone_ponv_dose_response_rct": (
        "Haloperidol dose combined with dexamethasone for PONV prophylaxis", 2015),  # "© 2015 Joo et al."
    "bmj_2015_physical_activity_smoking_cessation_pregnancy_rct": (
        "Physical activity for smoking cessation in pregnancy", 2015),  # "BMJ 2015;350:h2145"
    "childpsychiatryhumdev_2017_aripiprazole_autism_irritability_rct": (
        "Aripiprazole in the Treatment of Irritability", 2017),  # "Child Psychiatry Hum Dev (2017) 48:796"
    "lancet_2015_pathway2_spironolactone_resistant_hypertension_rct": (
        "Spironolactone versus placebo, bisoprolol, and doxazosin", 2015),  # Subject: "The Lancet, 386 (2015)"
    "plosone_2015_perioperative_empowerment_older_cancer_patients_rct": (
        "Patient Empowerment Improved Perioperative Quality of Care", 2015),  # "Published: September 17, 2015"
    "scirep_2015_peginterferon_ribavirin_hcv_genotype2_rct": (
        "Peginterferon plus weight-based ribavirin", 2015),  # "Published: 01 July 2015"
}


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.stem)
def test_title_and_year_of_the_bundled_pdfs(path: Path) -> None:
    metadata = parse_paper(path).metadata
    title, year = PRINTED[path.stem]
    assert metadata.title is not None and metadata.title.startswith(title)
    assert metadata.year == year


def test_a_title_or_year_the_first_page_does_not_print_is_not_taken() -> None:
    from extractor.parsers.pdf_meta import pdf_metadata

    info = {"Title": "Microsoft Word - draft3.docx", "Subject": "", "CreationDate": "D:20190101"}
    metadata = pdf_metadata("Some text", ["A randomised trial of aspirin", "Smith J, Jones K"], info)
    assert (metadata.title, metadata.year) == (None, None)
    printed = {"Title": "A randomised trial of aspirin in older adults"}
    page = ["A randomised trial of aspirin in", "older adults", "© 2019 The Authors"]
    assert pdf_metadata("", page, printed).model_dump(include={"title", "year"}) == {
        "title": "A randomised trial of aspirin in older adults", "year": 2019}
    # A year of the references (not on the first page) is never taken.
    assert pdf_metadata("Lancet 2010;375:1-9. © 2011", ["A randomised trial of aspirin"], {}).year is None
