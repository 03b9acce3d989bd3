"""Measure population and time-to-event on hand-keyed passages of full texts outside the corpus.

bench/audit/fulltext_tte_population_shapes.jsonl holds one passage a line, taken from the even-numbered
PMC articles of the wild corpus (not in corpus/papers, no reserved drug): a sentence of the abstract,
methods, results, introduction or discussion, or a table (`"table"`: caption, header_rows, rows of cells)
as the JATS parser reads one, with the facts a careful annotator records from it following
corpus/gold/FORMAT.md and GUIDE.md (population: field, value; time_to_event: endpoint, measure, value,
timepoint; arm is kept for reading, not matched). Passages with `"expected": []` are near-misses:
sample-size calculations, cited trials, per-arm counts, safety or QoL populations, eligibility ages,
time to progression or to treatment failure (not in the endpoint vocabulary). A seeded third of the
ARTICLES is held out (`"set": "heldout"`; seed and split in bench/audit/README.md): measured, never
read to write rules. Batch 2 (`"batch": 2`, 10 more articles, split with seed 20261208) was keyed after the
rules of batch 1 were written. Facts are matched as the eval matches them (extractor.evaluate).

    PYTHONPATH=. python bench/audit/fulltext_shapes.py [--show] [--heldout]
"""

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.audit.shapes import print_mismatches, print_totals, shape_document
from extractor.evaluate import MATCHERS, match
from extractor.pipeline import extract_records
from schemas import Document, Section, Table, TableCell, TableRow

SHAPES = Path(__file__).with_name("fulltext_tte_population_shapes.jsonl")
CATEGORIES = ("population", "time_to_event")


def table_document(item: dict[str, Any]) -> Document:
    """A keyed table as a one-table paper: caption, then each row as one line of cells joined by spaces
    (as the JATS parser writes a table into the canonical text)."""
    spec = item["table"]
    text, rows = spec["caption"] + "\n", []
    for r, cells in enumerate(spec["rows"]):
        start, parsed = len(text), []
        for c, cell in enumerate(cells):
            if c:
                text += " "
            parsed.append(TableCell(text=cell, start=len(text), end=len(text) + len(cell),
                                    header=r < spec["header_rows"], column=c))
            text += cell
        rows.append(TableRow(cells=parsed, start=start, end=len(text), header=r < spec["header_rows"]))
        text += "\n"
    document = shape_document({**item, "text": text})
    table = Table(label="Table 1", caption=spec["caption"], section=item["section"], start=0, end=len(text), rows=rows)
    return document.model_copy(update={"tables": [table],
                                       "sections": [Section(label=item["section"], title=None, start=0, end=len(text))]})


def predicted(document: Document, category: str) -> list[dict[str, Any]]:
    """The records of one category as eval facts."""
    facts = []
    for record in extract_records(document):
        if record.kind != category:
            continue
        fact = record.model_dump()
        if category == "time_to_event":
            fact.setdefault("timepoint", None)
        facts.append(fact)
    return facts


def main(show: bool = False, heldout: bool = False) -> None:
    for category in CATEGORIES:
        totals: dict[str, Counter[str]] = {}
        for line in SHAPES.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            document = table_document(item) if item.get("table") else shape_document(item)
            gold = [f for f in item["expected"] if f["kind"] == category]
            got = predicted(document, category)
            counts, misses, extra = match(gold, got, MATCHERS[category])
            group = f"{item['set']}-b{item.get('batch', 1)}"
            totals.setdefault(group, Counter()).update(gold=len(gold), pred=len(got), tp=counts.tp)
            if show and (misses or extra) and (heldout or item["set"] == "work"):
                short = [{k: v for k, v in f.items() if k in ("field", "endpoint", "measure", "value", "timepoint")}
                         for f in extra]
                print_mismatches(item, misses, short, 140)
        print(f"== {category}")
        print_totals(totals)


if __name__ == "__main__":
    main(show="--show" in sys.argv, heldout="--heldout" in sys.argv)
