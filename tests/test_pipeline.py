"""extract_records' direct path gives what running the spaCy pipeline over each passage's Doc gives."""

from pathlib import Path

import pytest

from extractor.parsers import parse_paper
from extractor.pipeline import RuleComponent, build_nlp, iter_passages, passage_sentences, sentences_of
from tests.conftest import PAPERS


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
