"""Add-on trials: the drugs the experimental arm of a randomised trial adds to what every arm receives.

"Peri-operative chemotherapy with or without bevacizumab", "sorafenib or placebo", "Addition of
lenalidomide to melphalan", "TE with or without lobaplatin", "R-CHOP plus X versus R-CHOP": such a
trial's arms are a backbone alone and the backbone with the added drugs, so every backbone drug
belongs to both arms (corpus/gold/GUIDE.md: "all doses of all drugs of every arm"). The summary uses
this to list a backbone drug the paper prints once ("All patients received docetaxel 75 mg/m2 ...")
in each arm.

The paper's title and own sections are read; a paper whose sentences name different added drugs
gives none, since a wrong arm is worse than a missing one.
"""

import re
from collections.abc import Iterator

from extractor.components.dosing import (
    DrugMention,
    find_drugs,
    paper_code_names,
    paper_regimens,
    standard_regimens,
)
from extractor.components.regimen import CRUDE_SENTENCE, randomised_paper
from extractor.components.regimen_arms import rule
from extractor.own_trial import EXCLUDED_SECTIONS, own_trial_verdicts
from extractor.per_paper import per_paper
from extractor.sentence import Sentence
from schemas import Document

# How far from "or placebo" the drug compared with it may start or end (a dose may stand between).
_PLACEBO_REACH = 40
# How far after an add-on cue its drug list may run, and before "versus" / after it a side may run.
_LIST_REACH = 80
_SIDE_REACH = 100


@per_paper
def added_drugs(document: Document) -> frozenset[str]:
    """Generic names of the drugs a randomised add-on trial's experimental arm adds, or an empty set
    (not randomised, no add-on shape, or sentences naming different added drugs)."""
    if not randomised_paper(document):
        return frozenset()
    codes = paper_code_names(document) | paper_regimens(document) | standard_regimens(document)
    not_own = rule("regimen.add_on.not_own.v1").regex
    found = set()
    for text in _own_texts(document):
        if ("placebo" not in text.lower() and not _MAY_ADD.search(text)) or not_own.search(text):
            continue
        drugs = find_drugs(text, codes)
        if not drugs:
            continue
        for added in _added(text, drugs):
            if added:
                found.add(added)
    return next(iter(found)) if len(found) == 1 else frozenset()


_MAY_ADD = re.compile(r"without|alone|±|\+/-|addition|adding|versus|\bvs\b|compared", re.IGNORECASE)


def _own_texts(document: Document) -> Iterator[str]:
    """The title and the sentences of the paper's own sections that may speak of its own trial
    (none citing other work: "the addition of gemcitabine to ... is well tolerated (Conte et al, 2001)")."""
    if document.metadata.title:
        yield document.metadata.title
    for section in document.sections:
        if section.label in EXCLUDED_SECTIONS or section.label == "introduction":
            continue
        start = section.start
        for gap in [*CRUDE_SENTENCE.finditer(document.text, section.start, section.end), None]:
            end = section.end if gap is None else gap.start()
            sentence = Sentence(document, section.label, start, end)
            if end > start and own_trial_verdicts(sentence)[0]:
                yield sentence.text
            start = end if gap is None else gap.end()


def _added(text: str, drugs: list[DrugMention]) -> Iterator[frozenset[str]]:
    """Added-drug sets each add-on shape of a sentence names."""
    gap = rule("regimen.arm.optional_gap.v1").regex
    for cue in rule("regimen.arm.optional.v1").regex.finditer(text):
        after = [m for m in drugs if m.start >= cue.end()]
        # The added drug follows the cue closely ("with or without concurrent 30 mg/m2 lobaplatin"); a
        # "±" before a number is a spread ("52.3 ± 7.7").
        if after and gap.match(text[cue.end() : after[0].start]) and not text[cue.end() :].lstrip()[:1].isdigit():
            yield _names(drugs, cue.end(), _bound(text, cue.end()))
    for cue in rule("regimen.add_on.addition.v1").regex.finditer(text):
        yield _names(drugs, cue.start("added"), cue.end("added"))
    for cue in rule("regimen.add_on.placebo.v1").regex.finditer(text):
        if cue.group("before"):
            near = [m for m in drugs if cue.start() - _PLACEBO_REACH <= m.end <= cue.start()
                    and rule("regimen.add_on.dose_gap.v1").regex.match(text[m.end : cue.start()])]
            yield frozenset({near[-1].drug}) if near else frozenset()
        else:
            near = [m for m in drugs if cue.end() <= m.start <= cue.end() + _PLACEBO_REACH
                    and rule("regimen.add_on.dose_gap.v1").regex.match(text[cue.end() : m.start])]
            yield frozenset({near[0].drug}) if near else frozenset()
    cues = list(rule("regimen.add_on.versus.v1").regex.finditer(text))
    if len(cues) == 1 and rule("regimen.cue.randomised_paper.v1").regex.search(text):
        cue = cues[0]
        left_start = max(text.rfind(c, 0, cue.start()) for c in ";:(") + 1
        left = _names(drugs, max(left_start, cue.start() - _SIDE_REACH), cue.start())
        right = _names(drugs, cue.end(), min(_bound(text, cue.end()), cue.end() + _SIDE_REACH))
        for small, large in ((left, right), (right, left)):
            if small and small < large:
                yield large - small


def _bound(text: str, start: int) -> int:
    """Where a drug list that starts at ``start`` ends."""
    end = rule("regimen.add_on.bound.v1").regex.search(text, start)
    return min(end.start() if end else len(text), start + _LIST_REACH)


def _names(drugs: list[DrugMention], start: int, end: int) -> frozenset[str]:
    return frozenset(m.drug for m in drugs if start <= m.start and m.end <= end)
