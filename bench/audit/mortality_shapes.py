"""Measure the early-death extractor on hand-keyed sentences of abstracts outside the corpus.

bench/audit/mortality_shapes.jsonl holds one sentence a line: its source URL, the page's title, the
section it was printed in, an optional context (its own records are not counted) and the early deaths
a careful annotator records from it following corpus/gold/FORMAT.md and GUIDE.md (window, n, of,
percent; arm is kept for reading, not matched). Sentences with no such fact (`"expected": []`) are
near-misses: early deaths with no stated window, treatment-related or cause-specific mortality,
zero deaths, survival rates. A seeded third of the abstracts is held out ("set": "heldout"): it was
not read when rules were written, only measured. Facts are matched as the eval matches them
(extractor.evaluate).

    PYTHONPATH=. python bench/audit/mortality_shapes.py [--show] [--heldout]
"""

import json
import sys
from collections import Counter
from pathlib import Path

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.evaluate import MATCHERS, match
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("mortality_shapes.jsonl")


def main(show: bool = False, heldout: bool = False) -> None:
    totals: dict[str, Counter[str]] = {"work": Counter(), "heldout": Counter()}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        context, document = item.get("context", ""), shape_document(item)
        predicted = [{"window": r.window, "n": r.n, "of": r.of, "percent": r.percent}
                     for r in extract_records(document)
                     if r.kind == "mortality" and r.provenance[0].start >= len(context)]
        gold = [f for f in item["expected"] if f["kind"] == "mortality"]
        counts, misses, extra = match(gold, predicted, MATCHERS["mortality"])
        totals[item["set"]].update(gold=len(gold), pred=len(predicted), tp=counts.tp)
        if show and (misses or extra) and (heldout or item["set"] == "work"):
            print_mismatches(item, misses, extra, 140)
    print_totals(totals)


if __name__ == "__main__":
    main(show="--show" in sys.argv, heldout="--heldout" in sys.argv)
