"""Trial phase and allocation design."""

from collections.abc import Iterator, Sequence
from functools import cache

from extractor.patterns import load_rules
from extractor.prefilter import Prefilter
from extractor.sentence import Sentence
from schemas import Document, EvidenceRecord, TrialDesign, TrialPhase

_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4"}


def _arabic(numeral: str) -> str:
    return _ROMAN.get(numeral.upper(), numeral)


@cache
def _phase_prefilter() -> Prefilter:
    return Prefilter(rule.regex for rule in load_rules("design.yaml") if rule.id.startswith("phase."))


@cache
def _design_prefilter() -> Prefilter:
    return Prefilter(rule.regex for rule in load_rules("design.yaml") if rule.rule.fields.get("design"))


def _future_trial(sentence: Sentence) -> bool:
    """True when the sentence speaks of a trial still to be done ('a phase 3 trial is warranted')."""
    return any(rule.search(sentence.text) for rule in load_rules("design.yaml")
               if rule.rule.fields.get("role") == "not_this_trial")


def extract_phase(sentence: Sentence) -> Iterator[TrialPhase]:
    """Phase stated for a study or trial: '1', '1/2', '2', '2/3', '3' or '4'."""
    if not _phase_prefilter().may_match(sentence.text) or _future_trial(sentence):
        return
    previous = [r.regex for r in load_rules("design.yaml") if r.rule.fields.get("role") == "previous_trial"]
    for rule in load_rules("design.yaml"):
        if not rule.id.startswith("phase.") or rule.rule.fields.get("role"):
            continue
        for match in rule.regex.finditer(sentence.text):
            # "In a previous phase I study ...": an earlier trial's phase (40 characters before it are read).
            if any(p.search(sentence.text[max(0, match.start() - 40) : match.start()]) for p in previous):
                continue
            first, second = _arabic(match.group("first")), match.group("second")
            phase = f"{first}/{_arabic(second)}" if second else first
            if phase in {"1", "1/2", "2", "2/3", "3", "4"}:
                yield TrialPhase(phase=phase, provenance=[sentence.provenance(rule.id, rule.confidence)])


def extract_design(sentence: Sentence) -> Iterator[TrialDesign]:
    """Allocation design: randomized, single-arm or non-randomized comparison."""
    if sentence.table is not None or not _design_prefilter().may_match(sentence.text) or _future_trial(sentence):
        return
    for rule in load_rules("design.yaml"):
        design = rule.rule.fields.get("design")
        if design and rule.search(sentence.text):
            yield TrialDesign(design=design, provenance=[sentence.provenance(rule.id, rule.confidence)])


def infer_phase_one(document: Document, records: Sequence[EvidenceRecord]) -> list[TrialPhase]:
    """A trial that states no phase but calls itself a dose-escalation or dose-finding study, or sets
    out to determine its maximum tolerated dose (in its title, abstract or methods), is phase 1.

    Phase 1 reports, older ones above all, often never print "phase I"; annotators still classify
    them so. The inferred record quotes the sentence it rests on, with the confidence of an inference.
    """
    if any(isinstance(r, TrialPhase) for r in records):
        return []
    rules = load_rules("design.yaml")
    cue = next(r for r in rules if r.rule.fields.get("role") == "infer_phase_one")
    previous = [r.regex for r in rules if r.rule.fields.get("role") == "previous_trial"]
    for section in document.sections:
        if section.label not in _PHASE_ONE_SECTIONS:
            continue
        for match in cue.regex.finditer(document.text, section.start, section.end):
            start, end = _sentence_around(document.text, match.start(), match.end(), section.start, section.end)
            sentence = Sentence(document, section.label, start, end)
            if _future_trial(sentence) or any(p.search(document.text, max(start, match.start() - 40), match.start())
                                              for p in previous):
                continue
            return [TrialPhase(phase="1", provenance=[sentence.provenance(cue.id, cue.confidence)])]
    return []


def _sentence_around(text: str, start: int, end: int, low: int, high: int) -> tuple[int, int]:
    """The rough sentence (bounded by ". " or a line break, within low..high) holding text[start:end]."""
    stops = [i + size for i, size in ((text.rfind(". ", low, start), 2), (text.rfind("\n", low, start), 1)) if i >= 0]
    stop = max(stops, default=low)
    ends = [i + 1 for i in (text.find(". ", end, high), text.find("\n", end, high)) if i >= 0]
    return stop, min(ends, default=high)


# Sections a phase may be inferred from: the paper's own account of its trial.
_PHASE_ONE_SECTIONS = frozenset({"title", "abstract", "methods"})


# Phases whose trials are single-arm unless the paper randomises or names a comparator.
_SINGLE_ARM_PHASES = frozenset({"1", "1/2", "2"})


def infer_single_arm(document: Document, records: Sequence[EvidenceRecord]) -> list[TrialDesign]:
    """A trial that states no design and never mentions randomisation (but as a trial still to be done) is
    single-arm when it is phase 1-2 (the inferred record quotes the phase statement), or when it states no
    phase, names no comparator anywhere and its abstract says its patients received the regimen (the
    record quotes that sentence).

    Such papers often never say "single-arm"; annotators (and meta-analysts) still classify them so. The
    inferred record carries the confidence of an inference.
    """
    if any(isinstance(r, TrialDesign) for r in records):
        return []
    phases = [r for r in records if isinstance(r, TrialPhase)]
    early = [r for r in phases if r.phase in _SINGLE_ARM_PHASES]
    if phases and not early:
        return []
    treated = None if early else _treatment_sentence(document)
    if (not early and treated is None) or _randomised(document):
        return []
    if treated is not None:
        return [TrialDesign(design="single-arm", provenance=[treated.provenance("design.inferred_one_regimen.v1", 0.6)])]
    provenance = early[0].provenance[0].model_copy(update={"rule_id": "design.inferred_from_phase.v1", "confidence": 0.6})
    return [TrialDesign(design="single-arm", provenance=[provenance])]


def _treatment_sentence(document: Document) -> Sentence | None:
    """The abstract sentence saying the trial's patients received or were treated with the regimen
    (role single_arm_cue), when the paper names no comparator anywhere (role comparator)."""
    rules = load_rules("design.yaml")
    cue = next(r for r in rules if r.rule.fields.get("role") == "single_arm_cue")
    comparator = next(r for r in rules if r.rule.fields.get("role") == "comparator")
    if comparator.regex.search(document.text):
        return None
    for section in document.sections:
        if section.label != "abstract":
            continue
        match = cue.regex.search(document.text, section.start, section.end)
        if match is not None:
            start, end = _sentence_around(document.text, match.start(), match.end(), section.start, section.end)
            return Sentence(document, section.label, start, end)
    return None


def _randomised(document: Document) -> bool:
    """Random allocation mentioned anywhere (but of a trial still to be done)."""
    rules = load_rules("design.yaml")
    future = [r.regex for r in rules if r.rule.fields.get("role") == "not_this_trial"]
    for rule in rules:
        if rule.rule.fields.get("blocks") != "single-arm-inference":
            continue
        for match in rule.regex.finditer(document.text):
            # A randomized trial still to be done ("A randomized phase II study is under way") does not
            # make this trial randomized: the sentence around the mention is read for such a cue.
            start, end = _sentence_around(document.text, match.start(), match.end(), 0, len(document.text))
            around = document.text[start:end]
            if not any(f.search(around) for f in future):
                return True
    return False
