"""Measure the regimen extractor on a second batch of hand-keyed full-text passages (drugs_fulltext2_shapes.jsonl).

Each line holds one passage of an even-numbered article of ../shared/corpus/wild/jats that is not a corpus
paper, not about a reserved drug and not a source of drugs_fulltext_shapes.jsonl: a sentence (`text`) or a
table (`table_xml`, the article's table-wrap), the article's title, the section it was printed in, a note,
the drug, dose and unit a careful annotator records from it following corpus/gold/FORMAT.md and GUIDE.md
(`expected`; `[]` for near-misses: background chemotherapy of a supportive-care trial, prior or later
therapy, cited trials, dose steps, concentrations, dose intensity), and `optional` facts a careful annotator
might or might not record (a predicted optional fact is neither found nor wrong). A dose in a unit FORMAT.md
has no word for (million units, pfu, µg/m2) is keyed with dose and unit null, as the gold keys carboplatin AUC.

The 21 articles were listed sorted and shuffled with a fixed seed, and a third held out before any rule was
written (the passages were keyed before the extractor's output for them was read):
    a = sorted(articles); random.Random(20261213).shuffle(a); heldout = a[: len(a) // 3]
Held-out passages ("set": "heldout") are measured, never read to write rules.

By default each passage is read by itself (a sentence as a one-section paper under the article's title, a table
as a one-table JATS article). With --articles each whole article is extracted instead and its regimen facts are
compared with the union of its passages' keyed facts: a fact no passage keys is printed for reading (it may be
right: not every sentence of an article is keyed), a keyed fact the article does not yield is a miss.

    PYTHONPATH=. python bench/audit/drugs_fulltext2_shapes.py [--show work|heldout] [--articles]
"""

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.audit.drugs_shapes import Key, drug_key
from bench.audit.shapes import full_text_arguments, passage_document, print_mismatches, print_totals
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from schemas import Document

SHAPES = Path(__file__).with_name("drugs_fulltext2_shapes.jsonl")


def _keys(facts: list[dict[str, Any]]) -> set[Key]:
    return {drug_key(f["drug"], f["dose"], f["unit"]) for f in facts}


def regimen_keys(document: Document) -> set[Key]:
    # Sets, not lists: a drug two arms share is one fact here (the key has no arm).
    return {drug_key(r.drug, r.dose, r.unit) for r in extract_records(document) if r.kind == "regimen"}


def main() -> None:
    parser = full_text_arguments()
    parser.add_argument("--articles", action="store_true", help="extract whole articles, not passages")
    args = parser.parse_args()
    items = [json.loads(line) for line in SHAPES.read_text(encoding="utf-8").splitlines()]
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    if args.articles:
        by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            by_source[item["source"]].append(item)
        for source, group in sorted(by_source.items()):
            expected = set().union(*(_keys(i["expected"]) for i in group))
            optional = set().union(*(_keys(i["optional"]) for i in group)) - expected
            predicted = regimen_keys(parse_paper(args.wild / f"{source}.nxml")) - optional
            name = group[0]["set"]
            totals[name].update(gold=len(expected), pred=len(predicted), tp=len(predicted & expected))
            if args.show == name and predicted != expected:
                print(f"{source} [{name}] {group[0]['title'][:100]}")
                for fact in sorted(expected - predicted, key=str):
                    print(f"   MISS      {fact}")
                for fact in sorted(predicted - expected, key=str):
                    print(f"   NOT KEYED {fact}")
    else:
        for item in items:
            optional = _keys(item["optional"])
            predicted = regimen_keys(passage_document(item, "The table lists them.")) - optional
            expected = _keys(item["expected"])
            totals[item["set"]].update(gold=len(expected), pred=len(predicted), tp=len(predicted & expected))
            if args.show == item["set"] and predicted != expected:
                shown = dict(item, text=item.get("text") or f"[table] {item['note']}")
                print_mismatches(shown, sorted(expected - predicted, key=str), sorted(predicted - expected, key=str), 140)
    print_totals(totals)


if __name__ == "__main__":
    main()
