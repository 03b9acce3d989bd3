"""Measure the dose-finding extractor (MTD/RP2D doses and dose-limiting toxicities) on hand-keyed sentences
of phase 1 abstracts that are not in the corpus.

bench/audit/mtd_shapes.jsonl holds one sentence a line: its source URL, the page's title when the page prints
one (naming the study drug, as a paper's title does), the section, an optional context (a sentence before it
that defines an abbreviation such as "RD"; records quoting only the context are not counted), the facts a
careful annotator records from it following corpus/gold/FORMAT.md and GUIDE.md ("mtd": drug, dose, unit;
"dlts": term) and a note on near-misses. Batches: "g-mtd" (the keyed sentences of an earlier round,
less those whose abstract is a corpus paper), "w" and "w2" (17 and 6 further abstracts, keyed before the
extractor was run on them; a seeded third of the abstracts of each held out, "set": "heldout": measured,
never read to write rules; sorted abstract names shuffled with random.Random(20261210) and (20261211), the
first ceil(n/3) held out) and "w3" (5 abstracts collected after the w2 rules, all held out).

    PYTHONPATH=. python bench/audit/mtd_shapes.py [--show] [--heldout]
"""

import json
import sys
from collections import Counter
from pathlib import Path

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("mtd_shapes.jsonl")


def _dose(drug: str, dose: float | None, unit: str | None) -> tuple[str, float | None, str | None]:
    return drug.lower(), None if dose is None else round(float(dose), 3), unit


def main(show: bool = False, heldout: bool = False) -> None:
    totals: dict[str, Counter[str]] = {}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        # Records quoting only the context sentence are not counted; a record whose quote runs into the
        # keyed sentence is ("phase I. The RD was" is read as one).
        records = [r for r in extract_records(shape_document(item))
                   if r.provenance[0].start + len(r.provenance[0].quote) > len(item.get("context", ""))]
        pairs = {
            "mtd": ({_dose(r.drug, r.dose, r.unit) for r in records if r.kind == "mtd"},
                    {_dose(f["drug"], f["dose"], f["unit"]) for f in item["mtd"]}),
            "dlts": ({r.term.lower() for r in records if r.kind == "dlt"},
                     {f["term"].lower() for f in item["dlts"]}),
        }
        for category, (predicted, expected) in pairs.items():
            total = totals.setdefault(f"{category}-{item['batch']}-{item['set']}", Counter())
            total.update(gold=len(expected), pred=len(predicted), tp=len(predicted & expected))
            if show and predicted != expected and (heldout or item["set"] == "work"):
                print_mismatches(item, sorted(expected - predicted, key=str), sorted(predicted - expected, key=str))
    print_totals(totals)


if __name__ == "__main__":
    main(show="--show" in sys.argv, heldout="--heldout" in sys.argv)
