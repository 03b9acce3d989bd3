"""Arms a sentence names for its drugs: "A vs B", labels in brackets after an arm's drugs, "A with or
without B", a drug randomised between its doses, bracketed drug lists, colon-labelled lists,
combination arms sharing a drug ("A plus B or A plus C"), and the one arm or part a sentence is about."""

import re
from dataclasses import dataclass, replace
from functools import cache
from itertools import pairwise

from extractor.components.dosing import Dosing, DrugMention, find_drugs, paren_depths
from extractor.components.dosing import rule as dosing_rule
from extractor.numbers import parse_int
from extractor.patterns import CompiledRule, load_rules

# How many words before a bracketed drug list may name its arm.
_LABEL_WORDS = 6


@dataclass(frozen=True)
class ArmLabel:
    """An arm a drug belongs to; ``named`` when the arm is named by this very drug ("sorafenib vs placebo")."""

    label: str
    n: int | None
    rule_id: str
    named: bool = False


# Position of a dosing in the sentence's list -> the arms it belongs to (two for a shared drug).
Arms = dict[int, list[ArmLabel]]


@cache
def rule(rule_id: str) -> CompiledRule:
    """One regimen rule by its id."""
    return next(r for r in load_rules("regimen.yaml") if r.id == rule_id)


def sentence_arms(text: str, dosings: list[Dosing], randomised: bool = True) -> Arms:
    """Arms of the drugs of a sentence, by the first arm shape the sentence has ("A with or without B"
    names two arms only in a randomised paper: elsewhere B is optional in one arm)."""
    if randomised:
        two = _two_comparisons(text, dosings)
        if two:
            return two
    return _one_comparison_arms(text, dosings, randomised)


def _one_comparison_arms(text: str, dosings: list[Dosing], randomised: bool) -> Arms:
    # Labels printed after each arm's drugs come first: in "A 4 mg with B (arm B) or A, B and C (arm C)"
    # the brackets name the arms, and "B (arm B) or A" is no pair of arms.
    return (_labelled_arms(text, dosings) or _choice_arms(text, dosings) or _pair_arms(text, dosings)
            or (_optional_arms(text, dosings) if randomised else {}) or _dose_arms(text, dosings)
            or _block_arms(text, dosings) or _colon_arms(text, dosings)
            or (_combination_arms(text, dosings) if randomised else {}) or _group_arms(text, dosings)
            or _part_arms(text, dosings))


def _two_comparisons(text: str, dosings: list[Dosing]) -> Arms:
    """"104 patients were randomized to A vs B and 104 to C vs B": two randomised comparisons, each read as a
    sentence of its own; an arm of the second named as one of the first is another arm (its own control
    group), labelled with the arms it was compared with ("B (vs C)")."""
    depths = paren_depths(text)
    cue = rule("regimen.arm.second_comparison.v1")
    split = next((m for m in cue.regex.finditer(text) if depths[m.start()] == 0
                  and rule("regimen.cue.randomised_paper.v1").regex.search(text, 0, m.start())), None)
    if split is None:
        return {}
    prefix = str(cue.rule.fields["prefix"])
    shift = split.end() - len(prefix)
    first = [i for i, d in enumerate(dosings) if d.start < split.start()]
    second = [i for i, d in enumerate(dosings) if d.start >= split.end()]
    if not first or not second:
        return {}
    arms_one = _one_comparison_arms(text[: split.start()], [dosings[i] for i in first], True)
    arms_two = _one_comparison_arms(prefix + text[split.end() :], [_shifted(dosings[i], shift) for i in second], True)
    if not arms_one or not arms_two:
        return {}
    seen = {arm.label for labels in arms_one.values() for arm in labels}
    parts = {arm.label for labels in arms_two.values() for arm in labels}
    arms: Arms = {first[j]: labels for j, labels in arms_one.items()}
    for j, labels in arms_two.items():
        arms[second[j]] = [replace(arm, label=f"{arm.label} (vs {' + '.join(sorted(parts - {arm.label}))})")
                           if arm.label in seen and len(parts) > 1 else arm for arm in labels]
    return arms


def _shifted(dosing: Dosing, shift: int) -> Dosing:
    """The dosing with its offsets moved ``shift`` characters left (read in a part of its sentence)."""
    drug = replace(dosing.drug, start=dosing.drug.start - shift, end=dosing.drug.end - shift) if dosing.drug else None
    amount = (replace(dosing.amount, start=dosing.amount.start - shift, end=dosing.amount.end - shift)
              if dosing.amount else None)
    return replace(dosing, drug=drug, amount=amount)


