"""What the keyed passage sets share (bench/audit/*_shapes.jsonl and their measure scripts): the
document a sentence or table is read as, and the per-set totals and mismatches printed."""

import argparse
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from extractor.parsers import parse_bytes
from schemas import Document, DocumentMetadata
from tests.conftest import document_from_text

# The unannotated wild articles the full-text sets were keyed from (the project's ../shared).
WILD = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "wild" / "jats"


def full_text_arguments(description: str | None = None) -> argparse.ArgumentParser:
    """The options every full-text measure takes: --show SET (print its misses and wrong facts) and --wild."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--show", choices=["work", "heldout", "none"], default="none",
                        help="print the misses and wrong facts of one set")
    parser.add_argument("--wild", type=Path, default=WILD, help="folder of the wild JATS articles")
    return parser


def shape_document(item: dict[str, Any]) -> Document:
    """A keyed sentence as a one-section paper: its optional context sentence first (whose own records a
    measure skips: start < len(context)), in the section it was printed in, under the page's title if given."""
    document = document_from_text(item.get("context", "") + item["text"], item["section"])
    if item.get("title"):
        document = document.model_copy(update={"metadata": DocumentMetadata(title=item["title"])})
    return document


def passage_document(item: dict[str, Any], lead: str) -> Document:
    """A keyed sentence as shape_document reads it; a keyed table (``table_xml``, the article's
    table-wrap) as a JATS article whose section of the item's name holds the lead sentence and the table."""
    if "table_xml" not in item:
        return shape_document(item)
    title = escape(item.get("title", ""))
    xml = (f"<article><front><article-meta><title-group><article-title>{title}</article-title>"
           f"</title-group></article-meta></front><body><sec><title>{item.get('section', 'results').capitalize()}"
           f"</title><p>{lead}</p>{item['table_xml']}</sec></body></article>")
    return parse_bytes(Path(f"{item['id']}.nxml"), xml.encode())


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
