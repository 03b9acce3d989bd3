"""Measure the extractor on the haematology keyed set of this round (outside abstracts, not in the corpus).

bench/audit/population_heme_shapes.jsonl: one abstract sentence a line, with the population facts a
careful annotator records from it ("expected") and facts it may be read to state but that are not
required ("also_ok": a registered count beside a randomized one, eligible beside registered); any other
population fact the extractor emits from the sentence is wrong. bench/audit/design_phase_heme_trials.jsonl:
each source's trial-level phase and design (null when the abstract does not settle it: not scored), read
from the source's title and keyed sentences together as one abstract. A seeded third of the sources is
"heldout": measured, never used to write rules; batch 2 was keyed after the batch-1 rules were written. Usage:

    python bench/audit/heme_measure.py [--show]
"""

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from extractor.pipeline import extract_records
from extractor.summary import build_summary
from schemas import DocumentMetadata
from tests.conftest import document_from_text

HERE = Path(__file__).parent


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _key(fact: dict[str, Any]) -> tuple[str, float]:
    return fact["field"], round(float(fact["value"]), 2)


def population(show: bool) -> dict[str, Counter[str]]:
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _rows("population_heme_shapes.jsonl"):
        document = document_from_text(row["text"], row["section"])
        got = [_key(r.model_dump()) for r in extract_records(document) if r.kind == "population"]
        want = [_key(f) for f in row["expected"]]
        ok = {_key(f) for f in row.get("also_ok", [])}
        free = list(got)
        missed = []
        for key in want:
            if key in free:
                free.remove(key)
            else:
                missed.append(key)
        wrong = [k for k in free if k not in ok]
        total = totals[f"{row['split']}-b{row.get('batch', 1)}"]
        total["keyed"] += len(want)
        total["found"] += len(want) - len(missed)
        total["wrong"] += len(wrong)
        if show and (missed or wrong):
            print(f"{row['id']} [{row['split']}] missed={missed} wrong={wrong}\n    {row['text'][:150]}")
    return totals


def trial_level(show: bool) -> dict[str, Counter[str]]:
    sentences: dict[str, list[str]] = defaultdict(list)
    for row in _rows("population_heme_shapes.jsonl"):
        sentences[row["source"]].append(row["text"])
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for trial in _rows("design_phase_heme_trials.jsonl"):
        parts = ([trial["title"]] if trial.get("title") else []) + sentences[trial["source"]] + trial["extra_text"]
        document = document_from_text("\n\n".join(parts), "abstract")
        if trial.get("title"):
            document = document.model_copy(update={"metadata": DocumentMetadata(title=trial["title"])})
        summary = build_summary(document, extract_records(document))
        for field in ("phase", "design"):
            want, got = trial[field], getattr(summary, field)
            total = totals[f"{field}-{trial['split']}-b{trial.get('batch', 1)}"]
            if want is None:
                continue
            total["keyed"] += 1
            total["found"] += got == want
            total["wrong"] += got is not None and got != want
            if show and got != want:
                print(f"{trial['source']} [{trial['split']}] {field}: keyed {want!r} got {got!r}")
    return totals


def _print(name: str, totals: dict[str, Counter[str]]) -> None:
    for split, t in sorted(totals.items()):
        recall = t["found"] / t["keyed"] if t["keyed"] else 0.0
        print(f"{name:10} {split:18} keyed {t['keyed']:3}  found {t['found']:3}  wrong {t['wrong']:3}  "
              f"recall {recall:.2f}")


if __name__ == "__main__":
    show = "--show" in sys.argv
    _print("population", population(show))
    _print("trial", trial_level(show))
