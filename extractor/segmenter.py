"""Sentence boundaries for trial prose: full stops that are not abbreviations, and line breaks."""

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import cache
from itertools import pairwise

import numpy
from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from extractor.lexicons import load_yaml
from extractor.limits import MAX_SENTENCE_CHARS, MAX_SYMBOL_RUN
from extractor.parsers.sections import layout_regex
from extractor.patterns import load_rules
from extractor.prefilter import Literal, literals_pattern, required_literals

_ENDERS = {".", "?", "!"}
_OPENERS = {"(", "[", "\u201c", '"', "\u2018", "'"}


@Language.component("trial_sentencizer")
def trial_sentencizer(doc: Doc) -> Doc:
    """Mark sentence starts: after a sentence-ending full stop, and after any line break.

    A full stop after an abbreviation ('et al.', 'Fig.', 'vs.') or a single initial
    does not end a sentence; the next sentence must begin with a capital, a digit,
    an opening bracket or a mixed-case word ('mEOC+P'). A table row (doc._.passage.is_row) is always one sentence.
    """
    if not len(doc):
        return doc
    passage = doc._.passage if doc.has_extension("passage") else None
    starts = numpy.full(len(doc), -1, dtype=numpy.int64)
    starts[0] = 1
    if passage is None or not passage.is_row:
        # Doc.text is rebuilt token by token on every read; the passage's text is the same string.
        text = doc.text if passage is None else passage.document.text[passage.start : passage.end]
        for i in sentence_starts(_Tokens(doc, text)):
            starts[i] = 1
    # One array write: setting token.is_sent_start one by one re-checks the whole Doc each time.
    doc.from_array([SENT_START], starts.astype(numpy.uint64))
    return doc


def sentence_spans(doc: Doc, text: str) -> list[tuple[int, int]]:
    """(start, end) characters of the sentences trial_sentencizer marks in a prose Doc of ``text``.

    What the component gives, without writing it into the Doc: each sentence runs
    to where the next begins, its trailing white space included.
    """
    if not len(doc):
        return []
    tokens = _Tokens(doc, text)
    bounds = [0, *(tokens.idx[i] for i in sentence_starts(tokens)), len(text)]
    return list(pairwise(bounds))


def bounded_spans(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of ``text``, each longer than MAX_SENTENCE_CHARS cut into pieces no longer, at a space
    where there is one: a line with no stop is not one sentence the rules read whole."""
    found: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > MAX_SENTENCE_CHARS:
            cut = text.rfind(" ", start + 1, start + MAX_SENTENCE_CHARS)
            cut = cut if cut > start else start + MAX_SENTENCE_CHARS
            found.append((start, cut))
            start = cut
        found.append((start, end))
    return found


class SymbolRunTokenizer:
    """spaCy's tokenizer, reading a run of MAX_SYMBOL_RUN or more symbols as one word.

    spaCy strips a symbol run's characters one at a time, searching the whole rest of the
    run each time (the square of its length: 40 KB of emoji took 105 s). The run is
    tokenized as letters of the same length, and the Doc is then made of the original
    text's words at the same offsets, so ``doc.text`` is the text given, character for character.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        runs = _symbol_runs()
        if runs.search(text) is None:
            return self.tokenizer(text)
        doc = self.tokenizer(runs.sub(lambda run: "x" * len(run.group(0)), text))
        words = [text[token.idx : token.idx + len(token)] for token in doc]
        return Doc(doc.vocab, words=words, spaces=[bool(token.whitespace_) for token in doc])


@cache
def _symbol_runs() -> re.Pattern[str]:
    return re.compile(f"(?:{layout_regex('layout.symbol.v1').pattern}){{{MAX_SYMBOL_RUN},}}")


def sentence_starts(tokens: "_Tokens") -> list[int]:
    """Indices of the tokens after the first that start a sentence, in order."""
    abbreviations = _abbreviations()
    return [i for i in tokens.candidates() if _starts_sentence(tokens, i, abbreviations)]


def has_one_sentence(text: str) -> bool:
    """True when the trial sentencizer cannot start a second sentence in the text: it holds no line
    break, no stop and no literal a cited-end rule needs (see _end_marks), so no token may start one."""
    marks = _end_marks()
    return marks is not None and marks.search(text) is None


class _Tokens:
    """The token facts the sentencizer reads, taken from the Doc in one array."""

    def __init__(self, doc: Doc, text: str) -> None:
        self.text = text
        columns = doc.to_array([IDX, LENGTH, SPACY, IS_SPACE]).T.tolist()
        self.idx: list[int] = columns[0]
        self.length: list[int] = columns[1]
        self.spacy: list[int] = columns[2]
        self.is_space: list[int] = columns[3]

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, i: int) -> str:
        start = self.idx[i]
        return self.text[start : start + self.length[i]]

    def candidates(self) -> list[int]:
        """Tokens that may start a sentence (all others cannot): those after a line break, and the
        first word after a token holding a character every sentence end needs (see _end_marks)."""
        marks = _end_marks()
        if marks is None:
            return list(range(1, len(self)))
        found: set[int] = set()
        count = len(self)
        for match in marks.finditer(self.text):
            k = bisect_right(self.idx, match.start()) - 1
            if k < 0:
                continue
            if "\n" in self[k]:
                found.add(k + 1)
            j = k + 1
            while j < count and self.is_space[j]:
                j += 1
            found.add(j)
        return sorted(i for i in found if 0 < i < count)


