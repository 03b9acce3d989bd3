"""Sentence boundaries for trial prose: full stops that are not abbreviations, and line breaks."""

from spacy.language import Language
from spacy.tokens import Doc

from extractor.lexicons import load_yaml
from extractor.patterns import load_rules

_ENDERS = {".", "?", "!"}
_OPENERS = {"(", "[", "\u201c", '"', "\u2018", "'"}


@Language.component("trial_sentencizer")
def trial_sentencizer(doc: Doc) -> Doc:
    """Mark sentence starts: after a sentence-ending full stop, and after any line break.

    A full stop after an abbreviation ('et al.', 'Fig.', 'vs.') or a single initial
    does not end a sentence; the next sentence must begin with a capital, a digit,
    an opening bracket or a mixed-case word ('mEOC+P'). A table row (doc._.passage.is_row) is always one sentence.
    """
    abbreviations = set(load_yaml("abbreviations.yaml"))
    passage = doc._.passage if doc.has_extension("passage") else None
    one_sentence = passage is not None and passage.is_row
    for i, token in enumerate(doc):
        if i == 0:
            token.is_sent_start = True
            continue
        if one_sentence:
            token.is_sent_start = False
            continue
        token.is_sent_start = _starts_sentence(doc, i, abbreviations)
    return doc


def _starts_sentence(doc: Doc, i: int, abbreviations: set[str]) -> bool:
    token = doc[i]
    if "\n" in doc[i - 1].text or "\n" in doc[i - 1].whitespace_:
        return not token.is_space
    if token.is_space:
        return False
    p = i - 1
    while p > 0 and doc[p].is_space:
        p -= 1
    prev_text = doc[p].text
    if prev_text in _ENDERS:
        word = p - 1
        before = doc[word].text.lower() if word >= 0 else ""
    elif prev_text.endswith(".") and len(prev_text) > 1:
        word = p
        before = prev_text[:-1].lower()
    elif _cited_end(prev_text):
        return _opens_sentence(token.text)
    else:
        return False
    if not (doc[p].whitespace_ or p < i - 1) and prev_text in _ENDERS:
        return False
    # An initial ("M. A. Rudek") stands alone; "ara-C." ends a word.
    initial = len(before) == 1 and before.isalpha() and (word <= 0 or bool(doc[word - 1].whitespace_))
    if before in abbreviations or initial:
        return False
    return _opens_sentence(token.text)


def _cited_end(text: str) -> bool:
    return any(rule.regex.search(text) for rule in load_rules("segmentation.yaml"))


def _opens_sentence(text: str) -> bool:
    first = text[0]
    # A sentence may open with a mixed-case label such as "mEOC+P" or "pH".
    return first.isupper() or first.isdigit() or first in _OPENERS or any(c.isupper() for c in text)
