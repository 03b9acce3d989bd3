"""Dose finding: maximum tolerated / recommended phase 2 dose, and dose-limiting toxicities."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import DoseLimitingToxicity, MaximumToleratedDose


def extract_mtd(sentence: Sentence) -> Iterator[MaximumToleratedDose]:
    """MTD or RP2D stated in the sentence."""
    return iter(())


def extract_dlts(sentence: Sentence) -> Iterator[DoseLimitingToxicity]:
    """Toxicities named as dose-limiting in the sentence."""
    return iter(())