def _pair_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"to A vs B", "received A (n = N) or B (n = M)": one arm per drug (or placebo), shared drugs after."""
    pair_rule = rule("regimen.arm.pair_gap.v1")
    for (a_start, a_end, a_drug), (b_start, b_end, b_drug) in pairwise(_arm_mentions(text, dosings)):
        gap = pair_rule.regex.match(text[a_end:b_start])
        before = text[max(0, a_start - 120) : a_start]
        if gap is None or rule("regimen.arm.combo_after.v1").regex.match(text[b_end:]):
            continue
        # "fulvestrant 500 mg (...) and dovitinib (500 mg) or placebo": the drugs joined before the
        # drug compared with placebo are the backbone both arms receive.
        joined = rule("regimen.arm.combo_before.v1").regex.search(before) is not None
        leading = _leading_backbone(text, dosings, a_start) if joined and b_drug is None else []
        if joined and (not leading or rule("regimen.arm.combo_gap.v1").regex.search(text[a_end:b_start])):
            continue
        first = leading[0].start if leading else a_start
        if not rule("regimen.arm.pair_cue.v1").regex.search(_digits_colon(text[max(0, first - 120) : first])):
            continue
        after_b = rule("regimen.arm.pair_n.v1").regex.match(text[b_end:])
        arm_a = ArmLabel(a_drug.drug if a_drug else "placebo", int(gap.group("n")) if gap.group("n") else None,
                         pair_rule.id, named=True)
        arm_b = ArmLabel(b_drug.drug if b_drug else "placebo", int(after_b.group("n")) if after_b else None,
                         pair_rule.id, named=True)
        shared = rule("regimen.arm.backbone.v1")
        backbone = shared.regex.match(text[b_end:]) is not None
        arms: Arms = {}
        for i, dosing in enumerate(dosings):
            if dosing.drug is None:
                continue
            if dosing.drug is a_drug:
                arms[i] = [arm_a]
            elif dosing.drug is b_drug:
                arms[i] = [arm_b]
            elif backbone and dosing.drug.start > b_end:
                arms[i] = [ArmLabel(arm.label, arm.n, shared.id) for arm in (arm_a, arm_b)]
            elif dosing.drug in leading:
                # A shared drug named without a dose is listed once, as for "A with or without B".
                both = [ArmLabel(arm.label, arm.n, shared.id) for arm in (arm_a, arm_b)]
                arms[i] = both if dosing.amount is not None else both[:1]
        return arms
    return {}


def _combination_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"randomized to A 375 mg/m2 plus B or A 375 mg/m2 plus C": the parts of the clause after the allocation
    words, split at "or"/"versus" outside brackets, are arms when each names a drug, no two the same drugs,
    and a drug is named by its own name in two or more of them (arms of one drug each are "A vs B" pairs).
    An arm is labelled by the abbreviation opening a bracket of its part ("(G-CHOP; every 3 weeks)") or by
    its drugs; a shared drug is each arm's, with or without a dose (measured on the dev gold, unlike the
    "A with or without B" backbone)."""
    mentions = sorted({d.drug.start: d.drug for d in dosings if d.drug is not None}.values(), key=lambda m: m.start)
    if not mentions:
        return {}
    first = mentions[0].start
    clause_start = max(text.rfind(c, 0, first) for c in ";:") + 1
    cue = rule("regimen.arm.pair_cue.v1").regex.search(_digits_colon(text[max(clause_start, first - 120) : first]))
    if cue is None:
        return {}
    depths = paren_depths(text)
    # The clause ends at the first ';' or ':' outside brackets ("(G-CHOP; every 3 weeks)" is the arm's).
    clause_end = next((i for i in range(first, len(text)) if text[i] in ";:" and depths[i] == 0), len(text))
    cuts = [m for m in rule("regimen.arm.combination.v1").regex.finditer(text, first, clause_end) if depths[m.start()] == 0]
    bounds = [first, *(c for m in cuts for c in (m.start(), m.end())), clause_end]
    parts = list(zip(bounds[::2], bounds[1::2], strict=True))
    drugs = [{d.drug.drug for d in dosings if d.drug is not None and start <= d.drug.start < end} for start, end in parts]
    # The shared drug is named by its own name, not by regimen acronyms ("FOLFOX4 or cisplatin plus fluorouracil").
    spans: dict[tuple[int, int], set[str]] = {}
    for m in mentions:
        spans.setdefault((m.start, m.end), set())
    for d in dosings:
        if d.drug is not None:
            spans[(d.drug.start, d.drug.end)].add(d.drug.drug)
    own = [{next(iter(names)) for (start, _), names in spans.items() if lo <= start < hi and len(names) == 1}
           for lo, hi in parts]
    if (len(parts) < 2 or not all(drugs) or len({frozenset(found) for found in drugs}) < len(drugs)
            or not any(sum(name in found for found in own) > 1 for name in set().union(*own))):
        return {}
    rule_id = rule("regimen.arm.combination.v1").id
    labels = [ArmLabel(_part_label(text, start, end, depths) or " + ".join(dict.fromkeys(
        d.drug.drug for d in dosings if d.drug is not None and start <= d.drug.start < end)), None, rule_id)
        for start, end in parts]
    return {i: [label] for i, d in enumerate(dosings) if d.drug is not None
            for (start, end), label in zip(parts, labels, strict=True) if start <= d.drug.start < end}


