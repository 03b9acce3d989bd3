"""build_summary: records of a paper -> the FORMAT.md evidence summary."""

import json
from pathlib import Path

import pytest

from extractor.summary import build_summary
from schemas import (
    AdverseEvent,
    DoseLimitingToxicity,
    DrugRegimen,
    EarlyMortality,
    EvidenceRecord,
    EvidenceSummary,
    HazardRatio,
    MaximumToleratedDose,
    PopulationValue,
    Provenance,
    RegistryId,
    Response,
    TimeToEvent,
    TrialDesign,
    TrialPhase,
)
from tests.conftest import GOLD, document_from_text

TEXT = (
    "This phase 1/2 trial (NCT01254890) enrolled 43 patients; median age 64 years (range, 24-87). "
    "Patients received azacitidine (AZA) 75 mg/m2 IV daily and sorafenib 400 mg orally twice daily. "
    "In a randomized phase 2 expansion, 40 patients received sorafenib 200 mg. "
    "Of 37 evaluable patients, 6 (16%) achieved CR. CR 6 (16%). "
    "Median OS was 6.2 months; 2-year OS was 67% (90% CI, 50-80). "
    "EFS HR 2.37 (95% CI 1.45-3.88; P < .001). "
    "The MTD of sorafenib was 400 mg twice daily, and 400 mg twice daily was the RP2D. "
    "DLTs were grade 3 rash and grade 4 rash. "
    "Febrile neutropenia grade 3 or more occurred in 5 patients (12%). "
    "Four-week mortality was 9% (4 of 43). "
    "Registered as NCT01254890."
)
DOCUMENT = document_from_text(TEXT)
FORMAT_KEYS = [
    "paper", "source", "trial_ids", "phase", "design", "population", "arms", "responses",
    "time_to_event", "hazard_ratios", "mtd", "dlts", "adverse_events", "mortality",
]


def prov(quote: str, confidence: float = 0.9) -> Provenance:
    """Provenance of the first occurrence of quote in TEXT."""
    start = TEXT.index(quote)
    return Provenance(paper_id=DOCUMENT.paper_id, section="results", start=start, end=start + len(quote),
                      quote=quote, rule_id="test.rule.v1", extractor_version="0", confidence=confidence)


def records() -> list[EvidenceRecord]:
    return [
        RegistryId(registry="NCT", identifier="NCT01254890", provenance=[prov("NCT01254890"), prov("Registered")]),
        RegistryId(registry="NCT", identifier="NCT01254890", provenance=[prov("Registered as NCT01254890.")]),
        # 'phase 1/2' is stated twice over, 'phase 2' once: the best supported wins.
        TrialPhase(phase="1/2", provenance=[prov("phase 1/2"), prov("This phase")]),
        TrialPhase(phase="2", provenance=[prov("phase 2 expansion")]),
        # An even split between designs leaves the design empty.
        TrialDesign(design="single-arm", provenance=[prov("This phase 1/2 trial", 0.8)]),
        TrialDesign(design="randomized", provenance=[prov("randomized", 0.8)]),
        PopulationValue(field="n_enrolled", value=43, provenance=[prov("enrolled 43 patients")]),
        PopulationValue(field="n_evaluable", value=37, provenance=[prov("Of 37 evaluable patients")]),
        PopulationValue(field="age_median", value=64, provenance=[prov("median age 64 years")]),
        PopulationValue(field="age_min", value=24, provenance=[prov("24-87")]),
        PopulationValue(field="age_max", value=87, provenance=[prov("24-87")]),
        DrugRegimen(drug="azacitidine", drug_as_printed="azacitidine", dose=75, unit="mg/m2", route="IV",
                    frequency="once daily", provenance=[prov("azacitidine (AZA) 75 mg/m2 IV daily")]),
        DrugRegimen(drug="azacitidine", drug_as_printed="AZA", dose=75, unit="mg/m2", route="IV",
                    frequency="once daily", provenance=[prov("AZA) 75 mg/m2 IV daily")]),
        DrugRegimen(drug="sorafenib", drug_as_printed="sorafenib", dose=400, unit="mg", route="oral",
                    frequency="twice daily", provenance=[prov("sorafenib 400 mg orally twice daily")]),
        DrugRegimen(arm="expansion", arm_n=40, drug="sorafenib", drug_as_printed="sorafenib", dose=200, unit="mg",
                    provenance=[prov("40 patients received sorafenib 200 mg")]),
        Response(outcome="CR", n=6, of=37, percent=16, provenance=[prov("Of 37 evaluable patients, 6 (16%) achieved CR.")]),
        # The same CR printed again without its denominator folds into the fuller entry.
        Response(outcome="CR", n=6, percent=16, provenance=[prov("CR 6 (16%).")]),
        TimeToEvent(endpoint="OS", measure="median", value=6.2, unit="months", provenance=[prov("Median OS was 6.2 months")]),
        TimeToEvent(endpoint="OS", measure="rate", value=67, unit="%", timepoint="2 years", ci_low=50, ci_high=80,
                    ci_level=90, provenance=[prov("2-year OS was 67% (90% CI, 50-80).")]),
        HazardRatio(endpoint="EFS", hr=2.37, ci_low=1.45, ci_high=3.88, p="<.001",
                    provenance=[prov("EFS HR 2.37 (95% CI 1.45-3.88; P < .001).")]),
        MaximumToleratedDose(dose_kind="mtd", drug="sorafenib", dose=400, unit="mg", frequency="twice daily",
                             provenance=[prov("The MTD of sorafenib was 400 mg twice daily")]),
        MaximumToleratedDose(dose_kind="rp2d", drug="sorafenib", dose=400, unit="mg", frequency="twice daily",
                             provenance=[prov("400 mg twice daily was the RP2D")]),
        DoseLimitingToxicity(term="rash", grade="3", provenance=[prov("grade 3 rash")]),
        DoseLimitingToxicity(term="rash", grade="4", provenance=[prov("grade 4 rash")]),
        AdverseEvent(term="febrile neutropenia", grade=">=3", n=5, percent=12,
                     provenance=[prov("Febrile neutropenia grade 3 or more occurred in 5 patients (12%).")]),
        EarlyMortality(window="4 weeks", n=4, of=43, percent=9, provenance=[prov("Four-week mortality was 9% (4 of 43).")]),
    ]


