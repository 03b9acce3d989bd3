"""Trial phase and design."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import TrialDesign, TrialPhase


def extract_phase(sentence: Sentence) -> Iterator[TrialPhase]:
    """Phase stated for this trial."""
    return iter(())


def extract_design(sentence: Sentence) -> Iterator[TrialDesign]:
    """Allocation design stated for this trial."""
    return iter(())
