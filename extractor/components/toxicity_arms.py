"""Arms of a paper and the arm phrases of a sentence, for adverse events printed per arm."""

import re
from dataclasses import dataclass

from extractor.components.toxicity_terms import clean_arm, rule
from extractor.per_paper import per_paper
from extractor.sentence import Sentence
from schemas import Document


@dataclass(frozen=True)
class ArmMention:
    """An arm named in a sentence: where, and its label."""

    start: int
    label: str


@per_paper
def paper_arms(document: Document) -> frozenset[str]:
    """Lower-cased arm labels of a paper: table headers 'X (n=N)' and 'in the X arm' phrases.

    Two or more labels make the paper multi-arm: a prose number with no arm named is then skipped.
    """
    return frozenset(label.lower() for label in _labels(document))


def _labels(document: Document) -> set[str]:
    labels: set[str] = set()
    header_label = rule("toxicity.arm.header_label.v1").regex
    for table in document.tables:
        for row in table.rows:
            if not row.header:
                continue
            for cell in row.cells:
                if header_label.match(" ".join(cell.text.split())):
                    label = clean_arm(cell.text)
                    if label:
                        labels.add(label)
    # A title comparing two regimens by their abbreviations: "... (ILF) vs 5-FU, leucovorin and etoposide (ELF)".
    title = document.metadata.title or ""
    for match in rule("toxicity.arm.title_pair.v1").regex.finditer(title):
        labels.update(label for label in (clean_arm(match.group("a")), clean_arm(match.group("b"))) if label)
    # "in the X group" also names subgroups ("in the inhibited group"); only "arm" is kept here.
    for match in rule("toxicity.arm.mention.v1").regex.finditer(document.text):
        if match.group("arm3"):
            labels.add(_lettered(match.group("arm3")))
        elif match.group("arm") and re.search(r"\barms?$", match.group(0), re.IGNORECASE):
            label = clean_arm(match.group("arm"))
            if label:
                labels.add(label)
    return labels


def arm_mentions(sentence: Sentence) -> list[ArmMention]:
    """Arms named in a sentence, left to right.

    'in the X arm' always names an arm; 'allocated X', 'on X', 'related to X' do only
    when X is an arm label of the paper (so 'on day 1' or 'allocated patients' do not).
    """
    known = paper_arms(sentence.doc)
    found: dict[int, ArmMention] = {}
    spans: list[tuple[int, int]] = []
    for match in rule("toxicity.arm.mention.v1").regex.finditer(sentence.text):
        if match.group("arm3"):
            found[match.start()] = ArmMention(match.start(), _lettered(match.group("arm3")))
            spans.append(match.span())
            continue
        label = clean_arm(match.group("arm") or match.group("arm2"))
        if label and (match.group("arm") or label.lower() in known):
            found[match.start()] = ArmMention(match.start(), label)
            spans.append(match.span())
    for match in rule("toxicity.arm.known_mention.v1").regex.finditer(sentence.text):
        label = clean_arm(match.group("arm"))
        taken = any(start <= match.start() < end for start, end in spans)
        if label and label.lower() in known and not taken:
            found[match.start()] = ArmMention(match.start(), label)
    return sorted(found.values(), key=lambda m: m.start)


def _lettered(text: str) -> str:
    """'Arm  B' -> 'arm B', as clean_arm writes a lettered arm of a table header."""
    return clean_arm(text) or text


@dataclass(frozen=True)
class ArmPair:
    """Two arms a sentence names as a pair ("with A versus B"): where, and their labels in order."""

    start: int
    labels: tuple[str, str]


def arm_pairs(sentence: Sentence) -> list[ArmPair]:
    """Pairs of arms named in a sentence, left to right."""
    pairs = []
    for match in rule("toxicity.arm.pair.v1").regex.finditer(sentence.text):
        if match.group("a3"):
            noun = "arm" if match.group("arms").lower().startswith("arm") else "group"
            labels = (f"{noun} {match.group('a3').upper()}", f"{noun} {match.group('b3').upper()}")
        else:
            first = clean_arm(match.group("a") or match.group("a2") or match.group("a4") or match.group("a5")
                              or match.group("a6"))
            second = clean_arm(match.group("b") or match.group("b2") or match.group("b4") or match.group("b5")
                               or match.group("b6"))
            if not first or not second or first.lower() == second.lower():
                continue
            labels = (first, second)
        pairs.append(ArmPair(match.start(), labels))
    return pairs
