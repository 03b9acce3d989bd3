"""Dose finding: maximum tolerated / recommended phase 2 dose, and dose-limiting toxicities."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import cast

from extractor.components.dosing import (
    Dosing,
    DrugMention,
    PaperName,
    context_drug,
    find_dose_levels,
    find_drugs,
    paper_code_names,
    paren_depths,
    parse_dosings,
    slash_first,
)
from extractor.components.toxicity_terms import clean_text, grade_band, normalise_term, remove_grades, us_spelling
from extractor.numbers import words_to_int
from extractor.patterns import CompiledRule, load_rules
from extractor.per_paper import per_paper
from extractor.prefilter import Prefilter
from extractor.sentence import Sentence
from schemas import Document, DoseLimitingToxicity, MaximumToleratedDose
from schemas.vocab import DoseKind, GradeBand

# A DLT term longer than this is a phrase the list parser misread, not a toxicity.
_MAX_TERM_WORDS = 5
# How far before a DLT mention an event verb ("developed a DLT") is looked for, in characters.
_EVENT_REACH = 60
_BRACKETED = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
# The rules naming an MTD or RP2D: a sentence states one only where one of them matches.
_MENTIONS = ("mtd.mention.mtd.v1", "mtd.mention.rp2d.v1")
# A bare "recommended dose" names the RP2D only in a dose-finding paper ("RD" only where the paper defines it).
_RECOMMENDED = "mtd.mention.recommended.v1"
_RD = "mtd.mention.rd.v1"
# How much of a paper's text is read as its abstract for dose-finding words.
_ABSTRACT_CHARS = 3000
# Toxicities named around a mention rather than listed after it count only when the AE lexicons know them.
_KNOWN_ONLY = ("dlt.subject.v1", "dlt.adjective.v1", "dlt.as_the.v1", "dlt.named_before.v1")


@dataclass(frozen=True)
class DoseMention:
    """"MTD" or "RP2D" named in a sentence, stating a dose (not negated, not a goal)."""

    start: int
    end: int
    kind: DoseKind
    rule_id: str
    confidence: float
    # "At the MTD of cisplatin 75 mg/m2": a reference-point mention whose dose follows it (mtd.at_stated.v1).
    stated_at: bool = False


@cache
def rule(rule_id: str) -> CompiledRule:
    """One dose-finding rule by its id."""
    return next(r for r in load_rules("dose_finding.yaml") if r.id == rule_id)


@cache
def _prefilter(rule_ids: tuple[str, ...]) -> Prefilter:
    return Prefilter(rule(rule_id).regex for rule_id in rule_ids)


def extract_mtd(sentence: Sentence) -> Iterator[MaximumToleratedDose]:
    """MTD or RP2D stated in the sentence; a dose printed without its drug is the study drug's. A sentence
    giving an earlier study's result (mtd.prior.v1) states none."""
    if rule("mtd.prior.v1").regex.search(sentence.text):
        return
    extra = paper_mentions(sentence.doc)
    codes = paper_code_names(sentence.doc)
    statements = dose_statements(sentence.text, codes, extra)
    if not statements:
        return
    dosed = [d for d in parse_dosings(sentence.text, codes) if d.drug is not None and d.amount is not None]
    for kind, dosing, rule_id in statements:
        amount = dosing.amount
        drug = dosing.drug.drug if dosing.drug is not None else context_drug(sentence.text, sentence.doc)
        if amount is None or drug is None:
            continue
        if dosing.drug is not None and dosing.drug.supportive and not _in_title(dosing.drug.drug, sentence.doc):
            # "The recommended dose of G-CSF was 5 ug/kg": supportive care is no study drug of the paper.
            continue
        if dosing.drug is None and any(d.drug is not None and d.drug.drug == drug and d.amount is not None
                                       and d.amount.start > amount.end for d in dosed):
            # "35 mg/m2 Caelyx on day 1 with 0.5 mg/m2 topotecan": the sentence's one named drug has its own
            # dose printed later, so the dose before it is another drug's (a name the lexicon does not know).
            continue
        mention_rule = rule(rule_id)
        yield MaximumToleratedDose(
            dose_kind=kind, drug=drug, dose=amount.dose, unit=amount.unit, frequency=dosing.frequency,
            provenance=[sentence.provenance(mention_rule.id, min(mention_rule.confidence, dosing.confidence))],
        )


