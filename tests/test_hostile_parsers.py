"""Hostile input the parsers and the pipeline must survive: span bombs, long lines, symbol runs, huge
tables, PDF page and inflation bombs, truncated PDFs. Each gives a Document or one PaperError naming
the limit, within seconds and bounded memory (extractor/limits.py; bench/hostile.py measures them)."""

import json
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest
import spacy
from lxml import etree

from bench.hostile import SYMBOLS, html, jats, page_content, pdf, span_row, symbol_text
from extractor import limits
from extractor.errors import PaperError
from extractor.parsers import parse_bytes, parse_paper
from extractor.parsers.jats_text import TextBuilder
from extractor.parsers.pdf import _page_count
from extractor.pipeline import build_nlp, extract_records
from extractor.segmenter import SymbolRunTokenizer, bounded_spans
from schemas import Document
from tests.conftest import CORPUS, PAPERS, ROOT
from tests.test_parse_pdf import minimal_pdf

SECONDS_PER_FILE = 10.0
MEMORY_LIMIT = 1536 * 2**20
PEAK_RSS_MB = 500
REAL_PDFS = sorted((CORPUS / "pdf").glob("*.pdf"))


def _timed(path: Path, data: bytes, extract: bool = False) -> Document | PaperError:
    start = time.perf_counter()
    try:
        document = parse_bytes(path, data)
        if extract:
            extract_records(document)
        result: Document | PaperError = document
    except PaperError as error:
        result = error
    assert time.perf_counter() - start < SECONDS_PER_FILE, path
    return result


