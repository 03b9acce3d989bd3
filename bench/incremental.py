"""Incremental builds at scale: a build with nothing changed and a build adding one paper, against the 2 s target.

Run by hand (never as a timed test):

    .venv/bin/python bench/incremental.py [--papers 1000] [--vary] [--workers 2] [--repeat 3] [--work /tmp/incr]
                                          [--reuse] [--cases nothing,added,touched] [--code DIR]

Makes a synthetic corpus of ``--papers`` copies of the bundled text and JATS papers
(bench/synth.py; ``--vary``: each copy varied like a real collection), builds it
once (timed, for scale), then times, each ``--repeat`` times as whole ``evidence
build`` processes: a build with nothing changed, a build after one new paper is
added, and a build after every file is touched (the stat shortcut off: every file
hashed, no paper re-extracted). Prints a Markdown table of median and spread
beside the target, with each build's CPU seconds (its workers included), which a
busy machine moves less than wall time.

``--reuse`` keeps the corpus and database a previous run left in ``--work`` (the
first build of 10,000 papers takes many minutes); the papers added by earlier runs
stay in it, each run adds new ones, and one untimed build comes first (the publish
code may have changed since, which rewrites the derived tables once). ``--cases``
picks the builds to time. ``--code DIR`` times the builds of another checkout
(e.g. ``git archive`` of an earlier commit unpacked in DIR) on the same corpus and
database: before and after a change, interleaved by hand.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import default_sources, make_corpus  # noqa: E402

TARGET_SECONDS = 2.0
EVIDENCE = [sys.executable, "-c", "from publish.cli import cli; cli()"]


def build(db: Path, dirs: list[str], workers: int) -> float:
    """Seconds one `evidence build` process takes, from start to exit (its CPU seconds are added to CPU)."""
    start, used = time.perf_counter(), _children_cpu()
    subprocess.run([*EVIDENCE, "build", str(db), *dirs, "--workers", str(workers), "--corrections",
                    str(db.parent / "no-corrections")], check=True, capture_output=True, cwd=CODE[0],
                   env={**os.environ, "PYTHONPATH": str(CODE[0])})
    CPU.append(_children_cpu() - used)
    return time.perf_counter() - start


# The checkout whose code the builds run (--code): this one, or another version of it to compare with.
CODE = [ROOT]
# CPU seconds (user + system) of each build timed, its worker processes included: what a busy machine moves less.
CPU: list[float] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CASES = {"nothing": "nothing changed", "added": "one paper added", "touched": "every file touched"}


def prepare(work: Path, papers: int, vary: bool, workers: int, reuse: bool) -> tuple[list[str], Path, Path, str]:
    """(the directories to build, the folder new papers go to, the database, how the first build went)."""
    corpus, extra, db = work / "corpus", work / "extra", work / "evidence.db"
    if reuse and db.exists() and (corpus / "dirs.txt").exists():
        dirs = (corpus / "dirs.txt").read_text().split()
        return [*dirs, str(extra)], extra, db, "reused"
    shutil.rmtree(work, ignore_errors=True)
    make_corpus(corpus, papers, ["text", "jats"], default_sources(["text", "jats"]), varied=vary)
    extra.mkdir()
    dirs = [*(corpus / "dirs.txt").read_text().split(), str(extra)]
    return dirs, extra, db, f"{build(db, dirs, workers):.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--vary", action="store_true", help="vary each copy like a real collection (bench/vary.py)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/incremental-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep the corpus and database already in --work")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="a checkout of the project whose `evidence build` to time (default: this one)")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated, of: " + ", ".join(CASES))
    args = parser.parse_args()
    cases = args.cases.split(",")
    CODE[0] = args.code.resolve()
    if not set(cases) <= set(CASES):
        parser.error(f"--cases: expected some of {', '.join(CASES)}")
    dirs, extra, db, first = prepare(args.work, args.papers, args.vary, args.workers, args.reuse)
    source = next(p for p in sorted((ROOT / "corpus" / "papers").glob("*.txt")))
    if first == "reused":
        build(db, dirs, args.workers)  # not timed: the publish code may have changed since (derived tables rewritten)
    rows: dict[str, list[float]] = {CASES[c]: [] for c in cases}
    cpu: dict[str, list[float]] = {CASES[c]: [] for c in cases}

    def timed(case: str) -> None:
        rows[CASES[case]].append(build(db, dirs, args.workers))
        cpu[CASES[case]].append(CPU[-1])

    for _ in range(args.repeat):
        if "nothing" in cases:
            timed("nothing")
        if "added" in cases:
            # A new name and new bytes every time, also across --reuse runs: always a new paper.
            tag = uuid.uuid4().hex[:12]
            (extra / f"added_{tag}.txt").write_text(source.read_text(encoding="utf-8") + f"\n[added copy {tag}]\n",
                                                    encoding="utf-8")
            timed("added")
        if "touched" in cases:
            for d in dirs:
                for path in Path(d).iterdir():
                    path.touch()
            timed("touched")
    print(f"{args.papers} papers{' (varied)' if args.vary else ''}, {args.workers} workers; first build {first}\n")
    print("| build | median s | min–max s | runs s | CPU s (median, min–max) | target |")
    print("|---|---|---|---|---|---|")
    for name, times in rows.items():
        target = f"≤ {TARGET_SECONDS:g} s" if name != CASES["touched"] else "(every file hashed)"
        runs = ", ".join(f"{t:.2f}" for t in times)
        used = cpu[name]
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f}–{max(times):.2f} | {runs} | "
              f"{statistics.median(used):.2f} ({min(used):.2f}–{max(used):.2f}) | {target} |")


if __name__ == "__main__":
    main()
