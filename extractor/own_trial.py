"""Which sentences may give evidence: the paper's own trial, not studies it cites."""

import re
from bisect import bisect_left
from functools import cache

from extractor.patterns import load_rules
from extractor.per_paper import per_paper
from extractor.sentence import Sentence
from schemas import Document

# Sections that describe other work (introduction, discussion) or list it (references).
EXCLUDED_SECTIONS = frozenset({"introduction", "discussion", "references", "back"})
# How many lines above a sentence are searched for the sub-heading of its abstract part.
_MAX_PART_LINES, _MAX_PART_CHARS = 12, 6000


@cache
def _rules() -> dict[str, re.Pattern[str]]:
    """own_trial.yaml regexes by rule id without its version ('own_trial.acronym')."""
    return {r.id.rsplit(".", 1)[0]: r.regex for r in load_rules("own_trial.yaml")}


@cache
def _current_study() -> tuple[re.Pattern[str], ...]:
    return tuple(rule.regex for rule in load_rules("own_trial.yaml") if rule.id.startswith("own_trial.current"))


def citation_rule(text: str) -> str | None:
    """Id of the first citation rule the text matches ('cites other work'), or None."""
    for rule in load_rules("citations.yaml"):
        if rule.search(text):
            return rule.id
    return None


def is_protocol(doc: Document) -> bool:
    """True when the paper is a study protocol, by its subject heading or its title."""
    protocol = _rules()["own_trial.protocol"]
    return any(protocol.search(text) for text in (doc.metadata.article_type or "", doc.metadata.title or ""))


def reports_no_trial(doc: Document) -> bool:
    """True when the paper reports no trial of its own (an erratum, editorial, meta-analysis, economic model...)."""
    rules = _rules()
    return bool(rules["own_trial.not_trial_type"].search(doc.metadata.article_type or "")
                or rules["own_trial.not_trial_title"].search(doc.metadata.title or ""))


def speaks_of_own_trial(text: str) -> bool:
    """True when the text has a cue that it describes this paper's trial ('the current study')."""
    return any(regex.search(text) for regex in _current_study())


def in_abstract_background(sentence: Sentence) -> bool:
    """True for a sentence of a structured abstract's background part ('Background: ...')."""
    if sentence.section != "abstract":
        return False
    text = sentence.doc.text
    line_start = text.rfind("\n", 0, sentence.start) + 1
    background, later_part = _rules()["own_trial.background_part"], _rules()["own_trial.abstract_part"]
    section = sentence.doc.section_at(sentence.start)
    if section is not None and section.title and background.search(section.title):
        return True
    # A paragraph opening "Background:" stays background until a later part's label.
    if background.search(text[line_start : sentence.start + 40]):
        return not later_part.search(text[line_start + 1 : sentence.start + 1])
    return _under_background_heading(text, line_start)


def _under_background_heading(text: str, line_start: int) -> bool:
    """True when the nearest sub-heading above a line of the abstract is a background heading.

    Structured abstracts often print 'Background' on a line of its own with the
    part's paragraphs below it (a parser may leave that line just before the
    abstract section); the next heading-like line, or a paragraph opening with a
    label of its own ('Trial registration: ...', 'Background: ...'), ends it.
    """
    rules = _rules()
    if rules["own_trial.inline_label"].match(text, line_start):
        return False
    lines = text[max(0, line_start - _MAX_PART_CHARS) : line_start].split("\n")
    for line in reversed(lines[-_MAX_PART_LINES:]):
        if not line.strip():
            continue
        if rules["own_trial.heading_line"].search(line):
            return rules["own_trial.background_part"].search(line) is not None
        if rules["own_trial.part_heading"].search(line) or rules["own_trial.inline_label"].match(line):
            return False
    return False


def is_own_trial(sentence: Sentence, trial_facts: bool = False) -> bool:
    """True when a sentence may state facts of the paper's own trial.

    ``trial_facts`` is for extractors of facts that name the trial rather than
    measure it (registry id, phase, design): for them an introduction sentence
    with an own-trial cue and no citation also counts.
    """
    return own_trial_verdicts(sentence)[1 if trial_facts else 0]


