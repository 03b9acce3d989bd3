"""Generated hostile inputs: over a thousand files, and a child process that reads each one under watch.

``generate(root)`` writes the inputs (seeded, so every run makes the same files):
random bytes, truncations and byte mutations of small real papers of every
format, and the shapes an attacker found slow or hungry — table span bombs,
symbol runs, very long lines, many-row and wide tables, PDF page and stream
bombs. ``python -m tests.hostile_inputs DIR`` parses and extracts every file of
DIR in one process and prints one JSON line per file: the outcome (records, or
the error), the seconds it took and how much it added to the process's resident memory at its peak, so the
test (tests/test_hostile_inputs.py) can hold each file to the limits.
"""

import json
import random
import sys
import time
from pathlib import Path

from bench.hostile import html, jats, pdf, span_row

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT / "corpus" / "papers"
FIXTURES = ROOT / "tests" / "fixtures"

# Small real papers of every format: dev-split or fixture files only.
SEEDS = {
    "text": PAPERS / "hd06_molldrem_atg_mds.txt",
    "seed-text": PAPERS / "d01_borthakur_phase1_haematologica2011.txt",
    "jats": FIXTURES / "pdf-xml-pairs" / "PMC5571493.xml",
    "html": FIXTURES / "html" / "journal_article.html",
}
SUFFIX = {"text": ".txt", "seed-text": ".txt", "jats": ".xml", "html": ".html", "pdf": ".pdf"}
SENTENCE = "Forty-three patients were enrolled; 37 were evaluable and 6 achieved CR (16%)."
SYMBOLS = {"emoji": "\U0001f600", "underscore": "_", "dash": "-", "dot": ".", "equals": "=", "star": "*",
           "box": "\u2500", "tilde": "~", "mixed": "_-=.*", "zero-width": "\u200b", "combining": "e\u0301",
           "percent": "%", "paren": "(", "slash": "/"}


def _page(text: str) -> bytes:
    return b"BT /F1 11 Tf 72 720 Td (" + text.encode() + b") Tj ET"


def _table(rows: int, cols: int) -> str:
    """The rows of a table (jats() and html() wrap them) of ``rows`` by ``cols`` numeric cells."""
    return "".join("<tr>" + "".join(f"<td>{r}.{c}</td>" for c in range(cols)) + "</tr>" for r in range(rows))


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One to eight random edits: flip, delete, duplicate or insert a run of bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not out:
            break
        at = rng.randrange(len(out))
        edit = rng.choice(["flip", "delete", "duplicate", "insert"])
        size = rng.choice([1, 4, 64, 512])
        if edit == "flip":
            out[at] ^= 1 << rng.randrange(8)
        elif edit == "delete":
            del out[at:at + size]
        elif edit == "duplicate":
            out[at:at] = out[at:at + size]
        else:
            out[at:at] = rng.choice([rng.randbytes(size), b"<", b"&", b"\x00", b"</sec>", b"<td rowspan='999'>"])
    return bytes(out)


def _structured() -> dict[str, bytes]:
    """The slow and hungry shapes at several sizes (bench/hostile.py holds the largest of each)."""
    files: dict[str, bytes] = {}
    for span in (10, 100, 1000, 1_000_000, -1, 0):
        for cells in (1, 20, 60):
            files[f"span-{span}x{cells}.xml"] = jats([span_row(cells, span) * 3])
            files[f"span-{span}x{cells}.html"] = html([span_row(cells, span) * 3])
    for name, symbol in SYMBOLS.items():
        for length in (1_000, 4_000, 16_000):
            run = symbol * length
            files[f"run-{name}-{length}.txt"] = f"Results\n{SENTENCE} {run} {SENTENCE}\n".encode()
            files[f"run-{name}-{length}.html"] = html([], prose=f"{SENTENCE} {run}")
    for length in (100_000, 1_000_000):
        files[f"line-words-{length}.txt"] = (("patients were enrolled " * (length // 23)) + SENTENCE).encode()
        files[f"line-nospace-{length}.txt"] = ("x" * length).encode()
        files[f"line-digits-{length}.txt"] = ("12 (34%) " * (length // 9)).encode()
        files[f"line-sentences-{length}.txt"] = ((SENTENCE + " ") * (length // len(SENTENCE))).encode()
    for rows, cols in ((1_000, 1), (10_000, 3), (30_000, 2), (200, 500), (2, 5_000)):
        files[f"table-{rows}x{cols}.xml"] = jats([_table(rows, cols)])
        files[f"table-{rows}x{cols}.html"] = html([_table(rows, cols)])
    files["table-many.html"] = html([_table(3, 3)] * 20_000)
    files["table-many.xml"] = jats([_table(3, 3)] * 20_000)
    for pages in (1, 100, 2_000, 20_000):
        files[f"pdf-pages-{pages}.pdf"] = pdf(_page(SENTENCE), pages)
    for size in (1, 10, 100):
        files[f"pdf-inflates-{size}mb.pdf"] = pdf(_page("A" * (size << 20)))
    files["pdf-many-ops.pdf"] = pdf(b"BT /F1 11 Tf 72 720 Td " + b"(x) Tj 1 0 Td " * 300_000 + b"ET")
    return files


def generate(root: Path, seed: int = 15) -> list[Path]:
    """Write every generated input under ``root`` and return their paths (over a thousand)."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    seeds = {kind: path.read_bytes() for kind, path in SEEDS.items()}
    seeds["pdf"] = pdf(_page(SENTENCE), 2)
    for i in range(50):
        for suffix in (".txt", ".xml", ".nxml", ".html", ".pdf"):
            files[f"random-{i:02d}{suffix}"] = rng.randbytes(rng.choice([1, 7, 100, 2_000, 50_000]))
    for kind, data in seeds.items():
        for i in range(30):
            files[f"cut-{kind}-{i:02d}{SUFFIX[kind]}"] = data[: rng.randrange(len(data))]
        for i in range(100):
            files[f"mutant-{kind}-{i:02d}{SUFFIX[kind]}"] = _mutate(rng, data)
    files.update(_structured())
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in sorted(files.items()):
        path = root / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux keeps that across exec, so a child started from
    a large process (pytest) would report its parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Start VmHWM afresh from the current resident size (Linux: 5 > /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def run(paths: list[Path]) -> None:
    """Read each file as `evidence` does and print one JSON line per file."""
    from extractor.errors import PaperError
    from extractor.parsers import parse_paper
    from extractor.pipeline import extract_records

    extract_records(parse_paper(SEEDS["seed-text"]))  # load the pipeline before measuring
    print(json.dumps({"baseline_mb": _status_mb("VmRSS")}), flush=True)
    for path in paths:
        before = _status_mb("VmRSS")
        reset_peak()
        start = time.perf_counter()
        outcome: dict[str, object] = {"file": path.name}
        try:
            document = parse_paper(path)
            records = extract_records(document)
            outcome["records"] = len(records)
            outcome["bad_quotes"] = sum(document.text[p.start:p.end] != p.quote
                                        for r in records for p in r.provenance)
        except PaperError as error:
            outcome["error"] = str(error)
        except Exception as error:  # reported: the test fails on it
            outcome["crash"] = f"{type(error).__name__}: {error}"[:300]
        outcome["seconds"] = round(time.perf_counter() - start, 3)
        # What reading this file added to the process at its peak.
        outcome["peak_mb"] = round(_status_mb("VmHWM") - before, 1)
        print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    run(sorted(Path(sys.argv[1]).iterdir()))
