"""Benchmark: extraction throughput against the bare tokenizer, memory, build time, Datasette latency, accuracy.

Run by hand, never as a test:

    .venv/bin/python bench/bench.py [--repeat N] [--out bench/out]

Writes bench/out/bench.json and bench/out/bench.md. Every ratio is measured in the
same run against the floor set by the library underneath (spaCy's bare tokenizer
over the same texts), so the figures compare across machines.
"""

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.evaluate import evaluate_corpus  # noqa: E402
from extractor.parsers import SUFFIXES, parse_paper  # noqa: E402
from extractor.pipeline import extract_records  # noqa: E402
from publish.database import build_database  # noqa: E402
from publish.serve import make_datasette  # noqa: E402

PAPERS = ROOT / "corpus" / "papers"
PDFS = sorted((ROOT / "corpus" / "pdf").glob("*.pdf")) + sorted((ROOT / "tests" / "fixtures" / "pdf-xml-pairs").glob("*.pdf"))
GOLD = ROOT / "corpus" / "gold"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(files: list[Path], repeat: int) -> dict[str, float]:
    """Papers/s and chars/s of parse + extract, and of spaCy's bare tokenizer over the same texts."""
    documents = [parse_paper(p) for p in files]
    texts = [d.text for d in documents]
    chars = sum(len(t) for t in texts)
    tokenizer = spacy.blank("en").tokenizer

    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            tokenizer(text)
    bare = (time.perf_counter() - start) / repeat

    start = time.perf_counter()
    for _ in range(repeat):
        for path in files:
            extract_records(parse_paper(path))
    full = (time.perf_counter() - start) / repeat
    return {
        "papers": len(files),
        "chars": chars,
        "seconds": round(full, 4),
        "papers_per_s": round(len(files) / full, 2),
        "chars_per_s": round(chars / full),
        "tokenizer_seconds": round(bare, 4),
        "ratio_to_tokenizer": round(bare / full, 4),
    }


def pdf_throughput(files: list[Path], repeat: int) -> dict[str, float]:
    """Pages/s of the PDF path (parse + extract) and of pypdfium2's raw text over the same files."""
    import pypdfium2 as pdfium

    pages = 0
    start = time.perf_counter()
    for _ in range(repeat):
        for path in files:
            document = pdfium.PdfDocument(path)
            pages += len(document)
            for i in range(len(document)):
                document[i].get_textpage().get_text_range()
            document.close()
    raw = (time.perf_counter() - start) / repeat
    pages //= repeat
    start = time.perf_counter()
    for _ in range(repeat):
        for path in files:
            extract_records(parse_paper(path))
    full = (time.perf_counter() - start) / repeat
    return {
        "papers": len(files),
        "pages": pages,
        "seconds": round(full, 3),
        "pages_per_s": round(pages / full, 1),
        "pdfium_pages_per_s": round(pages / raw, 1),
        "ratio_to_pdfium": round(raw / full, 4),
    }


async def latency(db_path: Path, n: int) -> dict[str, dict[str, float]]:
    """p50/p95 milliseconds of Datasette JSON for a table page, a facet and a full-text search."""
    ds = make_datasette(db_path)
    await ds.invoke_startup()
    name = db_path.stem
    urls = {
        "table": f"/{name}/adverse_events.json?_size=50",
        "facet": f"/{name}/adverse_events.json?_facet=grade&_size=0",
        "search": f"/{name}/sections.json?_search=survival",
    }
    out = {}
    for label, url in urls.items():
        times = []
        for _ in range(n):
            start = time.perf_counter()
            response = await ds.client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        out[label] = {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(0.95 * (n - 1))], 2)}
    return out


def markdown(report: dict) -> str:
    lines = ["# Benchmark", "", "| format | papers | papers/s | chars/s | × bare tokenizer |", "|---|---|---|---|---|"]
    for fmt, row in report["throughput"].items():
        lines.append(f"| {fmt} | {row['papers']} | {row['papers_per_s']} | {row['chars_per_s']} | {row['ratio_to_tokenizer']} |")
    pdf = report["pdf"]
    lines += ["", "| PDF | papers | pages | pages/s (parse + extract) | pypdfium2 raw pages/s | × pypdfium2 |",
              "|---|---|---|---|---|---|",
              f"| all | {pdf['papers']} | {pdf['pages']} | {pdf['pages_per_s']} | {pdf['pdfium_pages_per_s']} "
              f"| {pdf['ratio_to_pdfium']} |"]
    lines += ["", f"Database build: {report['build_seconds']} s for {report['build_papers']} papers.",
              f"Peak RSS: {report['peak_rss_mb']} MB.", "", "| Datasette JSON | p50 ms | p95 ms |", "|---|---|---|"]
    for label, row in report["latency"].items():
        lines.append(f"| {label} | {row['p50_ms']} | {row['p95_ms']} |")
    lines += ["", f"Accuracy on the bundled gold: micro F1 {report['accuracy']['micro_f1']}, "
              f"macro F1 {report['accuracy']['macro_f1']}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Passes over the corpus per measurement.")
    parser.add_argument("--requests", type=int, default=50, help="Requests per Datasette URL.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()

    files = sorted(p for p in PAPERS.iterdir() if p.suffix.lower() in SUFFIXES)
    by_format: dict[str, list[Path]] = {}
    for path in files:
        by_format.setdefault(SUFFIXES[path.suffix.lower()], []).append(path)
    report: dict = {"throughput": {fmt: throughput(paths, args.repeat) for fmt, paths in sorted(by_format.items())}}
    report["pdf"] = pdf_throughput(PDFS, args.repeat)

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        build_database(db_path, [PAPERS])
        report["build_seconds"] = round(time.perf_counter() - start, 3)
        report["build_papers"] = len(files)
        report["latency"] = asyncio.run(latency(db_path, args.requests))

    scores = evaluate_corpus(GOLD, PAPERS)
    report["accuracy"] = {"micro_f1": round(scores.micro.f1, 4), "macro_f1": round(scores.macro["f1"], 4)}
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "bench.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


if __name__ == "__main__":
    main()
