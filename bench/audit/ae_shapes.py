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
from pathlib import Path
from typing import Any

from extractor.pipeline import extract_records
from tests.conftest import document_from_text

SHAPES = Path(__file__).with_name("adverse_events_shapes.jsonl")


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    return a is not None and b is not None and abs(a - b) <= tolerance


def _counts_agree(got: dict[str, Any], want: dict[str, Any]) -> bool:
    for field, tolerance in (("n", 0.01), ("of", 0.01), ("percent", 0.5)):
        if got.get(field) is not None and want.get(field) is not None and not _close(got[field], want[field], tolerance):
            return False
    return any(got.get(f) is not None and want.get(f) is not None for f in ("n", "percent"))


def _match(got: dict[str, Any], want: dict[str, Any]) -> bool:
    return got["term"] == want["term"] and got["grade"] == want["grade"] and _counts_agree(got, want)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", choices=["work", "heldout", "none"], default="none",
                        help="print the misses and wrong facts of one split")
    args = parser.parse_args()
    totals: dict[str, dict[str, int]] = {}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        document = document_from_text(case["text"], case["section"])
        predicted = [r.model_dump() for r in extract_records(document) if r.kind == "adverse_event"]
        unmatched = list(predicted)
        missed = []
        for want in case["expected"]:
            hit = next((p for p in unmatched if _match(p, want)), None)
            if hit is None:
                missed.append(want)
            else:
                unmatched.remove(hit)
        t = totals.setdefault(case["split"], {"sentences": 0, "keyed": 0, "found": 0, "predicted": 0, "wrong": 0})
        t["sentences"] += 1
        t["keyed"] += len(case["expected"])
        t["found"] += len(case["expected"]) - len(missed)
        t["predicted"] += len(predicted)
        t["wrong"] += len(unmatched)
        if args.show == case["split"] and (missed or unmatched):
            print(f"{case['id']}: {case['text']}")
            for m in missed:
                print(f"   MISS  {m}")
            for w in unmatched:
                print(f"   WRONG {({k: w[k] for k in ('term', 'grade', 'n', 'of', 'percent', 'arm')})}")
    for split, t in sorted(totals.items()):
        recall = t["found"] / t["keyed"] if t["keyed"] else 0.0
        precision = (t["predicted"] - t["wrong"]) / t["predicted"] if t["predicted"] else 1.0
        print(f"{split:8s} sentences {t['sentences']:3d}  keyed {t['keyed']:3d}  found {t['found']:3d}  "
              f"recall {recall:.2f}  predicted {t['predicted']:3d}  wrong {t['wrong']:3d}  precision {precision:.2f}")


if __name__ == "__main__":
    main()
