"""Adverse-event vocabulary: printed terms, grade bands and arm labels."""

import pytest

from extractor.components.toxicity_terms import clean_arm, grade_band, normalise_term, remove_grades
from extractor.lexicons import load_tsv


@pytest.mark.parametrize(("printed", "term"), [
    ("Diarrhoea", "diarrhea"),
    ("Anaemia", "anemia"),
    ("Hypomagnesaemia*", "hypomagnesemia"),
    ("oesophagitis", "esophagitis"),
    ("Septicaemia", "sepsis"),
    ("upper gastrointestinal haemorrhage", "upper gastrointestinal hemorrhage"),
    ("Hand–foot syndrome", "hand-foot syndrome"),
    ("Hand-foot skin reaction", "hand-foot skin reaction"),
    ("Palmar-plantar erythrodysaesthesia", "palmar-plantar erythrodysesthesia"),
    ("Neutropenic fever", "febrile neutropenia"),
    ("Lethargy", "lethargy"),
    ("ALT elevation", "alanine aminotransferase increased"),
    ("Raised ALT", "alanine aminotransferase increased"),
    ("Liver AST", "aspartate aminotransferase increased"),
    ("AST increased", "aspartate aminotransferase increased"),
    ("Decreased platelet count", "platelet count decreased"),
    ("Bilirubin", "blood bilirubin increased"),
    ("Transaminase elevation", "transaminase elevation"),
    ("AEs drug related or possibly drug related", "treatment-related adverse event"),
    ("SAEs related to study drug", "treatment-related serious adverse event"),
    ("Related or possibly drug-related adverse events", "treatment-related adverse event"),
    ("AEs leading to discontinuation of study drug", "adverse event leading to discontinuation"),
    ("Related AEs", "treatment-related adverse event"),
    ("Unrelated AEs", "unrelated aes"),
    ("Elevated transaminases", "elevated transaminases"),
    ("Transaminases", "transaminases increased"),
    ("Abnormal hepatic function", "hepatic function abnormal"),
    ("Abnormal liver function", "hepatic function abnormal"),
    ("Acute renal failure", "acute kidney injury"),
    ("Cardiac failure", "cardiac failure"),
    ("Nausea / Vomiting", "nausea/vomiting"),
    ("γ-Glutamyltransferase increase", "gamma-glutamyltransferase increased"),
    ("Infusion reactions", "infusion-related reaction"),
    ("Hair loss", "alopecia"),
    ("Neurotoxicity", "neurotoxicity"),
    ("Chronic GVHD", "chronic graft-versus-host disease"),
    ("Any grade 3–5 toxicity", "any adverse event"),
    ("Any grade 3–5 toxicity (excluding haematological or biochemical events)",
     "any adverse event excluding hematological or biochemical events"),
    ("Haematological toxicity", "hematological toxicity"),
    ("Motor Neuropathy", "motor neuropathy"),
    ("Pain in injection area", "injection site pain"),
    ("Patients with NCI-CTC toxicity grade 3 or 4 AEs", "any adverse event"),
    ("Patients with grade 3/4 toxicity", "any adverse event"),
    ("Patients with serious adverse events", "serious adverse event"),
    ("GI perforation", "gastrointestinal perforation"),
    ("GI bleeding", "gastrointestinal bleeding"),
    ("Redness at the injection site", "injection site redness"),
    ("Ostealgia / Myosalgia", "bone pain/myalgia"),
    ("Astriction", "constipation"),
    ("Eruption", "rash"),
    ("Haematological", "hematologic toxicity"),
    ("Non-haematological", "non-hematologic toxicity"),
    ("GGT increase", "gamma-glutamyltransferase increased"),
    ("γ-GT elevated", "gamma-glutamyltransferase increased"),
    ("Reduction in left ventricular ejection fraction*", "left ventricular ejection fraction decreased"),
    ("Elevation of ALT", "alanine aminotransferase increased"),
    ("At least 1 AE", "any adverse event"),
    ("Patients with ⩾1 adverse event", "any adverse event"),
    ("Second primary malignancies", "second primary malignancy"),
    ("AST/ALT", "ast/alt"),
    ("Infection (normal ANC)", "infection with normal absolute neutrophil count"),
    ("Infection (documented clinically)", "infection"),
    ("Fatigue/memory impairment", "fatigue/memory impairment"),
])
def test_terms(printed: str, term: str) -> None:
    found = normalise_term(printed)
    assert found is not None
    assert found.term == term


def test_unknown_term_kept_as_printed() -> None:
    found = normalise_term("Dysaesthesia of the tongue")
    assert found is not None
    assert (found.term, found.known) == ("dysesthesia of the tongue", False)


@pytest.mark.parametrize(("text", "band"), [
    ("Grade 1–2", "1-2"), ("Grade 3", "3"), ("grade II", "2"), ("grade 3–4", "3-4"), ("Grade 3/4", "3-4"),
    ("grade III-IV", "3-4"), ("grade 3 or 4", "3-4"), ("Grade 3–5", ">=3"), ("grade ≥3", ">=3"),
    ("≥ grade 3", ">=3"), ("grade 3 or higher", ">=3"), ("Any grade", "any"), ("All grades", "any"),
    ("grade 5", "5"), ("% grade 3–4", "3-4"),
    (">Grade 3 (%)", ">=3"), ("grade > 2", ">=3"), ("worse than grade 3", ">=3"), ("grade >0", "any"),
])
def test_grade_bands(text: str, band: str) -> None:
    assert grade_band(text) == band


@pytest.mark.parametrize("text", ["Mean grade", "grade <3", "grade 0", "at least 10% of patients", "grade ≤2",
                                  "grade 2–3", "grade > 4", "worse than grade 1", "> grade 1"])
def test_not_grade_bands(text: str) -> None:
    assert grade_band(text) is None


def test_remove_grades() -> None:
    assert remove_grades("Any grade 3–5 toxicity") == "Any toxicity"


@pytest.mark.parametrize(("header", "arm"), [
    ("EOC group (n=266)", "EOC"), ("Sunitinib (N = 238)", "sunitinib"), ("mEOC+P group (n=276)", "mEOC+P"),
    ("Arm B (n = 48)", "arm B"), ("Placebo arm", "placebo"), ("Topotecan (n =29)a", "topotecan"),
])
def test_arm_labels(header: str, arm: str) -> None:
    assert clean_arm(header) == arm


def test_lexicon_rows() -> None:
    assert all(len(row) == 2 and row[0] == row[0].lower() for row in load_tsv("ae_terms.tsv"))
    assert all(len(row) == 3 and row[2] in {"increased", "decreased"} for row in load_tsv("ae_lab_tests.tsv"))


@pytest.mark.parametrize(("title", "arms"), [
    ("Irinotecan plus 5-FU (IF) vs etoposide plus 5-FU (EF) in gastric cancer", {"if", "ef"}),
    ("Cytarabine in acute myeloid leukaemia (AML) or myelodysplastic syndrome (MDS)", set()),
    ("Phase II study of FOLFOX (mFOLFOX6) in colorectal cancer", set()),
])
def test_a_title_comparing_abbreviated_regimens_names_the_arms(title: str, arms: set[str]) -> None:
    from extractor.components.toxicity_arms import paper_arms
    from schemas import DocumentMetadata
    from tests.conftest import document_from_text

    # A text of its own per case: the arms are worked out once per paper id.
    document = document_from_text(f"Toxicity was mild ({title}).").model_copy(update={"metadata": DocumentMetadata(title=title)})
    assert set(paper_arms(document)) == arms
