"""Arms and regimens: drug, dose, unit, route, frequency, schedule, and the arm each belongs to.

A sentence gives a regimen record for every drug printed with its dose, and for
drugs named without a dose when the sentence describes the trial's treatment and
prints no dose at all ("we evaluated adding sorafenib to cladribine, ...").
Arms come from the sentence (regimen_arms) or, failing that, from another
sentence of the paper that gives the same drug and dose an arm.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from extractor.components.dose_finding import dose_statements
from extractor.components.dosing import (
    DoseAmount,
    DoseLevels,
    Dosing,
    DrugMention,
    PaperName,
    context_drug,
    find_amounts,
    find_dose_levels,
    find_drugs,
    paper_code_names,
    paper_regimens,
    parse_dosings,
    standard_regimens,
    title_code_names,
)
from extractor.components.dosing import rule as dosing_rule
from extractor.components.regimen_arms import Arms, rule, sentence_arms
from extractor.lexicons import load_yaml
from extractor.own_trial import EXCLUDED_SECTIONS, citation_rule, names_other_trial
from extractor.per_paper import per_paper
from extractor.sentence import Sentence
from schemas import Document, DrugRegimen, EvidenceRecord
from schemas.vocab import DoseKind

# Arm rules that give every drug of a sentence one arm the sentence names (weaker than a comparison).
_ONE_ARM_RULES = frozenset({"regimen.arm.in_group.v1", "regimen.arm.subject.v1", "regimen.arm.part.v1"})
# The arm rule of drugs listed before their arm's bracketed label, and the rules of arms listing their drugs.
_LISTED_ARM = "regimen.arm.trailing_label.v1"
_LISTED_ARMS = frozenset({_LISTED_ARM, "regimen.arm.combination.v1"})
# Sections whose doses do not count as the paper printing a drug's dose.
_NO_DOSE_LOOKUP = frozenset({"references", "back"})
# How far after a drug's name a printed dose is taken as its dose when asking whether the paper prints one.
_DOSE_NEAR = 40
# Sentences of a section for the paper-wide arm index and the add-on reading (rough: they only look for arm shapes).
CRUDE_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|\n")


@dataclass(frozen=True)
class Item:
    """A regimen drug of a sentence: its dosing and arm."""

    dosing: Dosing
    arm: str | None = None
    arm_n: int | None = None
    arm_rule: str | None = None


@dataclass(frozen=True)
class ArmIndex:
    """Arms a paper gives its drugs: (drug, dose, unit) -> (arm, n), drug -> (arm, n), the label
    another sentence gives an arm -> the label it was first given, and arm -> the drugs its sentences
    name for it (with or without a dose)."""

    by_dose: dict[tuple[str, float, str], tuple[str, int | None]]
    by_drug: dict[str, tuple[str, int | None]]
    aliases: dict[str, str]
    named: dict[str, frozenset[str]]


def extract_regimens(sentence: Sentence) -> Iterator[DrugRegimen]:
    """Drugs given in the trial, stated in the sentence or table row, with their doses and arms."""
    title = sentence.doc.metadata.title or ""
    if rule("regimen.cue.first_line.v1").search(sentence.text) and rule("regimen.cue.pretreated_title.v1").search(title):
        # First-line therapy of patients the trial took after it: prior therapy.
        return
    index = paper_arms(sentence.doc)
    # The paper's regimen acronyms ("FCR") and the standard ones it prints undefined ("CMF") stand for
    # their drugs here, not in the dose-finding reading.
    codes = paper_code_names(sentence.doc) | paper_regimens(sentence.doc) | standard_regimens(sentence.doc)
    # The doses the sentence states as an MTD or RP2D, read once for the two uses below.
    statements = dose_statements(sentence.text, paper_code_names(sentence.doc))
    items = _owned_by_statement(statements, sentence_items(
        sentence.text, table_row=sentence.table is not None, codes=codes, randomised=randomised_paper(sentence.doc),
        title_drugs=_title_names(title))) + _mtd_items(sentence, statements)
    if sentence.table is None:
        items += _dlt_dose_items(sentence)
    if sentence.table is None:
        items += _context_levels(sentence) + _study_drug_doses(sentence)
    background = rule("regimen.cue.background_care.v1").search(sentence.text) is not None
    supportive_trial = _supportive_trial(title)
    for item in items:
        dosing, drug, amount = item.dosing, item.dosing.drug, item.dosing.amount
        if drug is None or (background and _background_drug(drug, sentence.doc)):
            continue
        if supportive_trial and not (drug.supportive or drug.drug in _premedication_drugs()):
            # A supportive-care trial's patients get their chemotherapy as background, not from the trial.
            continue
        arm, arm_n = (index.aliases.get(item.arm, item.arm), item.arm_n) if item.arm is not None else _looked_up(index, dosing)
        if item.arm_rule in _ONE_ARM_RULES and not rule("regimen.arm.numbered.v1").regex.fullmatch(arm or ""):
            # An arm a sentence names for all its drugs ("In the control group, ...") is the arm the
            # paper first gave the same dose, when it gave one: one arm is not counted under two names.
            arm, arm_n = next((found for found in [_looked_up(index, dosing)] if found[0] is not None), (arm, arm_n))
        yield DrugRegimen(
            arm=arm, arm_n=arm_n, drug=drug.drug, drug_as_printed=drug.printed,
            dose=amount.dose if amount else None, dose_max=amount.dose_max if amount else None,
            unit=amount.unit if amount else None, route=dosing.route, frequency=dosing.frequency,
            schedule=dosing.schedule, provenance=[sentence.provenance(dosing.rule_id, dosing.confidence)],
        )


def sentence_items(text: str, table_row: bool = False, codes: frozenset[PaperName] = frozenset(),
                   randomised: bool = True, title_drugs: frozenset[str] = frozenset()) -> list[Item]:
    """The regimen drugs of a sentence with the arms it names for them (``codes``: the paper's code names;
    ``randomised``: the paper randomises, so "A with or without B" names two arms; ``title_drugs``: the
    drugs the paper's title names, whose supportive ones are the trial's drugs even without a dose)."""
    parsed = parse_dosings(text, codes)
    dosings = [d for d in parsed if d.drug is not None]
    if not dosings or rule("regimen.cue.formulation.v1").search(text) or rule("regimen.cue.share_given.v1").search(text):
        return []
    arms = sentence_arms(text, dosings, randomised)
    escalation = rule("regimen.cue.escalation.v1")
    levels: list[Item] = []
    labelled = _labelled_level_items(text, dosings)
    if escalation.regex.search(text) or labelled:
        # An escalation sentence gives each dose level it lists ("doses of 75, 100 or 150 mg/m2 of X"),
        # and so does a sentence labelling its doses as levels ("level 1, 35 mg/m2; level 2, 50 mg/m2").
        levels = labelled or _level_items(text, dosings)
        leveled = {item.dosing.drug.drug for item in levels if item.dosing.drug is not None}
        if not leveled:
            # Without a list, a dose printed as the starting dose is the escalated drug's first level.
            levels = [Item(d) for d in dosings if d.amount is not None and _starting(text, d.amount)]
            leveled = {item.dosing.drug.drug for item in levels if item.dosing.drug is not None}
        # Beside a listed escalation the other drugs' doses are fixed partners; without one, every
        # dose of the sentence may be a level reached, so its drugs are kept without a dose, unless the
        # sentence lists what one dose level consisted of ("dose level 1 consisted of A (4 mg ...), B ...").
        if not leveled and not rule("regimen.cue.level_composition.v1").search(text):
            dosings = [replace(d, amount=None, route=None, frequency=None, schedule=None, rule_id=escalation.id,
                               confidence=escalation.confidence) for d in dosings]
    else:
        leveled = set()
    # A sentence printing a dose is about dosing: a drug it names without one has its dose printed
    # elsewhere (or is a partner the sentence only mentions), so it gives no dose-less record.
    dosed = bool(find_amounts(text)) and not escalation.regex.search(text)
    cue = rule("regimen.cue.intervention.v1")
    given = (not table_row and cue.search(text) is not None
             and rule("regimen.cue.laboratory.v1").search(text) is None)
    premedication = [m.span() for m in rule("regimen.cue.premedication.v1").regex.finditer(text)]
    intense = _intensity_named(text, dosings)
    items: list[Item] = []
    for i, dosing in enumerate(dosings):
        labels = arms.get(i, [])
        if dosing.drug is None or not _is_given(text, dosing.drug):
            continue
        if any(start < dosing.drug.start < end for start, end in premedication):
            continue
        if dosing.drug.drug in leveled and not _is_starting_dose(text, dosing, levels):
            continue
        if dosing.amount is None and labels and all(arm.rule_id in _LISTED_ARMS for arm in labels):
            # A drug of an arm listed before its label ("A 4 mg with B (arm B) or A, B and C 400 mg (arm C)")
            # is that arm's drug; named again without its dose it has the one dose the sentence prints for it.
            doses = {(d.amount.dose, d.amount.unit): d for d in dosings if d.drug is not None and d.amount is not None
                     and d.amount.dose_max is None and d.drug.drug == dosing.drug.drug}
            if len(doses) == 1:
                (printed,) = doses.values()
                dosing = replace(dosing, amount=printed.amount, frequency=printed.frequency, route=printed.route,
                                 rule_id=_LISTED_ARM, confidence=rule(_LISTED_ARM).confidence)
        if dosing.amount is None:
            named = [arm for arm in labels if arm.named or arm.rule_id in _LISTED_ARMS]
            prior = rule("regimen.cue.prior_sentence.v1").regex.search(text)
            # "a randomized trial of axitinib versus sorafenib after failure of one prior therapy": the arms
            # named before the prior therapy are the trial's; so are those named after a randomisation that
            # follows it ("Patients who received >=2 prior therapies were randomized to X or IC (A, B or C)").
            if (prior and not (named and (dosing.drug.end <= prior.start() or _randomised_between(
                    text, prior.end(), dosing.drug.start)))) or rule("regimen.cue.context_sentence.v1").search(text):
                continue
            auc = rule("regimen.cue.auc_dose.v1").search(text[dosing.drug.end : dosing.drug.end + 40])
            supportive = dosing.drug.supportive and dosing.drug.drug not in title_drugs
            if supportive or not (named or auc or (given and (not dosed or dosing.drug.start in intense))):
                continue
            if dosing.rule_id != escalation.id:
                arm_rule = rule(named[0].rule_id) if named else cue
                dosing = replace(dosing, rule_id=arm_rule.id, confidence=arm_rule.confidence)
        items.extend([Item(dosing, arm.label, arm.n, arm.rule_id) for arm in labels] or [Item(dosing)])
    items = [end for item in items for end in _range_ends(text, item)]
    respective = _respective_items(text, dosings, arms)
    if respective:
        # "5-fluorouracil and leucovorin (500 and 20 mg m−2, respectively)": each drug its dose.
        given = {item.dosing.drug.start for item in respective if item.dosing.drug is not None}
        items = [item for item in items if item.dosing.drug is None or item.dosing.drug.start not in given] + respective
    # A dose level takes the arms the sentence names for its drug ("Dose levels of X evaluated in group 2 were ...").
    by_start = {d.drug.start: arms.get(i, []) for i, d in enumerate(dosings) if d.drug is not None}
    levels = [Item(level.dosing, arm.label, arm.n, arm.rule_id) if arm else level
              for level in levels for arm in (by_start.get(level.dosing.drug.start, []) if level.dosing.drug else []) or [None]]
    return levels + items


def _randomised_between(text: str, start: int, end: int) -> bool:
    """True when the text between ``start`` and ``end`` says patients were randomised."""
    return rule("regimen.cue.randomised_paper.v1").regex.search(text, start, end) is not None


def _intensity_named(text: str, dosings: list[Dosing]) -> set[int]:
    """Starts of the drugs printed dose-less after an intensity adjective ("high-dose cytarabine and
    methotrexate": both), whose dose a dosed sentence does not print elsewhere."""
    intensity, joint = rule("regimen.cue.dose_intensity.v1").regex, dosing_rule("dose.regimen_acronym.joint.v1").regex
    found: set[int] = set()
    previous: DrugMention | None = None
    for dosing in dosings:
        drug = dosing.drug
        if drug is None or dosing.amount is not None:
            previous = None
            continue
        joined = previous is not None and previous.start in found and joint.match(text[previous.end : drug.start])
        # The adjective may be part of the printed name ("high-dose methotrexate" is a lexicon name).
        if joined or intensity.search(text[max(0, drug.start - 25) : drug.start] + drug.printed):
            found.add(drug.start)
        previous = drug
    return found


def _level_items(text: str, dosings: list[Dosing]) -> list[Item]:
    """One item per dose level of each dose list or range, for the drug printed nearest before it
    (or right after it: "150 mg/m2 of DaunoXome")."""
    drugs = sorted({d.drug.start: d.drug for d in dosings if d.drug is not None}.values(), key=lambda m: m.start)
    items: list[Item] = []
    for group in find_dose_levels(text):
        after = next((m for m in drugs if m.start >= group.end), None)
        before = [m for m in drugs if m.end <= group.start]
        # A list linked to the drug just before it ("dose levels of X from 300 to 600 mg/m2 with Y") is that
        # drug's; "with" after it names a partner then, not the drug escalated.
        linked = bool(before) and (_linked_gap(text[before[-1].end : group.start]) or bool(
            dosing_rule("dose.levels.at_doses_of.v1").regex.search(text[before[-1].end : group.start])))
        joiner = dosing_rule("dose.levels.drug_after.v1").regex.match(text[group.end : after.start]) if after else None
        partner = joiner is not None and dosing_rule("dose.levels.partner_after.v1").regex.search(joiner.group())
        if joiner is not None and not (linked and partner):
            drug = after
        elif before:
            drug = before[-1]
        else:
            continue
        items += [_level_item(drug, amount) for amount in _levels(group)]
    return items


def _linked_gap(gap: str) -> bool:
    """True when the words between a drug and a number link them as the drug and its dose."""
    return bool(dosing_rule("dose.gap.linked.v1").regex.match(gap)) and not dosing_rule("dose.gap.broken.v1").regex.search(gap)


def _labelled_level_items(text: str, dosings: list[Dosing]) -> list[Item]:
    """One item per dose printed right after a level label ("level 1, 35 mg/m2; level 2, 50 mg/m2"), for the
    drug named nearest before the first of them; none unless two or more doses are so labelled, and none
    in a sentence changing doses."""
    label = rule("regimen.cue.level_label.v1").regex
    if rule("regimen.cue.dose_change.v1").search(text):
        return []
    amounts = [a for a in find_amounts(text) if a.dose_max is None and label.search(text[max(0, a.start - 30) : a.start])]
    drugs = [d.drug for d in dosings if d.drug is not None and not d.drug.supportive and amounts
             and d.drug.end <= amounts[0].start]
    if len(amounts) < 2 or not drugs:
        return []
    drug = max(drugs, key=lambda m: m.start)
    return [_level_item(drug, amount) for amount in amounts]


def _levels(group: DoseLevels) -> list[DoseAmount]:
    """One amount per dose level of a list or range."""
    return [replace(group.amount, dose=level, dose_max=None) for level in group.levels]


def _level_item(drug: DrugMention, amount: DoseAmount) -> Item:
    source = dosing_rule("dose.levels.v1")
    return Item(Dosing(drug, amount, None, amount.per, None, source.id, source.confidence))


def _is_starting_dose(text: str, dosing: Dosing, levels: list[Item]) -> bool:
    """True for the printed starting dose of a drug whose escalation levels the sentence lists."""
    amount = dosing.amount
    if amount is None or any(i.dosing.amount is not None and i.dosing.amount.dose == amount.dose for i in levels):
        return False
    return _after_starting(text, amount)


def _context_levels(sentence: Sentence) -> list[Item]:
    """Dose levels of an escalation sentence naming no drug, for the paper's study drug
    ("The starting dose was 600 mg/m2/day with subsequent escalation to 750, 900 and 1100 mg/m2/day.")."""
    text = sentence.text
    codes = paper_code_names(sentence.doc)
    if not rule("regimen.cue.escalation.v1").regex.search(text) or find_drugs(text, codes):
        return []
    drug = context_drug(text, sentence.doc)
    groups = find_dose_levels(text)
    if drug is None or not groups:
        return []
    amounts = [amount for group in groups for amount in _levels(group)]
    listed = {a.dose for a in amounts}
    amounts += [a for a in find_amounts(text) if a.dose_max is None and a.dose not in listed and _after_starting(text, a)]
    return [_level_item(DrugMention(a.start, a.end, drug, drug, False), a) for a in amounts]


def _respective_items(text: str, dosings: list[Dosing], arms: Arms) -> list[Item]:
    """Doses listed for the drugs named just before them, "respectively": the k-th dose the k-th drug's."""
    cue = rule("regimen.cue.respectively.v1")
    found: list[Item] = []
    for group in find_dose_levels(text):
        if group.amount.dose_max is not None or not cue.regex.match(text, group.end):
            continue
        named = sorted({d.drug.start: (i, d) for i, d in enumerate(dosings) if d.drug is not None
                        and d.drug.end <= group.start}.values(), key=lambda pair: pair[1].drug.start if pair[1].drug else 0)
        if len(named) < len(group.levels):
            continue
        chosen = named[-len(group.levels) :]
        if any(d.amount is not None for _, d in chosen):
            continue
        for (i, dosing), level in zip(chosen, group.levels, strict=True):
            amount = replace(group.amount, dose=level)
            given = replace(dosing, amount=amount, frequency=amount.per, rule_id=cue.id, confidence=cue.confidence)
            found.extend([Item(given, arm.label, arm.n, arm.rule_id) for arm in arms.get(i, [])] or [Item(given)])
    return found


def _range_ends(text: str, item: Item) -> list[Item]:
    """"received X from 15 to 285 mg daily": the range's ends are doses given, one item each."""
    amount = item.dosing.amount
    if amount is None or amount.dose_max is None or not rule("regimen.cue.range_levels.v1").regex.search(
            text[max(0, amount.start - 80) : amount.start]):
        return [item]
    return [replace(item, dosing=replace(item.dosing, amount=replace(amount, dose=dose, dose_max=None)))
            for dose in (amount.dose, amount.dose_max)]


def _starting(text: str, amount: DoseAmount) -> bool:
    """True for an amount printed as the starting dose, before it or after it ("4 mg as the initial dose level")."""
    return _after_starting(text, amount) or rule("regimen.cue.starting_dose_after.v1").regex.match(
        text, amount.end) is not None


def _after_starting(text: str, amount: DoseAmount) -> bool:
    """True for an amount printed as the starting dose ("The starting dose was 600 mg/m2/day")."""
    return rule("regimen.cue.starting_dose.v1").search(text[max(0, amount.start - 60) : amount.start]) is not None


def _is_given(text: str, drug: DrugMention) -> bool:
    """False for a drug named as prior therapy, as not given ("without sorafenib") or as measured."""
    before = text[max(0, drug.start - 60) : drug.start]
    return not (rule("regimen.cue.not_given.v1").search(before)
                or rule("regimen.cue.not_drug_after.v1").search(text[drug.end : drug.end + 30])
                or rule("regimen.cue.measured.v1").search(before)
                or dosing_rule("dose.prior_therapy.v1").search(before))


def _study_drug_doses(sentence: Sentence) -> list[Item]:
    """Doses a sentence naming no drug gives patients ("received 4 weekly 1000 mg doses", "were randomized
    to 500 mg"), for the one drug the paper's title names."""
    text = sentence.text
    codes = paper_code_names(sentence.doc)
    if (find_drugs(text, codes) or rule("regimen.cue.escalation.v1").regex.search(text)
            or rule("regimen.cue.prior_sentence.v1").search(text)):
        return []
    drugs = {m.drug for m in find_drugs(sentence.doc.metadata.title or "", codes) if not m.supportive}
    if len(drugs) != 1:
        return []
    drug = drugs.pop()
    given = rule("regimen.cue.dose_given.v1")
    found: list[Item] = []
    listed: set[int] = set()
    for group in find_dose_levels(text):
        # A list of doses given ("37 patients randomly received 3 or 6 mg/kg q3w"): each a dose of the drug.
        if group.amount.dose_max is None and given.regex.search(
                text[max(0, group.start - 40) : group.start] + "\x00" + text[group.amount.end : group.amount.end + 12]):
            found += [_level_item(DrugMention(group.start, group.end, drug, drug, False), amount) for amount in _levels(group)]
            listed.add(group.amount.start)
    for dosing in parse_dosings(text, codes):
        amount = dosing.amount
        if amount is None or dosing.drug is not None or amount.dose_max is not None or amount.start in listed:
            continue
        if not given.regex.search(text[max(0, amount.start - 40) : amount.start] + "\x00" + text[amount.end : amount.end + 12]):
            continue
        mention = DrugMention(amount.start, amount.end, drug, drug, False)
        found.append(Item(replace(dosing, drug=mention, rule_id=given.id, confidence=given.confidence)))
    return found


def reads_cited_methods(sentence: Sentence) -> bool:
    """True for a methods sentence that gives the trial's regimen and cites the regimen's source after its last
    dose ("... fluorouracil 1000 mg m−2 day−1 by continuous infusion from day 1 to day 4 (Al-Sarraf et al, 1997)",
    "Docetaxel (60 mg/m2) and cisplatin (70 mg/m2) were administered on day 1 every 3 weeks [12]."): the
    own-trial filter drops it for its citation, the regimen component reads it.

    Every citation must stand after the last dose, no trial other than the paper's may be named, and the sentence must give the
    regimen (regimen.cue.cited_given.v1) and report no other study's findings (regimen.cue.cited_other_study.v1;
    "as previously described" is no finding).
    """
    if sentence.section != "methods" or sentence.table is not None or names_other_trial(sentence):
        return False
    text = sentence.text
    amounts = find_amounts(text)
    if not amounts:
        return False
    last = amounts[-1].end
    body = text[:last]
    if citation_rule(body) is not None or any(sentence.start <= c.start < sentence.start + last
                                              for c in sentence.doc.citations):
        return False
    pointer = rule("regimen.cue.cited_as_described.v1").regex
    return (rule("regimen.cue.cited_given.v1").search(text) is not None
            and rule("regimen.cue.cited_other_study.v1").search(pointer.sub(" ", text)) is None)


def _owned_by_statement(statements: list[tuple[DoseKind, Dosing, str]], items: list[Item]) -> list[Item]:
    """A dose the sentence states as one drug's MTD or RP2D is that drug's, not the partner's the plain
    reading gave it ("The recommended dose of bortezomib for phase II studies with idarubicin and
    cytarabine is 1.5 mg/m2": bortezomib's 1.5 mg/m2, not cytarabine's)."""
    owners = {dosing.amount.start: dosing.drug for _, dosing, _ in statements
              if dosing.amount is not None and dosing.drug is not None}
    if not owners:
        return items
    owned = []
    for item in items:
        amount, drug = item.dosing.amount, item.dosing.drug
        owner = owners.get(amount.start) if amount is not None else None
        if owner is not None and drug is not None and owner.drug != drug.drug:
            item = replace(item, dosing=replace(item.dosing, drug=owner))
        owned.append(item)
    return owned


def _mtd_items(sentence: Sentence, statements: list[tuple[DoseKind, Dosing, str]]) -> list[Item]:
    """A maximum tolerated dose printed without its drug was given in the trial: the context drug's regimen.
    In a dose-escalation sentence, whose doses are read as levels tried (regimen.cue.escalation.v1), a
    dose the sentence states as its drug's MTD or recommended phase 2 dose was given too ("Based on DLTs at
    the highest dose level, the recommended phase II doses are 200 mg/m2 of X and 50 mg/m2 of Y")."""
    found: list[Item] = []
    escalation = rule("regimen.cue.escalation.v1").search(sentence.text) is not None
    for kind, dosing, _ in statements:
        if dosing.amount is None:
            continue
        if dosing.drug is not None:
            if escalation and dosing.amount.dose_max is None:
                found.append(Item(dosing))
            continue
        drug = context_drug(sentence.text, sentence.doc)
        if kind == "mtd" and drug is not None:
            mention = DrugMention(dosing.amount.start, dosing.amount.end, drug, drug, False)
            found.append(Item(replace(dosing, drug=mention)))
    return found


def _dlt_dose_items(sentence: Sentence) -> list[Item]:
    """Doses at which a sentence reports dose-limiting toxicity seen in the trial ("four DLTs at 5 mg per day",
    "At dose level 3 (800 mg/m2 gemcitabine), one patient had a DLT"): given, whatever the escalation reading
    of the sentence; the drug printed with the dose, else the sentence's one drug or the study drug."""
    text = sentence.text
    if not rule("regimen.cue.dlt_observed.v1").search(text):
        return []
    at_dose = rule("regimen.cue.dlt_at_dose.v1")
    found: list[Item] = []
    for dosing in parse_dosings(text, paper_code_names(sentence.doc)):
        amount = dosing.amount
        if amount is None or amount.dose_max is not None:
            continue
        if not at_dose.regex.search(text[max(0, amount.start - 40) : amount.start]):
            continue
        if dosing.drug is None:
            drug = context_drug(text, sentence.doc)
            if drug is None:
                continue
            dosing = replace(dosing, drug=DrugMention(amount.start, amount.end, drug, drug, False))
        found.append(Item(replace(dosing, rule_id=at_dose.id, confidence=at_dose.confidence)))
    return found


def _background_drug(drug: DrugMention, document: Document) -> bool:
    """True for a supportive or premedication drug (lexicons/background_care.yaml) the paper's title does
    not name: in a sentence about the care around the treatment, it is no drug of the trial's regimen."""
    return ((drug.supportive or drug.drug in _premedication_drugs())
            and drug.drug not in _title_names(document.metadata.title or ""))


def supportive_drug(name: str, document: Document) -> bool:
    """True for the generic name of a supportive drug (lexicons/drugs.tsv: G-CSF, antiemetics, ...) the paper's
    title does not name."""
    mentions = find_drugs(name)
    return bool(mentions) and mentions[0].supportive and name not in _title_names(document.metadata.title or "")


@cache
def _premedication_drugs() -> frozenset[str]:
    return frozenset(load_yaml("background_care.yaml")["drugs"])


@lru_cache(maxsize=64)
def _supportive_trial(title: str) -> bool:
    """True for the title of a supportive-care trial: it names drugs, each a supportive or premedication drug
    ("Azasetron versus ondansetron for delayed emesis"; not "Palonosetron in patients receiving cisplatin"),
    or it names a harm of chemotherapy or patients having chemotherapy and no anticancer drug ("Effects of
    oral health care on chemotherapy-induced oral mucositis")."""
    mentions = find_drugs(title, title_code_names(title))
    supportive = all(m.supportive or m.drug in _premedication_drugs() for m in mentions)
    return supportive and (bool(mentions) or rule("regimen.cue.chemotherapy_harm_title.v1").search(title) is not None)


@lru_cache(maxsize=64)
def _title_names(title: str) -> frozenset[str]:
    """Every drug a paper's title names, supportive ones too (an antiemetic trial's ondansetron)."""
    return frozenset(m.drug for m in find_drugs(title, title_code_names(title)))


def _looked_up(index: ArmIndex, dosing: Dosing) -> tuple[str | None, int | None]:
    """The arm another sentence of the paper gives the same drug and dose (or the same drug), by the
    label the arm was first given."""
    if dosing.drug is None:
        return None, None
    if dosing.amount is None:
        arm, n = index.by_drug.get(dosing.drug.drug, (None, None))
    else:
        arm, n = index.by_dose.get((dosing.drug.drug, dosing.amount.dose, dosing.amount.unit), (None, None))
        if arm is None:
            # "Axitinib was administered at a starting dose of 5 mg twice daily" in a trial of axitinib
            # versus sorafenib: the one arm the paper names by the drug is the dose's.
            # Only where every arm is one drug: arms sharing drugs could hold the dose in any of them.
            single = all(len(drugs) == 1 for drugs in index.named.values()) and len(index.named) > 1
            holding = [label for label, drugs in index.named.items() if drugs == {dosing.drug.drug}]
            arm = holding[0] if single and len(holding) == 1 else None
    return (index.aliases.get(arm, arm) if arm is not None else None), n


def drop_undosed_printed_with_doses(document: Document, records: list[EvidenceRecord]) -> list[EvidenceRecord]:
    """The records without the dose-less regimens of a drug the paper prints a dose for.

    A drug is recorded without a dose only when the paper prints none; when a dose of it is printed
    (found as a record, or a dose within a few words after the drug's name that no rule could
    link), the dose-less record is a reader's miss dressed as a fact.
    """
    regimens = [r for r in records if isinstance(r, DrugRegimen)]
    if not any(r.dose is None for r in regimens):
        return records
    dosed = {r.drug for r in regimens if r.dose is not None} | _drugs_printed_with_doses(document)
    # A drug of an escalation part ("In the phase I part, ... escalating doses of X") is recorded without a
    # dose in that part's arm when no dose of it is that arm's (its doses are levels tried).
    part = rule("regimen.arm.part_label.v1").regex
    escalated = {(r.drug, r.arm) for r in regimens if r.dose is None and r.arm and part.fullmatch(r.arm)}
    escalated -= {(r.drug, r.arm) for r in regimens if r.dose is not None}
    return [r for r in records if not isinstance(r, DrugRegimen) or r.dose is not None or r.drug not in dosed
            or (r.drug, r.arm) in escalated]


def _drugs_printed_with_doses(document: Document) -> set[str]:
    # Every section but the references and back matter: a dose printed in the background of a
    # protocol still says the paper prints one.
    found: set[str] = set()
    codes = paper_code_names(document)
    for section in document.sections:
        if section.label in _NO_DOSE_LOOKUP:
            continue
        for text in CRUDE_SENTENCE.split(document.text[section.start : section.end]):
            amounts = find_amounts(text)
            if not amounts:
                continue
            mentions = find_drugs(text, codes)
            found.update(m.drug for m in mentions if _printed_with_dose(text, m, mentions, amounts))
    return found


def _printed_with_dose(text: str, mention: DrugMention, mentions: list[DrugMention], amounts: list[DoseAmount]) -> bool:
    """True when the sentence prints a dose of the mentioned drug: within a few words after the name with no
    other drug named between ("B, and C 400 mg" is C's), or before it ("100 mg/m2 of cytarabine", "7.5 mg of a
    slow release formulation of leuprorelin"), anywhere in a sentence about the drug's dose ("The dose of X ...
    (>60 mL/min, 4 mg; ...)"), or right after the name where no amount rule reads it ("carfilzomib 20/27 mg/m2")."""
    before_drug = dosing_rule("dose.gap.before_drug.v1").regex
    of_words = rule("regimen.cue.dose_of_words.v1").regex
    for a in amounts:
        if 0 <= a.start - mention.end <= _DOSE_NEAR and not any(
                m.drug != mention.drug and mention.end <= m.start < a.start for m in mentions):
            return True
        if a.end <= mention.start and (before_drug.match(text[a.end : mention.start]) or (
                of_words.match(text[a.end : mention.start])
                and not any(a.end <= m.start < mention.start for m in mentions))):
            return True
    return bool(rule("regimen.cue.dose_of_drug.v1").search(text[max(0, mention.start - 30) : mention.start])
                or rule("regimen.cue.unread_dose_after.v1").search(text[mention.end : mention.end + _DOSE_NEAR]))


@per_paper
def randomised_paper(document: Document) -> bool:
    """True when the paper's title or own sections say its patients were randomised."""
    cue = rule("regimen.cue.randomised_paper.v1").regex
    if cue.search(document.metadata.title or ""):
        return True
    return any(cue.search(document.text, section.start, section.end) for section in document.sections
               if section.label not in EXCLUDED_SECTIONS)


@per_paper
def paper_arms(document: Document) -> ArmIndex:
    """Arms the paper's own-trial sentences name for its drugs, the first naming winning.

    A sentence naming two or more arms whose drugs match, arm by arm, those of arms an earlier
    sentence named (the abstract's "exemestane ± celecoxib", the methods' "(EXE arm)" and
    "(EXE–COXIB arm)") names the same arms: its labels become aliases of the first ones.
    """
    by_dose: dict[tuple[str, float, str], tuple[str, int | None]] = {}
    by_drug: dict[str, tuple[str, int | None]] = {}
    codes = paper_code_names(document) | paper_regimens(document) | standard_regimens(document)
    randomised = randomised_paper(document)
    structures: list[list[tuple[str, frozenset[str]]]] = []
    aliases: dict[str, str] = {}
    named: dict[str, set[str]] = {}
    for section in document.sections:
        if section.label in EXCLUDED_SECTIONS:
            continue
        for text in CRUDE_SENTENCE.split(document.text[section.start : section.end]):
            arms: dict[str, set[str]] = {}
            for item in sentence_items(text, codes=codes, randomised=randomised):
                drug, amount = item.dosing.drug, item.dosing.amount
                if item.arm is None or drug is None:
                    continue
                arms.setdefault(item.arm, set()).add(drug.drug)
                by_drug.setdefault(drug.drug, (item.arm, item.arm_n))
                if amount is not None:
                    by_dose.setdefault((drug.drug, amount.dose, amount.unit), (item.arm, item.arm_n))
            if len(arms) >= 2:
                _align_arms([(label, frozenset(drugs)) for label, drugs in arms.items()], structures, aliases)
                _name_arm_drugs(text, codes, randomised, named)
    resolved: dict[str, set[str]] = {}
    for label, drugs in named.items():
        resolved.setdefault(aliases.get(label, label), set()).update(drugs)
    return ArmIndex(by_dose, by_drug, aliases, {label: frozenset(drugs) for label, drugs in resolved.items()})


def _name_arm_drugs(text: str, codes: frozenset[PaperName], randomised: bool, named: dict[str, set[str]]) -> None:
    """Add the drugs a sentence naming two or more arms names by their own names for each arm (those its
    items list once included; not those a regimen acronym stands for: "FOLFOX4 or cisplatin plus
    fluorouracil" gives fluorouracil to the second arm only, since FOLFOX4's fluorouracil doses differ)."""
    dosings = [d for d in parse_dosings(text, codes) if d.drug is not None]
    spans: dict[tuple[int, int], set[str]] = {}
    for dosing in dosings:
        if dosing.drug is not None:
            spans.setdefault((dosing.drug.start, dosing.drug.end), set()).add(dosing.drug.drug)
    for i, labels in sentence_arms(text, dosings, randomised).items():
        drug = dosings[i].drug
        if drug is None or len(spans[(drug.start, drug.end)]) > 1:
            continue
        for arm in labels:
            named.setdefault(arm.label, set()).add(drug.drug)


def _align_arms(arms: list[tuple[str, frozenset[str]]], structures: list[list[tuple[str, frozenset[str]]]],
                aliases: dict[str, str]) -> None:
    """Alias the labels of a sentence's arms to those of an earlier sentence naming the same arms: as
    many arms, each told apart from the others by the same drugs (the abstract's "sorafenib or
    placebo" and the methods' "Arm A: sorafenib 400 mg ... plus idarubicin ...; Arm B: ...")."""
    for earlier in structures:
        matched = _matching_arms(earlier, arms)
        if matched is not None:
            for first, label in matched:
                if label != first:
                    aliases.setdefault(label, first)
            return
    structures.append(arms)


def _matching_arms(earlier: list[tuple[str, frozenset[str]]],
                   later: list[tuple[str, frozenset[str]]]) -> list[tuple[str, str]] | None:
    """(earlier label, later label) for each arm when the two sentences name the same arms, else None."""
    if len(earlier) != len(later):
        return None
    if [drugs for _, drugs in earlier] == [drugs for _, drugs in later]:
        return [(first, label) for (first, _), (label, _) in zip(earlier, later, strict=True)]
    shared_earlier = frozenset.intersection(*(drugs for _, drugs in earlier))
    shared_later = frozenset.intersection(*(drugs for _, drugs in later))
    own_earlier = {label: drugs - shared_earlier for label, drugs in earlier}
    pairs = []
    for label, drugs in later:
        own = drugs - shared_later
        same = [first for first, first_own in own_earlier.items() if first_own == own]
        if len(same) != 1:
            return None
        pairs.append((same[0], label))
    return pairs if len({first for first, _ in pairs}) == len(pairs) else None
