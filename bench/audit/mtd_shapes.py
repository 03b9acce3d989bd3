"""Measure the dose-finding extractor (MTD/RP2D doses and dose-limiting toxicities) on hand-keyed sentences
of phase 1 abstracts that are not in the corpus.

bench/audit/mtd_shapes.jsonl holds one sentence a line: its source URL, the page's title (naming the study
drug, as a paper's title does), the section it was printed in, an optional context (the sentence before it
that defines an abbreviation; records quoting only it are not counted) and the facts a careful annotator
records from it: "mtd" (drug, dose, unit as corpus/gold/FORMAT.md keys MTD and RP2D doses) and "dlts" (term). A
seeded third of the abstracts of each batch is held out ("set": "heldout"): measured, never read to write
rules. Batch 1 (no "batch" field) was keyed and split before the first rules; batch 2 after them.

    PYTHONPATH=. python bench/audit/mtd_shapes.py [--show]
"""

import json
import sys
from collections import Counter
from pathlib import Path

from bench.audit.shapes import print_totals, shape_document
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("mtd_shapes.jsonl")


def _dose(drug: str, dose: float | None, unit: str | None) -> tuple[str, float | None, str | None]:
    return drug.lower(), None if dose is None else round(float(dose), 3), unit


def main(show: bool = False) -> None:
    totals: dict[str, Counter[str]] = {}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        # Records quoting only the context sentence (one that defines an abbreviation such as "RD") are not
        # counted; a record whose quote runs into the keyed sentence is ("phase I. The RD was" is read as one).
        records = [r for r in extract_records(shape_document(item))
                   if r.provenance[0].start + len(r.provenance[0].quote) > len(item.get("context", ""))]
        pairs = {
            "mtd": ({_dose(r.drug, r.dose, r.unit) for r in records if r.kind == "mtd"},
                    {_dose(f["drug"], f["dose"], f["unit"]) for f in item["mtd"]}),
            "dlts": ({r.term.lower() for r in records if r.kind == "dlt"},
                     {f["term"].lower() for f in item["dlts"]}),
        }
        for category, (predicted, expected) in pairs.items():
            total = totals.setdefault(f"{category}-{item['set']}", Counter())
            total.update(gold=len(expected), pred=len(predicted), tp=len(predicted & expected))
            if show and predicted != expected:
                print(f"{item['id']} [{item['set']}] {category}: {item['text'][:100]}")
                for key in sorted(expected - predicted, key=str):
                    print(f"   MISS  {key}")
                for key in sorted(predicted - expected, key=str):
                    print(f"   WRONG {key}")
    print_totals(totals)


if __name__ == "__main__":
    main(show="--show" in sys.argv)