def _in_title(drug: str, document: Document) -> bool:
    """The paper's title names the drug (a supportive-care drug that is the study drug: "dexrazoxane")."""
    title = document.metadata.title or ""
    return any(m.drug == drug for m in find_drugs(title, paper_code_names(document)))


@per_paper
def paper_mentions(document: Document) -> tuple[str, ...]:
    """The mention rules read in this paper beyond _MENTIONS: a bare "recommended dose" in a dose-finding
    paper (its title says phase I, dose escalation or first-in-human, or its abstract names two kinds
    of dose-finding words), and "RD" where the paper defines it."""
    cues = {match.group().lower()[:4] for match in rule("mtd.paper.cue.v1").regex.finditer(document.text[:_ABSTRACT_CHARS])}
    kinds = {"dlt" if cue.startswith(("dlt", "dose-l", "dose l")) else "mtd" if cue.startswith(("maxi", "mtd"))
             else "esc" for cue in cues}
    if not (rule("mtd.paper.title.v1").regex.search(document.metadata.title or "") or len(kinds) >= 2):
        return ()
    return (_RECOMMENDED, _RD) if rule("mtd.paper.rd.v1").regex.search(document.text) else (_RECOMMENDED,)


def dose_statements(text: str, codes: frozenset[PaperName] = frozenset(),
                    extra: tuple[str, ...] = ()) -> list[tuple[DoseKind, Dosing, str]]:
    """(kind, dosing, mention rule id) for every dose the sentence states as its MTD or RP2D (``codes``:
    the paper's code names; ``extra``: the paper's further mention rules, see paper_mentions)."""
    if not _prefilter(_MENTIONS + extra).may_match(text):
        return []
    # A step-up pair's first dose ("MTD ... carfilzomib 20/27 mg/m2") is not the dose stated.
    dosings = [d for d in parse_dosings(text, codes) if d.amount is not None and not slash_first(text, d.amount)]
    found: list[tuple[DoseKind, Dosing, str]] = []
    for mention in _mentions(text, extra):
        stated = (_respectively(text, mention, codes) or _stated_after(text, mention, dosings, codes)
                  or _stated_before(text, mention, dosings))
        for dosing in stated:
            # One dose linked to two mentions ("the MTD and RP2D was ...") is stated once, for the first.
            if all(dosing.amount != other.amount for _, other, _ in found):
                found.append((mention.kind, dosing, mention.rule_id))
    return found


def _mentions(text: str, extra: tuple[str, ...] = ()) -> list[DoseMention]:
    found: list[DoseMention] = []
    for rule_id in _MENTIONS + extra:
        mention_rule = rule(rule_id)
        for match in mention_rule.regex.finditer(text):
            before, after = text[: match.start()], text[match.end() :]
            stated_at = (rule("mtd.at_stated.v1").regex.search(before) is not None
                         and rule("mtd.at_stated.dose.v1").regex.match(after) is not None)
            if (rule("mtd.negated.before.v1").regex.search(before) or rule("mtd.negated.after.v1").regex.search(after)
                    or (rule("mtd.purpose.v1").regex.search(before) and not stated_at)):
                continue
            if rule_id in (_RECOMMENDED, _RD) and (rule("mtd.recommended.label.v1").regex.search(before)
                                                   or any(m.start <= match.start() < m.end for m in found)):
                # A label dose given, or the words of an RP2D mention already read.
                continue
            kind = cast(DoseKind, mention_rule.rule.fields["kind"])
            found.append(DoseMention(match.start(), match.end(), kind, rule_id, mention_rule.confidence, stated_at))
    return sorted(found, key=lambda m: m.start)


