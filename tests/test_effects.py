"""What a value is of (extractor/effects.py): analysis set, subgroup, effect kind and the arms an HR compares,
set on the records by the pipeline, exported in the summary, and read by the meta-analysis tables."""

from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner

from extractor.effects import compared_arms
from extractor.pipeline import extract_records
from extractor.summary import build_summary
from publish.cli import cli
from publish.estimates import classify
from schemas.records import EvidenceRecord
from tests.conftest import document_from_text

PAPERS = Path(__file__).parent.parent / "corpus" / "papers"


def _records(text: str, kind: str) -> list[EvidenceRecord]:
    return [r for r in extract_records(document_from_text(text)) if r.kind == kind]


def _fields(record: EvidenceRecord, *names: str) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in names)


HR_FIELDS = ("hr", "analysis_set", "subgroup", "effect", "experimental_arm", "control_arm", "inverted")


def test_an_hr_comparing_levels_of_a_factor_is_prognostic() -> None:
    from extractor.effects import annotate

    (record,) = _records("Progression-free survival was longer with drug A (HR 0.70, 95% CI 0.55-0.89).", "hazard_ratio")
    for comparison, effect in [("high TOP2A vs low TOP2A", "prognostic"), ("HLA matched vs unmatched", "prognostic"),
                               ("drug A vs placebo", "treatment"), ("high-dose vs standard-dose", "treatment")]:
        assert annotate(record.model_copy(update={"comparison": comparison})).effect == effect, comparison


@pytest.mark.parametrize(("text", "expected"), [
    # A biomarker's association with survival, no treatment compared: prognostic.
    ("In multivariate analysis both KRAS mutation (HR 2.21, 95% CI 1.15-4.26; p=0.017) and PIK3CA mutation "
     "(HR 3.63, 95% CI 1.40-9.41) were associated with shorter overall survival.",
     [(2.21, "primary", None, "prognostic", None, None, None), (3.63, "primary", None, "prognostic", None, None, None)]),
    # Markers measured in the patients (levels, immunoreactivity, expressers): prognostic.
    ("Relapse-free survival was worse in patients expressing high levels of TOP2A (hazard ratio = 2.35, "
     "1.55-3.57).", [(2.35, "primary", None, "prognostic", None, None, None)]),
    ("Marker immunoreactivity was not associated with overall survival (HR = 0.69; 95% CI: 0.43 to 1.09).",
     [(0.69, "primary", None, "prognostic", None, None, None)]),
    # Patients named before the value: a subgroup, its words kept.
    ("For patients who underwent transplantation in first remission, overall survival was longer "
     "(HR, 0.45; 95% CI, 0.18-1.12).",
     [(0.45, "subgroup", "patients who underwent transplantation in first remission", "treatment", None, None, None)]),
    # "... or within exploratory subgroups" after the value does not make it a subgroup's.
    ("No difference was found in overall survival (HR 0.96, 95% CI 0.67-1.39; P=0.8) either overall or within "
     "exploratory subgroups.", [(0.96, "primary", None, "treatment", None, None, None)]),
    ("In the per-protocol population, progression-free survival was longer with the combination (HR 0.70, 95% CI "
     "0.55-0.89).", [(0.70, "per_protocol", None, "treatment", None, None, None)]),
    ("In an updated analysis with longer follow-up, overall survival remained longer (HR 0.75; 95% CI 0.60-0.93).",
     [(0.75, "updated", None, "treatment", None, None, None)]),
    # Control named first: the HR is control vs experimental, a pool takes 1/HR.
    ("Overall survival for placebo vs erlotinib: hazard ratio 1.45 (95% CI 1.10-1.90; P = .01).",
     [(1.45, "primary", None, "treatment", "erlotinib", "placebo", True)]),
    ("Progression-free survival was longer for erlotinib versus placebo (HR 0.69, 95% CI 0.55-0.87).",
     [(0.69, "primary", None, "treatment", "erlotinib", "placebo", False)]),
    # An arm word or a determiner is not a side of the comparison.
    ("Progression-free survival was shorter in the CTX versus the CT arm (HR=2.28, 95% CI 1.27-4.09; p=0.006).",
     [(2.28, "primary", None, "treatment", "CTX", "CT", False)]),
])
def test_hazard_ratios_know_their_analysis_effect_and_arms(text: str, expected: list[tuple[Any, ...]]) -> None:
    assert [_fields(r, *HR_FIELDS) for r in _records(text, "hazard_ratio")] == expected


def test_medians_and_responses_know_their_subgroup() -> None:
    (median,) = _records("Median overall survival in the subgroup of patients aged 60 years or older was 10.2 months.",
                         "time_to_event")
    assert _fields(median, "value", "analysis_set", "subgroup") == (10.2, "subgroup", "patients aged 60 years or older")
    # "in patients with" alone does not make a whole-population response a subgroup's.
    (response,) = _records("In patients with newly diagnosed AML, the complete remission rate was 62% (31 of 50).",
                           "response")
    assert _fields(response, "n", "of", "analysis_set") == (31, 50, "primary")


def test_a_median_of_a_group_named_after_it_is_a_subgroups() -> None:
    medians = _records("Median OS was 10.2 months in all patients, 12.1 months in cohort 1 and 8.3 months for patients "
                       "with CR.", "time_to_event")
    assert [_fields(r, "value", "analysis_set", "subgroup") for r in medians] == [
        (10.2, "primary", None), (12.1, "subgroup", "cohort 1"), (8.3, "subgroup", "patients with CR")]
    # The survival arm words do not make a response arm a subgroup's.
    (response,) = _records("The CR rate was 40% (8 of 20) in cohort 1.", "response")
    assert _fields(response, "arm", "analysis_set") == ("cohort 1", "primary")


