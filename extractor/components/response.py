"""Response rates (CR, CRi, CRp, CRh, CRc, MLFS, PR, ORR, NR, MRD-negative) as n / N / %."""

from collections.abc import Iterator

from extractor.sentence import Sentence
from schemas import Response


def extract_responses(sentence: Sentence) -> Iterator[Response]:
    """Records of this kind stated in the sentence or table row."""
    return iter(())
