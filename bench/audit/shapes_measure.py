"""Measure the extractor on hand-keyed sentences: bench/audit/<category>_shapes.jsonl.

Each line holds one sentence of a public trial abstract (not in the corpus), its section, the
split it belongs to ("work": used to write rules; "heldout": only measured), its batch (batch 2
was collected after the first rules were written, and split apart) and the facts of the category a
careful annotator records from it (FORMAT.md keys). Usage:

    python bench/audit/shapes_measure.py [population|time_to_event] [--show]
"""

import json
import sys
from pathlib import Path
from typing import Any

from bench.audit.shapes import shape_document
from extractor.evaluate import normalise_timepoint
from extractor.pipeline import extract_records

HERE = Path(__file__).parent
KINDS = {"population": "population", "time_to_event": "time_to_event"}


def _key(category: str, fact: dict[str, Any]) -> tuple[Any, ...]:
    if category == "population":
        return (fact["field"], round(float(fact["value"]), 2))
    rate = fact["measure"] == "rate"
    return (fact["endpoint"], fact["measure"], round(float(fact["value"]), 2),
            normalise_timepoint(fact.get("timepoint")) if rate else None)


def measure(category: str, show: bool = False) -> dict[str, dict[str, int]]:
    """Keyed facts, found and wrong per split."""
    totals: dict[str, dict[str, int]] = {}
    for line in (HERE / f"{category}_shapes.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        document = shape_document(row)
        got = [_key(category, r.model_dump()) for r in extract_records(document) if r.kind == KINDS[category]]
        want = [_key(category, f) for f in row["expected"]]
        found, free = 0, list(got)
        missed = []
        for key in want:
            if key in free:
                free.remove(key)
                found += 1
            else:
                missed.append(key)
        group = f"{row['split']}-b{row.get('batch', 1)}"
        t = totals.setdefault(group, {"keyed": 0, "found": 0, "wrong": 0})
        t["keyed"] += len(want)
        t["found"] += found
        t["wrong"] += len(free)
        if show and (missed or free):
            print(f"{row['id']} [{row['split']}] missed={missed} wrong={free}\n    {row['text'][:160]}")
    return totals


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    for category in args or list(KINDS):
        for split, t in sorted(measure(category, "--show" in sys.argv).items()):
            recall = t["found"] / t["keyed"] if t["keyed"] else 0.0
            print(f"{category:14} {split:11} keyed {t['keyed']:3}  found {t['found']:3}  "
                  f"wrong {t['wrong']:3}  recall {recall:.2f}")