def test_summary_has_the_format_shape_and_values() -> None:
    summary = build_summary(DOCUMENT, records())
    data = json.loads(summary.model_dump_json())
    assert list(data) == FORMAT_KEYS
    assert data["paper"] == "test"
    assert data["source"] is None
    assert data["trial_ids"] == ["NCT01254890"]
    assert data["phase"] == "1/2"
    assert data["design"] is None
    assert data["population"] == {"n_enrolled": 43, "n_evaluable": 37, "age_median": 64, "age_min": 24,
                                  "age_max": 87, "quote": "enrolled 43 patients"}
    assert [(arm["label"], arm["n"], len(arm["drugs"])) for arm in data["arms"]] == [(None, None, 2), ("expansion", 40, 1)]
    assert data["arms"][0]["drugs"][0] == {
        "drug": "azacitidine", "dose": 75, "unit": "mg/m2", "frequency": "once daily", "route": "IV",
        "quote": "azacitidine (AZA) 75 mg/m2 IV daily"}
    # Records made by hand carry no analysis fields (the pipeline sets them: extractor/effects.py).
    assert data["responses"] == [{"arm": None, "outcome": "CR", "n": 6, "of": 37, "percent": 16,
                                  "analysis_set": None, "subgroup": None,
                                  "quote": "Of 37 evaluable patients, 6 (16%) achieved CR."}]
    rate = data["time_to_event"][1]
    assert (rate["timepoint"], rate["ci_low"], rate["ci_high"], rate["ci_level"]) == ("2 years", 50, 80, 90)
    assert data["time_to_event"][0]["ci_low"] is None
    assert data["hazard_ratios"][0] | {"quote": ""} == {
        "endpoint": "EFS", "hr": 2.37, "ci_low": 1.45, "ci_high": 3.88, "ci_level": 95, "p": "<.001",
        "comparison": None, "adjusted": None, "analysis_set": None, "subgroup": None, "effect": None,
        "experimental_arm": None, "control_arm": None, "inverted": None, "quote": ""}
    assert [m["quote"] for m in data["mtd"]] == ["The MTD of sorafenib was 400 mg twice daily"]
    assert data["dlts"] == [{"term": "rash", "quote": "grade 3 rash"}]
    assert data["adverse_events"] == [{"term": "febrile neutropenia", "grade": ">=3", "n": 5, "percent": 12,
                                       "arm": None, "quote": "Febrile neutropenia grade 3 or more occurred in 5 patients (12%)."}]
    assert data["mortality"][0]["window"] == "4 weeks"
    assert EvidenceSummary.model_validate(data) == summary


def test_summary_of_no_records_is_empty_but_valid() -> None:
    summary = build_summary(DOCUMENT, [])
    assert summary.trial_ids == [] and summary.phase is None and summary.arms == []
    assert summary.population.model_dump() == dict.fromkeys(
        ["n_enrolled", "n_evaluable", "age_median", "age_min", "age_max", "quote"])


