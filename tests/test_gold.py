"""The gold of both splits is valid: the gold checker passes, every file is an evidence summary with a paper."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.evaluate import find_paper, split_gold_dir
from schemas.summary import EvidenceSummary
from tests.conftest import GOLD, PAPERS

CHECKER = GOLD / "check_gold.py"


@pytest.mark.parametrize("split", ["dev", "test"])
def test_the_gold_checker_passes_on_every_file(split: str) -> None:
    folder = split_gold_dir(GOLD, split)
    result = subprocess.run([sys.executable, str(CHECKER), str(PAPERS), str(folder)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    checked = len(list(folder.glob("*.json")))
    assert f"{checked} gold files checked, 0 failed" in result.stdout
    assert "SKIP" not in result.stdout


@pytest.mark.parametrize("split", ["dev", "test"])
def test_every_gold_file_is_a_summary_of_a_bundled_paper(split: str) -> None:
    for path in split_gold_dir(GOLD, split).glob("*.json"):
        gold = EvidenceSummary.model_validate(json.loads(path.read_text(encoding="utf-8")))
        assert gold.paper == path.stem
        assert find_paper(PAPERS, path.stem) is not None, path.stem


def test_the_splits_are_disjoint_and_the_test_split_holds_a_fifth_or_more() -> None:
    dev = {p.stem for p in GOLD.glob("*.json")}
    test = {p.stem for p in (GOLD / "test").glob("*.json")}
    assert not dev & test
    assert len(test) >= 20 and len(test) * 5 >= len(dev) + len(test)


def test_the_split_draw_is_reproducible() -> None:
    from bench.split_gold import draw

    stems = [f"PMC{i}" for i in range(30)] + [f"ha{i:02d}_x" for i in range(9)] + [f"p{i:02d}_x" for i in range(12)]
    assert draw(stems, 12, 3) == draw(list(reversed(stems)), 12, 3)
    assert len(draw(stems, 12, 3)) == 10 + 3 + 4
    assert draw(stems, 12, 3) != draw(stems, 13, 3)


def test_a_bad_gold_file_is_one_line_naming_it(tmp_path: Path) -> None:
    from extractor.evaluate import GoldError, load_gold

    bad = tmp_path / "x.json"
    bad.write_text('{"paper": "x", "responses": [{"outcome": "CR", "extra": 1}]}', encoding="utf-8")
    with pytest.raises(GoldError, match=r"x\.json: not a valid gold summary \("):
        load_gold(bad)
