"""Measure the regimen extractor on hand-keyed passages of full-text trial articles outside the corpus.

bench/audit/drugs_fulltext_shapes.jsonl holds one sentence or table row a line from the even-numbered
articles of ../shared/corpus/wild/jats that are not corpus papers and not about a reserved drug: its
source (PMC id), the article's title, the section it was printed in, an optional context (a sentence defining an
abbreviation; its own records are not counted), a note, and the drug, dose and unit a careful annotator
records from it following corpus/gold/FORMAT.md and GUIDE.md. Passages with `"expected": []` are
near-misses: cited trials, prior therapy, premedication, anaesthesia, routine immunosuppression,
growth factors "as needed", dose reductions and titrations, concentrations, delivered dose intensity.

The 31 articles were shuffled with a fixed seed and a third held out before any rule was written:
    a = sorted(articles); random.Random(47).shuffle(a); heldout = a[: len(a) // 3]
Held-out passages ("set": "heldout") are measured, never read to write rules.

    PYTHONPATH=. python bench/audit/drugs_fulltext_shapes.py [--show] [--heldout]
"""

import sys
from pathlib import Path

from bench.audit.drugs_shapes import measure

SHAPES = Path(__file__).with_name("drugs_fulltext_shapes.jsonl")


def main(show: bool = False, heldout: bool = False) -> None:
    measure(SHAPES, show, heldout)


if __name__ == "__main__":
    main(show="--show" in sys.argv, heldout="--heldout" in sys.argv)
