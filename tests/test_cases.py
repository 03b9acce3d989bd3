"""Sentence-level rule cases kept as data: tests/cases/<kind>.yaml.

Each file names the record ``kind`` it tests and lists cases of
``{text, expected, section?, note?}``. ``expected`` lists the records the whole
pipeline must produce from the text, each as the subset of fields to compare;
a case with ``expected: []`` is a near-miss that must produce nothing of that kind.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

from extractor.pipeline import extract_records
from tests.conftest import document_from_text

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, case in enumerate(data["cases"]):
            params.append(pytest.param(data["kind"], case, id=f"{path.stem}-{i}"))
    return params


def _matches(record: dict[str, Any], expected: dict[str, Any]) -> bool:
    for field, value in expected.items():
        got = record.get(field)
        if isinstance(value, float) or isinstance(got, float):
            if got is None or value is None or abs(float(got) - float(value)) > 1e-6:
                return False
        elif got != value:
            return False
    return True


@pytest.mark.parametrize(("kind", "case"), _load_cases())
def test_case(kind: str, case: dict[str, Any]) -> None:
    document = document_from_text(case["text"], case.get("section", "results"))
    records = [r.model_dump() for r in extract_records(document) if r.kind == kind]
    expected = case["expected"]
    unmatched = list(records)
    for want in expected:
        hit = next((r for r in unmatched if _matches(r, want)), None)
        assert hit is not None, f"missing {want} in {unmatched}"
        unmatched.remove(hit)
    assert not unmatched, f"unexpected records {unmatched}"
    for record in records:
        prov = record["provenance"][0]
        assert case["text"][prov["start"] : prov["end"]] == prov["quote"]


def test_an_outcome_abbreviation_the_paper_defines_otherwise_is_no_response() -> None:
    text = ("Patients who attended cardiac rehabilitation (CR) were followed up. "
            "Twelve patients (40%) completed CR within 12 weeks.")
    document = document_from_text(text, "results")
    assert [r for r in extract_records(document) if r.kind == "response"] == []
    control = document_from_text("Twelve patients (40%) achieved CR after induction.", "results")
    assert [(r.outcome, r.n) for r in extract_records(control) if r.kind == "response"] == [("CR", 12)]


def test_an_antiemetic_trial_has_no_tumour_responses() -> None:
    from schemas import DocumentMetadata

    text = "Complete response rate on day 1 was 45% and 90% in the two groups, respectively."
    document = document_from_text(text, "results").model_copy(
        update={"metadata": DocumentMetadata(title="Metoclopramide versus granisetron for chemotherapy-induced emesis")})
    assert [r for r in extract_records(document) if r.kind == "response"] == []


def test_an_antiemetic_trial_is_told_by_its_drugs_or_its_abstract() -> None:
    """A title naming only the antiemetic drugs, or an abstract speaking of emesis, makes the trial an
    antiemetic one; a treatment trial whose abstract lists nausea and vomiting as adverse events is not."""
    from schemas import DocumentMetadata, Section

    result = "Complete response rate on day 1 was 45% and 90% in the two groups, respectively."
    titled = document_from_text(result, "results").model_copy(update={"metadata": DocumentMetadata(
        title="High-dose metoclopramide plus dexamethasone versus granisetron plus dexamethasone")})
    assert [r for r in extract_records(titled) if r.kind == "response"] == []

    def with_abstract(abstract: str) -> list[tuple[str, float | None]]:
        text = f"{abstract}\n{result}"
        document = document_from_text(text, "results").model_copy(update={
            "metadata": DocumentMetadata(title="A randomised cross-over study in lung cancer"),
            "sections": [Section(label="abstract", title=None, start=0, end=len(abstract)),
                         Section(label="results", title=None, start=len(abstract) + 1, end=len(text))]})
        return [(r.outcome, r.percent) for r in extract_records(document) if r.kind == "response"]

    assert with_abstract("We compared the antiemetic effect of two regimens for acute and delayed emesis.") == []
    assert with_abstract("The most common adverse events were nausea and vomiting.") == [("CR", 45.0), ("CR", 90.0)]


def test_a_supportive_drug_the_title_names_stays_a_regimen_drug_in_a_prophylaxis_sentence() -> None:
    from schemas import DocumentMetadata

    text = "As prophylaxis of delayed emesis, patients received azasetron 10 mg intravenously on day 1."
    document = document_from_text(text, "methods")
    assert [r for r in extract_records(document) if r.kind == "regimen"] == []
    trial = document.model_copy(update={"metadata": DocumentMetadata(title="Azasetron versus ondansetron for delayed emesis")})
    assert [(r.drug, r.dose) for r in extract_records(trial) if r.kind == "regimen"] == [("azasetron", 10.0)]
    # Named without a dose, a supportive drug is a regimen drug only when the title names it.
    compared = "Patients were randomly assigned to azasetron or ondansetron for delayed emesis."
    untitled = document_from_text(compared, "methods")
    assert [r for r in extract_records(untitled) if r.kind == "regimen"] == []
    titled = untitled.model_copy(update={"metadata": DocumentMetadata(title="Azasetron versus ondansetron for delayed emesis")})
    assert sorted((r.drug, r.dose) for r in extract_records(titled) if r.kind == "regimen") == [
        ("azasetron", None), ("ondansetron", None)]


def test_doses_given_in_a_sentence_naming_no_drug_are_the_title_drugs() -> None:
    from schemas import DocumentMetadata

    def regimens(text: str, title: str) -> list[tuple[str, float | None]]:
        document = document_from_text(text, "methods").model_copy(update={"metadata": DocumentMetadata(title=title)})
        return sorted((r.drug, r.dose) for r in extract_records(document) if r.kind == "regimen")

    one = "Phase 1/2 study of the anti-IL-6 antibody siltuximab in metastatic solid tumours"
    assert regimens("Thirty patients randomly received 3 or 9 mg/kg every 3 weeks.", one) == [
        ("siltuximab", 3.0), ("siltuximab", 9.0)]
    assert regimens("In the expansion part, 24 patients received 9 mg/kg every 2 weeks.", one) == [("siltuximab", 9.0)]
    # Near-misses: no dose unit, and a title naming two drugs (whose dose would it be?).
    assert regimens("Thirty patients received 50 Gy in 25 fractions.", one) == []
    two = "Siltuximab plus docetaxel in metastatic prostate cancer"
    assert regimens("Thirty patients randomly received 3 or 9 mg/kg every 3 weeks.", two) == []


def test_first_line_therapy_of_a_pretreated_population_is_prior_therapy() -> None:
    from schemas import DocumentMetadata

    text = "All patients received ABVD (doxorubicin, bleomycin, vinblastine and dacarbazine) as the first line of treatment."

    def regimens(title: str) -> list[str]:
        document = document_from_text(text, "methods").model_copy(update={"metadata": DocumentMetadata(title=title)})
        return sorted(r.drug for r in extract_records(document) if r.kind == "regimen")

    assert regimens("Gemcitabine-based salvage versus ESHAP in relapsed or refractory Hodgkin lymphoma") == []
    # A trial that gives the first line itself keeps it.
    assert regimens("Brentuximab vedotin after first-line ABVD in relapsed Hodgkin lymphoma") == [
        "bleomycin", "dacarbazine", "doxorubicin", "vinblastine"]
    assert regimens("ABVD in early-stage Hodgkin lymphoma") == ["bleomycin", "dacarbazine", "doxorubicin", "vinblastine"]


def test_the_chemotherapy_of_a_supportive_care_trial_is_background() -> None:
    from schemas import DocumentMetadata

    text = ("Patients receiving cyclophosphamide 750 mg/m2 and doxorubicin 50 mg/m2 were randomly assigned to "
            "nabilone or prochlorperazine.")

    def regimens(title: str) -> list[tuple[str, float | None]]:
        document = document_from_text(text, "methods").model_copy(update={"metadata": DocumentMetadata(title=title)})
        return sorted((r.drug, r.dose) for r in extract_records(document) if r.kind == "regimen")

    assert regimens("Nabilone versus prochlorperazine for chemotherapy-induced emesis") == [
        ("nabilone", None), ("prochlorperazine", None)]
    # A title naming the chemotherapy too is no supportive-care trial's.
    assert regimens("Nabilone with cyclophosphamide and doxorubicin") == [
        ("cyclophosphamide", 750.0), ("doxorubicin", 50.0), ("nabilone", None)]


def test_the_chemotherapy_of_a_trial_of_care_beside_chemotherapy_is_background() -> None:
    from schemas import DocumentMetadata

    text = "Patients were given fluorouracil 600 mg/m2 and epirubicin 90 mg/m2 every 3 weeks."

    def regimens(title: str) -> list[tuple[str, float | None]]:
        document = document_from_text(text, "methods").model_copy(update={"metadata": DocumentMetadata(title=title)})
        return sorted((r.drug, r.dose) for r in extract_records(document) if r.kind == "regimen")

    # A title about a harm of chemotherapy or about patients having it, naming no anticancer drug.
    assert regimens("A mouth-care programme to prevent chemotherapy-induced stomatitis: a randomised trial") == []
    assert regimens("Supervised exercise for women receiving adjuvant chemotherapy for breast cancer") == []
    # Near-misses: a title naming the anticancer drugs, and one about the chemotherapy itself.
    given = [("epirubicin", 90.0), ("fluorouracil", 600.0)]
    assert regimens("Epirubicin-based chemotherapy and chemotherapy-related amenorrhoea in breast cancer") == given
    assert regimens("Adjuvant chemotherapy for node-positive breast cancer: a randomised trial") == given
