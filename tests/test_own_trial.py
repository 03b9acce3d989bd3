"""Only the paper's own trial: the seed paper's introduction and discussion quote other trials' numbers."""

from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from tests.conftest import PAPERS

SEED = PAPERS / "000_59df4b2ebd5e169b.txt"


def test_no_record_from_the_introduction_or_discussion_of_the_seed_paper() -> None:
    document = parse_paper(SEED)
    records = extract_records(document)
    assert records
    for record in records:
        for span in record.provenance:
            assert span.section not in ("introduction", "discussion", "references", "back"), span.quote


def test_other_trials_numbers_are_not_evidence() -> None:
    records = extract_records(parse_paper(SEED))
    values = {(r.kind, getattr(r, "value", None)) for r in records}
    # "Serve et al randomized 197 elderly patients" and the prior study's "median age of 53 years".
    assert ("population", 197.0) not in values
    assert ("population", 53.0) not in values
    quotes = " ".join(span.quote for r in records for span in r.provenance)
    assert "Serve et al" not in quotes and "Melzelder" not in quotes


def test_the_trials_own_numbers_are_found() -> None:
    records = extract_records(parse_paper(SEED))
    population = {(r.field, r.value) for r in records if r.kind == "population"}
    assert {("n_enrolled", 43.0), ("n_evaluable", 37.0), ("age_median", 64.0)} <= population
    assert {r.identifier for r in records if r.kind == "registry_id"} == {"NCT01254890"}
