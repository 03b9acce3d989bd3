"""Which sentences may give evidence: the paper's own trial, not studies it cites."""

from extractor.patterns import load_rules
from extractor.sentence import Sentence

# Sections that describe other work (introduction, discussion) or list it (references).
EXCLUDED_SECTIONS = frozenset({"introduction", "discussion", "references", "back"})


def citation_rule(text: str) -> str | None:
    """Id of the first citation rule the text matches ('cites other work'), or None."""
    for rule in load_rules("citations.yaml"):
        if rule.regex.search(text):
            return rule.id
    return None


def speaks_of_own_trial(text: str) -> bool:
    """True when the text has a cue that it describes this paper's trial ('the current study')."""
    return any(rule.regex.search(text) for rule in load_rules("own_trial.yaml") if rule.id.startswith("own_trial.current"))


def in_abstract_background(sentence: Sentence) -> bool:
    """True for a sentence of a structured abstract's background part ('Background: ...')."""
    if sentence.section != "abstract":
        return False
    text = sentence.doc.text
    line_start = text.rfind("\n", 0, sentence.start) + 1
    background, later_part = (next(r for r in load_rules("own_trial.yaml") if r.id.startswith(prefix)).regex
                              for prefix in ("own_trial.background_part", "own_trial.abstract_part"))
    section = sentence.doc.section_at(sentence.start)
    if section is not None and section.title and background.search(section.title):
        return True
    # A paragraph opening "Background:" stays background until a later part's label.
    return bool(background.search(text[line_start : sentence.start + 40])) and not later_part.search(
        text[line_start + 1 : sentence.start + 1])


def is_own_trial(sentence: Sentence, trial_facts: bool = False) -> bool:
    """True when a sentence may state facts of the paper's own trial.

    ``trial_facts`` is for extractors of facts that name the trial rather than
    measure it (registry id, phase, design): for them an introduction sentence
    with an own-trial cue and no citation also counts.
    """
    introduction = sentence.section == "introduction" or in_abstract_background(sentence)
    if introduction and trial_facts:
        return speaks_of_own_trial(sentence.text) and not cites_reference(sentence) and (
            citation_rule(sentence.text) is None)
    if sentence.section in EXCLUDED_SECTIONS or introduction:
        return False
    if sentence.table is not None:
        return True
    return not cites_reference(sentence) and citation_rule(sentence.text) is None


def cites_reference(sentence: Sentence) -> bool:
    """True when a reference marker found by the parser lies inside the sentence."""
    return any(sentence.start <= span.start < sentence.end for span in sentence.doc.citations)