def _respectively(text: str, mention: DoseMention, codes: frozenset[PaperName]) -> list[Dosing]:
    """"The MTDs of A and B were 1.5 and 30 mg/m2, respectively", "The MTD was 1.5 and 30 mg/m2 of A and B,
    respectively": the listed doses paired in order with as many drugs named after the mention; with no
    drug named ("The MTDs were 40 and 105 mg/m2 for schedules 1 and 2, respectively") every dose is the
    study drug's."""
    clause = rule("mtd.respectively.v1").regex.match(text[mention.end :])
    if clause is None:
        return []
    end = mention.end + clause.end()
    groups = [g for g in find_dose_levels(text[:end]) if mention.end <= g.start < g.amount.start]
    drugs: list[DrugMention | None] = [
        d for d in find_drugs(text[:end], codes) if d.start >= mention.end and not d.supportive]
    if len(groups) != 1 or len({d.drug for d in drugs if d is not None}) != len(drugs):
        return []
    group = groups[0]
    first = min([group.start] + [d.start for d in drugs if d is not None])
    if not rule("mtd.respectively.link.v1").regex.fullmatch(text[mention.end : first]):
        return []
    if not drugs:
        drugs = [None] * len(group.levels)
    if len(drugs) != len(group.levels):
        return []
    return [Dosing(drug, replace(group.amount, dose=level, dose_max=None), None, group.amount.per, None,
                   "mtd.respectively.v1", rule("mtd.respectively.v1").confidence)
            for drug, level in zip(drugs, group.levels, strict=True)]


def _stated_after(text: str, mention: DoseMention, dosings: list[Dosing],
                  codes: frozenset[PaperName] = frozenset()) -> list[Dosing]:
    """"The MTD of sorafenib was 200 mg/m2 once daily": the first dose after the mention, linked by a verb."""
    after = [d for d in dosings if d.amount is not None and d.amount.start >= mention.end]
    if not after or after[0].amount is None:
        return []
    level = rule("mtd.link.level_list.v1").regex.match(text[mention.end :])
    if level is not None:
        opened = mention.end + level.end()
        depths = paren_depths(text)
        close = next((i for i in range(opened, len(text)) if text[i] in ")]" and depths[i] == depths[opened - 1]),
                     len(text))
        inside = [d for d in after if d.amount is not None and d.amount.end <= close]
        # One dose without its drug is the study drug's ("at dose level 3 (200 mg/m2)").
        return inside if len(inside) == 1 else [d for d in inside if d.drug is not None]
    first = after[0]
    link = rule("mtd.link.after.v1").regex
    gap = text[mention.end : first.amount.start]
    if not link.fullmatch(gap):
        # "The MTD was bendamustine 75 mg/m2 ...": the drug printed between the link and its dose.
        if first.drug is None or first.drug.start < mention.end:
            return []
        gap = text[mention.end : first.drug.start]
        if (re.fullmatch(r"\s+of\s+", gap) and not mention.stated_at) or not link.fullmatch(gap):
            return []
    return [_owner(text, mention, _mention_owner(text, mention, first, codes), codes),
            *_continued(text, first, dosings)]


def _mention_owner(text: str, mention: DoseMention, dosing: Dosing, codes: frozenset[PaperName]) -> Dosing:
    """"The recommended dose of bortezomib for phase II studies with idarubicin and cytarabine is 1.5 mg/m2":
    a dose whose drug is a partner named after the mention ("with ...", mtd.partner_gap.v1) is the drug's
    the mention itself names."""
    if dosing.drug is None or dosing.drug.start < mention.end:
        return dosing
    if not rule("mtd.partner_gap.v1").regex.match(text[mention.end : dosing.drug.start]):
        return dosing
    return _given_to_drug_in(text, mention.start, mention.end, dosing, codes)


def _owner(text: str, mention: DoseMention, dosing: Dosing, codes: frozenset[PaperName]) -> Dosing:
    """"The MTD of docetaxel with gemcitabine is 60 mg/m2": the dose is the drug's named right after
    "MTD of" (a code name of the paper's too: "the MTD of ABT-888 with temozolomide"), not the partner's
    the dose parser gave it."""
    if dosing.amount is None or dosing.drug is None or dosing.drug.start < mention.end:
        return dosing
    named = re.match(r"\s+(?:of|for)\s+", text[mention.end : dosing.amount.start])
    if named is None:
        return dosing
    return _given_to_drug_in(text, mention.end + named.end(), dosing.amount.start, dosing, codes)


def _given_to_drug_in(text: str, start: int, end: int, dosing: Dosing, codes: frozenset[PaperName]) -> Dosing:
    """The dosing given to the first study drug named in text[start:end], when that is another drug."""
    owner = next(iter(find_drugs(text[start:end], codes)), None)
    if owner is None or owner.supportive or dosing.drug is None or owner.drug == dosing.drug.drug:
        return dosing
    return replace(dosing, drug=replace(owner, start=owner.start + start, end=owner.end + start))


