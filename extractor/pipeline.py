"""The spaCy pipeline: a blank English tokenizer, the trial sentencizer and the rule components.

``extract_records(document)`` is the one entry point: it cuts the Document into
passages (prose lines and table rows), runs the pipeline over them, keeps only
sentences about the paper's own trial, and merges facts printed more than once.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens.underscore import Underscore

from extractor import regex_cache, segmenter  # segmenter registers the trial_sentencizer factory
from extractor.components import CITED_SOURCE_READERS, COMPONENTS, DOCUMENT_RULES, Extractor
from extractor.components.regimen import drop_undosed_printed_with_doses
from extractor.effects import annotate_all
from extractor.limits import MAX_VOCAB_STRINGS, check_text_length
from extractor.merge import merge_duplicates
from extractor.own_trial import is_protocol, own_trial_verdicts, reports_no_trial
from extractor.sentence import Sentence
from schemas import Document, EvidenceRecord, Table, TableRow
from schemas.vocab import SectionLabel

# Sections never read for evidence at all (they only list other work).
SKIPPED_SECTIONS = frozenset({"references"})
# Components whose facts name the trial (not measure it): they may read an
# introduction sentence that says it speaks of this trial (see own_trial.py).
TRIAL_FACT_COMPONENTS = frozenset({"registry_ids", "trial_phase", "trial_design"})
# What a study protocol states about its trial: the trial itself and its planned regimen, no results.
PROTOCOL_KINDS = frozenset({"registry_id", "phase", "design", "regimen"})


@dataclass(frozen=True)
class Passage:
    """A stretch of a Document handed to the pipeline as one spaCy Doc."""

    document: Document
    section: SectionLabel
    start: int
    end: int
    table: Table | None = None
    row: TableRow | None = None
    header: str = ""

    @property
    def is_row(self) -> bool:
        return self.row is not None


class RuleComponent:
    """A spaCy pipeline component running one extractor over the sentences of a passage."""

    def __init__(self, name: str, extract: Extractor) -> None:
        self.name = name
        self.extract = extract
        self.trial_facts = name in TRIAL_FACT_COMPONENTS
        self.reads_cited = CITED_SOURCE_READERS.get(name)

    def __call__(self, doc: Doc) -> Doc:
        # doc._ builds a new accessor on every use: read the extension attributes once per call.
        extensions = doc._
        extensions.evidence.extend(self.run(sentences_of(doc, extensions)))
        return doc

    def run(self, sentences: list[tuple[Sentence, bool, bool]]) -> list[EvidenceRecord]:
        """The records of the sentences this component may read (entries as sentences_of gives them)."""
        found: list[EvidenceRecord] = []
        for sentence, own_trial, trial_fact in sentences:
            if own_trial or (self.trial_facts and trial_fact) or (
                    self.reads_cited is not None and self.reads_cited(sentence)):
                found.extend(self.extract(sentence))
        return found


def sentences_of(doc: Doc, extensions: Underscore | None = None) -> list[tuple[Sentence, bool, bool]]:
    """The passage's sentences with their own-trial verdicts, worked out once per Doc.

    Each entry is (sentence, readable by every component, readable by the
    trial-fact components); see own_trial.is_own_trial.
    """
    extensions = doc._ if extensions is None else extensions
    found: list[tuple[Sentence, bool, bool]] | None = extensions.sentences
    if found is None:
        passage: Passage | None = extensions.passage
        found = [] if passage is None else _with_verdicts(_sentence(passage, start, end) for start, end in
                                                          segmenter.bounded_spans(doc.text, _sent_spans(doc)))
        extensions.sentences = found
    return found


def _sent_spans(doc: Doc) -> Iterator[tuple[int, int]]:
    return ((sent.start_char, sent.end_char) for sent in doc.sents)


def _with_verdicts(sentences: Iterable[Sentence | None]) -> list[tuple[Sentence, bool, bool]]:
    found = []
    for sentence in sentences:
        if sentence is not None:
            own, trial_fact = own_trial_verdicts(sentence)
            # A sentence every component may read is one the trial-fact components may read.
            found.append((sentence, own, own or trial_fact))
    return found


def passage_sentences(nlp: Language, passage: Passage) -> list[tuple[Sentence, bool, bool]]:
    """sentences_of the passage's Doc after the trial sentencizer, worked out without a Doc extension.

    A table row is always one sentence (see the trial sentencizer), and so is a line in which
    the sentencizer finds nowhere a sentence could start: neither needs a Doc.
    """
    text = passage.document.text[passage.start : passage.end]
    if passage.is_row or segmenter.has_one_sentence(text):
        spans = [(0, len(text))]
    else:
        spans = segmenter.sentence_spans(nlp.make_doc(text), text)
    return _with_verdicts(_sentence(passage, start, end) for start, end in segmenter.bounded_spans(text, spans))


def _sentence(passage: Passage, rel_start: int, rel_end: int) -> Sentence | None:
    text = passage.document.text
    start, end = passage.start + rel_start, passage.start + rel_end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return None
    return Sentence(
        doc=passage.document, section=passage.section, start=start, end=end,
        table=passage.table, row=passage.row, header=passage.header,
    )


def _register() -> None:
    if not Doc.has_extension("passage"):
        Doc.set_extension("passage", default=None)
    if not Doc.has_extension("evidence"):
        Doc.set_extension("evidence", default=None)
    if not Doc.has_extension("sentences"):
        Doc.set_extension("sentences", default=None)
    for name, extract in COMPONENTS.items():
        if name not in Language.factories:
            Language.factory(name, func=lambda nlp, name, _extract=extract: RuleComponent(name, _extract))


@cache
def build_nlp() -> Language:
    """The pipeline: spacy.blank('en') with the trial sentencizer and every rule component."""
    _register()
    nlp = spacy.blank("en")
    nlp.tokenizer = segmenter.SymbolRunTokenizer(nlp.tokenizer)
    nlp.add_pipe("trial_sentencizer")
    for name in COMPONENTS:
        nlp.add_pipe(name)
    return nlp


def iter_passages(document: Document) -> Iterator[Passage]:
    """Prose lines outside tables, then every row of every table printed for the first time."""
    table_spans = [(t.start, t.end) for t in document.tables]
    for section in document.sections:
        if section.label in SKIPPED_SECTIONS:
            continue
        pos = section.start
        for line in document.text[section.start : section.end].split("\n"):
            start, end = pos, pos + len(line)
            pos = end + 1
            if not line.strip() or any(ts <= start and end <= te for ts, te in table_spans):
                continue
            yield Passage(document, section.label, start, end)
    for table in document.tables:
        if table.duplicate_of is not None or table.section in SKIPPED_SECTIONS:
            continue
        header = " ".join(filter(None, [table.label, table.caption, *(
            " ".join(c.text for c in row.cells) for row in table.rows if row.header)]))
        for row in table.rows:
            if not row.header and row.end > row.start:
                yield Passage(document, table.section, row.start, row.end, table=table, row=row, header=header)


def extract_records(document: Document) -> list[EvidenceRecord]:
    """Every evidence record of a Document, facts printed twice merged into one record."""
    check_text_length(document.source_path, len(document.text))
    if reports_no_trial(document):
        # An erratum, editorial, meta-analysis or economic model: every number it prints is another study's.
        return []
    nlp = build_nlp()
    # The rule components read the sentences worked out once per passage directly, in pipeline
    # order (what running each over the passage's Doc gives, without a Doc extension per call).
    components = [proc for _, proc in nlp.pipeline if isinstance(proc, RuleComponent)]
    found: list[EvidenceRecord] = []
    for passage in iter_passages(document):
        sentences = passage_sentences(nlp, passage)
        for component in components:
            found.extend(component.run(sentences))
    if len(nlp.vocab.strings) > MAX_VOCAB_STRINGS:
        # Each paper's numbers and names stay in the vocabulary: past the limit the next paper gets a fresh
        # pipeline, so a process reading any number of papers stays the same size (no Doc outlives a paper).
        build_nlp.cache_clear()
    records = merge_duplicates(found)
    for rule in DOCUMENT_RULES:
        records.extend(rule(document, records))
    records = drop_undosed_printed_with_doses(document, records)
    if is_protocol(document):
        # A study protocol reports no results: its numbers are plans (sample sizes, assumed hazard ratios).
        records = [r for r in records if r.kind in PROTOCOL_KINDS]
    records = annotate_all(records)
    regex_cache.save()  # once per process: the patterns compiled so far, for the next process to make from the file
    return records
