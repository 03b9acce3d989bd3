"""Measure the regimen extractor on hand-keyed sentences of trial abstracts that are not in the corpus.

bench/audit/drugs_shapes.jsonl holds one sentence a line: its source URL, the page's title, the
section it was printed in, an optional context (the sentence before it that defines an
abbreviation; its own records are not counted) and the facts a careful annotator records from it
(drug, dose, unit as corpus/gold/FORMAT.md keys them). A seeded third of the abstracts is held
out ("set": "heldout"): it was not read when rules were written, only measured.

    PYTHONPATH=. python bench/audit/drugs_shapes.py [--show]
"""

import json
import sys
from collections import Counter
from pathlib import Path

from bench.audit.shapes import print_totals, shape_document
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("drugs_shapes.jsonl")


def _key(drug: str, dose: float | None, unit: str | None) -> tuple[str, float | None, str | None]:
    return drug, None if dose is None else round(float(dose), 3), unit


def main(show: bool = False) -> None:
    totals: dict[str, Counter[str]] = {"work": Counter(), "heldout": Counter()}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        context, document = item.get("context", ""), shape_document(item)
        # Sets, not lists: a drug two arms share is one fact here (the key has no arm).
        predicted = {_key(r.drug, r.dose, r.unit) for r in extract_records(document)
                     if r.kind == "regimen" and r.provenance[0].start >= len(context)}
        expected = {_key(f["drug"], f["dose"], f["unit"]) for f in item["expected"]}
        total = totals[item["set"]]
        total.update(gold=len(expected), pred=len(predicted), tp=len(predicted & expected))
        if show and (predicted - expected or expected - predicted):
            print(f"{item['id']} [{item['set']}] {item['text'][:110]}")
            for key in (expected - predicted):
                print(f"   MISS  {key}")
            for key in (predicted - expected):
                print(f"   WRONG {key}")
    print_totals(totals)

if __name__ == "__main__":
    main(show="--show" in sys.argv)
