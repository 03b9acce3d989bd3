"""Synthetic corpus for scale benchmarks: the bundled real papers re-emitted many times under fresh identifiers.

Run by hand (bench/bench.py imports ``make_corpus``):

    .venv/bin/python bench/synth.py OUT_DIR --papers 10000 [--formats text,jats,html,pdf] [--source DIR ...] [--seed 0]

Then build it, passing the subdirectories (``evidence build`` expands a directory
to the paper files directly in it and does not recurse):

    .venv/bin/evidence build /tmp/synth.db $(cat OUT_DIR/dirs.txt)

Sources default to ``corpus/papers`` (.txt, .nxml) and, with ``pdf`` in
``--formats``, ``corpus/pdf``. No HTML source is bundled: the two pages in
``tests/fixtures/html`` are made-up articles written for the parser tests, not
papers, so ``html`` needs ``--source DIR`` holding real article pages. Copies
cycle round-robin over the sources (sorted by format, then name), so every run of
``len(sources)`` copies has the same format mix. Copy ``i`` goes to
``OUT/<i // 1000, 4 digits>/<k, 7 digits>_<source stem>.<ext>``; the stem differs
from the source's, so curators' corrections of the source never apply to a copy.

Each copy is its source's bytes with the identifiers the parser found in the
source (``Document.metadata``) rewritten to synthetic ones of the same shape, so
every copy is another file (another ``paper_id``) and another article (no DOI,
PMID or PMCID shared with any other file), while its text, and so the cost of
extracting it, stays the real paper's. With ``k = seed * 1,000,000 + i``:

- DOI (every occurrence, any case) -> ``10.5555/synthetic.<k>`` (Crossref's test prefix);
- PMID (as a whole number) -> ``90000000 + k`` (8 digits, far above any PMID issued);
- PMCID (``PMC<n>``, and ``<n>`` alone as an element's text, as JATS
  ``<article-id pub-id-type="pmc">`` prints it) -> ``PMC9<k, 8 digits>``;
- the title, where printed verbatim and at least 20 characters long (a short one
  could match other text), gets `` [synthetic copy <k>]`` appended.

Text copies with none of these get a last line ``[synthetic copy <k>]``; JATS and
HTML copies always end with a comment ``<!-- synthetic copy <k> -->`` after the
root element, which no parser reads.

PDF copies are the source's bytes with ``%synthetic copy <k>`` appended after
``%%EOF`` (a PDF comment; PDFium reads the file as before). The DOI a PDF's text
layer prints lives in compressed content streams and is not rewritten, so all
copies of one PDF share its DOI and a build groups them as sources of one
article (one primary, the rest secondary). Trial registry ids (NCT...) are never
rewritten: the ``trials`` view links every copy of a source to one trial.

Writes ``OUT/synth.json`` (papers, formats, seed, sources, per-format counts,
subdirectories, write time) and ``OUT/dirs.txt`` (one subdirectory a line), then
checks one copy per source: parsed, its identifiers are the synthetic ones and
its evidence records equal the source's apart from provenance (``--no-verify``
skips this).
"""

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.vary import vary  # noqa: E402
from extractor.errors import PaperError  # noqa: E402
from extractor.parsers import format_for, parse_bytes, parse_paper  # noqa: E402
from extractor.pipeline import extract_records  # noqa: E402
from publish.database import paper_files  # noqa: E402
from schemas import Document, DocumentMetadata  # noqa: E402

FORMATS = ("text", "jats", "html", "pdf")
DEFAULT_FORMATS = ("text", "jats")
DEFAULT_SOURCES = {"text": ROOT / "corpus" / "papers", "jats": ROOT / "corpus" / "papers", "pdf": ROOT / "corpus" / "pdf"}
PER_DIR = 1000
PER_SEED = 1_000_000
MAX_SEED = 9  # keeps synthetic PMIDs at 8 digits
TITLE_MIN = 20


