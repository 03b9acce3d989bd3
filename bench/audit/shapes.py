"""What the keyed sentence sets of outside abstracts share (bench/audit/*_shapes.jsonl, measured by
drugs_shapes.py, responses_shapes.py, ae_shapes.py and shapes_measure.py): the document a sentence is
read as, and the per-set totals printed."""

from collections import Counter
from typing import Any

from schemas import Document, DocumentMetadata
from tests.conftest import document_from_text


def shape_document(item: dict[str, Any]) -> Document:
    """A keyed sentence as a one-section paper: its optional context sentence first (whose own records a
    measure skips: start < len(context)), in the section it was printed in, under the page's title if given."""
    document = document_from_text(item.get("context", "") + item["text"], item["section"])
    if item.get("title"):
        document = document.model_copy(update={"metadata": DocumentMetadata(title=item["title"])})
    return document


def print_totals(totals: dict[str, Counter[str]]) -> None:
    """One line per set (work, heldout): keyed facts, predicted, found, recall, precision, wrong."""
    for name, total in sorted(totals.items()):
        recall = total["tp"] / total["gold"] if total["gold"] else 0.0
        precision = total["tp"] / total["pred"] if total["pred"] else 1.0
        print(f"{name:20s} gold {total['gold']:3d} pred {total['pred']:3d} tp {total['tp']:3d} "
              f"recall {recall:.3f} precision {precision:.3f} wrong {total['pred'] - total['tp']}")


def print_mismatches(item: dict[str, Any], misses: list[Any], wrong: list[Any], width: int = 120) -> None:
    """A keyed sentence whose facts the extractor missed or got wrong, each fact on its own line."""
    print(f"{item['id']} [{item.get('set') or item.get('split')}] {item['text'][:width]}")
    for fact in misses:
        print(f"   MISS  {fact}")
    for fact in wrong:
        print(f"   WRONG {fact}")