def test_arms_are_named_after_the_papers_arm_labels() -> None:
    arms = ["Arm A (sorafenib + 7+3)", "Arm B (placebo + 7+3)"]
    assert compared_arms("sorafenib vs placebo", arms) == ("Arm A (sorafenib + 7+3)", "Arm B (placebo + 7+3)", False)
    assert compared_arms("observation vs rituximab") == ("rituximab", "observation", True)
    assert compared_arms("no sorafenib vs sorafenib") == ("sorafenib", "no sorafenib", True)
    assert compared_arms(None) == (None, None, None)


def test_annotations_leave_record_identity_alone() -> None:
    text = "Overall survival for placebo vs erlotinib: hazard ratio 1.45 (95% CI 1.10-1.90; P = .01)."
    (record,) = _records(text, "hazard_ratio")
    plain = record.model_copy(update={"analysis_set": None, "effect": None, "experimental_arm": None,
                                      "control_arm": None, "inverted": None})
    assert record.key() == plain.key()


def test_the_summary_exports_the_analysis_fields() -> None:
    doc = document_from_text("Overall survival for placebo vs erlotinib: hazard ratio 1.45 (95% CI 1.10-1.90; P = .01).")
    (hr,) = build_summary(doc, extract_records(doc)).hazard_ratios
    assert (hr.analysis_set, hr.effect, hr.experimental_arm, hr.control_arm, hr.inverted) == (
        "primary", "treatment", "erlotinib", "placebo", True)


def test_publish_reads_the_records_fields() -> None:
    row = {"quote": "survival (HR 0.5)", "adjusted": None, "analysis_set": "primary", "effect": "treatment"}
    assert classify(row, 0.5) == "primary"
    assert classify({**row, "effect": "prognostic"}, 0.5) == "prognostic"
    assert classify({**row, "analysis_set": "subgroup"}, 0.5) == "subgroup"
    assert classify({**row, "analysis_set": "updated"}, 0.5) == "updated"
    assert classify({**row, "quote": "multivariable-adjusted survival estimates (HR 0.5)"}, 0.5) == "adjusted"


def test_a_curators_correction_of_the_effect_reaches_the_meta_analysis_table(tmp_path: Path) -> None:
    paper = PAPERS / "ha04_tower_blinatumomab_all.txt"
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    runner = CliRunner()

    def build() -> dict[str, dict[str, Any]]:
        result = runner.invoke(cli, ["build", str(db), str(paper), "--corrections", str(corrections)])
        assert result.exit_code == 0, result.output
        return {r["record_id"]: r for r in sqlite_utils.Database(db).table("meta_hazard_ratios").rows}

    before = build()
    chosen = next(r for r in before.values() if r["included"] == 1)
    assert chosen["analysis"] == "primary"
    corrections.mkdir()
    (corrections / f"{paper.stem}.yaml").write_text(yaml.safe_dump({"paper": paper.stem, "corrections": [
        {"action": "correct", "table": "hazard_ratios", "record_id": chosen["record_id"], "set": {"effect": "prognostic"},
         "who": "A. Curator", "when": "2026-12-07", "why": "a covariate of the Cox model, not the treatment"}]}))
    after = build()[chosen["record_id"]]
    assert (after["analysis"], after["included"], after["excluded_reason"]) == (
        "prognostic", 0, "prognostic factor, not a treatment effect")


@pytest.mark.parametrize(("text", "expected"), [
    ("For the KIT-mutated subgroup (n = 40), median PFS was 9.2 vs 4.1 months in the drug A vs placebo arms "
     "(HR, 0.58; 95% CI, 0.31-1.08).", (0.58, "subgroup", "KIT-mutated", "treatment")),
    ("In the subgroup of radiotherapy, weight loss was associated with overall survival (HR 2.9, 95% CI 1.5-5.6).",
     (2.9, "subgroup", "radiotherapy", "prognostic")),
    ("However, for patients with high ERCC1 expression, cisplatin did not prolong survival compared with the "
     "untreated patients (hazard ratio = 0.91, 95% confidence interval = 0.55 to 1.50).",
     (0.91, "subgroup", "patients with high ERCC1 expression", "treatment")),
    ("Restricting the analysis to the node-positive group gave similar results (hazard ratio = 0.74, "
     "95% confidence interval = 0.52 to 1.05).", (0.74, "subgroup", None, "treatment")),
    # Near-misses: a factor compared between its level subgroups, and a label printed after another value.
    ("Survival did not differ between the marker expression subgroups in the whole population, with the high "
     "expression subgroup compared with low (HR 1.3, 95% CI 0.8-2.1).", (1.3, "primary", None, "prognostic")),
    ("The HRs (95% CIs) were 0.61 (0.25–1.49) for the amplified subgroup and 0.72 (0.40–1.30) for the "
     "nonamplified subgroup.", (0.72, "subgroup", None, "treatment")),
])
def test_a_subgroup_named_before_a_hazard_ratio_is_its_analysis(text: str, expected: tuple[Any, ...]) -> None:
    records = {r.hr: r for r in _records(text, "hazard_ratio")}
    assert _fields(records[expected[0]], "hr", "analysis_set", "subgroup", "effect") == expected
