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

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("drugs_shapes.jsonl")


Key = tuple[str, float | None, str | None]


def drug_key(drug: str, dose: float | None, unit: str | None) -> Key:
    """A drug fact as FORMAT.md matches it: drug, dose (rounded), unit."""
    return drug, None if dose is None else round(float(dose), 3), unit


def measure(shapes: Path, show: bool = False, heldout: bool = True) -> None:
    """Keyed facts found and wrong facts per set of a keyed drug sentence file; --show prints the
    sentences whose facts differ (of the held-out set too only when ``heldout``)."""
    totals: dict[str, Counter[str]] = {"work": Counter(), "heldout": Counter()}
    for line in shapes.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        context, document = item.get("context", ""), shape_document(item)
        # Sets, not lists: a drug two arms share is one fact here (the key has no arm).
        predicted = {drug_key(r.drug, r.dose, r.unit) for r in extract_records(document)
                     if r.kind == "regimen" and r.provenance[0].start >= len(context)}
        expected = {drug_key(f["drug"], f["dose"], f["unit"]) for f in item["expected"]}
        totals[item["set"]].update(gold=len(expected), pred=len(predicted), tp=len(predicted & expected))
        if show and (predicted != expected) and (heldout or item["set"] == "work"):
            print_mismatches(item, sorted(expected - predicted, key=str), sorted(predicted - expected, key=str), 110)
    print_totals(totals)


def main(show: bool = False) -> None:
    measure(SHAPES, show)


if __name__ == "__main__":
    main(show="--show" in sys.argv)
