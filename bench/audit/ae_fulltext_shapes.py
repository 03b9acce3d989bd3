"""Measure adverse-event extraction on hand-keyed full-text passages (ae_fulltext_shapes.jsonl).

Each line holds one passage of an even-numbered wild PMC article (../shared/corpus/wild/jats, none a
corpus paper, no reserved drug): a results sentence (`text`) or a toxicity table (`table_xml`, the
article's table-wrap, some body rows left out), the article's title, the facts an annotator following
corpus/gold/FORMAT.md and GUIDE.md records from it, and `optional` facts a careful annotator might
or might not record (counts of cycles rather than patients, organ-class rows): a predicted optional
fact is neither found nor wrong. Articles were shuffled with random.Random(20261210) and the first
third held out ("set": "heldout") before any rule was written; held-out misses were not read.
A table passage is read as a one-section JATS article; a fact matches as the evaluation matches
adverse events: term, grade, and counts agree.

    PYTHONPATH=. python bench/audit/ae_fulltext_shapes.py [--show work|heldout]
"""

import argparse
import json
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.evaluate import MATCHERS, match
from extractor.parsers import parse_bytes
from extractor.pipeline import extract_records
from schemas import Document

SHAPES = Path(__file__).with_name("ae_fulltext_shapes.jsonl")
KEYS = ("term", "grade", "n", "of", "percent", "arm")


def passage_document(item: dict[str, Any]) -> Document:
    """A sentence as a one-section paper; a table as a JATS article whose results section holds it."""
    if "table_xml" not in item:
        return shape_document(item)
    title = escape(item.get("title", ""))
    xml = (f"<article><front><article-meta><title-group><article-title>{title}</article-title>"
           f"</title-group></article-meta></front><body><sec><title>Results</title>"
           f"<p>Adverse events are listed in the table.</p>{item['table_xml']}</sec></body></article>")
    return parse_bytes(Path(f"{item['id']}.nxml"), xml.encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", choices=["work", "heldout", "none"], default="none",
                        help="print the misses and wrong facts of one set")
    args = parser.parse_args()
    totals: dict[str, Counter[str]] = {}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        predicted = [{k: r.model_dump().get(k) for k in KEYS}
                     for r in extract_records(passage_document(item)) if r.kind == "adverse_event"]
        _, _, predicted = match(item.get("optional", []), predicted, MATCHERS["adverse_events"])
        counts, missed, wrong = match(item["expected"], predicted, MATCHERS["adverse_events"])
        totals.setdefault(item["set"], Counter()).update(gold=len(item["expected"]), pred=len(predicted),
                                                         tp=counts.tp)
        if args.show == item["set"] and (missed or wrong):
            print_mismatches(item, missed, wrong, 160)
    print_totals(totals)


if __name__ == "__main__":
    main()
