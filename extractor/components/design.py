"""Trial phase and allocation design."""

from collections.abc import Iterator

from extractor.patterns import load_rules
from extractor.sentence import Sentence
from schemas import TrialDesign, TrialPhase

_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def _arabic(numeral: str) -> str:
    return _ROMAN.get(numeral.upper(), numeral)


def extract_phase(sentence: Sentence) -> Iterator[TrialPhase]:
    """Phase stated for a study or trial: '1', '1/2', '2', '2/3', '3' or '4'."""
    for rule in load_rules("design.yaml"):
        if not rule.id.startswith("phase."):
            continue
        for match in rule.regex.finditer(sentence.text):
            first, second = _arabic(match.group("first")), match.group("second")
            phase = f"{first}/{_arabic(second)}" if second else first
            if phase in {"1", "1/2", "2", "2/3", "3", "4"}:
                yield TrialPhase(phase=phase, provenance=[sentence.provenance(rule.id, rule.confidence)])


def extract_design(sentence: Sentence) -> Iterator[TrialDesign]:
    """Allocation design: randomized, single-arm or non-randomized comparison."""
    if sentence.table is not None:
        return
    for rule in load_rules("design.yaml"):
        design = rule.rule.fields.get("design")
        if design and rule.regex.search(sentence.text):
            yield TrialDesign(design=design, provenance=[sentence.provenance(rule.id, rule.confidence)])
