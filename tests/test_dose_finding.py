"""Dose finding read with the paper's context: a bare "recommended dose" is an RP2D only in a dose-finding paper."""

from extractor.pipeline import extract_records
from schemas import DocumentMetadata
from tests.conftest import document_from_text


def _rp2d(text: str, title: str) -> list[tuple[str | None, float | None]]:
    document = document_from_text(text, "results").model_copy(update={"metadata": DocumentMetadata(title=title)})
    return [(r.drug, r.dose) for r in extract_records(document) if r.kind == "mtd"]


def test_a_recommended_regimen_of_a_phase_1_paper_is_its_rp2d() -> None:
    text = "The recommended regimen is capecitabine 1,000 mg/m2 twice daily, days 1-14, plus paclitaxel 60 mg/m2/week."
    assert _rp2d(text, "A phase I dose-finding study of capecitabine with weekly paclitaxel") == [
        ("capecitabine", 1000.0), ("paclitaxel", 60.0)]
    # Another paper (paper ids are hashes of the text, and paper facts are remembered per paper).
    assert _rp2d(text + " ", "Capecitabine plus paclitaxel versus docetaxel: a randomized phase III trial") == []


def test_rd_is_read_only_where_the_paper_defines_it() -> None:
    title = "Phase I dose-escalation study of cyclophosphamide with bortezomib"
    defined = "We sought the recommended dose (RD) of cyclophosphamide. The RD of cyclophosphamide was determined as 500 mg/m2."
    assert _rp2d(defined, title) == [("cyclophosphamide", 500.0)]
    undefined = "The RD of cyclophosphamide was determined as 500 mg/m2."
    assert _rp2d(undefined, title) == []


def test_a_code_name_bracketed_after_the_title_drug_is_the_same_study_drug() -> None:
    text = "The maximum tolerated dose was 20 mg/m2/d in heavily pretreated patients."
    title = "A phase I study of everolimus (RAD001) given daily to patients with advanced solid tumours"
    assert _rp2d(text, title) == [("everolimus", 20.0)]
    # Two drugs named side by side are two drugs: no study drug for a dose printed without one.
    assert _rp2d(text + " ", "A phase I study of everolimus and sorafenib in advanced solid tumours") == []


def test_a_bare_recommended_dose_fixed_at_a_dose_in_a_dose_finding_paper() -> None:
    text = "Toxicity was mild, and the recommended dose of gefitinib was fixed at 250 mg."
    assert _rp2d(text, "Gefitinib with weekly docetaxel: a phase I dose-finding study") == [("gefitinib", 250.0)]


def test_a_supportive_drug_dose_is_no_rp2d_unless_the_paper_studies_it() -> None:
    text = "The recommended dose of G-CSF was 5 ug/kg daily from day 6."
    assert _rp2d(text, "A phase I dose-escalation study of cytarabine with G-CSF priming") == [("g-csf", 5.0)]
    assert _rp2d(text + " ", "A phase I dose-escalation study of cytarabine in relapsed AML") == []


def test_a_partner_drug_given_at_its_recommended_dose_is_no_rp2d() -> None:
    text = "Dexamethasone was given at its recommended dose of 40 mg weekly."
    assert _rp2d(text, "A phase I dose-finding study of pomalidomide with dexamethasone") == []


def test_a_dlt_printed_again_in_other_words_is_listed_once() -> None:
    from extractor.summary import build_summary

    text = ("Dose-limiting toxicities were grade 4 increased aspartate aminotransferase and grade 3 hypertension.\n"
            "The DLTs included grade 4 increased AST, grade 3 hypertension and grade 3 rash.")
    document = document_from_text(text, "results")
    summary = build_summary(document, extract_records(document))
    assert [d.term for d in summary.dlts] == ["increased aspartate aminotransferase", "hypertension", "rash"]


def test_the_mtd_of_a_code_named_drug_with_a_partner_is_the_code_named_drugs() -> None:
    text = "The maximum tolerated dose of XY-123 with temozolomide was 40 mg twice daily."
    assert _rp2d(text, "Phase I study of XY-123 in combination with temozolomide in solid tumors") == [("xy-123", 40.0)]