def _continued(text: str, first: Dosing, dosings: list[Dosing]) -> list[Dosing]:
    """The doses listed after the first one in the same statement: "MTDs were 200 mg/day on schedule A
    and 100 mg/day on schedule B", "MTD was bendamustine 75 mg/m2 (days 1-2), lenalidomide 10 mg ...,
    and dexamethasone 40 mg"; a dose that starts a new clause ("..., and 600 mg exceeded it") ends the list."""
    found: list[Dosing] = []
    previous = first
    for dosing in dosings:
        if dosing.amount is None or previous.amount is None:
            continue
        # A further dose of the same drug ("50 mg/m2 (schedule A) and 120 mg/m2") starts at its amount.
        start = dosing.amount.start if dosing.drug is not None and dosing.drug.start < previous.amount.end else dosing.start
        if start <= previous.amount.end:
            continue
        gap = text[previous.amount.end : start]
        if not rule("mtd.list.next.v1").regex.fullmatch(gap):
            break
        if rule("mtd.list.clause.v1").regex.match(text[dosing.amount.end :]):
            break
        if rule("mtd.list.fixed_partner.v1").regex.search(text[previous.amount.end : dosing.amount.start]):
            break
        found.append(dosing)
        previous = dosing
    return found


def _stated_before(text: str, mention: DoseMention, dosings: list[Dosing]) -> list[Dosing]:
    """"a regimen including X and Y was declared the RP2D": every dose of the clause before the mention."""
    before = text[: mention.start]
    if not rule("mtd.link.before.v1").regex.search(before):
        return []
    depths = paren_depths(text)
    starts = [m.end() for m in rule("mtd.before.start.v1").regex.finditer(before) if depths[max(m.start(), 0)] == 0]
    clause_start = max(starts, default=0)
    bound = rule("mtd.before.bound.v1").regex
    return [d for d in dosings if d.amount is not None and clause_start <= d.start and d.amount.end <= mention.start
            and not bound.search(text[: d.start])]


def extract_dlts(sentence: Sentence) -> Iterator[DoseLimitingToxicity]:
    """Toxicities named as dose-limiting in the sentence (none where it gives an earlier study's, mtd.prior.v1)."""
    text = sentence.text
    if not _prefilter(("dlt.mention.v1",)).may_match(text) or rule("mtd.prior.v1").regex.search(text):
        return
    seen: set[str] = set()
    for mention in rule("dlt.mention.v1").regex.finditer(text):
        if rule("dlt.negated.v1").regex.search(text[: mention.start()]):
            continue
        purpose = rule("dlt.purpose.v1").regex
        if purpose.search(text[: mention.start()]) or purpose.match(text[mention.end() :]):
            # "to investigate the MTD and DLT of X in patients ...": what the trial set out to find.
            continue
        for rule_id in ("dlt.bracketed.v1", "dlt.list.v1", "dlt.colon.v1"):
            listed = rule(rule_id).regex.match(text[mention.end() :])
            if listed is None:
                continue
            if rule_id == "dlt.colon.v1" and not rule("dlt.colon.event.v1").regex.search(
                    text[max(0, mention.start() - _EVENT_REACH) : mention.start()] + " " + listed.group("lead")):
                continue
            for term, grade in dlt_terms(listed.group("list")):
                if rule_id == "dlt.colon.v1" and not _known(term):
                    continue
                if term not in seen:
                    seen.add(term)
                    yield DoseLimitingToxicity(
                        term=term, grade=grade, provenance=[sentence.provenance(rule_id, rule(rule_id).confidence)],
                    )
            break
    # Toxicities named before the mention or by an adjective count only when the AE lexicons know them.
    for known_rule in map(rule, _KNOWN_ONLY):
        for match in known_rule.regex.finditer(text):
            if rule("dlt.negated.v1").regex.search(text[: match.start()]):
                continue
            for term, grade in dlt_terms(match.group("list")):
                if _known(term) and term not in seen:
                    seen.add(term)
                    yield DoseLimitingToxicity(
                        term=term, grade=grade,
                        provenance=[sentence.provenance(known_rule.id, known_rule.confidence)],
                    )


