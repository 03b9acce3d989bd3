"""Accuracy on both gold splits never drops below the floors recorded in tests/eval_floors.yaml.

Floors only go up: when extraction improves, raise them in the same commit. The test split's
floors are the frozen split's scores; lowering a dev floor needs a reason written next to it.
A failure here prints only the scores, never a test-split fact: that split is not read.
"""

from pathlib import Path

import pytest
import yaml

from extractor.evaluate import EvalReport, evaluate_corpus, split_gold_dir
from tests.conftest import GOLD, PAPERS

FLOORS = yaml.safe_load((Path(__file__).parent / "eval_floors.yaml").read_text(encoding="utf-8"))
SPLITS = ("dev", "test")


@pytest.fixture(scope="module", params=SPLITS)
def split(request: pytest.FixtureRequest) -> tuple[str, EvalReport]:
    return request.param, evaluate_corpus(split_gold_dir(GOLD, request.param), PAPERS)


def test_every_paper_is_scored(split: tuple[str, EvalReport]) -> None:
    name, report = split
    assert [p.paper for p in report.papers if p.error] == []
    assert len(report.papers) == len(list(split_gold_dir(GOLD, name).glob("*.json")))


def test_category_floors(split: tuple[str, EvalReport]) -> None:
    name, report = split
    floors = FLOORS[name]["categories"]
    below = []
    for category, scores in report.categories.items():
        if not scores.gold:
            assert category not in floors, f"{name}: {category} has no gold facts: drop its floor"
            continue
        assert category in floors, f"{name}: {category} has gold facts but no floor"
        floor = floors[category]
        if scores.precision < floor["precision"] or scores.f1 < floor["f1"]:
            below.append(f"{category} P {scores.precision:.3f} (floor {floor['precision']}), "
                         f"F1 {scores.f1:.3f} (floor {floor['f1']})")
    assert below == [], f"{name} split below its floors: {below}"


def test_macro_and_micro_floors(split: tuple[str, EvalReport]) -> None:
    name, report = split
    assert report.macro["f1"] >= FLOORS[name]["macro_f1"]
    assert report.micro.f1 >= FLOORS[name]["micro_f1"]
    assert report.micro.precision >= FLOORS[name]["micro_precision"]
