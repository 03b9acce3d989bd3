"""Incremental builds at scale: a build with nothing changed and a build adding one paper, against the 2 s target.

Run by hand (never as a timed test):

    .venv/bin/python bench/incremental.py [--papers 1000] [--workers 2] [--repeat 3] [--work /tmp/incr]

Makes a synthetic corpus of ``--papers`` copies of the bundled text and JATS papers
(bench/synth.py), builds it once (timed, for scale), then times, each ``--repeat``
times as whole ``evidence build`` processes: a build with nothing changed, a build
after one new paper is added, and a build after every file is touched (the stat
shortcut off: every file hashed, no paper re-extracted). Prints a Markdown table of
median and spread beside the target.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import default_sources, make_corpus  # noqa: E402

TARGET_SECONDS = 2.0
EVIDENCE = [sys.executable, "-c", "from publish.cli import cli; cli()"]


def build(db: Path, dirs: list[str], workers: int) -> float:
    """Seconds one `evidence build` process takes, from start to exit."""
    start = time.perf_counter()
    subprocess.run([*EVIDENCE, "build", str(db), *dirs, "--workers", str(workers), "--corrections",
                    str(db.parent / "no-corrections")], check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/incremental-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    corpus = args.work / "corpus"
    make_corpus(corpus, args.papers, ["text", "jats"], default_sources(["text", "jats"]))
    dirs = (corpus / "dirs.txt").read_text().split()
    extra = args.work / "extra"
    extra.mkdir()
    dirs.append(str(extra))
    db = args.work / "evidence.db"
    first = build(db, dirs, args.workers)
    source = next(p for p in sorted((ROOT / "corpus" / "papers").glob("*.txt")))
    rows: dict[str, list[float]] = {"nothing changed": [], "one paper added": [], "every file touched": []}
    for i in range(args.repeat):
        rows["nothing changed"].append(build(db, dirs, args.workers))
        (extra / f"added_{i}.txt").write_text(source.read_text(encoding="utf-8") + f"\n[added copy {i}]\n",
                                              encoding="utf-8")
        rows["one paper added"].append(build(db, dirs, args.workers))
        for d in dirs:
            for path in Path(d).iterdir():
                path.touch()
        rows["every file touched"].append(build(db, dirs, args.workers))
    print(f"{args.papers} papers, {args.workers} workers; first build {first:.1f} s\n")
    print("| build | median s | min–max s | target |")
    print("|---|---|---|---|")
    for name, times in rows.items():
        target = f"≤ {TARGET_SECONDS:g} s" if name != "every file touched" else "(every file hashed)"
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f}–{max(times):.2f} | {target} |")


if __name__ == "__main__":
    main()
