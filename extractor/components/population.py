"""Patients enrolled and evaluable, median age and range."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import PopulationValue


def extract_population(sentence: Sentence) -> Iterator[PopulationValue]:
    """Population numbers stated in the sentence."""
    return iter(())
