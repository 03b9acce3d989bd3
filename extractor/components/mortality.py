"""Early mortality: 30/60-day, 4/8-week and induction deaths."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import EarlyMortality


def extract_mortality(sentence: Sentence) -> Iterator[EarlyMortality]:
    """Records of this kind stated in the sentence or table row."""
    return iter(())
