"""Adverse events by grade band, from sentences and table rows."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import AdverseEvent


def extract_adverse_events(sentence: Sentence) -> Iterator[AdverseEvent]:
    """Records of this kind stated in the sentence or table row."""
    return iter(())