@cache
def _abbreviations() -> frozenset[str]:
    return frozenset(load_yaml("abbreviations.yaml"))


@cache
def _end_marks() -> re.Pattern[str] | None:
    """Where a sentence may end: a line break, a stop, or a literal a cited-end rule requires.

    Every start after the first follows a token holding a line break, ending in a stop, or
    matching a segmentation rule; a rule whose literals cannot be worked out gives None (read every token).
    """
    literals: set[Literal] = {("\n", False), (".", False), ("?", False), ("!", False)}
    for rule in load_rules("segmentation.yaml"):
        needed = required_literals(rule.regex)
        if needed is None:
            return None
        literals |= needed
    # A lookahead finds overlapping occurrences, so no token's literal is hidden by a neighbour's.
    return re.compile(f"(?=(?:{literals_pattern(literals)}))")


def _starts_sentence(doc: _Tokens, i: int, abbreviations: frozenset[str]) -> bool:
    # A token's trailing whitespace is at most one space, so only a space token holds a line break.
    if "\n" in doc[i - 1]:
        return not doc.is_space[i]
    if doc.is_space[i]:
        return False
    p = i - 1
    while p > 0 and doc.is_space[p]:
        p -= 1
    prev_text = doc[p]
    if prev_text in _ENDERS:
        word = p - 1
        before = doc[word].lower() if word >= 0 else ""
    elif prev_text.endswith(".") and len(prev_text) > 1:
        word = p
        before = prev_text[:-1].lower()
    elif _cited_end(prev_text):
        return _opens_sentence(doc[i])
    else:
        return False
    if not (doc.spacy[p] or p < i - 1) and prev_text in _ENDERS:
        return False
    # An initial ("M. A. Rudek") stands alone; "ara-C." ends a word.
    initial = len(before) == 1 and before.isalpha() and (word <= 0 or bool(doc.spacy[word - 1]))
    if before in abbreviations or initial:
        return False
    return _opens_sentence(doc[i])


def _cited_end(text: str) -> bool:
    return any(rule.regex.search(text) for rule in load_rules("segmentation.yaml"))


def _opens_sentence(text: str) -> bool:
    first = text[0]
    # A sentence may open with a mixed-case label such as "mEOC+P" or "pH".
    return first.isupper() or first.isdigit() or first in _OPENERS or any(c.isupper() for c in text)
