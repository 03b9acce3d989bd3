"""Measure the response and early-death extractors on hand-keyed sentences of abstracts outside the corpus.

bench/audit/responses_shapes.jsonl holds one sentence a line: its source URL, the page's title, the
section it was printed in, an optional context (its own records are not counted) and the facts a
careful annotator records from it following corpus/gold/FORMAT.md and GUIDE.md: responses (outcome,
n, of, percent) and early deaths (window, n, of, percent). Sentences with no such fact
(`"expected": []`) are near-misses: molecular or cytogenetic responses, VGPR, planned or pooled
rates. A seeded third of the abstracts is held out ("set": "heldout"): it was not read when rules
were written, only measured. Facts are matched as the eval matches them (extractor.evaluate).

    PYTHONPATH=. python bench/audit/responses_shapes.py [--show]
"""

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.evaluate import MATCHERS, match
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("responses_shapes.jsonl")
CATEGORIES = {"response": "responses", "mortality": "mortality"}


def response_fact(record: Any) -> dict[str, Any]:
    fact = {"kind": record.kind, "n": record.n, "of": record.of, "percent": record.percent}
    if record.kind == "response":
        fact["outcome"] = record.outcome
    else:
        fact["window"] = record.window
    return fact


def score(item: dict[str, Any], predicted: list[dict[str, Any]], total: Counter[str], show: bool, width: int = 120) -> None:
    """Add a keyed passage's responses and early deaths, matched as extractor.evaluate matches them, to
    its set's totals; with ``show``, print its misses and wrong facts."""
    for kind, category in CATEGORIES.items():
        gold = [f for f in item["expected"] if f["kind"] == kind]
        pred = [f for f in predicted if f["kind"] == kind]
        counts, misses, extra = match(gold, pred, MATCHERS[category])
        total.update(gold=len(gold), pred=len(pred), tp=counts.tp)
        if show and (misses or extra):
            print_mismatches(item, misses, extra, width)


def main(show: bool = False) -> None:
    totals: dict[str, Counter[str]] = {"work": Counter(), "heldout": Counter()}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        context, document = item.get("context", ""), shape_document(item)
        predicted = [response_fact(r) for r in extract_records(document)
                     if r.kind in CATEGORIES and r.provenance[0].start >= len(context)]
        score(item, predicted, totals[item["set"]], show)
    print_totals(totals)


if __name__ == "__main__":
    main(show="--show" in sys.argv)