def own_trial_verdicts(sentence: Sentence) -> tuple[bool, bool]:
    """is_own_trial of the sentence for every extractor and for the trial-fact extractors, worked out together."""
    introduction = sentence.section == "introduction" or in_abstract_background(sentence)
    if introduction:
        return False, speaks_of_own_trial(sentence.text) and not cites_reference(sentence) and (
            citation_rule(sentence.text) is None)
    if sentence.section in EXCLUDED_SECTIONS:
        return False, False
    if _rules()["own_trial.address_line"].match(sentence.text):
        return False, True
    if sentence.table is not None:
        return True, True
    cited = citation_rule(sentence.text)
    if cites_reference(sentence) or names_other_trial(sentence):
        return False, False
    if cited is None:
        return True, True
    # "A phase 2 trial assessed whether X would improve previously reported responses": a yardstick of
    # earlier results is the only cue of other work, so the sentence still names this trial's phase and design.
    # "On the basis of data from a previous trial, we initiated a phase 1 study": a sentence naming this
    # trial with its phase names its phase and design too.
    yardstick = _rules()["own_trial.attributive_prior"]
    return False, _rules()["own_trial.current_phase"].search(sentence.text) is not None or (
        yardstick.search(sentence.text) is not None and citation_rule(yardstick.sub(" ", sentence.text)) is None)


def names_other_trial(sentence: Sentence) -> bool:
    """True when the sentence names a trial by its acronym ('in the CLL14 trial') that is not this paper's."""
    rules = _rules()
    own = own_trial_names(sentence.doc)
    for match in rules["own_trial.named_trial"].finditer(sentence.text):
        # "UK NCRI AML16": the name is this trial's when any of its words is.
        words = [w for w in match.group("name").split() if not rules["own_trial.not_trial_name"].match(w)]
        if words and not any(w in own for w in words):
            return True
    return False


@per_paper
def own_trial_names(doc: Document) -> frozenset[str]:
    """Acronyms the paper may call its own trial by: those of its title, and of every sentence
    that speaks of this trial ('we conducted a phase 3 trial (AALL1731)'), gives a registry
    number ('MAIA ClinicalTrials.gov number, NCT02252172') or, outside the introduction and
    discussion, reports enrolment ('patients in the UK NCRI AML16 trial ... were randomised')."""
    registry = [r.regex for r in load_rules("registry.yaml")]
    titles = [doc.metadata.title or ""] + [doc.text[s.start : s.end] for s in doc.sections if s.label == "title"]
    rules = _rules()
    own = []
    for section in doc.sections:
        reports = section.label not in EXCLUDED_SECTIONS and section.label != "introduction"
        for line in doc.text[section.start : section.end].split("\n"):
            own += [s for s in rules["own_trial.sentence_break"].split(line) if speaks_of_own_trial(s) or any(
                r.search(s) for r in registry) or (reports and rules["own_trial.enrolment"].search(s))]
    return frozenset(rules["own_trial.acronym"].findall(" ".join(titles + own)))


def cites_reference(sentence: Sentence) -> bool:
    """True when a reference marker found by the parser lies inside the sentence."""
    starts = _citation_starts(sentence.doc)
    first = bisect_left(starts, sentence.start)
    return first < len(starts) and starts[first] < sentence.end


# Sorted reference-marker starts of the documents read lately, by id (each kept with its document,
# so an id is never reused while cached; a few suffice, as papers are read one after another).
_CITATION_STARTS: dict[int, tuple[Document, list[int]]] = {}
_MAX_CITATION_DOCS = 4


def _citation_starts(doc: Document) -> list[int]:
    cached = _CITATION_STARTS.get(id(doc))
    if cached is None or cached[0] is not doc:
        if len(_CITATION_STARTS) >= _MAX_CITATION_DOCS:
            _CITATION_STARTS.clear()
        cached = _CITATION_STARTS[id(doc)] = (doc, sorted(span.start for span in doc.citations))
    return cached[1]
