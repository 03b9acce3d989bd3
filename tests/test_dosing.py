"""The dosing helper and its lexicons: every lexicon value is a schema value, printed doses parse."""

from typing import get_args

import pytest

from extractor.components.dosing import find_amounts, find_drugs, find_frequency, find_route
from extractor.lexicons import load_tsv, load_yaml
from schemas.vocab import DoseUnit, Frequency, Route
from tests.conftest import document_from_text


def test_lexicon_values_are_schema_values() -> None:
    assert set(load_yaml("frequencies.yaml")["frequencies"]) <= set(get_args(Frequency))
    assert set(load_yaml("routes.yaml")["routes"]) <= set(get_args(Route))
    assert set(load_yaml("units.yaml")["units"]) <= set(get_args(DoseUnit))


def test_every_drug_name_is_found_as_printed() -> None:
    for row in load_tsv("drugs.tsv"):
        printed = row[0].upper() if len(row[0]) <= 4 and row[0].isalpha() else row[0]
        found = find_drugs(f"Patients received {printed} daily.")
        assert [(m.printed.lower(), m.drug) for m in found] == [(row[0], row[1])], row


@pytest.mark.parametrize(
    ("text", "dose", "dose_max", "unit", "per"),
    [
        ("1,250 mg/m2", 1250.0, None, "mg/m2", None),
        ("3.5g/m2", 3.5, None, "g/m2", None),
        ("1.5 g/m(2)", 1.5, None, "g/m2", None),
        ("75 mg/m²/day", 75.0, None, "mg/m2", "once daily"),
        ("1–15 mg/day", 1.0, 15.0, "mg", "once daily"),
        ("180μg/week", 180.0, None, "ug", "weekly"),
        ("10 mcg/kg", 10.0, None, "ug/kg", None),
        ("2-mg", 2.0, None, "mg", None),
        ("0·5 mg/kg", 0.5, None, "mg/kg", None),
        ("40 mg m2", 40.0, None, "mg/m2", None),
        ("10.000 IU", 10000.0, None, "IU", None),
        ("1.000 mg", 1.0, None, "mg", None),
        ("80 mg per m2", 80.0, None, "mg/m2", None),
        ("1.5 g per m² per day", 1.5, None, "g/m2", "once daily"),
        ("5 µg per kg", 5.0, None, "ug/kg", None),
        ("40 mgIV", 40.0, None, "mg", None),
    ],
)
def test_printed_doses_parse(text: str, dose: float, dose_max: float | None, unit: str, per: str | None) -> None:
    [amount] = find_amounts(f"given at {text} for a week")
    assert (amount.dose, amount.dose_max, amount.unit, amount.per) == (dose, dose_max, unit, per)


def test_no_dose_without_a_dose_unit() -> None:
    assert find_amounts("on days 1-21, 18-65 years, 5 ml, 30 min, 400 cells/µL") == []


def test_an_infusion_rate_per_area_or_weight_is_no_dose() -> None:
    # Not "40 mg": the per-m2 (per-kg) denominator belongs to a rate per hour.
    assert find_amounts("infused at 40 mg per m2/h, then 2 mg per kg per hour, and 3 mgIVX") == []


def test_alternative_routes_give_no_route() -> None:
    assert find_route(" subcutaneously or intravenously daily") == (True, None)
    assert find_route(" IV daily") == (True, "IV")
    assert find_route(" it was given") == (False, None)


def test_longest_frequency_phrase_wins() -> None:
    assert find_frequency(" orally twice daily continuously") == (True, "twice daily")
    assert find_frequency(" once or twice daily") == (True, None)
    assert find_frequency(" every 21 days") == (True, "every 3 weeks")


def test_a_code_name_in_the_title_is_a_drug_wherever_the_paper_prints_it() -> None:
    from extractor.components.dosing import find_drugs, title_code_names

    codes = title_code_names("A phase I trial of the bispecific antibody MDX-447 (CALGB 50901, NCT00123456)")
    assert codes == frozenset({"MDX-447"})
    mentions = find_drugs("Dose levels of MDX-447 were 1 and 3.5 mg/m2 with cisplatin.", codes)
    assert [(m.printed, m.drug) for m in mentions] == [("MDX-447", "mdx-447"), ("cisplatin", "cisplatin")]
    assert [m.drug for m in find_drugs("Dose levels of MDX-447 were 1 and 3.5 mg/m2.")] == []


def test_a_drug_abbreviation_the_paper_defines_is_the_drug_wherever_it_prints_it() -> None:
    from extractor.components.dosing import find_drugs, paper_abbreviations

    document = document_from_text(
        "Patients received lenalidomide (LEN) with rituximab (R), cytarabine (IV) and brentuximab vedotin (BV; "
        "1.2 mg/kg). The MTD of LEN was 10 mg.")
    names = paper_abbreviations(document)
    assert names == frozenset({("LEN", "lenalidomide"), ("BV", "brentuximab vedotin")})
    mentions = find_drugs("The MTD of LEN was 10 mg; lenalidomide (LEN) 10 mg.", names)
    assert [(m.printed, m.drug) for m in mentions] == [("LEN", "lenalidomide"), ("lenalidomide", "lenalidomide")]
    assert mentions[1].end == len("The MTD of LEN was 10 mg; lenalidomide (LEN)")