@dataclass(frozen=True)
class Template:
    """A source's bytes cut at the identifiers to rewrite: copy k is the pieces joined by slot values for k."""

    source: Path
    format: str
    metadata: DocumentMetadata
    pieces: tuple[bytes, ...]
    slots: tuple[str, ...]

    def render(self, k: int, varied: bool = False) -> bytes:
        """The bytes of copy k; ``varied``: its text varied by bench/vary.py (not a PDF's, not the identifiers)."""
        values = slot_values(self.metadata, k)
        pieces = [vary(p, k * 1000 + i) for i, p in enumerate(self.pieces)] if varied and self.format != "pdf" \
            else list(self.pieces)
        out = [pieces[0]]
        for slot, piece in zip(self.slots, pieces[1:], strict=True):
            out += [values[slot], piece]
        out.append(trailer(self.format, k, bool(self.slots)))
        return b"".join(out)


def synthetic_ids(k: int) -> dict[str, str]:
    """The DOI, PMID and PMCID of synthetic copy k."""
    return {"doi": f"10.5555/synthetic.{k}", "pmid": str(90_000_000 + k), "pmcid": f"PMC9{k:08d}"}


def slot_values(metadata: DocumentMetadata, k: int) -> dict[str, bytes]:
    """What each kind of slot becomes in copy k."""
    ids = synthetic_ids(k)
    values = {"doi": ids["doi"], "pmid": ids["pmid"], "pmcnum": ids["pmcid"].removeprefix("PMC")}
    if metadata.title:
        values["title"] = suffixed(metadata.title, k)
    return {slot: value.encode() for slot, value in values.items()}


def trailer(fmt: str, k: int, rewritten: bool) -> bytes:
    """Bytes appended to copy k: invisible to the parser where the format has comments."""
    if fmt == "pdf":
        return f"\n%synthetic copy {k}\n".encode()
    if fmt in ("jats", "html"):
        return f"\n<!-- synthetic copy {k} -->\n".encode()
    return b"" if rewritten else f"\n\n[synthetic copy {k}]\n".encode()


def identifier_regex(metadata: DocumentMetadata, with_title: bool) -> re.Pattern[bytes] | None:
    """One pattern matching every printed form of the source's identifiers, a named group per slot kind."""
    parts = []
    title = metadata.title
    if with_title and title and len(title) >= TITLE_MIN:
        parts.append(b"(?P<title>" + re.escape(title.encode()) + b")")
    if metadata.doi:
        parts.append(b"(?P<doi>(?i:" + re.escape(metadata.doi.encode()) + b")(?![0-9A-Za-z]))")
    if metadata.pmid and metadata.pmid.isdigit():
        parts.append(b"(?P<pmid>(?<![0-9])" + metadata.pmid.encode() + b"(?![0-9]))")
    number = (metadata.pmcid or "").upper().removeprefix("PMC")
    if number.isdigit():
        num = number.encode()
        parts.append(b"(?P<pmcnum>(?:(?<=PMC)|(?<=pmc))" + num + b"(?![0-9])|(?<=>)" + num + b"(?=<))")
    return re.compile(b"|".join(parts)) if parts else None


def make_template(source: Path) -> Template:
    """Parse the source once for its identifiers and cut its bytes where they are printed.

    The title is left alone when the parser would no longer read the suffixed line
    as the title (a text title ending in a full stop, say).
    """
    fmt = format_for(source)
    data = source.read_bytes()
    metadata = parse_paper(source).metadata
    template = cut_template(source, fmt, data, metadata, with_title=True)
    if "title" in template.slots and parse_bytes(source, template.render(0)).metadata.title != suffixed(metadata.title, 0):
        template = cut_template(source, fmt, data, metadata, with_title=False)
    return template


