"""extract_records' direct path gives what running the spaCy pipeline over each passage's Doc gives."""

from pathlib import Path

import pytest

from extractor.parsers import parse_paper
from extractor.pipeline import RuleComponent, build_nlp, extract_records, iter_passages, passage_sentences, sentences_of
from tests.conftest import PAPERS, document_from_text


@pytest.mark.parametrize("path", sorted(PAPERS.iterdir()), ids=lambda p: p.name)
def test_passage_sentences_and_records_match_the_spacy_pipeline(path: Path) -> None:
    document = parse_paper(path)
    nlp = build_nlp()
    for passage in iter_passages(document):
        doc = nlp.make_doc(document.text[passage.start : passage.end])
        doc._.passage = passage
        doc._.evidence = []
        for _, proc in nlp.pipeline:
            doc = proc(doc)
        sentences = passage_sentences(nlp, passage)
        assert sentences == sentences_of(doc)
        direct = [record for _, proc in nlp.pipeline if isinstance(proc, RuleComponent) for record in proc.run(sentences)]
        assert [r.model_dump() for r in direct] == [r.model_dump() for r in doc._.evidence]


def test_the_vocabulary_does_not_grow_with_papers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each paper's new strings (numbers, names) stay in spaCy's vocabulary; past MAX_VOCAB_STRINGS the pipeline
    is built afresh, so a process reading papers without end stays the same size."""
    import random

    import extractor.pipeline
    from extractor.pipeline import extract_records
    from tests.conftest import document_from_text

    rng = random.Random(7)

    def paper() -> str:
        return (f"Between {rng.randint(2000, 2020)} and {rng.randint(2021, 2025)}, {rng.randint(10, 999)} patients "
                f"(median age {rng.randint(20, 80)}.{rng.randint(0, 9)} years) received drug-{rng.randint(1000, 9999)}. "
                f"Complete remission was achieved in {rng.randint(1, 9)} of {rng.randint(10, 99)} patients. "
                f"Median overall survival was {rng.randint(1, 40)}.{rng.randint(0, 9)} months.")

    build_nlp.cache_clear()
    limit = len(build_nlp().vocab.strings) + 100
    monkeypatch.setattr(extractor.pipeline, "MAX_VOCAB_STRINGS", limit)
    sizes, pipelines = [], set()
    for _ in range(60):
        extract_records(document_from_text(paper()))
        sizes.append(len(build_nlp().vocab.strings))
        pipelines.add(id(build_nlp()))
    assert max(sizes) <= limit and len(pipelines) > 1
    build_nlp.cache_clear()


def test_a_value_printed_with_its_arm_and_again_without_is_one_fact() -> None:
    text = ("The median overall survival was 22.7 versus 15.1 months (P = 0.04). "
            "The median overall survival was 22.7 months in arm A and 15.1 months in arm B.")
    survival = [r for r in extract_records(document_from_text(text)) if r.kind == "time_to_event"]
    assert [(r.value, r.arm, len(r.provenance)) for r in survival] == [(22.7, "arm A", 2), (15.1, "arm B", 2)]
    # Equal in both arms: the copy without an arm cannot be told to be either, so it stays apart.
    both = "The 2-year survival was 93% in both arms. The 2-year survival was 93% in arm A and 93% in arm B."
    survival = [r for r in extract_records(document_from_text(both)) if r.kind == "time_to_event"]
    assert [(r.value, r.arm) for r in survival] == [(93.0, None), (93.0, "arm A"), (93.0, "arm B")]