def dlt_terms(listed: str) -> list[tuple[str, GradeBand | None]]:
    """(term, grade) of a printed list: lower-case terms without grades, counts and bracketed notes."""
    # "one patient at 10 mg/d (grade 3 stomatitis)": the bracketed toxicities stand for the item.
    text = _without_brackets(rule("dlt.item.at_dose.v1").regex.sub(lambda m: m.group("terms"), listed))
    end = rule("dlt.list.end.v1").regex.search(text)
    text = text[: end.start()] if end else text
    if rule("dlt.definition.v1").regex.search(text):
        return []
    terms = []
    # "grade 3 asthenia with grade 2 nausea": a second grade after "with" starts a second toxicity.
    items = re.split(r",|\band\b|\bor\b|/(?=\s*[a-z])|\bwith\s+(?=grade\b)", text)
    for i, item in enumerate(items):
        grade = grade_band(item)
        item = rule("dlt.item.tail.v1").regex.sub("", remove_grades(item).strip())
        lead = rule("dlt.item.lead.v1").regex.match(item.strip())
        item = item.strip()[lead.end() :] if lead else item.strip()
        term = us_spelling(clean_text(item))
        if not term or len(term.split()) > _MAX_TERM_WORDS or re.search(r"[\d%=<>≥≤]|\bdlts?\b", term):
            continue
        if _is_drug(term):
            # "the dose-limiting toxicity of docetaxel": whose toxicity, no toxicity.
            continue
        modifier = rule("dlt.item.modifier.v1").regex.match(term)
        if modifier and _known(term[modifier.end() :]):
            term = term[modifier.end() :]
        if _is_count(term) or (rule("dlt.not_term.v1").regex.search(term) and not _shared_head(term, items[i + 1 :])):
            # "two grade 2 and one grade 3 ocular toxicity": a count whose term is printed later;
            # "of the regimen", "(all hematologic)": no toxicity.
            continue
        terms.append((_shared_head(term, items[i + 1 :]) or term, grade))
    return terms


def distinct_dlts(records: list[DoseLimitingToxicity]) -> list[DoseLimitingToxicity]:
    """The paper's DLT records, one per toxicity: a term the AE lexicons read as one already listed ("increased
    AST" after "increased aspartate aminotransferase", abstract then results) is the same DLT, kept as first printed."""
    seen: set[str] = set()
    kept = []
    for record in records:
        known = normalise_term(record.term)
        key = known.term if known is not None and known.known else record.term.lower()
        if key not in seen:
            seen.add(key)
            kept.append(record)
    return kept


def _known(term: str) -> bool:
    """The AE lexicons know the term, as printed ("prolonged QT interval") or after its course words
    ("transient hypertension")."""
    whole = normalise_term(term)
    if whole is not None and whole.known:
        return True
    modifier = rule("dlt.item.modifier.v1").regex.match(term)
    known = normalise_term(term[modifier.end() :]) if modifier else None
    return known is not None and known.known


def _shared_head(term: str, rest: list[str]) -> str | None:
    """"sensory and motor neuropathy": a lone adjective the lexicons do not know as a term takes the
    head noun of the next item ("sensory neuropathy"); None when the term is no such word."""
    if not rest or _known(term) or not rule("dlt.item.adjective.v1").regex.fullmatch(term):
        return None
    following = us_spelling(clean_text(remove_grades(rest[0])))
    words = following.split()
    if len(words) < 2 or not _known(following):
        return None
    return f"{term} {words[-1]}"


def _is_drug(term: str) -> bool:
    """The term is a drug name and nothing more ("docetaxel", "sorafenib in combination" is not)."""
    return any(m.start == 0 and m.end == len(term) for m in find_drugs(term))


def _is_count(term: str) -> bool:
    """'two', 'one patient', 'several cases': a count, no toxicity."""
    count = re.sub(r"\s+(?:patients?|cases?)$", "", term)
    return count in ("single", "both", "several") or words_to_int(count) is not None


def _without_brackets(text: str) -> str:
    """The text without bracketed notes, innermost first ("rash (n = 2; 1 grade 3 ...)" -> "rash")."""
    previous = None
    while previous != text:
        previous, text = text, _BRACKETED.sub("", text)
    return text
