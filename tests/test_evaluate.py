"""The scorer of FORMAT.md "How two summaries are compared", and evaluate_corpus's plumbing."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from extractor import evaluate
from extractor.errors import PaperError
from extractor.evaluate import (
    CATEGORIES,
    EvalReport,
    evaluate_corpus,
    format_table,
    normalise_timepoint,
    score_summary,
)
from schemas import Document, EvidenceSummary
from tests.conftest import GOLD, document_from_text

GOLD_FILES = sorted(GOLD.glob("*.json"))


def load(path: Path) -> EvidenceSummary:
    return EvidenceSummary.model_validate(json.loads(path.read_text(encoding="utf-8")))


def summary(**fields: Any) -> EvidenceSummary:
    return EvidenceSummary.model_validate({"paper": "p", **fields})


def response(**fields: Any) -> dict[str, Any]:
    return {"arm": None, "outcome": "CR", "n": 6, "of": 37, "percent": 16, "quote": "q"} | fields


def hazard_ratio(**fields: Any) -> dict[str, Any]:
    return {"endpoint": "OS", "hr": 0.68, "ci_low": 0.5, "ci_high": 0.9, "ci_level": 95, "p": None,
            "comparison": None, "quote": "q"} | fields


def drug(**fields: Any) -> dict[str, Any]:
    return {"drug": "sorafenib", "dose": 400, "unit": "mg", "frequency": None, "route": None, "quote": "q"} | fields


def counts(gold: EvidenceSummary, pred: EvidenceSummary, category: str) -> tuple[int, int, int]:
    c = score_summary(gold, pred).categories[category]
    return c.tp, c.fp, c.fn


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: Path(p).stem)
def test_gold_scored_against_itself_is_perfect(path: Path) -> None:
    gold = load(path)
    result = score_summary(gold, gold)
    scored = {c: n for c, n in result.categories.items() if n.gold}
    assert scored, "every gold file has facts"
    for category, c in scored.items():
        assert (c.precision, c.recall, c.f1, c.fp) == (1.0, 1.0, 1.0, 0), category
    assert result.misses == [] and result.false_positives == []


def test_percent_off_by_one_is_a_false_positive_and_a_miss() -> None:
    gold = summary(responses=[response()])
    assert counts(gold, summary(responses=[response(percent=17)]), "responses") == (0, 1, 1)


def test_percent_off_by_less_than_half_still_matches() -> None:
    gold = summary(responses=[response()])
    assert counts(gold, summary(responses=[response(percent=16.4)]), "responses") == (1, 0, 0)
    assert counts(gold, summary(responses=[response(percent=16.5)]), "responses") == (1, 0, 0)
    assert counts(gold, summary(responses=[response(percent=16.6)]), "responses") == (0, 1, 1)


def test_counts_need_n_or_percent_on_both_sides() -> None:
    gold = summary(responses=[response(n=None)])
    assert counts(gold, summary(responses=[response(percent=None)]), "responses") == (0, 1, 1)
    # A denominator only one side prints does not count against the match.
    assert counts(summary(responses=[response(of=None)]), summary(responses=[response()]), "responses") == (1, 0, 0)
    assert counts(summary(responses=[response()]), summary(responses=[response(of=40)]), "responses") == (0, 1, 1)


def test_per_day_unit_matches_plain_unit() -> None:
    gold = summary(arms=[{"label": "A", "drugs": [drug(unit="mg/day")]}])
    assert counts(gold, summary(arms=[{"label": None, "drugs": [drug()]}]), "drugs") == (1, 0, 0)
    assert counts(gold, summary(arms=[{"label": None, "drugs": [drug(unit="mg/m2")]}]), "drugs") == (0, 1, 1)


def test_drugs_are_pooled_over_arms_and_matched_once() -> None:
    gold = summary(arms=[{"label": "A", "drugs": [drug()]}, {"label": "B", "drugs": [drug()]}])
    once = summary(arms=[{"label": None, "drugs": [drug()]}])
    assert counts(gold, once, "drugs") == (1, 0, 1)


def test_hazard_ratio_with_gold_ci_needs_the_ci() -> None:
    gold = summary(hazard_ratios=[hazard_ratio()])
    no_ci = summary(hazard_ratios=[hazard_ratio(ci_low=None, ci_high=None)])
    assert counts(gold, no_ci, "hazard_ratios") == (0, 1, 1)
    # With a CI in gold the endpoint is not part of the key.
    assert counts(gold, summary(hazard_ratios=[hazard_ratio(endpoint="EFS")]), "hazard_ratios") == (1, 0, 0)


def test_hazard_ratio_without_gold_ci_needs_the_endpoint() -> None:
    gold = summary(hazard_ratios=[hazard_ratio(ci_low=None, ci_high=None)])
    assert counts(gold, summary(hazard_ratios=[hazard_ratio()]), "hazard_ratios") == (1, 0, 0)
    assert counts(gold, summary(hazard_ratios=[hazard_ratio(endpoint="EFS")]), "hazard_ratios") == (0, 1, 1)


def test_a_fact_predicted_twice_matches_once() -> None:
    gold = summary(responses=[response()])
    result = score_summary(gold, summary(responses=[response(), response(quote="again")]))
    c = result.categories["responses"]
    assert (c.tp, c.fp, c.fn) == (1, 1, 0)
    assert c.precision == 0.5 and c.recall == 1.0 and c.f1 == pytest.approx(2 / 3)
    assert [(m.category, m.quote) for m in result.false_positives] == [("responses", "again")]


def test_rates_compare_normalised_timepoints() -> None:
    rate = {"arm": None, "endpoint": "OS", "measure": "rate", "value": 67, "unit": "%", "quote": "q"}
    gold = summary(time_to_event=[rate | {"timepoint": "2 years"}])
    same = summary(time_to_event=[rate | {"timepoint": " 2  Year", "value": 67.3}])
    assert counts(gold, same, "time_to_event") == (1, 0, 0)
    assert counts(gold, summary(time_to_event=[rate | {"timepoint": "24 months"}]), "time_to_event") == (0, 1, 1)
    assert counts(gold, summary(time_to_event=[rate | {"timepoint": None}]), "time_to_event") == (0, 1, 1)
    assert normalise_timepoint("1 Years after SCT") == "1 year after sct"


def test_medians_match_within_a_hundredth_and_ignore_timepoint() -> None:
    median = {"arm": None, "endpoint": "OS", "measure": "median", "value": 6.2, "unit": "months", "quote": "q"}
    gold = summary(time_to_event=[median])
    assert counts(gold, summary(time_to_event=[median | {"value": 6.21}]), "time_to_event") == (1, 0, 0)
    assert counts(gold, summary(time_to_event=[median | {"value": 6.3}]), "time_to_event") == (0, 1, 1)


def test_adverse_events_and_mortality_keys() -> None:
    ae = {"term": "Febrile  neutropenia", "grade": "3-4", "n": 5, "percent": 12, "quote": "q"}
    gold = summary(adverse_events=[ae | {"term": "febrile neutropenia"}])
    assert counts(gold, summary(adverse_events=[ae]), "adverse_events") == (1, 0, 0)
    assert counts(gold, summary(adverse_events=[ae | {"grade": ">=3"}]), "adverse_events") == (0, 1, 1)
    death = {"window": "30 days", "n": 4, "of": 43, "percent": 9, "quote": "q"}
    gold = summary(mortality=[death])
    assert counts(gold, summary(mortality=[death | {"window": "30 Days", "n": None}]), "mortality") == (1, 0, 0)
    assert counts(gold, summary(mortality=[death | {"window": "60 days"}]), "mortality") == (0, 1, 1)


def test_null_phase_and_population_fields_are_not_facts() -> None:
    gold = summary(phase="2", population={"n_enrolled": 102, "age_median": None})
    pred = summary(phase=None, design="randomized", population={"n_enrolled": 102.0, "age_median": 60})
    result = score_summary(gold, pred)
    assert (result.categories["phase"].fn, result.categories["phase"].fp) == (1, 0)
    assert (result.categories["design"].fp, result.categories["design"].gold) == (1, 0)
    assert (result.categories["population"].tp, result.categories["population"].fp) == (1, 1)


def test_micro_and_macro_averages() -> None:
    gold = summary(trial_ids=["NCT01254890"], responses=[response(), response(outcome="PR")])
    pred = summary(trial_ids=["NCT 01254890"], responses=[response()], design="single-arm")
    report = EvalReport(papers=[score_summary(gold, pred)])
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (2, 1, 1)
    # Macro covers trial_ids (1/1/1) and responses (P 1, R 0.5); design has no gold fact.
    assert report.macro["recall"] == pytest.approx(0.75)
    assert report.macro["precision"] == 1.0
    assert report.categories["design"].precision == 0.0
    assert report.categories["mtd"].precision == 1.0 and report.categories["mtd"].recall == 1.0


@pytest.fixture
def corpus_dirs(tmp_path: Path) -> tuple[Path, Path]:
    gold_dir, papers_dir = tmp_path / "gold", tmp_path / "papers"
    gold_dir.mkdir()
    papers_dir.mkdir()
    for stem in ("d01_borthakur_phase1_haematologica2011", "d06_chen_maintenance_phase1_bbmt2014"):
        shutil.copy(GOLD / f"{stem}.json", gold_dir)
    (papers_dir / "d01_borthakur_phase1_haematologica2011.txt").write_text(
        "The study was registered at www.clinicaltrials.gov as #NCT00217646.\n", encoding="utf-8")
    return gold_dir, papers_dir


def fake_parse(path: str | Path) -> Document:
    document = document_from_text(Path(path).read_text(encoding="utf-8"))
    return document.model_copy(update={"stem": Path(path).stem, "source_path": str(path)})


def test_evaluate_corpus_reads_extracts_and_scores(
    corpus_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evaluate, "parse_paper", fake_parse)
    report = evaluate_corpus(*corpus_dirs)
    found, missing = report.papers
    assert found.error is None
    assert found.categories["trial_ids"].tp == 1
    assert missing.error is not None and "no paper d06_chen" in missing.error
    assert missing.categories["dlts"].fn == 1 and missing.categories["mtd"].fn == 1
    assert any(m.category == "dlts" and m.quote for m in missing.misses)
    table = format_table(report)
    assert table.splitlines()[0].split() == ["category", "gold", "pred", "TP", "P", "R", "F1"]
    assert [line.split()[0] for line in table.splitlines()[2:14]] == list(CATEGORIES)
    assert "micro" in table and "macro" in table and "not scored: d06_chen" in table
    data = json.loads(report.to_json())
    assert data["categories"]["trial_ids"]["tp"] == 2 - data["categories"]["trial_ids"]["fn"]
    assert data["micro"]["gold"] == report.micro.gold
    assert len(data["misses"]) == report.micro.fn


def test_a_paper_that_fails_to_parse_is_all_misses(
    corpus_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(path: str | Path) -> Document:
        raise PaperError(path, "file is empty")

    monkeypatch.setattr(evaluate, "parse_paper", broken)
    report = evaluate_corpus(*corpus_dirs)
    failed = report.papers[0]
    assert failed.error is not None and "file is empty" in failed.error
    assert all(c.tp == 0 and c.fp == 0 for c in failed.categories.values())
    assert sum(c.fn for c in failed.categories.values()) == len(failed.misses) > 0
