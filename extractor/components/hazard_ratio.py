"""Hazard ratios with confidence interval and P value."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import HazardRatio


def extract_hazard_ratios(sentence: Sentence) -> Iterator[HazardRatio]:
    """Records of this kind stated in the sentence or table row."""
    return iter(())
