"""Arms and regimens: drug, dose, unit, route, frequency, schedule."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import DrugRegimen


def extract_regimens(sentence: Sentence) -> Iterator[DrugRegimen]:
    """Records of this kind stated in the sentence or table row."""
    return iter(())