def test_a_tied_population_field_is_left_empty() -> None:
    tied = [PopulationValue(field="n_enrolled", value=43, provenance=[prov("enrolled 43 patients")]),
            PopulationValue(field="n_enrolled", value=40, provenance=[prov("40 patients received")])]
    assert build_summary(DOCUMENT, tied).population.n_enrolled is None
    better = [*tied, PopulationValue(field="n_enrolled", value=43, provenance=[prov("4 of 43")])]
    assert build_summary(DOCUMENT, better).population.n_enrolled == 43


@pytest.mark.parametrize("path", sorted(GOLD.glob("*.json")), ids=lambda p: Path(p).stem)
def test_every_gold_file_is_an_evidence_summary(path: Path) -> None:
    gold = EvidenceSummary.model_validate(json.loads(path.read_text(encoding="utf-8")))
    assert gold.paper == path.stem


def test_a_tie_between_phase_one_two_and_its_parts_goes_to_the_combined_phase() -> None:
    one_two = TrialPhase(phase="1/2", provenance=[prov("phase 1/2")])
    two = TrialPhase(phase="2", provenance=[prov("phase 2 expansion")])
    assert build_summary(DOCUMENT, [one_two, two]).phase == "1/2"
    three = TrialPhase(phase="3", provenance=[prov("This phase")])
    assert build_summary(DOCUMENT, [one_two, three]).phase is None
    assert build_summary(DOCUMENT, [one_two, two, TrialPhase(phase="2", provenance=[prov("randomized")])]).phase == "2"


def test_a_trial_its_title_calls_phase_two_three_stays_two_three_however_often_its_parts_are_named() -> None:
    def phase(value: str, quote: str, section: str = "results") -> TrialPhase:
        return TrialPhase(phase=value, provenance=[prov(quote).model_copy(update={"section": section})])

    parts = [phase("2", "phase 2 expansion"), phase("2", "randomized"), phase("3", "This phase")]
    assert build_summary(DOCUMENT, [phase("2/3", "phase 1/2", "title"), *parts]).phase == "2/3"
    # Stated only in the results, or beside a phase that is no part of it, the combined phase does not win.
    assert build_summary(DOCUMENT, [phase("2/3", "phase 1/2"), *parts]).phase == "2"
    assert build_summary(DOCUMENT, [phase("2/3", "phase 1/2", "title"), *parts, phase("1", "This phase")]).phase == "2"


def test_enrolled_and_randomized_counts_that_differ_give_the_randomized_one() -> None:
    enrolled = PopulationValue(field="n_enrolled", value=43, provenance=[prov("enrolled 43 patients")])
    randomized = PopulationValue(field="n_enrolled", value=40, provenance=[prov("In a randomized phase 2 expansion, 40")])
    assert build_summary(DOCUMENT, [enrolled, randomized]).population.n_enrolled == 40


def test_a_dose_range_is_written_without_a_dose() -> None:
    text = "Patients received epirubicin 30–40 mg/m2 IV weekly."
    document = document_from_text(text)
    ranged = DrugRegimen(drug="epirubicin", drug_as_printed="epirubicin", dose=30, dose_max=40, unit="mg/m2",
                         route="IV", provenance=[Provenance(
                             paper_id=document.paper_id, section="results", start=18, end=40,
                             quote=text[18:40], rule_id="test.rule.v1", extractor_version="0", confidence=0.9)])
    [arm] = build_summary(document, [ranged]).arms
    [drug] = arm.drugs
    assert (drug.drug, drug.dose, drug.unit, drug.route) == ("epirubicin", None, None, "IV")


def test_one_rate_with_its_arm_named_and_or_plus_is_listed_once() -> None:
    def rate(arm: str, quote: str) -> TimeToEvent:
        return TimeToEvent(arm=arm, endpoint="OS", measure="rate", value=67, unit="%", timepoint="2 years",
                           ci_low=50, ci_high=80, provenance=[prov(quote)])

    both = [rate("AZA plus sorafenib", "2-year OS was 67%"), rate("AZA and sorafenib", "Median OS was 6.2")]
    assert [t.arm for t in build_summary(DOCUMENT, both).time_to_event] == ["AZA plus sorafenib"]
    other = [rate("AZA plus sorafenib", "2-year OS was 67%"), rate("AZA alone", "Median OS was 6.2")]
    assert len(build_summary(DOCUMENT, other).time_to_event) == 2