def test_a_concentration_is_no_dose_and_a_mutation_no_code_name() -> None:
    from extractor.components.dosing import find_amounts, title_code_names

    assert find_amounts("erythropoietin when haemoglobin dropped below 12.0 g/dl") == []
    assert title_code_names("Osimertinib in T790M-positive NSCLC: AZD9291 and V600E") == frozenset({"AZD9291"})
    trial = "A predictor of benefit from anthracyclines in the BR9601 adjuvant breast cancer chemotherapy trial?"
    assert title_code_names(trial) == frozenset()
    # A cooperative group's protocol number is no code name ("GIMEMA LAL 1913", "NOPHO ALL2008").
    assert title_code_names("Imatinib after chemotherapy in the GIMEMA LAL 1913 protocol") == frozenset()


def test_the_study_drug_of_a_paper_without_one_title_drug_is_the_one_it_escalates() -> None:
    from extractor.components.dosing import study_drug

    text = ("Patients received pomalidomide with or without dexamethasone 40 mg per week. "
            "Pomalidomide was escalated from 2 to 10 mg per day. The MTD of pomalidomide was 4 mg per day.")
    untitled = document_from_text(text)
    assert study_drug(untitled) == "pomalidomide"
    titled = untitled.model_copy(update={"metadata": untitled.metadata.model_copy(
        update={"title": "Pomalidomide alone or with dexamethasone in myeloma"})})
    assert study_drug(titled) == "pomalidomide"
    tie = document_from_text("The MTD of sorafenib and of azacitidine was reached at dose level 2.")
    assert study_drug(tie) is None


def test_a_dose_printed_in_any_section_but_the_references_drops_a_dose_less_entry() -> None:
    from extractor.components.regimen import drop_undosed_printed_with_doses
    from schemas import Document, DrugRegimen, Provenance, Section

    intro = "In one arm of the trial, lenalidomide 15 mg daily will be given on days 1-21. "
    refs = "Smith J. Melphalan 9 mg/m2 in myeloma. Blood 2001."
    text = intro + refs
    document = Document(paper_id="p", source_path="<test>", stem="test", format="text", text=text, sections=[
        Section(label="introduction", start=0, end=len(intro)),
        Section(label="references", start=len(intro), end=len(text))])

    def undosed(drug: str) -> DrugRegimen:
        return DrugRegimen(drug=drug, drug_as_printed=drug, provenance=[Provenance(
            paper_id="p", section="abstract", start=0, end=5, quote=text[:5], rule_id="test.rule.v1",
            extractor_version="0", confidence=0.9)])

    kept = drop_undosed_printed_with_doses(document, [undosed("lenalidomide"), undosed("melphalan")])
    assert [r.drug for r in kept] == ["melphalan"]


def test_a_dose_after_another_drug_is_no_dose_of_the_drug_before_it() -> None:
    from extractor.components.regimen import drop_undosed_printed_with_doses
    from schemas import DrugRegimen, Provenance

    text = ("Patients were randomized to lenalidomide 25 mg with weekly prednisone (arm 1) or lenalidomide, "
            "prednisone and melphalan 9 mg/m2 (arm 2). The MTD was bortezomib 1.0/1.3 mg/m2, melphalan 9 mg/m2.")
    document = document_from_text(text, "methods")

    def undosed(drug: str) -> DrugRegimen:
        return DrugRegimen(drug=drug, drug_as_printed=drug, provenance=[Provenance(
            paper_id=document.paper_id, section="methods", start=0, end=5, quote=text[:5], rule_id="test.rule.v1",
            extractor_version="0", confidence=0.9)])

    kept = drop_undosed_printed_with_doses(document, [undosed(d) for d in ("prednisone", "melphalan", "bortezomib")])
    # melphalan's dose is printed; bortezomib's too, in a form no amount rule reads.
    assert [r.drug for r in kept] == ["prednisone"]


def test_a_dose_given_in_a_sentence_naming_no_drug_is_the_title_drugs() -> None:
    from extractor.pipeline import extract_records

    def regimens(text: str, title: str) -> list[tuple[str, float | None]]:
        document = document_from_text(text, "methods")
        document = document.model_copy(update={"metadata": document.metadata.model_copy(update={"title": title})})
        return sorted((r.drug, r.dose) for r in extract_records(document) if r.kind == "regimen")

    title = "Phase 2 study of single-agent ofatumumab in untreated follicular lymphoma"
    assert regimens("Patients received 4 weekly 1000 mg doses followed by 4 doses every 8 weeks.", title) == [
        ("ofatumumab", 1000.0)]
    assert regimens("Fifteen patients were randomized to 500 mg before that arm closed.", title) == [("ofatumumab", 500.0)]
    # A dose named for no patient, a title with two drugs, a sentence naming a drug: no study-drug dose.
    assert regimens("The vial holds 1000 mg in 50 mL.", title) == []
    assert regimens("Fifteen patients were randomized to 500 mg.", "Rituximab with or without ofatumumab") == []
    assert all(drug != "ofatumumab" for drug, _ in regimens("Patients received 8 mg doses of ondansetron.", title))