def cut_template(source: Path, fmt: str, data: bytes, metadata: DocumentMetadata, *, with_title: bool) -> Template:
    """The source's bytes cut at every match of its identifiers (none for a PDF: its text is compressed)."""
    pattern = None if fmt == "pdf" else identifier_regex(metadata, with_title)
    pieces, slots, pos = [], [], 0
    for match in pattern.finditer(data) if pattern else ():
        pieces.append(data[pos : match.start()])
        slots.append(match.lastgroup or "")
        pos = match.end()
    pieces.append(data[pos:])
    return Template(source, fmt, metadata, tuple(pieces), tuple(slots))


def suffixed(title: str | None, k: int) -> str:
    """Copy k's title."""
    return f"{title} [synthetic copy {k}]"


def default_sources(formats: Sequence[str]) -> list[Path]:
    """The bundled directories holding papers of the given formats."""
    return sorted({DEFAULT_SOURCES[f] for f in formats if f in DEFAULT_SOURCES})


def source_files(sources: Sequence[Path], formats: Sequence[str]) -> list[Path]:
    """Paper files under the sources in the given formats, ordered by format then name; every format present."""
    files = [p for p in paper_files(sources) if p.is_file() and format_for(p) in formats]
    files.sort(key=lambda p: (FORMATS.index(format_for(p)), p.name))
    missing = [f for f in formats if not any(format_for(p) == f for p in files)]
    if missing:
        note = " (no HTML paper is bundled: tests/fixtures/html holds made-up test pages)" if "html" in missing else ""
        where = f"under {', '.join(map(str, sources))}" if sources else "given"
        raise ValueError(f"no {', '.join(missing)} source {where}; pass --source DIR{note}")
    return files


def copy_path(out: Path, i: int, k: int, source: Path) -> Path:
    """Where copy i (synthetic number k) of a source is written."""
    return out / f"{i // PER_DIR:04d}" / f"{k:07d}_{source.stem}{source.suffix}"


