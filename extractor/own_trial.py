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


def is_own_trial(sentence: Sentence) -> bool:
    """True when a sentence may state facts of the paper's own trial."""
    if sentence.section in EXCLUDED_SECTIONS:
        return False
    if sentence.table is not None:
        return True
    return not cites_reference(sentence) and citation_rule(sentence.text) is None


def cites_reference(sentence: Sentence) -> bool:
    """True when a reference marker found by the parser lies inside the sentence."""
    return any(sentence.start <= span.start < sentence.end for span in sentence.doc.citations)
