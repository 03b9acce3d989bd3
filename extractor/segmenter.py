"""Sentence boundaries for trial prose: full stops that are not abbreviations, and line breaks."""

from spacy.language import Language
from spacy.tokens import Doc

from extractor.lexicons import load_yaml

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
        prev = doc[i - 1]
        token.is_sent_start = _starts_sentence(doc, i, prev, abbreviations)
    return doc


def _starts_sentence(doc: Doc, i: int, prev: object, abbreviations: set[str]) -> bool:
    token = doc[i]
    if "\n" in doc[i - 1].text or "\n" in doc[i - 1].whitespace_:
        return not token.is_space
    if token.is_space:
        return False
    prev_text = doc[i - 1].text
    if prev_text in _ENDERS:
        before = doc[i - 2].text.lower() if i >= 2 else ""
    elif prev_text.endswith(".") and len(prev_text) > 1:
        before = prev_text[:-1].lower()
    else:
        return False
    if not doc[i - 1].whitespace_ and prev_text in _ENDERS:
        return False
    if before in abbreviations or (len(before) == 1 and before.isalpha()):
        return False
    first = token.text[0]
    # A sentence may open with a mixed-case label such as "mEOC+P" or "pH".
    return first.isupper() or first.isdigit() or first in _OPENERS or any(c.isupper() for c in token.text)
