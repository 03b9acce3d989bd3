"""Measure adverse-event extraction on hand-keyed full-text passages (ae_fulltext_shapes.jsonl).

Each line holds one passage of an even-numbered wild PMC article (../shared/corpus/wild/jats, none a
corpus paper, no reserved drug): a results sentence (`text`) or a toxicity table (`table_xml`, the
article's table-wrap, some body rows left out), the article's title, the facts an annotator following
corpus/gold/FORMAT.md and GUIDE.md records from it, and `optional` facts a careful annotator might
or might not record (counts of cycles rather than patients, organ-class rows): a predicted optional
fact is neither found nor wrong. Articles were shuffled with random.Random(20261210) and the first
third held out ("set": "heldout") before any rule was written; held-out misses were not read.
Each passage is measured where it stands: the whole article is parsed and extracted (so the arms, the
sections and the table layout are the paper's), and the adverse events whose quote overlaps the
passage (the sentence, or the kept rows of the table with that label) are its predictions. With
--alone a passage is read by itself instead (a sentence as a one-section paper, a table as a
one-table JATS article). A fact matches as the evaluation matches adverse events: term, grade, and
counts agree. The articles are read from ../shared/corpus/wild/jats (--wild to point elsewhere).

    PYTHONPATH=. python bench/audit/ae_fulltext_shapes.py [--show work|heldout] [--alone]
"""

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from bench.audit.shapes import full_text_arguments, passage_document, print_mismatches, print_totals
from extractor.evaluate import MATCHERS, match
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import AdverseEvent, Document

SHAPES = Path(__file__).with_name("ae_fulltext_shapes.jsonl")
KEYS = ("term", "grade", "n", "of", "percent", "arm")


def _passage(item: dict[str, Any]) -> Document:
    return passage_document(item, "Adverse events are listed in the table.")


@cache
def _article(path: Path) -> tuple[Document, tuple[AdverseEvent, ...]]:
    document = parse_paper(path)
    return document, tuple(r for r in extract_records(document) if isinstance(r, AdverseEvent))


def _label(text: str | None) -> str:
    return " ".join((text or "").split()).rstrip(".").lower()


def _row_text(cells: list[Any]) -> str:
    return " | ".join(" ".join(cell.text.split()) for cell in cells)


def _kept_rows(document: Document) -> set[str]:
    return {_row_text(row.cells) for table in document.tables for row in table.rows if not row.header}


def in_article(item: dict[str, Any], wild: Path) -> list[AdverseEvent]:
    """The adverse events the whole article yields whose quote overlaps the passage."""
    document, records = _article(wild / f"{item['source']}.nxml")
    if "table_xml" in item:
        kept = _kept_rows(_passage(item))
        spans = [(row.start, row.end) for table in document.tables if _label(table.label) == _label(
            re.search(r"<label>(.*?)</label>", item["table_xml"]).group(1))  # type: ignore[union-attr]
                 for row in table.rows if not row.header and _row_text(row.cells) in kept]
    else:
        words = [re.escape(w) for w in item["text"].split()]
        found = re.search(r"\s+".join(words), document.text)
        spans = [found.span()] if found else []
    return [r for r in records if any(r.provenance[0].start < e and r.provenance[0].end > s for s, e in spans)]


def main() -> None:
    parser = full_text_arguments()
    parser.add_argument("--alone", action="store_true", help="read each passage by itself, not in its article")
    args = parser.parse_args()
    totals: dict[str, Counter[str]] = {}
    for line in SHAPES.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        records = ([r for r in extract_records(_passage(item)) if isinstance(r, AdverseEvent)]
                   if args.alone else in_article(item, args.wild))
        predicted = [{k: r.model_dump().get(k) for k in KEYS} for r in records]
        _, _, predicted = match(item.get("optional", []), predicted, MATCHERS["adverse_events"])
        counts, missed, wrong = match(item["expected"], predicted, MATCHERS["adverse_events"])
        totals.setdefault(item["set"], Counter()).update(gold=len(item["expected"]), pred=len(predicted),
                                                         tp=counts.tp)
        if args.show == item["set"] and (missed or wrong):
            print_mismatches(item, missed, wrong, 160)
    print_totals(totals)


if __name__ == "__main__":
    main()