def test_an_arm_lists_one_entry_per_drug_and_dose() -> None:
    from extractor.summary import _one_per_dose
    from schemas.summary import SummaryDrug

    once = SummaryDrug(drug="bevacizumab", dose=7.5, unit="mg/kg", frequency="single dose", route=None, quote="a")
    fuller = SummaryDrug(drug="bevacizumab", dose=7.5, unit="mg/kg", frequency="every 3 weeks", route="IV", quote="b")
    other = SummaryDrug(drug="bevacizumab", dose=15.0, unit="mg/kg", frequency=None, route=None, quote="c")
    assert _one_per_dose([once, fuller, other]) == [fuller, other]


def test_one_arm_named_with_and_without_the_word_arm_is_one_arm() -> None:
    from extractor.summary import _arm_name

    assert _arm_name("sorafenib") == _arm_name("the Sorafenib arm") == "sorafenib"
    assert _arm_name("Arm A") == _arm_name("arm A") != _arm_name("arm B")
    assert _arm_name("clofarabine") != _arm_name("clofarabine + cytarabine")
    assert _arm_name(None) is None


def _drug_keys(text: str) -> list[tuple[str, float | None]]:
    from extractor.pipeline import extract_records

    document = document_from_text(text, "methods")
    summary = build_summary(document, extract_records(document))
    return sorted((d.drug, d.dose) for arm in summary.arms for d in arm.drugs)


def test_an_add_on_trial_lists_the_backbone_printed_once_in_both_arms() -> None:
    text = ("Patients were randomly assigned to docetaxel and epirubicin (TE) with or without lobaplatin. "
            "All patients received four cycles of docetaxel 75 mg/m2 and epirubicin 80 mg/m2 every 3 weeks.")
    assert _drug_keys(text) == [("docetaxel", 75.0), ("docetaxel", 75.0), ("epirubicin", 80.0), ("epirubicin", 80.0),
                                ("lobaplatin", None)]
    # Not randomised: "with or without" names no second arm, and the doses are listed once.
    single = text.replace("were randomly assigned to", "received")
    assert _drug_keys(single) == [("docetaxel", 75.0), ("epirubicin", 80.0), ("lobaplatin", None)]


def test_an_arm_given_another_dose_of_a_backbone_drug_keeps_its_own() -> None:
    text = ("Patients were randomised to chemotherapy with or without panitumumab: EOC (epirubicin 50 mg/m2 and "
            "oxaliplatin 130 mg/m2 on day 1) or mEOC+P (epirubicin 50 mg/m2, oxaliplatin 100 mg/m2 and "
            "panitumumab 9 mg/kg on day 1).")
    assert _drug_keys(text) == [("epirubicin", 50.0), ("epirubicin", 50.0), ("oxaliplatin", 100.0),
                                ("oxaliplatin", 130.0), ("panitumumab", 9.0)]


def test_a_drug_every_patient_of_a_randomised_trial_receives_is_listed_in_each_arm() -> None:
    text = ("Patients were randomly assigned to idarubicin 12 mg/m2 or 9 mg/m2 on days 1 to 3. "
            "All patients then received a consolidation course with mitoxantrone 10 mg/m2 on days 1 to 5.")
    assert _drug_keys(text) == [("idarubicin", 9.0), ("idarubicin", 12.0), ("mitoxantrone", 10.0),
                                ("mitoxantrone", 10.0)]
    # Therapy after the surgery that follows the randomised treatment is listed once.
    later = text.replace("then received a consolidation course", "received post-operatively a course")
    assert _drug_keys(later) == [("idarubicin", 9.0), ("idarubicin", 12.0), ("mitoxantrone", 10.0)]
    # Not randomised: no arms to list it in.
    single = ("Patients received idarubicin 12 mg/m2 on days 1 to 3. "
              "All patients then received a consolidation course with mitoxantrone 10 mg/m2 on days 1 to 5.")
    assert _drug_keys(single) == [("idarubicin", 12.0), ("mitoxantrone", 10.0)]
    # A supportive drug every patient receives is no arm's regimen.
    supportive = text.replace("a consolidation course with mitoxantrone 10 mg/m2", "filgrastim 5 mg")
    assert _drug_keys(supportive).count(("filgrastim", 5.0)) == 1