# Memory-heavy cases: parsed in a child whose address space is capped, one line of JSON each.
HEAVY = {
    **{f"span-{n}.nxml": jats([span_row(n)]) for n in (20, 60, 200)},
    **{f"span-{n}.html": html([span_row(n)]) for n in (20, 60, 200)},
    "span-deep.nxml": jats(['<tr><td rowspan="1000">1</td><td>2</td></tr>' * 5000]),
    "rows-20000.nxml": jats(["<tr><td>Neutropenia</td><td>12 (40%)</td></tr>" * 20_000]),
    "rows-20000.html": html(["<tr><td>Neutropenia</td><td>12 (40%)</td></tr>" * 20_000]),
    "wide-50000.nxml": jats(["<tr>" + "<td>1</td>" * 50_000 + "</tr>"] * 2),
    "tables-30000.html": html(["<tr><td>Anaemia</td><td>3</td></tr>"] * 30_000),
    "markup-1100000.nxml": jats([], "<italic>w</italic>" * 550_000),
    "markup-1100000.html": html([], "<i>w</i>" * 550_000),
    "pages-2000.pdf": pdf(page_content(), 2000),
    "inflate-100mb.pdf": pdf(b"BT /F1 9 Tf 50 700 Td " + b"(x) Tj " * (100_000_000 // 7) + b"ET\n"),
    "objects-8mb.pdf": pdf(b"BT /F1 9 Tf 50 700 Td " + b"(x) Tj " * (8_000_000 // 7) + b"ET\n"),
}
CHILD = """
import json, resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from extractor.errors import PaperError
from extractor.parsers import parse_paper
for name in sys.argv[1:]:
    start = time.perf_counter()
    try:
        outcome = "document: %d rows" % sum(len(t.rows) for t in parse_paper(Path(name)).tables)
    except PaperError as error:
        outcome = "error: " + error.cause
    except MemoryError:
        outcome = "MemoryError"
    print(json.dumps([Path(name).name, outcome, time.perf_counter() - start]), flush=True)
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so this child would report pytest's size.
hwm = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
print(json.dumps(["peak", int(hwm.split()[1]) / 1024, 0]))
"""


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, float]]:
    folder = tmp_path_factory.mktemp("heavy")
    for name, data in HEAVY.items():
        (folder / name).write_bytes(data)
    done = subprocess.run([sys.executable, "-c", CHILD.format(limit=MEMORY_LIMIT), *(str(folder / n) for n in HEAVY)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {name: (outcome, seconds) for name, outcome, seconds in lines}


@pytest.mark.parametrize("name", list(HEAVY))
def test_heavy_input_is_read_or_refused_in_bounded_time_and_memory(heavy: dict[str, tuple[str, float]], name: str) -> None:
    outcome, seconds = heavy[name]
    assert seconds < SECONDS_PER_FILE
    expected = {
        "span": "document: 1 rows", "span-deep": "document: 200 rows",
        "rows": f"document: {limits.MAX_TABLE_ROWS} rows", "wide": "document: 2 rows",
        "tables": f"error: too many table cells (over {limits.MAX_PAPER_CELLS:,}, the limit)",
        "markup": f"error: too much markup ({HEAVY[name].count(b'<'):,} tags; limit {limits.MAX_MARKUP_TAGS:,})",
        "pages": f"error: PDF has too many pages (2000; limit {limits.MAX_PDF_PAGES})",
        "inflate": "error: PDF stream inflates past 8 MB (the limit); refused as a decompression bomb",
        "objects": f"error: PDF pages hold too many objects (over {limits.MAX_PDF_PAGE_OBJECTS:,} by page 1, the limit)",
    }
    key = "span-deep" if name.startswith("span-deep") else name.split("-")[0]
    assert outcome == expected[key]


def test_heavy_inputs_stay_under_the_memory_target(heavy: dict[str, tuple[str, float]]) -> None:
    assert float(heavy["peak"][0]) < PEAK_RSS_MB


def test_spans_cover_cells_as_a_set_of_covered_cells_would() -> None:
    # Overlapping spans: B spans over the column A's rowspan still covers in row 2.
    table = ('<table><tr><td>a</td><td>b</td><td rowspan="3">A</td></tr>'
             '<tr><td colspan="5">B</td></tr><tr><td>c</td><td>d</td><td>e</td></tr>'
             '<tr><td colspan="2" rowspan="2">C</td><td>f</td></tr><tr><td>g</td></tr></table>')
    builder = TextBuilder(Path("t.xml"))
    rows = builder.table_rows(etree.fromstring(table))
    assert [[(c.text, c.column, c.colspan) for c in row.cells] for row in rows] == [
        [("a", 0, 1), ("b", 1, 1), ("A", 2, 1)],
        [("B", 0, 5)],
        [("c", 0, 1), ("d", 1, 1), ("e", 3, 1)],
        [("C", 0, 2), ("f", 2, 1)],
        [("g", 2, 1)],
    ]


def test_columns_past_the_limit_are_not_read() -> None:
    width = limits.MAX_TABLE_COLUMNS
    table = "<table><tr>" + '<td colspan="7">x</td>' * width + "</tr></table>"
    row = TextBuilder(Path("t.xml")).table_rows(etree.fromstring(table))[0]
    assert sum(c.colspan for c in row.cells) == width
    assert row.cells[-1].column + row.cells[-1].colspan == width


@pytest.mark.parametrize("chars", [40_000, 100_000])
def test_a_long_line_without_stops_is_extracted_in_seconds(tmp_path: Path, chars: int) -> None:
    line = "Patients received 75 mg/m2 azacitidine on days 1 to 7 and the response rate was 45% " * (chars // 85)
    result = _timed(tmp_path / "line.txt", f"Results\n\n{line}\n".encode(), extract=True)
    assert isinstance(result, Document)


@pytest.mark.parametrize("chars", [limits.MAX_TEXT_CHARS + 1, 1_000_000, 49_000_000])
def test_text_past_the_limit_is_refused_naming_it(tmp_path: Path, chars: int) -> None:
    result = _timed(tmp_path / "long.txt", b"word " * (chars // 5 + 1))
    assert isinstance(result, PaperError)
    assert result.cause == f"text is too long (over {limits.MAX_TEXT_CHARS:,} characters, the limit)"


def test_the_pipeline_refuses_a_document_past_the_text_limit(tmp_path: Path) -> None:
    document = parse_paper(PAPERS / "PMC1079844.nxml")
    long = document.model_copy(update={"text": document.text + " x" * limits.MAX_TEXT_CHARS})
    with pytest.raises(PaperError, match="text is too long"):
        extract_records(long)


@pytest.mark.parametrize("symbol", list(SYMBOLS))
@pytest.mark.parametrize("count", [500, 10_000])
def test_a_symbol_run_is_tokenized_in_linear_time(tmp_path: Path, symbol: str, count: int) -> None:
    run = SYMBOLS[symbol]
    data = symbol_text(run, count // len(run))
    result = _timed(tmp_path / "run.txt", data, extract=True)
    assert isinstance(result, Document)
    assert run * (count // len(run)) in result.text


def test_the_symbol_run_tokenizer_keeps_the_text_and_changes_nothing_else() -> None:
    plain = spacy.blank("en").tokenizer
    tokenizer = SymbolRunTokenizer(spacy.blank("en").tokenizer)
    text = "Grade 3 (n = 4); see ____ and \U0001f600\U0001f600. ORR was 45%."
    assert [t.text for t in tokenizer(text)] == [t.text for t in plain(text)]
    hostile = "Treated. " + "_" * 40 + " then \u2500" * 3 + "=" * 20 + "x. Done\n"
    doc = tokenizer(hostile)
    assert doc.text == hostile
    assert [t.text for t in doc if len(t) >= limits.MAX_SYMBOL_RUN] == ["_" * 40, "\u2500" + "=" * 20 + "x"]
    assert all(hostile[t.idx : t.idx + len(t)] == t.text for t in doc)


def test_offsets_stay_exact_with_symbol_runs_in_a_real_paper(tmp_path: Path) -> None:
    source = PAPERS / "PMC2855860.nxml"
    data = source.read_bytes()
    # Runs between sentences of prose paragraphs, so the tokenizer reads them; inserted from the
    # last place back, so the earlier places stay where they were found.
    stops = [i + 2 for i in range(len(data))
             if data.startswith(b". ", i) and data.rfind(b"<p>", 0, i) > data.rfind(b"</p>", 0, i)]
    runs = [b"\xf0\x9f\x98\x80" * 600, b"_" * 300, "\u2500".encode() * 200 + b"=" * 50]
    for at, run in sorted(zip([stops[len(stops) // 4], stops[len(stops) // 2], stops[3 * len(stops) // 4]], runs,
                              strict=True), reverse=True):
        data = data[:at] + run + b" " + data[at:]
    path = tmp_path / source.name
    path.write_bytes(data)
    document = parse_paper(path)
    assert "\U0001f600" * 600 in document.text and "_" * 300 in document.text
    records = extract_records(document)
    assert len(records) > 100
    for record in records:
        for place in record.provenance:
            assert document.text[place.start : place.end] == place.quote


def test_long_spans_are_cut_at_spaces_into_bounded_pieces() -> None:
    limit = limits.MAX_SENTENCE_CHARS
    text = ("word " * (3 * limit // 5)) + "x" * (2 * limit) + " end"
    pieces = bounded_spans(text, [(0, len(text))])
    assert all(end - start <= limit for start, end in pieces)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in pairwise(pieces))
    assert text[pieces[0][1]] == " "
    assert bounded_spans("short one", [(0, 5), (5, 9)]) == [(0, 5), (5, 9)]


@pytest.mark.parametrize("path", REAL_PDFS[:3], ids=lambda p: p.stem[:20])
@pytest.mark.parametrize("share", [0.02, 0.3, 0.6, 0.9])
def test_a_truncated_pdf_says_so_in_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str], path: Path,
                                             share: float) -> None:
    data = path.read_bytes()
    result = _timed(tmp_path / path.name, data[: int(len(data) * share)])
    # PDFium recovers the pages before the cut of some files: their text is read.
    if isinstance(result, PaperError):
        assert result.cause == "PDF file is truncated (no %%EOF at its end); the download or copy is incomplete"
    assert capfd.readouterr() == ("", "")


def test_pdfminer_prints_nothing_when_asked_to_count_pages(capfd: pytest.CaptureFixture[str]) -> None:
    # A page without a MediaBox: pdfminer logs a warning per page unless silenced.
    data = minimal_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                        b"<< /Type /Page /Parent 2 0 R >>"])
    _page_count(data)
    assert capfd.readouterr() == ("", "")


def test_a_pdf_too_slow_to_read_is_refused_naming_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("extractor.parsers.pdf.MAX_PDF_SECONDS", -1.0)
    result = _timed(tmp_path / "slow.pdf", pdf(page_content(), 2))
    assert isinstance(result, PaperError)
    assert result.cause == "PDF is too slow to read (over -1 s by page 1, the limit)"


def test_a_pdf_whose_pages_are_all_alike_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    result = _timed(tmp_path / "alike.pdf", pdf(page_content(), 12))
    assert isinstance(result, PaperError)
    assert result.cause == "PDF has no text besides running headers, footers and page numbers"


def test_limits_are_far_above_the_bundled_papers() -> None:
    nlp = build_nlp()
    assert isinstance(nlp.tokenizer, SymbolRunTokenizer)
    for path in [PAPERS / "PMC1079844.nxml", *REAL_PDFS[:1]]:
        document = parse_paper(path)
        assert len(document.text) * 4 < limits.MAX_TEXT_CHARS
        assert all(len(t.rows) * 10 < limits.MAX_TABLE_ROWS for t in document.tables)
