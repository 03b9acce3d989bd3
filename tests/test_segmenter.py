"""Sentence boundaries of the trial sentencizer on real sentence shapes."""

import pytest

from extractor.parsers import parse_paper
from extractor.pipeline import build_nlp
from extractor.segmenter import has_one_sentence, sentence_spans
from tests.conftest import PAPERS


def sentences(text: str) -> list[str]:
    nlp = build_nlp()
    doc = nlp.get_pipe("trial_sentencizer")(nlp.make_doc(text))
    return [s.text.strip() for s in doc.sents]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The median OS was 6.2 months. The median EFS was 3.8 months.",
         ["The median OS was 6.2 months.", "The median EFS was 3.8 months."]),
        ("As shown by Serve et al. in 2013, CR was 60%. We enrolled 43 patients.",
         ["As shown by Serve et al. in 2013, CR was 60%.", "We enrolled 43 patients."]),
        ("Survival was longer (Fig. 2). Responses were durable.",
         ["Survival was longer (Fig. 2).", "Responses were durable."]),
        ("HR 1·37, 95% CI 1·07–1·76; p=0·013). mEOC+P was associated with diarrhoea.",
         ["HR 1·37, 95% CI 1·07–1·76; p=0·013).", "mEOC+P was associated with diarrhoea."]),
        ("Doses were 12 mg/m2 vs. 10 mg/m2 in the two arms.", ["Doses were 12 mg/m2 vs. 10 mg/m2 in the two arms."]),
        ("Results\nForty-three patients were enrolled.", ["Results", "Forty-three patients were enrolled."]),
        ("P = .01. 37 were evaluable.", ["P = .01.", "37 were evaluable."]),
        ("ara-C (20 mg b.i.d. for 10 days).13 The remission rate doubled.",
         ["ara-C (20 mg b.i.d. for 10 days).13", "The remission rate doubled."]),
        ("than those who relapsed from low-dose ara-C. In the current study we enrolled 806 patients.",
         ["than those who relapsed from low-dose ara-C.", "In the current study we enrolled 806 patients."]),
        ("seen in prior studies.23,46,47  In this study, FL levels fell.",
         ["seen in prior studies.23,46,47", "In this study, FL levels fell."]),
        ("Correspondence to M. A. Rudek and F. Ravandi.", ["Correspondence to M. A. Rudek and F. Ravandi."]),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_a_text_with_one_sentence_is_one_sentence_to_the_sentencizer() -> None:
    assert has_one_sentence("Patients and methods") and has_one_sentence("Median age 64 (range 18-80)")
    assert not has_one_sentence("Median age 64. Range 18-80") and not has_one_sentence("Results\nMedian age")
    lines = [line for path in sorted(PAPERS.iterdir()) for line in parse_paper(path).text.split("\n") if line.strip()]
    single = [line for line in lines if has_one_sentence(line)]
    assert single
    assert all(len(sentences(line)) == 1 for line in single)


def test_sentence_spans_are_the_sentences_the_component_marks() -> None:
    nlp = build_nlp()
    lines = [line for path in sorted(PAPERS.iterdir()) for line in parse_paper(path).text.split("\n")
             if line.strip() and not has_one_sentence(line)]
    assert len(lines) > 100
    for line in lines:
        marked = [sent.text.strip() for sent in nlp.get_pipe("trial_sentencizer")(nlp.make_doc(line)).sents]
        spans = [line[start:end].strip() for start, end in sentence_spans(nlp.make_doc(line), line)]
        assert spans == marked, line
    assert sentence_spans(nlp.make_doc(""), "") == []
