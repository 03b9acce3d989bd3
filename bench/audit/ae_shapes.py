"""Measure adverse-event extraction on hand-keyed abstract sentences (adverse_events_shapes.jsonl).

Each line holds a sentence of a real trial abstract (stored public pages, none a copy of a corpus
paper, no reserved drug), its section, the source URL, the facts an annotator following
corpus/gold/FORMAT.md records (terms as the lexicons write them: "neuropathy" is "peripheral
neuropathy", "bleeding" "hemorrhage"), and its split: "heldout" for a third of the sources, drawn
before any rule was written (random.Random(20261207); sources added in later rounds had their own
seeded draws, 20261208 and 20261209), never read to write rules; "work" for the rest. A predicted
fact matches a keyed fact as the evaluation matches adverse events: term, grade, and counts agree.

    PYTHONPATH=. python bench/audit/ae_shapes.py [--show work]
"""

import argparse
import json
from collections import Counter
from pathlib import Path

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.evaluate import MATCHERS, match
from extractor.pipeline import extract_records

SHAPES = Path(__file__).with_name("adverse_events_shapes.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", choices=["work", "heldout", "none"], default="none",
                        help="print the misses and wrong facts of one split")
    args = parser.parse_args()
    totals: dict[str, Counter[str]] = {}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        predicted = [r.model_dump() for r in extract_records(shape_document(case)) if r.kind == "adverse_event"]
        counts, missed, wrong = match(case["expected"], predicted, MATCHERS["adverse_events"])
        totals.setdefault(case["split"], Counter()).update(gold=len(case["expected"]), pred=len(predicted),
                                                           tp=counts.tp)
        if args.show == case["split"] and (missed or wrong):
            print_mismatches(case, missed, [{k: w.get(k) for k in ("term", "grade", "n", "of", "percent", "arm")}
                                            for w in wrong], 400)
    print_totals(totals)


if __name__ == "__main__":
    main()
