"""Benchmark: throughput against the libraries' floors, scale, memory, build time, Datasette latency, accuracy.

Run by hand, never as a test:

    .venv/bin/python bench/bench.py [--repeat N] [--sizes 1000,10000] [--workers 1,2]
                                    [--latency-rows 1000000] [--out bench/out]

Writes bench/out/bench.json and bench/out/bench.md:

- throughput per format, in this process, with ratios measured in the same run
  against the floors set by the libraries: spaCy's bare tokenizer over the same
  texts (text, JATS) and pypdfium2's raw text over the same PDFs; the PDF path
  again with the largest --workers;
- scale: a synthetic corpus (bench/synth.py) of each --sizes, extracted into
  partitions by `evidence extract --out --workers N` (each --workers at the
  smallest size, the largest at the others), then built by `evidence build
  --partitions --workers N`: seconds, papers/s and peak memory of the whole process tree
  (bench/memory.py), so the workers count;
- Datasette JSON latency (p50/p95) for a table page, a facet and a full-text
  search on the largest database grown to --latency-rows evidence rows
  (bench/replicate.py);
- accuracy (`evidence eval`) on the bundled gold, dev split (the test split is reported by `evidence eval`).

--sizes 0 skips the scale and latency runs (a minute instead of most of an hour).
"""

import argparse
import asyncio
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import spacy
from spacy.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.memory import run_measured  # noqa: E402
from bench.replicate import grow  # noqa: E402
from bench.synth import default_sources, make_corpus  # noqa: E402
from extractor.evaluate import evaluate_corpus  # noqa: E402
from extractor.parsers import SUFFIXES, parse_paper  # noqa: E402
from extractor.pipeline import extract_records  # noqa: E402
from publish.database import build_database  # noqa: E402
from publish.processing import read_files  # noqa: E402
from publish.serve import make_datasette  # noqa: E402

EVIDENCE = str(Path(sys.executable).with_name("evidence"))

