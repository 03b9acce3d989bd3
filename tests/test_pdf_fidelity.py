"""Text fidelity of the PDF parser against the publisher XML of the same articles (tests/fidelity.py).

Issue 4 asks for 0.95 pooled and no pair below 0.85 (the README's lenient measure only
for the two pairs whose XML has spacing artefacts). The parser reaches 0.957 pooled
(492/514), its lowest pair 0.89; raise the floors as it improves.
"""

import pytest

from tests.conftest import ROOT
from tests.fidelity import fidelity

PAIRS = sorted((ROOT / "tests" / "fixtures" / "pdf-xml-pairs").glob("*.pdf"))
POOLED_FLOOR = 0.95
PAIR_FLOOR = 0.85


@pytest.fixture(scope="module")
def scores() -> dict[str, tuple[int, int]]:
    return {pdf.stem: fidelity(pdf, pdf.with_suffix(".xml"))[:2] for pdf in PAIRS}


def test_there_are_ten_pairs(scores: dict[str, tuple[int, int]]) -> None:
    assert len(scores) == 10
    assert sum(total for _, total in scores.values()) == 514


def test_pooled_fidelity(scores: dict[str, tuple[int, int]]) -> None:
    found = sum(f for f, _ in scores.values())
    total = sum(t for _, t in scores.values())
    assert found / total >= POOLED_FLOOR, f"pooled fidelity {found / total:.3f}"


@pytest.mark.parametrize("stem", [p.stem for p in PAIRS])
def test_pair_fidelity(scores: dict[str, tuple[int, int]], stem: str) -> None:
    found, total = scores[stem]
    assert found / total >= PAIR_FLOOR, f"{stem}: {found}/{total}"