def _part_label(text: str, start: int, end: int, depths: list[int]) -> str | None:
    """The abbreviation opening a bracket of an arm's part ("... and prednisone (G-CHOP; every 3 weeks)") or
    bracketed at its end ("daunorubicin/ara-C (DA)"), if any."""
    opener, closer = rule("regimen.arm.block_label.v1").regex, rule("regimen.arm.part_acronym.v1").regex
    for i in range(start, end):
        if text[i] == "(" and depths[i] == 1:
            label = opener.match(text[i + 1 : end]) or closer.match(text[i:end])
            if label is not None and not find_drugs(label.group("label")):
                return label.group("label")
    return None


def _leading_backbone(text: str, dosings: list[Dosing], a_start: int) -> list[DrugMention]:
    """The drugs of the clause (since the last ';' or ':') before an arm drug joined to it
    ("received fulvestrant 500 mg (...) and dovitinib")."""
    clause_start = max(text.rfind(";", 0, a_start), text.rfind(":", 0, a_start)) + 1
    drugs = sorted({d.drug.start: d.drug for d in dosings if d.drug is not None and clause_start <= d.drug.start
                    and d.drug.end <= a_start}.values(), key=lambda m: m.start)
    return drugs


def _labelled_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"25 mg exemestane alone (EXE arm) or ... (EXE–COXIB arm)": each label takes the drugs since the one before."""
    label_rule = rule("regimen.arm.trailing_label.v1")
    labels = list(label_rule.regex.finditer(text))
    if len(labels) < 2:
        return {}
    arms: Arms = {}
    previous = 0
    for label in labels:
        if not any(d.drug is not None and previous <= d.drug.start < label.start() for d in dosings):
            # "A with B (arm A) or placebo (arm B)": the placebo arm's drugs are not listed; a pair
            # reads it (A in both arms).
            return {}
        n = parse_int(label.group("n")) if label.group("n") else None
        for i, dosing in enumerate(dosings):
            if dosing.drug is not None and previous <= dosing.drug.start < label.start():
                arms[i] = [ArmLabel(" ".join(label.group("label").split()), n, label_rule.id)]
        previous = label.end()
    return arms


def _choice_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"randomized to A (25 mg/day ...) or IC (B, C, D, or E)": an arm named by a label before a bracketed list
    of two or more drugs without doses (the choices of one arm, not arms of their own), compared with the one
    drug named before it; the drugs of the list are the labelled arm's, the drug before it its own arm's."""
    choice = rule("regimen.arm.choice.v1")
    for start, end in _top_brackets(text):
        inside = [i for i, d in enumerate(dosings) if _inside(d, start, end)]
        before = choice.regex.search(text[max(0, start - 60) : start + 1])
        if len(inside) < 2 or before is None or any(dosings[i].amount is not None for i in inside):
            continue
        cut = max(0, start - 60) + before.start("join")
        firsts = [i for i, d in enumerate(dosings) if d.drug is not None and d.drug.end <= cut]
        drugs = {dosings[i].drug.drug for i in firsts if dosings[i].drug is not None}
        if len(drugs) != 1 or not rule("regimen.arm.pair_cue.v1").regex.search(
                _digits_colon(text[max(0, dosings[firsts[0]].start - 120) : dosings[firsts[0]].start])):
            continue
        (drug,) = drugs
        arms: Arms = {i: [ArmLabel(drug, None, choice.id, named=True)] for i in firsts}
        arms.update({i: [ArmLabel(before.group("label"), None, choice.id, named=True)] for i in inside})
        return arms
    return {}


