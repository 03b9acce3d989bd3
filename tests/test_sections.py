"""The section-heading lexicon shared by the parsers."""

import pytest

from extractor.parsers.sections import (
    abstract_step,
    is_abstract_subheading,
    is_back_opener,
    is_furniture,
    label_for_heading,
    label_for_sec_type,
    lexicon,
    normalise_heading,
)


@pytest.mark.parametrize(
    ("heading", "label"),
    [
        ("Patients and methods", "methods"),
        ("PATIENTS AND METHODS", "methods"),
        ("Study design and eligibility", "methods"),
        ("Statistical analysis", "methods"),
        ("Treatment regimen", "methods"),
        ("2.3. Randomisation and masking", "methods"),
        ("Patient characteristics", "results"),
        ("Response and outcomes", "results"),
        ("Safety and toxicity", "results"),
        ("3. Results ", "results"),
        ("Conclusions", "discussion"),
        ("Conclusion:", "discussion"),
        ("Acknowledgements", "back"),
        ("Funding", "back"),
        ("Conflict-of-interest disclosure", "back"),
        ("Authorship", "back"),
        ("References", "references"),
        ("Key Points", "abstract"),
        ("MeSH Keywords", "other"),
        ("Laboratory correlative studies", None),
        ("Close modal", None),
    ],
)
def test_label_for_heading(heading: str, label: str | None) -> None:
    assert label_for_heading(heading) == label


def test_normalise_heading() -> None:
    assert normalise_heading("  II. Patients & Methods: ") == "patients and methods"
    assert normalise_heading("Conflict–of–interest  disclosure") == "conflict of interest disclosure"


def test_sec_types() -> None:
    assert label_for_sec_type("materials|methods") == "methods"
    assert label_for_sec_type("results|discussion") == "results"
    assert label_for_sec_type("supplementary-material") == "back"
    assert label_for_sec_type("cases|unknown") == "methods"
    assert label_for_sec_type("unknown") is None
    assert label_for_sec_type(None) is None


def test_abstract_furniture_and_back_matter_cues() -> None:
    assert is_abstract_subheading("Design and methods")
    assert is_abstract_subheading("Purpose")
    assert not is_abstract_subheading("Statistical analysis")
    assert not is_abstract_subheading("Introduction")
    assert abstract_step("Background") < abstract_step("Patients and methods") < abstract_step("Findings")
    assert abstract_step("Findings") < abstract_step("Interpretation") < abstract_step("Trial registration")
    assert is_furniture("Close modal")
    assert not is_furniture("Results")
    assert is_back_opener("The online version of this article contains a data supplement.")
    assert is_back_opener("This work was supported by a research grant from Celgene")
    assert not is_back_opener("This phase 1/2 single-arm study was conducted in patients")


def test_every_alias_is_listed_once() -> None:
    keys = [normalise_heading(name) for names in lexicon().aliases.values() for name in names]
    assert len(keys) == len(set(keys))
