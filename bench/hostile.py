"""Hostile inputs (span bombs, long lines, symbol runs, huge tables, PDF page and inflation bombs,
truncated PDFs), generated; run by hand to measure each file's seconds and peak memory.

    python -m bench.hostile [--timeout 60] [--only NAME] [--keep DIR]

Each file is read by ``publish.processing.process_file`` (parse and extract, as `evidence build`
does) in a child process; the table gives wall seconds, peak RSS and the outcome.
tests/test_hostile_parsers.py builds its cases with these generators.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from tests.test_parse_pdf import CATALOG, minimal_pdf

CORPUS_PDF = Path(__file__).resolve().parent.parent / "corpus" / "pdf"
# Number-dense trial prose: the worst case for the rule components' cost a character.
PROSE = ("Patients received 75 mg/m2 azacitidine on days 1 to 7 of each 28-day cycle and the overall "
         "response rate was 45% ")
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def jats(tables: list[str], prose: str = PROSE) -> bytes:
    """A JATS article: a title, one results paragraph and the given <table> bodies."""
    floats = "".join(f"<table-wrap><label>Table {i + 1}</label><table>{t}</table></table-wrap>"
                     for i, t in enumerate(tables))
    return (f"<article><front><article-meta><title-group><article-title>A trial</article-title></title-group>"
            f"</article-meta></front><body><sec><title>Results</title><p>{prose}</p>{floats}</sec></body>"
            f"</article>").encode()


def html(tables: list[str], prose: str = PROSE) -> bytes:
    """An HTML article page: a heading, one results paragraph and the given <table> bodies."""
    return (f"<html><body><article><h1>A trial</h1><h2>Results</h2><p>{prose}</p>"
            + "".join(f"<table>{t}</table>" for t in tables) + "</article></body></html>").encode()


def span_row(cells: int, span: int = 1000) -> str:
    """One row of cells each spanning ``span`` columns and rows."""
    return "<tr>" + f'<td colspan="{span}" rowspan="{span}">x</td>' * cells + "</tr>"


def pdf(content: bytes, pages: int = 1) -> bytes:
    """A PDF of ``pages`` pages all drawing one FlateDecode content stream."""
    stream = zlib.compress(content, 9)
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R"
            b" /Resources << /Font << /F1 4 0 R >> >> >>")
    return minimal_pdf([CATALOG, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
                        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
                        FONT] + [page] * pages)


def page_content(lines: int = 50) -> bytes:
    """A page of text with a table caption and numeric rows (so the table reader runs)."""
    text = [b"Table 1 Adverse events by grade in the safety population"]
    text += [b"Neutropenia %d %d (%d%%) %d (%d%%)" % (i, i * 3, i, i * 2, i) for i in range(lines // 3)]
    text += [b"Patients in cohort %d received azacitidine at %d mg per square metre for %d days of each cycle."
             % (i, 50 + i, 5 + i % 3) for i in range(lines - len(text))]
    return b"BT /F1 9 Tf 11 TL 50 760 Td " + b"".join(b"(" + line + b") Tj T* " for line in text) + b"ET\n"


def symbol_text(symbol: str, count: int) -> bytes:
    """A short paper with a run of ``count`` symbols between two sentences."""
    return (f"Results\n\nPatients were treated with azacitidine. {symbol * count} The overall response rate was "
            f"45% in the study population.\n").encode()


def span_bombs() -> dict[str, bytes]:
    files = {}
    for cells in (1, 20, 60, 200):
        files[f"span-{cells}.nxml"] = jats([span_row(cells)])
        files[f"span-{cells}.html"] = html([span_row(cells)])
    files["span-many-rows.nxml"] = jats([span_row(3) + "<tr><td>1</td></tr>" * 5000])
    return files


def long_lines() -> dict[str, bytes]:
    files = {}
    for chars in (20_000, 100_000, 290_000, 1_000_000):
        files[f"line-{chars}.txt"] = (PROSE * (chars // len(PROSE) + 1))[:chars].encode()
    files["line-290000-stops.txt"] = ((PROSE.strip() + ". ") * (290_000 // (len(PROSE) + 1))).encode()
    files["line-49mb.txt"] = b"word " * (49_000_000 // 5)
    return files


SYMBOLS = {"emoji": "\U0001f600", "underscore": "_", "dash": "-", "dot": ".", "box": "\u2500", "equals": "=",
           "star": "*", "question": "?", "mixed": "_=*\u2500.-\U0001f600?!)(#"}


def symbol_runs(count: int = 10_000) -> dict[str, bytes]:
    return {f"run-{name}-{count}.txt": symbol_text(symbol, count // len(symbol)) for name, symbol in SYMBOLS.items()}


def big_tables() -> dict[str, bytes]:
    row = "<tr><td>Neutropenia</td><td>12 (40%)</td><td>3 (10%)</td></tr>"
    return {
        "rows-130000.nxml": jats([row * 130_000]),
        "rows-130000.html": html([row * 130_000]),
        "wide-100000.nxml": jats(["<tr>" + "<td>1</td>" * 100_000 + "</tr>"] * 3),
        "tables-25000.html": html(["<tr><th>Grade</th><th>n</th></tr><tr><td>Anaemia</td><td>3 (10%)</td></tr>"] * 25_000),
    }


def pdf_bombs() -> dict[str, bytes]:
    return {
        "pages-2000.pdf": pdf(page_content(), 2000),
        "pages-300-qQ-8mb.pdf": pdf(page_content() + b"q Q\n" * 2_000_000, 300),
        "inflate-100mb-spaces.pdf": pdf(b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n" + b" " * 100_000_000),
        "inflate-100mb-text.pdf": pdf(b"BT /F1 9 Tf 50 700 Td " + b"(x) Tj " * (100_000_000 // 7) + b"ET\n"),
        "objects-8mb.pdf": pdf(b"BT /F1 9 Tf 50 700 Td " + b"(x) Tj " * (8_000_000 // 7) + b"ET\n"),
    }


def truncated_pdfs() -> dict[str, bytes]:
    files = {}
    for path in sorted(CORPUS_PDF.glob("*.pdf"))[:3]:
        data = path.read_bytes()
        for share in (0.3, 0.6, 0.95):
            files[f"cut-{share}-{path.stem[:20]}.pdf"] = data[: int(len(data) * share)]
    return files


CASES: dict[str, Callable[[], dict[str, bytes]]] = {
    "span bombs": span_bombs, "long lines": long_lines, "symbol runs": symbol_runs, "big tables": big_tables,
    "pdf bombs": pdf_bombs, "truncated pdfs": truncated_pdfs,
}
MANIFEST = "manifest.tsv"
CHILD = """
import sys, time
from pathlib import Path
from extractor.pipeline import build_nlp
from publish.processing import process_file
build_nlp()
start = time.perf_counter()
result = process_file(Path(sys.argv[1]))
seconds = time.perf_counter() - start
print(f"{seconds:.2f}", result.cause or f"document: {len(result.document.text)} chars, {len(result.records)} records")
"""


def measure(path: Path, timeout: float) -> tuple[float, float, str, int]:
    """(wall seconds, peak RSS in MB, outcome, stderr lines) of process_file on ``path`` in a child."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=out, stderr=err, text=True)
        killed = False
        while True:
            # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN is the maximum over all of them).
            pid, _, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                child.kill()
                killed = True
                _, _, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        child.returncode = 0  # reaped above; keeps Popen from waiting again
        out.seek(0)
        err.seek(0)
        printed, noise = out.read().strip(), err.read().strip().splitlines()
    outcome = f"killed after {timeout:g} s" if killed else printed or f"crashed: {noise[-1:]}"
    return time.perf_counter() - start, usage.ru_maxrss / 1024, outcome, len(noise)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", help="run only the files whose name contains this")
    parser.add_argument("--keep", type=Path, help="write the files here (default: a temporary directory)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_all(args.measure / MANIFEST, args.timeout)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        listed = []
        for group, make in CASES.items():
            for name, data in make().items():
                if not args.only or args.only in name:
                    (folder / name).write_bytes(data)
                    listed.append(f"{group}\t{name}\t{len(data)}")
        (folder / MANIFEST).write_text("\n".join(listed) + "\n")
        # Measured from a fresh, small process: a child's peak RSS counts what its parent held when it
        # forked, and this one has held 100 MB bombs.
        subprocess.run([sys.executable, "-m", "bench.hostile", "--measure", str(folder), "--timeout", str(args.timeout)],
                       check=True)


def measure_all(manifest: Path, timeout: float) -> None:
    """Measure each file the manifest lists (group, name, size), printing one line each."""
    for line in manifest.read_text().splitlines():
        group, name, size = line.split("\t")
        seconds, peak, outcome, noise = measure(manifest.parent / name, timeout)
        print(f"{group:14} {name:34} {int(size):>10} B {seconds:6.1f} s {peak:7.0f} MB  {outcome}"
              + (f"  ({noise} stderr lines)" if noise else ""), flush=True)

if __name__ == "__main__":
    main()