def _optional_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"A with or without B", "A alone or with B", "A ± B": A's drugs in both arms, B's in the second."""
    cue_rule = rule("regimen.arm.optional.v1")
    drugs = sorted({d.drug.start: d.drug for d in dosings if d.drug is not None}.values(), key=lambda m: m.start)
    for cue in cue_rule.regex.finditer(text):
        clause_start = text.rfind(";", 0, cue.start()) + 1
        clause_end = text.find(";", cue.end())
        clause_end = len(text) if clause_end < 0 else clause_end
        backbone = [m for m in drugs if clause_start <= m.start and m.end <= cue.start()]
        added = [m for m in drugs if cue.end() <= m.start < clause_end]
        if not backbone or not added or not rule("regimen.arm.optional_gap.v1").regex.match(
                text[cue.end() : added[0].start]):
            continue
        # Arms are given, not judged: "X 4 mg with or without Y has encouraging activity" names none.
        if rule("regimen.cue.intervention.v1").regex.search(text[clause_start : backbone[0].start]) is None:
            continue
        alone = " + ".join(dict.fromkeys(m.drug for m in backbone))
        combined = " + ".join(dict.fromkeys([alone, *(m.drug for m in added)]))
        starts = {m.start for m in backbone}, {m.start for m in added}
        arms: Arms = {}
        for i, dosing in enumerate(dosings):
            if dosing.drug is not None and dosing.drug.start in starts[0]:
                # A backbone drug named without a dose is listed once, with the backbone.
                both = [ArmLabel(alone, None, cue_rule.id), ArmLabel(combined, None, cue_rule.id)]
                arms[i] = both if dosing.amount is not None else both[:1]
            elif dosing.drug is not None and dosing.drug.start in starts[1]:
                arms[i] = [ArmLabel(combined, None, cue_rule.id)]
        return arms
    return {}


# How a drug's alternative doses are linked: each an arm when the drug is randomised between them.
_DOSE_ALTERNATIVES = frozenset({"dose.alternative.or.v1", "dose.alternative.list.v1"})


def _dose_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"randomized to X 90 mg/m2 or 60 mg/m2 combined with Y 100 mg/m2": one arm per dose of the randomised
    drug ("X 90 mg/m2", a later dose in the same course with it: "1600 mg ... followed by 800 mg"), and
    the sentence's other drugs in every arm, with or without a dose (the gold lists "combined with
    cytosine arabinoside" in both daunorubicin-dose arms)."""
    cue = rule("regimen.arm.dose_pair.v1")
    reason = dosing_rule("dose.alternative.paren_reason.v1").regex
    first = next((d.drug for d in dosings if d.drug is not None), None)
    if first is None or not cue.regex.search(text[max(0, first.start - 120) : first.start]):
        return {}
    doses = [(i, d) for i, d in enumerate(dosings) if d.drug is first and d.amount is not None]
    # Doses for some of the patients ("or 100 mg/m2 (56-65 years)") are one arm's, not arms.
    if (len({(d.amount.dose, d.amount.unit) for _, d in doses if d.amount}) < 2
            or not any(d.rule_id in _DOSE_ALTERNATIVES for _, d in doses)
            or any(d.amount.dose_max is not None or _for_patients(text[d.amount.end :], reason) for _, d in doses
                   if d.amount)):
        return {}
    arms: Arms = {}
    current: ArmLabel | None = None
    for i, dosing in sorted(doses, key=lambda pair: pair[1].start):
        amount = dosing.amount
        if amount is not None and (current is None or dosing.rule_id in _DOSE_ALTERNATIVES):
            current = ArmLabel(dose_arm_label(first.drug, amount.dose, amount.unit), None, cue.id, named=True)
        if current is not None:
            arms[i] = [current]
    labels = list(dict.fromkeys(arm for found in arms.values() for arm in found))
    for i, dosing in enumerate(dosings):
        if dosing.drug is not None and dosing.drug is not first:
            arms[i] = labels
    return arms


def dose_arm_label(drug: str, dose: float, unit: str) -> str:
    """The label of an arm given one dose of a drug randomised between its doses ("daunorubicin 90 mg/m2")."""
    return f"{drug} {dose:g} {unit}"


