"""Run the extractor over unannotated papers, count its facts, and draw a seeded sample to audit.

Usage:  python bench/audit/wild_sweep.py PAPERS_DIR [--exclude FILE] [--sample 300] [--seed 12] [--out bench/audit]

Writes OUT/wild_counts.tsv (one row per paper: facts per FORMAT.md category, or the error)
and OUT/wild_sample.jsonl (the facts to audit, without verdicts). The sample is drawn per
category in turn (round robin over shuffled facts) so that rare categories are audited too;
papers named in --exclude (one stem a line: the gold test split) are never sampled.
An auditor who sees the paper and the fact, never the code, fills ``verdict`` ("right" or
"wrong") and ``why``; bench/audit/report.py turns the verdicts into precision per category.
"""

import argparse
import json
import random
from pathlib import Path

from extractor.evaluate import CATEGORIES, facts, predict
from extractor.parsers import SUFFIXES


def sweep(papers: list[Path]) -> tuple[dict[str, dict[str, int] | str], list[dict]]:
    """Per paper, its fact count per category (or the error met); and every fact found."""
    counts: dict[str, dict[str, int] | str] = {}
    found: list[dict] = []
    for path in papers:
        try:
            summary = predict(path)
        except Exception as exc:  # the sweep reports a crash; it must not stop on one
            counts[path.stem] = f"{type(exc).__name__}: {exc}"
            continue
        counts[path.stem] = {}
        for category in CATEGORIES:
            category_facts = facts(summary, category)
            counts[path.stem][category] = len(category_facts)
            for fact in category_facts:
                quote = fact.pop("quote", None)
                found.append({"paper": path.stem, "category": category, "fact": fact, "quote": quote})
    return counts, found


def draw(found: list[dict], size: int, seed: int) -> list[dict]:
    """Round robin over categories, each category's facts shuffled by one seeded generator."""
    rng = random.Random(seed)
    pools = {c: [f for f in found if f["category"] == c] for c in CATEGORIES}
    for pool in pools.values():
        rng.shuffle(pool)
    sample: list[dict] = []
    while len(sample) < size and any(pools.values()):
        for category in CATEGORIES:
            if pools[category] and len(sample) < size:
                sample.append(pools[category].pop())
    return [{"id": i, **fact, "verdict": None, "why": None} for i, fact in enumerate(sample, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("papers", type=Path)
    parser.add_argument("--exclude", type=Path, help="file of paper stems never to sample, one a line")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=Path("bench/audit"))
    args = parser.parse_args()
    excluded = set(args.exclude.read_text().split()) if args.exclude else set()
    papers = sorted(p for p in args.papers.iterdir() if p.suffix in SUFFIXES)
    counts, found = sweep(papers)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = ["paper\t" + "\t".join(CATEGORIES) + "\terror"]
    for stem, row in counts.items():
        cells = ["" for _ in CATEGORIES] + [row] if isinstance(row, str) else [str(row[c]) for c in CATEGORIES] + [""]
        rows.append(stem + "\t" + "\t".join(cells))
    (args.out / "wild_counts.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    sample = draw([f for f in found if f["paper"] not in excluded], args.sample, args.seed)
    with (args.out / "wild_sample.jsonl").open("w", encoding="utf-8") as out:
        for item in sample:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    errors = sum(isinstance(row, str) for row in counts.values())
    print(f"{len(counts)} papers, {errors} errors, {len(found)} facts, {len(sample)} sampled")


if __name__ == "__main__":
    main()
