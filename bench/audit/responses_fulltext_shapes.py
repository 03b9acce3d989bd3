"""Measure the response and early-death extractors on hand-keyed passages of full-text wild articles.

bench/audit/responses_fulltext_shapes.jsonl holds one passage a line from an even-numbered article of
../shared/corpus/wild/jats (PMC<even>.nxml, none in the project's corpus, none about a reserved drug):
its source (PMC id), set, section, text and the facts a careful annotator records from it following
corpus/gold/FORMAT.md and GUIDE.md: responses (outcome, n, of, percent) and early deaths (window, n,
of, percent); arm is kept for reading, not matched. A prose passage is read as a one-section paper
(bench/audit/shapes.py); a table row ("table": its label, text: its cells joined by single spaces) is
read in its parsed article, and the records with evidence in that row are counted (a fact the prose repeats is
merged into one record with both quotes). Passages with
`"expected": []` are near-misses: stable disease, disease control, cited or earlier trials, planned
rates, CA-125 or durable responses, progesterone receptor "PR". The 23 articles were sorted, shuffled
with random.Random(20261207) and the first third (7) held out ("set": "heldout"): measured, never read
for rules. Facts are matched as the eval matches them (extractor.evaluate).

    PYTHONPATH=. python bench/audit/responses_fulltext_shapes.py [--show] [--heldout]
"""

import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from bench.audit.responses_shapes import CATEGORIES, response_fact, score
from bench.audit.shapes import WILD, print_totals, shape_document
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import Document

SHAPES = Path(__file__).with_name("responses_fulltext_shapes.jsonl")


@cache
def _article(source: str) -> tuple[Document, list[Any]]:
    document = parse_paper(WILD / f"{source}.nxml")
    return document, [r for r in extract_records(document) if r.kind in CATEGORIES]


def _row_records(item: dict[str, Any]) -> list[Any]:
    """The records of the keyed table row, read in its parsed article."""
    document, records = _article(item["source"])
    for table in document.tables:
        if table.label != item["table"]:
            continue
        for row in table.rows:
            if " ".join(c.text for c in row.cells) == item["text"]:
                return [r for r in records if any(row.start <= p.start < row.end for p in r.provenance)]
    raise ValueError(f"{item['id']}: no row '{item['text']}' in {item['table']}")


def main(show: bool = False, heldout: bool = False) -> None:
    totals: dict[str, Counter[str]] = {"work": Counter(), "heldout": Counter()}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("table"):
            records = _row_records(item)
        else:
            records = [r for r in extract_records(shape_document(item)) if r.kind in CATEGORIES]
        predicted = [response_fact(r) for r in records]
        score(item, predicted, totals[item["set"]], show and (heldout or item["set"] == "work"), 160)
    print_totals(totals)


if __name__ == "__main__":
    main(show="--show" in sys.argv, heldout="--heldout" in sys.argv)