PAPERS = ROOT / "corpus" / "papers"
PDFS = sorted((ROOT / "corpus" / "pdf").glob("*.pdf")) + sorted((ROOT / "tests" / "fixtures" / "pdf-xml-pairs").glob("*.pdf"))
GOLD = ROOT / "corpus" / "gold"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(files: list[Path], repeat: int) -> dict[str, float]:
    """Papers/s and chars/s of parse + extract, and of spaCy's bare tokenizer over the same texts.

    Both are timed warm, the median of ``repeat`` passes: extraction after a pass that
    loads its rules, the tokenizer after a pass that fills its cache (extraction
    tokenizes with a cache as warm). The first pass of a fresh tokenizer, over texts
    it has never seen (median of ``repeat`` tokenizers), is reported as well.
    """
    documents = [parse_paper(p) for p in files]
    texts = [d.text for d in documents]
    chars = sum(len(t) for t in texts)

    def timed(run: Callable[[], object]) -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    def tokenize_all(tokenizer: Tokenizer) -> None:
        for text in texts:
            tokenizer(text)

    def extract_all() -> None:
        for path in files:
            extract_records(parse_paper(path))

    tokenizers = [spacy.blank("en").tokenizer for _ in range(repeat)]
    cold = statistics.median(timed(lambda t=t: tokenize_all(t)) for t in tokenizers)
    bare = statistics.median(timed(lambda: tokenize_all(tokenizers[0])) for _ in range(repeat))
    extract_all()  # warm: rule files, lexicons and regexes are loaded on first use
    full = statistics.median(timed(extract_all) for _ in range(repeat))
    return {
        "papers": len(files),
        "chars": chars,
        "seconds": round(full, 4),
        "papers_per_s": round(len(files) / full, 2),
        "chars_per_s": round(chars / full),
        "tokenizer_seconds": round(bare, 4),
        "ratio_to_tokenizer": round(bare / full, 4),
        "tokenizer_cold_seconds": round(cold, 4),
        "ratio_to_cold_tokenizer": round(cold / full, 4),
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
    extract_records(parse_paper(files[0]))  # warm
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


def pdf_workers(files: list[Path], workers: int, pages: int, min_pages: int = 1000) -> dict[str, float]:
    """Pages/s of the PDF path in ``workers`` processes over the PDFs repeated to ``min_pages`` (pool start included)."""
    rounds = max(1, -(-min_pages // pages))
    start = time.perf_counter()
    results = list(read_files(files * rounds, workers=workers))
    seconds = time.perf_counter() - start
    assert all(r.cause is None for r in results), [r.cause for r in results if r.cause]
    return {"workers": workers, "pages": pages * rounds, "seconds": round(seconds, 2),
            "pages_per_s": round(pages * rounds / seconds, 1)}


def _check(result: Any, what: str) -> None:
    if result.returncode != 0:
        raise SystemExit(f"{what} failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def scale(work: Path, sizes: list[int], workers: list[int]) -> list[dict[str, Any]]:
    """Per size: synthetic corpus written, extracted into partitions per workers count, then built."""
    rows = []
    for size in sizes:
        corpus = work / f"corpus-{size}"
        made = make_corpus(corpus, size, ["text", "jats"], default_sources(["text", "jats"]))
        dirs = [str(corpus / name) for name in made["dirs"]]
        for n in (workers if size == min(sizes) else [max(workers)]):
            parts = work / f"parts-{size}-{n}"
            seconds, memory, result = run_measured([EVIDENCE, "extract", *dirs, "--out", str(parts),
                                                    "--workers", str(n), "--partition-size", "500"])
            _check(result, f"extract {size} papers")
            row: dict[str, Any] = {
                "papers": size, "workers": n, "extract_seconds": round(seconds, 1),
                "papers_per_s": round(size / seconds, 1), "extract_peak_total_mb": round(memory.total_mb),
                "extract_peak_process_mb": round(memory.largest_mb),
            }
            if n == max(workers):
                db = work / f"scale-{size}.db"
                seconds, memory, result = run_measured([EVIDENCE, "build", str(db), "--partitions", str(parts),
                                                        "--corrections", str(work / "no-corrections"),
                                                        "--workers", str(n)])
                _check(result, f"build {size} papers")
                row |= {"build_seconds": round(seconds, 1), "build_peak_mb": round(memory.total_mb),
                        "db_mb": round(db.stat().st_size / 2**20)}
            shutil.rmtree(parts)
            rows.append(row)
        shutil.rmtree(corpus)
    return rows


async def latency(db_path: Path, n: int) -> dict[str, dict[str, float]]:
    """p50/p95 milliseconds of Datasette JSON for a table page, facets and full-text searches."""
    ds = make_datasette(db_path)
    await ds.invoke_startup()
    name = db_path.stem
    urls = {
        "table": f"/{name}/adverse_events.json?_size=50",
        "facet": f"/{name}/adverse_events.json?_facet=grade&_size=0",
        "facet, filtered": f"/{name}/adverse_events.json?_facet=grade&_size=0&section=results",
        "search": f"/{name}/search.json?q=survival",
        "search, two words": f"/{name}/search.json?q=overall+survival",
        "passages ?_search=": f"/{name}/passages.json?_search=neutropenia",
        "sections ?_search= (whole sections)": f"/{name}/sections.json?_search=survival",
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
    lines = ["# Benchmark", "", "| format | papers | papers/s | chars/s | × bare tokenizer | × its first pass |",
             "|---|---|---|---|---|---|"]
    for fmt, row in report["throughput"].items():
        lines.append(f"| {fmt} | {row['papers']} | {row['papers_per_s']} | {row['chars_per_s']} "
                     f"| {row['ratio_to_tokenizer']} | {row['ratio_to_cold_tokenizer']} |")
    pdf = report["pdf"]
    lines += ["", "| PDF | papers | pages | pages/s (parse + extract) | pypdfium2 raw pages/s | × pypdfium2 |",
              "|---|---|---|---|---|---|",
              f"| 1 process | {pdf['papers']} | {pdf['pages']} | {pdf['pages_per_s']} | {pdf['pdfium_pages_per_s']} "
              f"| {pdf['ratio_to_pdfium']} |"]
    if "pdf_workers" in report:
        w = report["pdf_workers"]
        lines.append(f"| {w['workers']} workers | | {w['pages']} | {w['pages_per_s']} | | |")
    if report.get("scale"):
        lines += ["", "| synthetic papers | workers | extract s | papers/s | peak MB (all processes, PSS) "
                  "| peak MB (largest process) | build s | build peak MB | database MB |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for row in report["scale"]:
            lines.append(f"| {row['papers']} | {row['workers']} | {row['extract_seconds']} | {row['papers_per_s']} "
                         f"| {row['extract_peak_total_mb']} | {row['extract_peak_process_mb']} "
                         f"| {row.get('build_seconds', '')} | {row.get('build_peak_mb', '')} | {row.get('db_mb', '')} |")
    lines += ["", f"Bundled corpus build: {report['build_seconds']} s for {report['build_papers']} papers.",
              f"Peak RSS of this process (in-process throughput runs): {report['peak_rss_mb']} MB."]
    grown = report.get("latency_db")
    where = (f"a database of {grown['papers']} papers and {grown['evidence_rows']} evidence rows"
             if grown else "the bundled corpus")
    lines += ["", f"Datasette JSON on {where}:", "", "| request | p50 ms | p95 ms |", "|---|---|---|"]
    for label, row in report["latency"].items():
        lines.append(f"| {label} | {row['p50_ms']} | {row['p95_ms']} |")
    lines += ["", f"Accuracy on the bundled gold (dev split): micro F1 {report['accuracy']['micro_f1']}, "
              f"macro F1 {report['accuracy']['macro_f1']}.", ""]
    return "\n".join(lines)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip() and int(x) > 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="Passes over the corpus per measurement.")
    parser.add_argument("--requests", type=int, default=50, help="Requests per Datasette URL.")
    parser.add_argument("--sizes", default="1000,10000", help="Synthetic corpus sizes, comma-separated; 0 skips.")
    parser.add_argument("--workers", default="1,2", help="Worker counts compared at the smallest size.")
    parser.add_argument("--latency-rows", type=int, default=1_000_000,
                        help="Evidence rows the largest database is grown to for the latency runs.")
    parser.add_argument("--work", type=Path, help="Scratch directory (default: a temporary one).")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    sizes, workers = _ints(args.sizes), _ints(args.workers) or [1]

    files = sorted(p for p in PAPERS.iterdir() if p.suffix.lower() in SUFFIXES)
    by_format: dict[str, list[Path]] = {}
    for path in files:
        by_format.setdefault(SUFFIXES[path.suffix.lower()], []).append(path)
    report: dict = {"throughput": {fmt: throughput(paths, args.repeat) for fmt, paths in sorted(by_format.items())}}
    report["pdf"] = pdf_throughput(PDFS, args.repeat)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    if max(workers) > 1:
        report["pdf_workers"] = pdf_workers(PDFS, max(workers), report["pdf"]["pages"])

    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        db_path = work / "bench.db"
        start = time.perf_counter()
        build_database(db_path, [PAPERS])
        report["build_seconds"] = round(time.perf_counter() - start, 3)
        report["build_papers"] = len(files)
        if sizes:
            report["scale"] = scale(work, sizes, workers)
            db_path = work / f"scale-{max(sizes)}.db"
            report["latency_db"] = grow(db_path, args.latency_rows)
        report["latency"] = asyncio.run(latency(db_path, args.requests))

    scores = evaluate_corpus(GOLD, PAPERS)
    report["accuracy"] = {"micro_f1": round(scores.micro.f1, 4), "macro_f1": round(scores.macro["f1"], 4)}

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "bench.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))


if __name__ == "__main__":
    main()
