"""The unit every component reads: a sentence of prose or a table row, located in its paper."""

from dataclasses import dataclass, field
from functools import cached_property

from extractor import __version__
from schemas import Document, Provenance, Table, TableRow
from schemas.vocab import SectionLabel


@dataclass(frozen=True)
class Sentence:
    """A sentence (or table row) of a Document, with the context a rule needs.

    ``start``/``end`` are offsets in ``doc.text``; ``text`` is ``doc.text[start:end]``.
    For a table row, ``table`` and ``row`` are set and ``header`` holds the text of
    the table's header rows and caption, which give the row's numbers their meaning.
    """

    doc: Document
    section: SectionLabel
    start: int
    end: int
    table: Table | None = None
    row: TableRow | None = None
    header: str = ""
    previous: str = field(default="", repr=False)

    @cached_property
    def text(self) -> str:
        # Read by every component (several times): sliced once per sentence.
        return self.doc.text[self.start : self.end]

    def provenance(self, rule_id: str, confidence: float) -> Provenance:
        """Provenance quoting the whole sentence or row."""
        return Provenance(
            paper_id=self.doc.paper_id,
            section=self.section,
            start=self.start,
            end=self.end,
            quote=self.text,
            rule_id=rule_id,
            extractor_version=__version__,
            confidence=confidence,
        )