def test_a_dose_printed_without_its_arm_of_a_drug_every_arm_names_is_in_each_arm() -> None:
    text = ("Patients were randomly assigned to bendamustine 90 mg/m2 plus rituximab or chlorambucil 10 mg/m2 "
            "plus rituximab. Rituximab 375 mg/m2 was given on day 1 of each cycle.")
    assert _drug_keys(text) == [("bendamustine", 90.0), ("chlorambucil", 10.0), ("rituximab", 375.0),
                                ("rituximab", 375.0)]
    # A drug one arm only names keeps its dose printed once.
    one_arm = ("Patients were randomly assigned to bendamustine 90 mg/m2 plus rituximab or chlorambucil 10 mg/m2 "
               "plus rituximab. Prednisone 100 mg was given on days 1 to 5.")
    assert ("prednisone", 100.0) in _drug_keys(one_arm)
    assert _drug_keys(one_arm).count(("prednisone", 100.0)) <= 1


def test_a_dose_randomised_across_regimens_is_in_each_regimen_arm() -> None:
    text = ("Patients were randomly assigned to rituximab plus cyclophosphamide, doxorubicin, vincristine and prednisone "
            "(R-CHOP; every 3 weeks) or rituximab plus bendamustine (R-B; every 4 weeks). "
            "Patients were randomly assigned to rituximab 375 mg/m2 or 500 mg/m2 on day 1.")
    keys = _drug_keys(text)
    assert keys.count(("rituximab", 375.0)) == 2 and keys.count(("rituximab", 500.0)) == 2
    # Dose arms alone are the trial's arms: each dose once.
    alone = "Patients were randomly assigned to rituximab 375 mg/m2 or 500 mg/m2 on day 1."
    assert _drug_keys(alone) == [("rituximab", 375.0), ("rituximab", 500.0)]


@pytest.mark.parametrize(("text", "added"), [
    ("Peri-operative chemotherapy with or without bevacizumab in operable oesophagogastric adenocarcinoma: "
     "a randomised trial.",
     {"bevacizumab"}),
    ("Patients were randomized to sorafenib 400 mg twice daily or placebo, combined with azacitidine.",
     {"sorafenib"}),
    ("Addition of lenalidomide to melphalan in newly diagnosed myeloma: a randomized trial.", {"lenalidomide"}),
    ("A randomized trial of R-CHOP plus bortezomib versus R-CHOP in diffuse large B-cell lymphoma.",
     {"bortezomib"}),
    ("A randomized trial of fludarabine versus chlorambucil in elderly patients.", set()),
    # The drug before "or placebo" is the one compared with it, a dose apart at most.
    ("A randomized trial of gemcitabine and nab-paclitaxel plus apatorsen or placebo.", set()),
    ("Patients were randomized to sorafenib (mean age 52.3 ± 7.7 years) or capecitabine.", set()),
    ("A randomized phase II trial of sorafenib alone versus sorafenib plus cisplatin is currently underway.", set()),
    ("Patients were randomized to sorafenib or placebo; others received bevacizumab with or without erlotinib.",
     set()),
])
def test_the_drugs_an_add_on_trial_adds(text: str, added: set[str]) -> None:
    from extractor.components.add_on import added_drugs

    assert added_drugs(document_from_text(text, "methods")) == added


def test_the_number_analysed_is_the_denominator_whole_population_responses_share() -> None:
    text = ("Twenty-six patients were enrolled. Complete response was 16/25 (64%), overall response rate "
            "was 20/25 (80%), and 4/25 (16%) had progressive disease.")
    assert _population_of(text) == (26, 25)
    # One response with its denominator is not enough to call it the number analysed.
    assert _population_of("Twenty-six patients were enrolled. Complete response was 16/25 (64%).") == (26, None)


def _population_of(text: str) -> tuple[float | None, float | None]:
    from extractor.pipeline import extract_records

    document = document_from_text(text, "abstract")
    population = build_summary(document, extract_records(document)).population
    return population.n_enrolled, population.n_evaluable


def test_a_hazard_ratio_printed_again_without_its_ci_is_listed_once() -> None:
    full = HazardRatio(endpoint="EFS", hr=2.37, ci_low=1.45, ci_high=3.88, p="<.001", provenance=[prov("EFS HR 2.37")])
    repeat = HazardRatio(endpoint=None, hr=2.37, comparison="AZA vs sorafenib", analysis_set="subgroup",
                         provenance=[prov("Median OS")])
    other_p = HazardRatio(endpoint="EFS", hr=2.37, p="0.04", provenance=[prov("CR 6 (16%)")])
    other_endpoint = HazardRatio(endpoint="OS", hr=2.37, provenance=[prov("2-year OS")])
    summary = build_summary(DOCUMENT, [full, repeat, other_p, other_endpoint])
    assert [(h.endpoint, h.hr, h.ci_low, h.p) for h in summary.hazard_ratios] == [
        ("EFS", 2.37, 1.45, "<.001"), ("EFS", 2.37, None, "0.04"), ("OS", 2.37, None, None)]
