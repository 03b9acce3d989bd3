"""Accuracy on the bundled gold never drops below the floors recorded in tests/eval_floors.yaml.

Floors only go up: when extraction improves, raise them in the same commit.
Lowering one needs a reason written next to it in the file.
"""

from pathlib import Path

import pytest
import yaml

from extractor.evaluate import EvalReport, evaluate_corpus
from tests.conftest import GOLD, PAPERS

FLOORS = yaml.safe_load((Path(__file__).parent / "eval_floors.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate_corpus(GOLD, PAPERS)


def test_every_paper_is_scored(report: EvalReport) -> None:
    assert [p.paper for p in report.papers if p.error] == []
    assert len(report.papers) == len(list(GOLD.glob("*.json")))


@pytest.mark.parametrize("category", sorted(FLOORS["categories"]))
def test_category_floor(report: EvalReport, category: str) -> None:
    floor = FLOORS["categories"][category]
    scores = report.categories[category]
    assert scores.gold > 0, f"{category} has no gold facts: drop its floor"
    assert scores.precision >= floor["precision"], f"{category} precision {scores.precision:.3f} < {floor['precision']}"
    assert scores.f1 >= floor["f1"], f"{category} F1 {scores.f1:.3f} < {floor['f1']}"


def test_required_minimums_hold_for_every_category_with_gold(report: EvalReport) -> None:
    required = FLOORS["required"]
    for category, scores in report.categories.items():
        if scores.gold:
            assert category in FLOORS["categories"], f"{category} has gold facts but no floor"
            floor = FLOORS["categories"][category]
            assert floor["precision"] >= required["precision"] and floor["f1"] >= required["f1"], category


def test_macro_and_micro_floors(report: EvalReport) -> None:
    assert report.macro["f1"] >= FLOORS["macro_f1"]
    assert report.micro.f1 >= FLOORS["micro_f1"]