def write_copies(out: Path, n: int, templates: Sequence[Template], seed: int, varied: bool = False) -> list[Path]:
    """Write n copies round-robin over the templates; the subdirectories written, in order."""
    dirs = [out / f"{d:04d}" for d in range((n + PER_DIR - 1) // PER_DIR)]
    for directory in dirs:
        directory.mkdir(parents=True)
    for i in range(n):
        template = templates[i % len(templates)]
        k = seed * PER_SEED + i
        copy_path(out, i, k, template.source).write_bytes(template.render(k, varied))
    return dirs


def shown(path: Path) -> str:
    """A path relative to the project when inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def check_arguments(out: Path, n: int, formats: Sequence[str], seed: int) -> None:
    """Refuse a bad count, seed or format, and an output directory already holding files."""
    if not 1 <= n <= PER_SEED:
        raise ValueError(f"--papers must be between 1 and {PER_SEED}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"--seed must be between 0 and {MAX_SEED}")
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f"unknown format {', '.join(unknown) or '(none)'}; expected some of {', '.join(FORMATS)}")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: not empty; give a new or empty directory")


def make_corpus(out: Path, n: int, formats: Sequence[str], sources: Sequence[Path], *, seed: int = 0,
                varied: bool = False) -> dict[str, Any]:
    """Write n synthetic copies of the papers under sources (files or directories) to out; the summary written.

    ``varied``: each copy's numbers, registry ids, drugs and adverse-event terms varied (bench/vary.py)."""
    check_arguments(out, n, formats, seed)
    templates = [make_template(p) for p in source_files(sources, formats)]
    start = time.perf_counter()
    dirs = write_copies(out, n, templates, seed, varied)
    seconds = time.perf_counter() - start
    summary = {
        "papers": n,
        "formats": list(formats),
        "seed": seed,
        "varied": varied,
        "sources": [source_entry(t, len(range(j, n, len(templates)))) for j, t in enumerate(templates)],
        "per_format": dict(Counter(templates[i % len(templates)].format for i in range(n))),
        "dirs": [d.name for d in dirs],
        "write_seconds": round(seconds, 3),
    }
    (out / "dirs.txt").write_text("".join(f"{d.resolve()}\n" for d in dirs))
    (out / "synth.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def source_entry(template: Template, copies: int) -> dict[str, Any]:
    """One source in synth.json: its file, format, copies, the identifiers found and how often each was rewritten."""
    meta = template.metadata
    return {"path": shown(template.source), "format": template.format, "copies": copies,
            "doi": meta.doi, "pmid": meta.pmid, "pmcid": meta.pmcid, "rewritten": dict(Counter(template.slots))}


def record_values(document: Document) -> list[tuple[str, str]]:
    """The document's evidence records without their provenance, sorted: what a copy shares with its source."""
    records = extract_records(document)
    return sorted((r.kind, json.dumps(r.model_dump(exclude={"provenance"}), sort_keys=True)) for r in records)


def expected_metadata(source: Document, entry: dict[str, Any], k: int) -> dict[str, str | None]:
    """The identifiers copy k must carry: synthetic ones where the source had them (a PDF keeps its own)."""
    meta = source.metadata
    if entry["format"] == "pdf":
        return {"doi": meta.doi, "pmid": meta.pmid, "pmcid": meta.pmcid, "title": meta.title}
    ids = synthetic_ids(k)
    title = suffixed(meta.title, k) if "title" in entry["rewritten"] else meta.title
    return {"doi": meta.doi and ids["doi"], "pmid": meta.pmid and ids["pmid"], "pmcid": meta.pmcid and ids["pmcid"],
            "title": title}


def check_copy(source: Path, copy: Path, entry: dict[str, Any], k: int, varied: bool = False) -> list[str]:
    """Problems of one copy: identifiers other than expected, evidence records other than its source's (a varied
    copy: only its DOI, PMID and PMCID are checked; its title and records differ by design)."""
    original, synthetic = parse_paper(source), parse_paper(copy)
    expected = expected_metadata(original, entry, k)
    if varied:
        expected.pop("title")
    problems = [f"{copy}: {field} is {getattr(synthetic.metadata, field)!r}, expected {value!r}"
                for field, value in expected.items() if getattr(synthetic.metadata, field) != value]
    if not varied and record_values(synthetic) != record_values(original):
        problems.append(f"{copy}: evidence records differ from those of {source}")
    return problems


def verify_corpus(out: Path, summary: dict[str, Any]) -> list[str]:
    """Check the first copy of every source written; the problems found (none when the corpus is sound)."""
    problems = []
    for i, entry in enumerate(summary["sources"][: summary["papers"]]):
        source = Path(entry["path"]) if Path(entry["path"]).is_absolute() else ROOT / entry["path"]
        k = summary["seed"] * PER_SEED + i
        problems += check_copy(source, copy_path(out, i, k, source), entry, k, summary.get("varied", False))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="example: .venv/bin/python bench/synth.py /tmp/synth --papers 10000")
    parser.add_argument("out", type=Path, help="directory to write (new or empty)")
    parser.add_argument("--papers", type=int, default=10_000, help="number of copies (default 10000)")
    parser.add_argument("--formats", default=",".join(DEFAULT_FORMATS), help="comma-separated: text,jats,html,pdf")
    parser.add_argument("--source", type=Path, action="extend", nargs="+", help="paper files or directories")
    parser.add_argument("--seed", type=int, default=0, help=f"0-{MAX_SEED}: corpora of different seeds share no id")
    parser.add_argument("--no-verify", action="store_true", help="skip checking one copy per source")
    parser.add_argument("--vary", action="store_true",
                        help="vary each copy's numbers, registry ids, drugs and AE terms (bench/vary.py)")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    try:
        summary = make_corpus(args.out, args.papers, formats, args.source or default_sources(formats), seed=args.seed,
                              varied=args.vary)
    except (ValueError, OSError, PaperError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{summary['papers']} papers ({json.dumps(summary['per_format'])}) from {len(summary['sources'])} sources "
          f"written in {summary['write_seconds']} s; build with: evidence build DB $(cat {args.out / 'dirs.txt'})")
    problems = [] if args.no_verify else verify_corpus(args.out, summary)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