def _for_patients(after: str, reason: re.Pattern[str]) -> bool:
    """True when a dose is followed by a bracket or words naming the patients it is for ("(56-65 years)",
    "depending on age")."""
    stripped = after.lstrip()
    if stripped.startswith("("):
        return reason.match(stripped[1:]) is not None
    return rule("regimen.arm.dose_pair_reason.v1").regex.match(stripped) is not None


def _group_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"In group 1, patients received ...", "Group A received X; group B received Y", "the azasetron group
    received X, and the ondansetron group received Y": the one arm a sentence names gets its drugs; when
    its parts (at ';' or at a part opening with an arm that received drugs) name different arms, each
    part's drugs go to the arm it or the part before it names."""
    starts = sorted({0, *(m.start() + 1 for m in re.finditer(";", text)),
                     *(m.start("label") for m in rule("regimen.arm.subject_part.v1").regex.finditer(text))})
    parts = list(pairwise([*starts, len(text)]))
    labels = [_clause_arm(text, dosings, start, end) for start, end in parts]
    if len({label.label.lower() for label in labels if label is not None}) > 1:
        current = None
        arms: Arms = {}
        for (start, end), label in zip(parts, labels, strict=True):
            current = label or current
            for i, dosing in enumerate(dosings):
                if current is not None and dosing.drug is not None and start <= dosing.drug.start < end:
                    arms[i] = [current]
        return arms
    whole = _clause_arm(text, dosings, 0, len(text))
    return {i: [whole] for i, dosing in enumerate(dosings) if dosing.drug is not None} if whole else {}


def _clause_arm(text: str, dosings: list[Dosing], start: int, end: int) -> ArmLabel | None:
    """The one arm a clause names for its drugs, or None."""
    clause = text[start:end]
    subject_rule = rule("regimen.arm.subject.v1")
    subject = subject_rule.regex.match(clause.lstrip(" ,"))
    if subject is not None:
        return ArmLabel(" ".join(subject.group("label").split()), None, subject_rule.id)
    group_rule = rule("regimen.arm.in_group.v1")
    found = list(group_rule.regex.finditer(clause))
    labels = {" ".join(m.group("label").split()) for m in found}
    if len(labels) != 1:
        return None
    label = labels.pop()
    first_drug = min((d.drug.start - start for d in dosings if d.drug is not None and start <= d.drug.start < end),
                     default=len(clause))
    # An arm named after the drugs is theirs only when numbered ("Dose levels of X evaluated in group 2
    # were ..."); "80 receiving X and 57 of those in the GM-CSF arm" compares arms.
    if found[0].start() > first_drug and not rule("regimen.arm.numbered.v1").regex.fullmatch(label):
        return None
    return ArmLabel(label, None, group_rule.id)


def _digits_colon(text: str) -> str:
    """A ratio such as "2:1" is no list colon."""
    return re.sub(r"(?<=\d):(?=\d)", "/", text)


def _arm_mentions(text: str, dosings: list[Dosing]) -> list[tuple[int, int, DrugMention | None]]:
    """Drugs and placebo named in the sentence, as (start, end, drug or None for placebo)."""
    drugs = {d.drug.start: d.drug for d in dosings if d.drug is not None}
    found: list[tuple[int, int, DrugMention | None]] = [(m.start, m.end, m) for m in drugs.values()]
    found += [(m.start(), m.end(), None) for m in re.finditer(r"\bplacebo\b", text, re.IGNORECASE)]
    return sorted(found, key=lambda span: span[0])


def _block_arms(text: str, dosings: list[Dosing]) -> Arms:
    """Bracketed drug lists named by an abbreviation, an acronym or a few words: "EOC (...) or mEOC+P (...)"."""
    blocks = [(s, e) for s, e in _top_brackets(text) if any(_inside(d, s, e) and d.amount for d in dosings)]
    randomised = rule("regimen.cue.randomised.v1").regex.search(text) is not None
    if not blocks or (len(blocks) < 2 and not randomised):
        return {}
    arms: Arms = {}
    previous_end = 0
    for start, end in blocks:
        named = _block_label(text[start + 1 : end], text[previous_end:start])
        previous_end = end
        if named is None:
            continue
        for i, dosing in enumerate(dosings):
            if _inside(dosing, start, end):
                arms[i] = [ArmLabel(named[0], None, named[1])]
        _extended_block(text, dosings, named[0], end, arms)
    return arms


