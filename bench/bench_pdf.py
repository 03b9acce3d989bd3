"""Benchmark of the PDF path: pages/s per file and peak memory, against pypdfium2's raw text.

Run by hand, never as a test:

    .venv/bin/python bench/bench_pdf.py [--repeat N] [--pdfplumber] [FILE.pdf ...]

Each way of reading runs in a child process of its own, one after the other, so its
peak resident memory (getrusage) is its own and every figure is for one core:

- ``parse``: extractor.parsers.pdf.parse_pdf, the whole PDF path (text, furniture,
  reflow, sections, tables with offsets);
- ``pdfium``: pypdfium2 ``get_text_range()`` of every page, the floor under it;
- ``pdfplumber`` (with --pdfplumber): ``extract_text(x_tolerance=1.5)`` and
  ``extract_tables()`` of every page, the pure-pdfminer way to text plus tables.

Times are the median of --repeat runs per file (the first run warms caches).
"""

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_FILES = sorted((ROOT / "corpus" / "pdf").glob("*.pdf")) + sorted(
    (ROOT / "tests" / "fixtures" / "pdf-xml-pairs").glob("*.pdf"))
MODES = ("parse", "pdfium")


def _read_parse(path: Path, data: bytes) -> tuple[int, int]:
    from extractor.parsers.pdf import parse_pdf

    document = parse_pdf(path, data)
    return len(document.text), len(document.tables)


def _read_pdfium(path: Path, data: bytes) -> tuple[int, int]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    chars = sum(len(document[i].get_textpage().get_text_range()) for i in range(len(document)))
    document.close()
    return chars, 0


def _read_pdfplumber(path: Path, data: bytes) -> tuple[int, int]:
    import pdfplumber

    chars = tables = 0
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            chars += len(page.extract_text(x_tolerance=1.5) or "")
            tables += len(page.extract_tables())
    return chars, tables


READERS = {"parse": _read_parse, "pdfium": _read_pdfium, "pdfplumber": _read_pdfplumber}


def _page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def run_child(mode: str, files: list[Path], repeat: int) -> dict:
    """Time one reader over every file (in this process); peak RSS in MB."""
    reader = READERS[mode]
    rows = []
    for path in files:
        data = path.read_bytes()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            chars, tables = reader(path, data)
            times.append(time.perf_counter() - start)
        rows.append({"file": path.name, "pages": _page_count(data), "seconds": statistics.median(times),
                     "chars": chars, "tables": tables})
    return {"mode": mode, "rows": rows, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _in_child(mode: str, files: list[Path], repeat: int) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--repeat", str(repeat), *map(str, files)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def report(results: dict[str, dict]) -> str:
    """A markdown table: per file pages and pages/s of each reader, then totals and peak RSS."""
    modes = list(results)
    lines = ["| file | pages | " + " | ".join(f"{m} pages/s" for m in modes) + " | tables (parse) |",
             "|---|---|" + "---|" * len(modes) + "---|"]
    first = results[modes[0]]["rows"]
    for i, row in enumerate(first):
        rates = [results[m]["rows"][i]["pages"] / results[m]["rows"][i]["seconds"] for m in modes]
        tables = results["parse"]["rows"][i]["tables"] if "parse" in results else "-"
        lines.append(f"| {row['file'][:48]} | {row['pages']} | " + " | ".join(f"{r:.1f}" for r in rates)
                     + f" | {tables} |")
    pages = sum(r["pages"] for r in first)
    totals = [pages / sum(r["seconds"] for r in results[m]["rows"]) for m in modes]
    tables_total = sum(r["tables"] for r in results["parse"]["rows"]) if "parse" in results else "-"
    lines.append(f"| **all {len(first)} files** | {pages} | " + " | ".join(f"**{t:.1f}**" for t in totals)
                 + f" | {tables_total} |")
    lines += ["", "| reader | peak RSS (MB) |", "|---|---|"]
    lines += [f"| {m} | {results[m]['peak_rss_mb']:.0f} |" for m in modes]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="PDFs to read (default: the bundled ones).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per file; the median is reported.")
    parser.add_argument("--pdfplumber", action="store_true", help="Also time pdfplumber text + tables (slow).")
    parser.add_argument("--child", choices=sorted(READERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    files = args.files or DEFAULT_FILES
    if args.child:
        print(json.dumps(run_child(args.child, files, args.repeat)))
        return
    modes = [*MODES, "pdfplumber"] if args.pdfplumber else list(MODES)
    results = {mode: _in_child(mode, files, 1 if mode == "pdfplumber" else args.repeat) for mode in modes}
    print(report(results))


if __name__ == "__main__":
    main()
