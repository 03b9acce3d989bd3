"""Measure the regimen extractor on hand-keyed passages of full-text trial articles outside the corpus.

bench/audit/drugs_fulltext_shapes.jsonl holds one sentence or table row a line from the even-numbered
articles of ../shared/corpus/wild/jats that are not corpus papers and not about a reserved drug: its
source (PMC id), the article's title, the section it was printed in, an optional context (a sentence defining an
abbreviation; its own records are not counted), a note, and the drug, dose and unit a careful annotator
records from it following corpus/gold/FORMAT.md and GUIDE.md. Passages with `"expected": []` are
near-misses: cited trials, prior therapy, premedication, anaesthesia, routine immunosuppression,
growth factors "as needed", dose reductions and titrations, concentrations, delivered dose intensity.

The 31 articles were shuffled with a fixed seed and a third held out before any rule was written:
    a = sorted(articles); random.Random(47).shuffle(a); heldout = a[: len(a) // 3]
Held-out passages ("set": "heldout") are measured, never read to write rules.

    PYTHONPATH=. python bench/audit/drugs_fulltext_shapes.py [--show] [--heldout]
"""

import json
import sys
from collections import Counter
from pathlib import Path

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("drugs_fulltext_shapes.jsonl")


def _key(drug: str, dose: float | None, unit: str | None) -> tuple[str, float | None, str | None]:
    return drug, None if dose is None else round(float(dose), 3), unit


def main(show: bool = False, heldout: bool = False) -> None:
    totals: dict[str, Counter[str]] = {"work": Counter(), "heldout": Counter()}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        context, document = item.get("context", ""), shape_document(item)
        # Sets, not lists: a drug two arms share is one fact here (the key has no arm).
        predicted = {_key(r.drug, r.dose, r.unit) for r in extract_records(document)
                     if r.kind == "regimen" and r.provenance[0].start >= len(context)}
        expected = {_key(f["drug"], f["dose"], f["unit"]) for f in item["expected"]}
        totals[item["set"]].update(gold=len(expected), pred=len(predicted), tp=len(predicted & expected))
        if show and (predicted != expected) and (heldout or item["set"] == "work"):
            print_mismatches(item, sorted(expected - predicted, key=str), sorted(predicted - expected, key=str), 140)
    print_totals(totals)


if __name__ == "__main__":
    main(show="--show" in sys.argv, heldout="--heldout" in sys.argv)