def _extended_block(text: str, dosings: list[Dosing], label: str, block_end: int, arms: Arms) -> None:
    """"DE (docetaxel ..., epirubicin ...) or DE and rh-endostatin (7.5 mg/m2 ...)": a later arm named as
    the block's label plus drugs holds the block's drugs and those drugs."""
    extension = rule("regimen.arm.block_extension.v1")
    match = next((m for m in extension.regex.finditer(text, block_end) if m.group("label").lower() == label.lower()),
                 None)
    if match is None:
        return
    stop = text.find(";", match.end())
    stop = len(text) if stop < 0 else stop
    added = [i for i, d in enumerate(dosings) if d.drug is not None and match.end() <= d.drug.start < stop
             and i not in arms]
    if not added or dosings[added[0]].drug is None or text[match.end() : dosings[added[0]].drug.start].strip():
        return
    combined = " + ".join([label, *dict.fromkeys(d.drug.drug for i, d in enumerate(dosings) if i in added and d.drug)])
    for i in list(arms):
        if any(arm.label == label for arm in arms[i]) and dosings[i].amount is not None:
            # (a drug of the first arm named without a dose is listed once)
            arms[i] = [*arms[i], ArmLabel(combined, None, extension.id)]
    for i in added:
        arms[i] = [ArmLabel(combined, None, extension.id)]


def _top_brackets(text: str) -> list[tuple[int, int]]:
    """(open, close) offsets of the outermost round brackets of a text."""
    depths = paren_depths(text)
    spans, open_at = [], None
    for i, char in enumerate(text):
        if char == "(" and depths[i] == 1:
            open_at = i
        elif char == ")" and depths[i] == 1 and open_at is not None:
            spans.append((open_at, i))
            open_at = None
    return spans


def _inside(dosing: Dosing, start: int, end: int) -> bool:
    return dosing.drug is not None and start < dosing.drug.start < end


def _block_label(content: str, before: str) -> tuple[str, str] | None:
    """(label, rule id) of a bracketed drug list: its opening abbreviation, an acronym or words before it."""
    opening = rule("regimen.arm.block_label.v1").regex.match(content)
    # "(docetaxel: 75 mg/m2, ...)": a drug name opening the list labels its dose, not the arm.
    if opening and not find_drugs(opening.group("label")):
        return opening.group("label"), "regimen.arm.block_label.v1"
    words = " ".join(re.split(r"[,;()]", before)[-1].split()[-_LABEL_WORDS:])
    numbered = rule("regimen.arm.numbered_end.v1").regex.search(words)
    if numbered:
        return " ".join(numbered.group("label").split()), "regimen.arm.numbered_end.v1"
    acronyms = [m.group("label") for m in rule("regimen.arm.acronym.v1").regex.finditer(words)]
    if acronyms:
        return acronyms[-1], "regimen.arm.acronym.v1"
    phrase = rule("regimen.arm.phrase.v1").regex.search(words + " (")
    return (phrase.group("label").lower(), "regimen.arm.phrase.v1") if phrase else None


def _colon_arms(text: str, dosings: list[Dosing]) -> Arms:
    """Colon-labelled drug lists: "courses of DClo: daunorubicin ..., or two courses of DA: ..."."""
    colon_rule = rule("regimen.arm.colon_label.v1")
    labels = list(colon_rule.regex.finditer(text))
    randomised = rule("regimen.cue.randomised.v1").regex.search(text) is not None
    if not labels or (len(labels) < 2 and not randomised):
        return {}
    arms: Arms = {}
    for j, label in enumerate(labels):
        end = labels[j + 1].start() if j + 1 < len(labels) else len(text)
        for i, dosing in enumerate(dosings):
            if dosing.drug is not None and label.end() <= dosing.drug.start < end:
                arms[i] = [ArmLabel(label.group("label"), None, colon_rule.id)]
    return arms


def _part_arms(text: str, dosings: list[Dosing]) -> Arms:
    """"In the phase I part of the study, 10 patients ...": every drug of the sentence belongs to that part."""
    part_rule = rule("regimen.arm.part.v1")
    part = part_rule.regex.match(text)
    if part is None:
        return {}
    label = " ".join(part.group("label").split())
    label = label[0].lower() + label[1:]
    n = parse_int(part.group("n")) if part.group("n") else None
    return {i: [ArmLabel(label, n, part_rule.id)] for i, dosing in enumerate(dosings) if dosing.drug is not None}
