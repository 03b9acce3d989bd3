"""Time to event: medians and rates of OS, EFS, DFS, RFS, PFS, CIR, DOR."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import TimeToEvent


def extract_time_to_event(sentence: Sentence) -> Iterator[TimeToEvent]:
    """Records of this kind stated in the sentence or table row."""
    return iter(())
