"""Adverse events by grade band, from sentences and table rows."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from extractor.components.toxicity_arms import ArmMention, arm_mentions, arm_pairs, paper_arms
from extractor.components.toxicity_tables import table_adverse_events
from extractor.components.toxicity_terms import (
    Term,
    clean_arm,
    grade_band,
    grade_spans,
    is_aggregate,
    known_items,
    known_prefix,
    known_suffix,
    normalise_term,
    rule,
)
from extractor.numbers import parse_int, parse_number, words_to_int
from extractor.sentence import Sentence
from schemas import AdverseEvent
from schemas.vocab import GradeBand

# Prose in these sections describes planned grading, not observed events.
_SKIPPED_SECTIONS = frozenset({"methods"})
# Sentences whose numbers are no adverse-event frequencies of the trial's patients: dose-limiting
# toxicities, conditions before treatment, shares of cycles or infusions.
_NOT_EVENT_RULES = ("toxicity.prose.not_adverse_events.v1", "toxicity.prose.baseline.v1",
                    "toxicity.prose.per_administration.v1")
# Where the phrase naming the event of a value group starts: punctuation, or a sentence-ending stop.
_PHRASE_START = re.compile(r"[;:()\[\],]|\.(?!\d)")
# Verbs and conjunctions after which the rest of the phrase is the predicate, not the subject.
_PREDICATE = re.compile(r"\b(?:were|was|are|is|but|than|occurred|developed)\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:no|not|without|nor)\s+$", re.IGNORECASE)
_TRAILING_RELATIVE = re.compile(r"\s+(?:which|that)$", re.IGNORECASE)
_RELATIVE = re.compile(r"^\s*(?:which|that)\s*$", re.IGNORECASE)
_RESPECTIVELY_ASIDE = re.compile(r",\s*respectively\s*,", re.IGNORECASE)
_TEMPORARY = re.compile(r"\btemporar(?:y|ily)\s+(?:\w+\s+)?discontinu", re.IGNORECASE)
# A number printed as a value ("85%", "(12"), and a severity named in words instead of a grade band.
_VALUE = re.compile(r"\d\s*%|[(\[]\s*\d")
_SEVERE = re.compile(r"\b(?:severe|serious)\s+(?:[\w\-]+\s+){0,2}(?:toxicit|adverse|side|events?|complications|aes?\b)",
                     re.IGNORECASE)


@dataclass(frozen=True)
class ProseValue:
    """One value of a prose group: a count and/or percent, with the arm it names, if any."""

    n: int | None
    of: int | None
    percent: float | None
    arm: str | None
    start: int
    # The grade band a bracket prints with the value: "(any grade, 45%; grade 3, 5%)".
    grade: GradeBand | None = None


def extract_adverse_events(sentence: Sentence) -> Iterator[AdverseEvent]:
    """Adverse events of a table row, or of a prose sentence of the paper's own trial."""
    if sentence.table is not None:
        yield from table_adverse_events(sentence)
        return
    text = sentence.text
    if sentence.section in _SKIPPED_SECTIONS or any(rule(r).search(text) for r in _NOT_EVENT_RULES):
        return
    about_events = (rule("toxicity.prose.context.v1").search(text) or _known_subject_occurred(text)
                    or any(_developed(sentence)) or _known_rate_subject(text)
                    or rule("toxicity.prose.counted_deaths.v1").search(text) or _known_subject_valued(text))
    if not about_events:
        return
    seen: set[tuple[object, ...]] = set()
    for record in _prose_records(sentence):
        key = (record.term, record.grade, record.n, record.percent, record.arm)
        if key not in seen:
            seen.add(key)
            yield record


def _known_subject_occurred(text: str) -> bool:
    """A sentence opening with a known AE term that occurred in patients ("Febrile neutropenia
    developed in 8 of 40 patients (20%)") is about adverse events without naming them so."""
    head = _OPENING_CLAUSE.match(text)
    verb = rule("toxicity.prose.occurred_in.v1").regex.search(head.group()) if head else None
    if head is None or verb is None:
        return False
    term = normalise_term(head.group()[: verb.start()])
    return term is not None and term.known


def _known_subject_valued(text: str) -> bool:
    """A sentence opening with a known event and its bracketed values ("Neutropenia (40% vs 30%) and
    anemia (10% vs 5%) were more frequent in arm A")."""
    head = rule("toxicity.prose.valued_opening.v1").regex.match(text)
    term = normalise_term(head.group("term")) if head else None
    return term is not None and term.known and not is_aggregate(term.term)


def _known_rate_subject(text: str) -> bool:
    """A sentence opening with the rate of a known event right before its first value ("The rate of
    febrile neutropenia was 12%", "Treatment-related mortality was 3%")."""
    first = rule("toxicity.prose.value.v1").regex.search(text)
    return first is not None and _rate_subject(text[: first.start()])


def _rate_subject(head: str) -> bool:
    """Whether the words before a value open the sentence with the rate of known events and "was/were",
    the events being the whole subject ("The rate of neutropenia recovery was" names no event)."""
    match = rule("toxicity.prose.rate_subject.v1").regex.match(head)
    if match is None:
        return False
    subject = re.sub(r"\s+(?:rates?|incidences?)$", "", match.group("of") or match.group("subject"), flags=re.IGNORECASE)
    subject = _without_grades(re.sub(r"^(?:the\s+)?(?:patients|subjects|participants)\s+with\s+", "", subject,
                                     flags=re.IGNORECASE))
    return known_items(subject) is not None


# The words of a sentence up to its first "in" (where "... occurred in" may end); an abbreviation
# the sentence defines ("Infusion-related reactions (IRRs) occurred in ...") may stand in them.
_OPENING_CLAUSE = re.compile(r"(?:[^.;:()]|\([A-Za-z\-]{2,10}\))" r"{3,80}?\b(?:in|by)\b")


def _prose_records(sentence: Sentence) -> Iterator[AdverseEvent]:
    deaths = list(_deaths(sentence))
    if deaths:
        yield from deaths
        return
    used: list[tuple[int, int]] = []
    for shape in (_worst_grade, _count_grade_term, _developed, _incidence_of, _stopped_for, _died_of,
                  _percent_term_list, _counted_deaths, _grade_list, _colon_list):
        for record, span in shape(sentence):
            used.append(span)
            yield record
    yield from _value_groups(sentence, used)


def _record(sentence: Sentence, rule_id: str, term: str, grade: GradeBand, arm: str | None,
            n: int | None = None, of: int | None = None, percent: float | None = None) -> AdverseEvent:
    confidence = rule(rule_id).confidence
    return AdverseEvent(arm=arm, term=term, grade=grade, n=n, of=of, percent=percent,
                        provenance=[sentence.provenance(rule_id, confidence)])


def _count(text: str | None) -> int | None:
    return parse_int(text) if text else None


# ---- treatment-related deaths (grade 5)

def _deaths(sentence: Sentence) -> Iterator[AdverseEvent]:
    rule_id = "toxicity.prose.deaths.v1"
    match = rule(rule_id).regex.search(sentence.text)
    if match is None:
        return
    known = paper_arms(sentence.doc)
    rest = match.group("rest")
    parts = list(rule("toxicity.prose.deaths_by_arm.v1").regex.finditer(rest))
    if parts:
        for part in parts:
            arm = clean_arm(part.group("arm"))
            yield from _death_group(sentence, rule_id, _count(part.group("n")), arm, part.group("causes"))
        return
    what = clean_arm(match.group("what"))
    arm = what if what is not None and what.lower() in known else None
    if arm is None and len(known) > 1:
        return
    yield from _death_group(sentence, rule_id, _count(match.group("n")), arm, rest)


def _death_group(sentence: Sentence, rule_id: str, n: int | None, arm: str | None,
                 causes: str) -> Iterator[AdverseEvent]:
    if n:
        yield _record(sentence, rule_id, "treatment-related death", "5", arm, n=n)
    for cause, k in _causes(causes):
        yield _record(sentence, rule_id, cause.term, "5", arm, n=k)


def _causes(text: str) -> Iterator[tuple[Term, int]]:
    each = rule("toxicity.prose.cause_each.v1").regex.search(text)
    if each:
        for item in re.split(r",\s*(?:and\s+)?|;\s*", each.group("list")):
            term = known_items(item)
            if term is not None:
                yield term, 1
    for counted in ("toxicity.prose.cause_count.v1", "toxicity.prose.cause_in_count.v1"):
        for match in rule(counted).regex.finditer(text):
            term, k = known_items(match.group("term")), _count(match.group("k"))
            if term is not None and k:
                yield term, k


# ---- fixed sentence shapes

def _worst_grade(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    rule_id = "toxicity.prose.worst_grade.v1"
    for match in rule(rule_id).regex.finditer(sentence.text):
        grade = grade_band(match.group("gradetext"))
        clear, arm = _arm_for(sentence, match.start())
        if grade is None or not clear:
            continue
        term = "any adverse event (worst grade)" if match.group("worst") else "any adverse event"
        record = _record(sentence, rule_id, term, grade, arm, n=_count(match.group("n")),
                         of=_count(match.group("of")), percent=parse_number(match.group("pct")))
        yield record, match.span()


def _count_grade_term(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    taken: list[tuple[int, int]] = []
    for rule_id in ("toxicity.prose.count_grade_term.v1", "toxicity.prose.count_grade_term_elliptic.v1"):
        for match in _overlapping(rule(rule_id).regex, sentence.text):
            if any(s <= match.start("n") < e for s, e in taken):
                continue
            grade = grade_band(match.group("gradetext"))
            term = known_prefix(match.group("tail"), bounded=True)
            aside = match.groupdict().get("aside")
            shares = _aside_shares(aside, _count(match.group("n"))) if aside else None
            # "20 patients (33%) in the B group experienced grade 3 X": the arm named with the count.
            own = [m for m in arm_mentions(sentence) if match.start("n") < m.start < match.start("gradetext")]
            clear, arm = (True, None) if shares is not None else (True, own[-1].label) if own else _arm_for(
                sentence, match.start())
            if grade is None or term is None or not clear or (aside and shares is None):
                continue
            if rule_id.endswith("elliptic.v1") and _ENDS_WITH_VALUE.search(sentence.text, 0, match.start()):
                # "Ten (20%) and 5 (10%) patients had grade 3 rash": the count is one of a pair of values.
                continue
            if _GRADE_GOES_ON.match(match.group("tail")) or any(
                    s.band for s in grade_spans(sentence.text[match.end("n") : match.start("gradetext")])):
                # "2 (5%) patients developed grade 3 and grade 4 mucositis, respectively": the grade goes on.
                # "Two patients had grade 3, and one had grade 4 neutropenia": the count had the first grade.
                continue
            if rule("toxicity.prose.tail_own_count.v1").regex.match(match.group("tail")):
                # "Four patients ... due to grade 4 neutropenia in 3 patients and angina in 1": the event
                # prints its own count.
                continue
            taken.append((match.start(), match.end("gradetext")))
            pct = match.groupdict().get("pct")
            yield _record(sentence, rule_id, term.term, grade, arm, n=_count(match.group("n")),
                          percent=parse_number(pct) if pct else None), match.span()
            for share_arm, k in shares or []:
                yield _record(sentence, rule_id, term.term, grade, share_arm, n=k), match.span()


def _aside_shares(aside: str, total: int | None) -> list[tuple[str, int]] | None:
    """The arms' shares of a count from the bracket after it: "(2 in the FEC arm and 1 in the PE arm)"
    gives each arm its count, "(2 in each arm)" none; None unless the shares add up to the count, which
    then counts the whole study population."""
    if re.fullmatch(r"\s*\S+\s+in\s+(?:each|both)\s+(?:arms?|groups?)\s*", aside, re.IGNORECASE):
        return []
    shares: list[tuple[str, int]] = []
    for match in rule("toxicity.prose.aside_arm_count.v1").regex.finditer(aside):
        arm, k = clean_arm(match.group("arm")), _count(match.group("k"))
        if arm is None or not k:
            return None
        shares.append((arm, k))
    return shares if len(shares) > 1 and sum(k for _, k in shares) == total else None


_ENDS_WITH_VALUE = re.compile(r"(?:\d\s*%?\s*[)\]]?|\bnone)\s*$", re.IGNORECASE)
_GRADE_GOES_ON = re.compile(r"\s*(?:,\s*)?(?:and|or)\s+(?:grades?\s*)?(?:[1-5]|iv|v|i{1,3})\b", re.IGNORECASE)


def _overlapping(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches of a rule whose tail runs on: the next one is looked for right after this one's grade,
    so "one developed grade 3 X and one had grade 2 Y" yields both."""
    pos = 0
    while (match := regex.search(text, pos)) is not None:
        yield match
        pos = match.end("gradetext")


_AT_LEAST_ONE = re.compile(r"\s*at\s+least\s+(?:one|1)\s*", re.IGNORECASE)
_AT_LEAST_ONE_START = re.compile(r"\s*(?:at\s+least\s+(?:one|1)|any)\s", re.IGNORECASE)
_COUNTED_EVENT_RULES = ("toxicity.prose.count_developed.v1", "toxicity.prose.cases_of.v1")


def _developed(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    """'120 (36%) developed PN', 'There were two cases of pneumonitis': patients counted with a
    known event, of any grade when the sentence grades nothing before it."""
    for rule_id, match in ((r, m) for r in _COUNTED_EVENT_RULES for m in rule(r).regex.finditer(sentence.text)):
        tail = match.group("tail")
        spans = grade_spans(tail)
        # "at least one grade 3 or higher adverse event": the grade the tail opens with is the event's.
        own = spans[0] if spans and spans[0].band and _AT_LEAST_ONE.fullmatch(tail[: spans[0].start]) else None
        if spans and own is None:
            continue
        if own is not None:
            tail = tail[: own.start] + tail[own.end :]
        # The event opens the tail: "one case of subcutaneous hemorrhage" names no known event.
        term = known_prefix(tail, bounded=True, skip=0)
        n = _count(match.group("n"))
        clear, arm = _arm_for(sentence, match.start())
        if term is None or not n or not clear:
            continue
        # "45 patients (90%) experienced at least one AE": adverse events in general, of any grade.
        at_least_one = own is None and _AT_LEAST_ONE_START.match(tail) is not None and not any(
            s.band for s in grade_spans(sentence.text[: match.start()]))
        if is_aggregate(term.term) and (
                (own is None and not at_least_one) or rule("toxicity.prose.aggregate_exclusion.v1").regex.search(tail)):
            continue
        # "..., and there was one episode of febrile neutropenia": a new clause, graded by its own words.
        grade = "any" if at_least_one else own.band if own is not None else _grade_before(
            sentence.text[match.start() :] if rule_id == "toxicity.prose.cases_of.v1" else sentence.text,
            0 if rule_id == "toxicity.prose.cases_of.v1" else match.start())
        if grade is None:
            continue
        pct = match.groupdict().get("pct")
        yield _record(sentence, rule_id, term.term, grade, arm, n=n, of=_count(match.groupdict().get("of")),
                      percent=parse_number(pct) if pct else None), match.span()


def _died_of(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    """Deaths from one known adverse event: that event at grade 5."""
    rule_id = "toxicity.prose.died_of.v1"
    for match in rule(rule_id).regex.finditer(sentence.text):
        term = known_items(match.group("term"))
        n = _count(match.group("n"))
        clear, arm = _arm_for(sentence, match.start())
        # "died of sepsis and pneumonia": two causes share the count; which had how many is not printed.
        if term is None or not n or not clear or (" and " in term.term and n > 1) or term.term.startswith("any "):
            continue
        yield _record(sentence, rule_id, term.term, "5", arm, n=n), match.span()


def _grade_list(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    """'6 (19%) patients developed grade 1, 12 (39%) developed grade 2 and 3 (10%) developed grade 3
    mucositis': the items that name no event take the event closing the list."""
    rule_id = "toxicity.prose.grade_item.v1"
    text = sentence.text
    for match in rule(rule_id).regex.finditer(text):
        end = rule("toxicity.prose.grade_list_end.v1").regex.match(text, match.end())
        term = known_prefix(end.group("tail"), bounded=True, skip=0) if end else None
        grade = grade_band(match.group("gradetext"))
        n = _count(match.group("n"))
        clear, arm = _arm_for(sentence, match.start())
        if term is None or is_aggregate(term.term) or grade is None or not n or not clear:
            continue
        pct = match.group("pct")
        yield _record(sentence, rule_id, term.term, grade, arm, n=n,
                      percent=parse_number(pct) if pct else None), match.span()


def _colon_list(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    """'Opportunistic infections occurred in 3 patients: 2 Pneumocystis carinii pneumonia and 1
    cytomegalovirus retinitis': each event counted after the colon, when the counts add up to the
    patients counted before it and the words before the colon name adverse events (serious ones make
    the items "serious <event>")."""
    rule_id = "toxicity.prose.colon_item.v1"
    text = sentence.text
    head = rule("toxicity.prose.colon_head.v1").regex.match(text)
    if head is None or rule("toxicity.prose.aggregate_exclusion.v1").regex.search(head.group("head")):
        return
    words = head.group("head") + "in"
    verb = rule("toxicity.prose.occurred_in.v1").regex.search(words)
    named = known_suffix(_without_grades(words[: verb.start()] if verb else head.group("head")).strip()) or (
        None if rule("toxicity.prose.aggregate_noun.v1").regex.search(head.group("head")) is None else
        (Term("any adverse event", True), 0))
    total = _count(head.group("n") or head.group("n2"))
    items = [rule(rule_id).regex.match(part) for part in _LIST_SEPARATOR.split(head.group("list"))]
    if named is None or not total or len(items) < 2 or any(item is None for item in items):
        return
    counted = [(normalise_term(item.group("term")), _count(item.group("k"))) for item in items if item is not None]
    if sum(k or 0 for _, k in counted) != total or any(term is None or is_aggregate(term.term) for term, _ in counted):
        return
    grade = _grade_before(text, head.start("list"))
    clear, arm = _arm_for(sentence, head.start("list"))
    if grade is None or not clear:
        return
    serious = rule("toxicity.prose.serious_events.v1").regex.search(head.group("head")) and grade == "any"
    for term, k in counted:
        if term is not None and k:
            name = f"serious {term.term}" if serious else term.term
            yield _record(sentence, rule_id, name, grade, arm, n=k), (head.start("list"), head.end("list"))


def _counted_deaths(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    """'One treatment-related death was observed': treatment-related deaths (grade 5; "three pulmonary
    toxicity-related deaths" are the known event's), of the arm named right after them ("two toxic deaths
    in the A arm") or before them."""
    rule_id = "toxicity.prose.counted_deaths.v1"
    for match in rule(rule_id).regex.finditer(sentence.text):
        n = _count(match.group("n"))
        cause = known_items(match.group("cause")) if match.group("cause") else None
        after = [m for m in arm_mentions(sentence) if match.end() <= m.start <= match.end() + 30]
        clear, arm = (True, after[0].label) if after else _arm_for(sentence, match.start())
        if not n or not clear or (match.group("cause") and (cause is None or is_aggregate(cause.term))):
            continue
        pct = match.group("pct")
        yield _record(sentence, rule_id, cause.term if cause else "treatment-related death", "5", arm, n=n,
                      percent=parse_number(pct) if pct else None), match.span()


def _incidence_of(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    rule_id = "toxicity.prose.incidence_of.v1"
    for match in rule(rule_id).regex.finditer(sentence.text):
        term = known_suffix(match.group("term"))
        grade = grade_band(match.group("gradetext") or "") or "any"
        clear, arm = _arm_for(sentence, match.start())
        # "was 35% in the A group and 12% in the B group", "was 81% and 79%, respectively": values per
        # arm, read as a value group.
        if term is None or not clear or _PER_ARM.match(sentence.text, match.end()) or _NEXT_VALUE.match(
                sentence.text, match.end()):
            continue
        yield _record(sentence, rule_id, term[0].term, grade, arm,
                      percent=parse_number(match.group("pct"))), match.span()


_VALUES_OF_PATIENTS = re.compile(r"[\d.\u00b7]+\s*%\s+(?:of\s+(?:the\s+)?(?:patients|subjects|participants)\s+)?",
                                 re.IGNORECASE)
_NEXT_VALUE = re.compile(r"\s*,?\s+(?:and|vs\.?|versus)\s+[\d.\u00b7]+\s*%", re.IGNORECASE)
_PER_ARM = re.compile(r"\s+(?:of\s+(?:the\s+)?patients\s+)?in\s+the\s+\S+(?:\s+\S+)?\s+(?:arm|group)\b", re.IGNORECASE)


def _stopped_for(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    rule_id = "toxicity.prose.stopped_for.v1"
    text = sentence.text
    colon = text.find(":")
    if colon < 0 or not rule("toxicity.prose.aggregate_noun.v1").regex.search(text[:colon]):
        return
    for match in rule(rule_id).regex.finditer(text, colon):
        term = known_items(match.group("term"))
        grade = _grade_before(text, match.start())
        clear, arm = _arm_for(sentence, match.start())
        if term is None or grade is None or not clear:
            continue
        yield _record(sentence, rule_id, term.term, grade, arm, n=_count(match.group("n"))), match.span()


def _percent_term_list(sentence: Sentence) -> Iterator[tuple[AdverseEvent, tuple[int, int]]]:
    """'grade 3 or 4 cytopenias (42% neutropenia, 5% thrombocytopenia, 3% anemia)': a bracket listing
    known events each led by its percent, of the grade the sentence names before the bracket."""
    rule_id = "toxicity.prose.percent_term_item.v1"
    text = sentence.text
    for open_at, close_at in _brackets(text):
        parts = re.split(r"\s*[,;]\s*|\s+and\s+(?=[\d.\u00b7]+\s*%)", text[open_at + 1 : close_at])
        items = [rule(rule_id).regex.match(part) for part in parts]
        if len(items) < 2 or any(item is None for item in items):
            continue
        terms = [known_items(item.group("term")) for item in items if item is not None]
        grade = _list_grade(text, open_at)
        clear, arm = _arm_for(sentence, open_at)
        if grade is None or not clear or any(term is None or is_aggregate(term.term) for term in terms):
            continue
        if grade == "any" and _SEVERE.search(text[:open_at]):
            # "serious toxicities (12% neutropenia, ...)": severe, of no grade band printed.
            continue
        for item, term in zip(items, terms, strict=True):
            if item is not None and term is not None:
                yield _record(sentence, rule_id, term.term, grade, arm,
                              percent=parse_number(item.group("pct"))), (open_at, close_at + 1)


def _list_grade(text: str, open_at: int) -> GradeBand | None:
    """The grade of the words right before a bracket ("grade 3 or 4 cytopenias (...)"); "any" when the
    sentence grades nothing; None when a grade printed earlier may belong to another list."""
    head = text[:open_at]
    bounds = [m.end() for m in re.finditer(r"[;:()\[\],]|\band\b", head)]
    words = head[bounds[-1] if bounds else 0 :]
    spans = [s for s in grade_spans(words) if s.band is not None]
    if spans and all(_HEDGE.search(words[max(0, s.start - 20) : s.start]) for s in spans):
        # "mostly grade 1 or 2 infections (45% upper respiratory infection, ...)": of every grade.
        return "any"
    if spans:
        return spans[-1].band
    return None if re.search(r"\bgrade", text, re.IGNORECASE) else "any"


_HEDGE = re.compile(r"\b(?:mostly|mainly|predominantly|largely|primarily|generally|usually|mostly\s+of)\s*$", re.IGNORECASE)


def _grade_before(text: str, position: int) -> GradeBand | None:
    """The band of the last grade expression before a position; 'any' when the sentence grades nothing
    up to the end of the position's clause."""
    every = grade_spans(text)
    # "mostly grade 1/2": a hedge says the events were of every grade, mostly these.
    hedged = [s for s in every if _HEDGE.search(text[max(0, s.start - 20) : s.start])]
    # "grade 3 or greater toxicities included 12 hypoxia (38%; 11 were grade 3), 4 hyperbilirubinemia (13%)":
    # a grade inside a bracket that closes before the position grades the earlier item only.
    spans = [s for s in every if s.start < position and s not in hedged and not _closed_between(text, s.start, position)]
    if spans:
        return spans[-1].band
    if hedged and len(hedged) == len(every):
        return "any"
    # "PN was reported by 80% of patients; 10% had grade 3": grades printed in a later clause only are
    # not this value's.
    clause_end = text.find(";", position)
    clause = text[: clause_end if clause_end >= 0 else None]
    # "Infections occurred in 30% of patients (grade >=3, 10%)": a bracket of graded values after the value
    # prints its own ("Rash occurred in 30% (grade 3)" stays unclear).
    clause = clause[:position] + _BRACKETED.sub("", clause[position:])
    if re.search(r"\bgrade", clause, re.IGNORECASE):
        return None
    return "any"


def _closed_between(text: str, start: int, end: int) -> bool:
    """True when a bracket of an earlier item's values open at ``start`` closes before ``end``: more closing
    brackets than opening ones between them, and the bracket holds a value of its own ("(38%; 11 were
    grade 3)"), not only a grade heading a list ("Toxicities (grade 3) included ...")."""
    between = text[start:end]
    if between.count(")") + between.count("]") <= between.count("(") + between.count("["):
        return False
    opened = max(text.rfind("(", 0, start), text.rfind("[", 0, start))
    closed = min((i for i in (text.find(")", start), text.find("]", start)) if i >= 0), default=end)
    return bool(_ITEM_VALUE.search(text[opened + 1 : closed]))


_ITEM_VALUE = re.compile(r"\d\s*%|\d+\s+(?:were|was|had|of)", re.IGNORECASE)


_QUALIFIES = re.compile(r"\s*(?:of\s+(?:the\s+)?(?:patients|pts|subjects|participants)\s*)?", re.IGNORECASE)
_BRACKETED = re.compile(r"[(\[][^()\[\]]*\d\s*%[^()\[\]]*[)\]]")


def _arm_for(sentence: Sentence, position: int) -> tuple[bool, str | None]:
    """(clear, arm): the arm named nearest before a position, None in a one-arm paper; unclear otherwise."""
    mentions = [m for m in arm_mentions(sentence) if m.start < position]
    if mentions:
        return True, mentions[-1].label
    return len(paper_arms(sentence.doc)) < 2, None


# ---- value groups: "diarrhoea (48 [17%] of 276 ... vs 29 [11%] ...)", "rash (47%)"

def _value_groups(sentence: Sentence, used: list[tuple[int, int]]) -> Iterator[AdverseEvent]:
    rule_id = "toxicity.prose.value.v1"
    text = sentence.text
    mentions = arm_mentions(sentence)
    groups = [g for g in _find_groups(text, paper_arms(sentence.doc)) if not any(s <= g[0] < e for s, e in used)]
    if not groups:
        return
    previous_arms: list[str] = []
    arms_follow = bool(mentions) and mentions[0].start > groups[0][0]
    stopped = rule("toxicity.prose.discontinuation.v1").regex.search(text)
    # The event, grade and phrase of the last one-value group read: "for A (43%) and B (50%)".
    last: tuple[Term, GradeBand, str] | None = None
    # The event of the group before, and where its values end: "X occurred in 30% of patients (grade >=3, 10%)".
    before: tuple[Term, int] | None = None
    for start, values in groups:
        phrase = _phrase(text, start)
        ended = stopped is not None and stopped.start() < start
        listed = _respective_list(text, start, len(values)) if not ended and len(values) > 1 and not any(
            v.arm or v.grade for v in values) else None
        if listed is not None:
            # "Grade 3 or 4 neutropenia, anemia and thrombocytopenia occurred in 23%, 3% and 20%, respectively".
            grade = _grade_before(text, start)
            arm_of = _group_arms(sentence, values[:1], previous_arms, mentions, arms_follow)
            if grade is not None and arm_of is not None:
                for value, each in zip(values, listed, strict=True):
                    if value.n or value.percent:
                        yield _record(sentence, rule_id, each.term, grade, arm_of[0], value.n, value.of, value.percent)
            continue
        trailing = _trailing_event(text, values) if not ended and known_suffix(phrase[1]) is None else None
        term = _group_term(text, phrase, start, mentions, ended) if trailing is None else None
        if term is None and trailing is None and before is not None and values[0].grade is not None and _QUALIFIES.fullmatch(
                text, before[1], start):
            # "Infections occurred in 30% of patients (grade >=3, 10%)": the bracket grades the event before it.
            term = before[0]
        before = None
        if term is not None:
            last_value = rule("toxicity.prose.value.v1").regex.match(text, values[-1].start)
            before = (term, last_value.end()) if last_value else None
        if trailing is not None:
            # "31 patients (60%) in arm A and 27 patients (63%) in arm B had grade 3 or 4 related AEs".
            arm_of = _group_arms(sentence, values, previous_arms, mentions, arms_follow,
                                 tuple(s for s, _ in groups if s != start))
            if arm_of is not None:
                for value, arm in zip(values, arm_of, strict=True):
                    if value.n or value.percent:
                        yield _record(sentence, rule_id, trailing[0].term, trailing[1], arm, value.n, value.of,
                                      value.percent)
            continue
        carried = _carried_arm(phrase[1], last[2]) if term is None and last is not None and len(values) == 1 else None
        if last is not None and carried is not None and (values[0].n or values[0].percent) and not values[0].grade:
            # "Neutropenia was most common for G-CHOP (43%) and G-FC (50%)": the second arm's value.
            yield _record(sentence, rule_id, last[0].term, last[1], carried, values[0].n, values[0].of,
                          values[0].percent)
        last = None
        if term is None:
            continue
        if ended and _TEMPORARY.search(text):
            # "temporary discontinuations due to AEs (66 vs. 51%)": interruptions, not discontinuations.
            continue
        if ended:
            term = _leading_to_discontinuation(term)
        if values[0].grade is not None:
            # Values each led by its grade are one event's, in one arm (or each in the arm it names).
            arm_of = [v.arm for v in values] if all(v.arm for v in values) else _group_arms(
                sentence, [replace(values[0], grade=None)], previous_arms, mentions, arms_follow)
            if arm_of is not None:
                for value in values:
                    if value.grade is not None and (value.n or value.percent):
                        yield _record(sentence, rule_id, term.term, value.grade, value.arm or arm_of[0], value.n,
                                      value.of, value.percent)
            continue
        # Treatment-related deaths are grade 5 whatever grade the sentence named before them.
        grade = "5" if term.term == "treatment-related death" else _group_grade(text, phrase, start)
        if grade == "any" and _severe_not_graded(text, start, term):
            serious = rule("toxicity.prose.serious_events.v1").regex.search(text[:start])
            if serious is None or term.term.startswith("serious "):
                continue
            # "Serious AEs included neutropenia (12.7%)": the serious event of that name, of any grade.
            term = Term(f"serious {term.term}", True)
        if grade is None:
            continue
        others = tuple(s for s, _ in groups if s != start)
        pairs = _respective_pairs(text, phrase, start, term.term, grade, values)
        if pairs is not None:
            # "Grade 3 and 4 mucositis occurred, respectively, in 12 (25%) and three (6%) patients";
            # "bilirubin and lipase elevations occurred in 9% and 18% of patients, respectively".
            arm_of = _group_arms(sentence, values[:1], previous_arms, mentions, arms_follow, others)
            if arm_of is not None:
                for value, (each_term, band) in zip(values, pairs, strict=True):
                    if value.n or value.percent:
                        yield _record(sentence, rule_id, each_term, band, arm_of[0], value.n, value.of, value.percent)
            continue
        arms = _group_arms(sentence, values, previous_arms, mentions, arms_follow, others)
        if arms is None:
            continue
        if len(values) > 1:
            previous_arms = [a for a in arms if a is not None]
        shared = _shared_with(text, phrase, start, grade) if len(values) == 1 else None
        last = (term, grade, phrase[1]) if len(values) == 1 else None
        for value, arm in zip(values, arms, strict=True):
            if value.n or value.percent:
                yield _record(sentence, rule_id, term.term, grade, arm, value.n, value.of, value.percent)
                if shared is not None:
                    yield _record(sentence, rule_id, shared[0].term, shared[1], arm, value.n, value.of, value.percent)


def _trailing_event(text: str, values: list[ProseValue]) -> tuple[Term, GradeBand] | None:
    """The known event and grade a verb right after a group's last value names ("... in arm B had grade
    3 or 4 related AEs"), any grade when the sentence grades nothing; None otherwise."""
    last = rule("toxicity.prose.value.v1").regex.match(text, values[-1].start)
    after = rule("toxicity.prose.trailing_predicate.v1").regex.match(text, last.end()) if last else None
    if after is None:
        return None
    term = known_prefix(after.group("tail"), bounded=True, skip=0)
    gradetext = after.group("gradetext")
    if term is None or rule("toxicity.prose.aggregate_exclusion.v1").regex.search(after.group("tail")) or (
            is_aggregate(term.term) and not gradetext and not _AT_LEAST_ONE_START.match(after.group("tail"))):
        # "20 patients (40%) developed AEs": adverse events in general named with no grade, as _developed.
        return None
    grade = grade_band(gradetext) if gradetext else _grade_before(text, values[0].start)
    return (term, grade) if grade is not None else None


def _carried_arm(words: str, before: str) -> str | None:
    """The arm a bare "and B" names when the group before it closed on "for A" ("for G-CHOP (43%) and
    G-FC (50%)"), both words naming no event; None otherwise."""
    second = rule("toxicity.prose.carried_arm.v1").regex.fullmatch(words)
    first = rule("toxicity.prose.first_arm.v1").regex.search(before)
    if second is None or first is None:
        return None
    labels = (first.group("label"), second.group("label"))
    if any(known_suffix(label) is not None or normalise_term(label) is None for label in labels):
        return None
    return clean_arm(labels[1])


def _respective_pairs(text: str, phrase: tuple[int, str], start: int, term: str, grade: GradeBand,
                      values: list[ProseValue]) -> list[tuple[str, GradeBand]] | None:
    """(term, grade band) of each of two unarmed values printed "respectively": one band each ("Grade 3
    and 4 X ... respectively"), else one term each ("X and Y occurred in 9% and 18%, respectively")."""
    if len(values) != 2 or any(v.arm for v in values):
        return None
    bands = _respective_grades(text, phrase, start)
    if bands is not None:
        return [(term, band) for band in bands]
    terms = _respective_terms(text, phrase, start)
    return None if terms is None else [(each.term, grade) for each in terms]


def _respective_grades(text: str, phrase: tuple[int, str], start: int) -> tuple[GradeBand, GradeBand] | None:
    """Two single grades 'grade 3 and 4' naming one event whose two values follow, 'respectively',
    one per grade; None otherwise."""
    if not re.search(r"\brespectively\b", text[max(0, start - 40) : start + 80], re.IGNORECASE):
        return None
    _, words = phrase
    pair = rule("toxicity.prose.respective_grades.v1").regex.search(words)
    if pair is None:
        return None
    first, second = grade_band(f"grade {pair.group('a')}"), grade_band(f"grade {pair.group('b')}")
    if first is None or second is None or first == second:
        return None
    return first, second


def _respective_terms(text: str, phrase: tuple[int, str], start: int) -> tuple[Term, Term] | None:
    """Two events 'A and B' whose values follow 'respectively' (a noun after B may belong to both:
    "bilirubin and lipase elevations"), or None."""
    if not re.search(r"\brespectively\b", text[start : start + 80], re.IGNORECASE):
        return None
    _, words = phrase
    last = known_suffix(words)
    if last is None or not re.search(r"\s+and\s*$", words[: last[1]]):
        return None
    head = re.sub(r"\s+and\s*$", "", words[: last[1]])
    first = known_suffix(head)
    shared = words[last[1] :].split()[-1]
    if len(words[last[1] :].split()) > 1:
        # "lipase elevations": try the first event with the noun of the second.
        first = known_suffix(f"{head} {shared}") or first
    if first is None or first[0].term == last[0].term:
        return None
    return first[0], last[0]


# A list of events "A, B(,) and/or C" closing the clause before a group of values.
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", re.IGNORECASE)


def _respective_list(text: str, start: int, count: int) -> list[Term] | None:
    """The events of a list 'A, B and C' whose values follow, one each, with 'respectively'
    ("neutropenia, anemia and thrombocytopenia occurred in 23%, 3% and 20%, respectively";
    "renal or hepatic toxicities ... in 3% and 22%, respectively": a noun closing the list may
    belong to each item); None unless the list names exactly as many known events as there are values."""
    if not re.search(r"\brespectively\b", text[start : start + 120], re.IGNORECASE):
        return None
    clause_start = max(text.rfind(";", 0, start), text.rfind(":", 0, start)) + 1
    clause = text[clause_start:start]
    occurred = rule("toxicity.prose.occurred_in.v1").regex.search(clause)
    # "Rates of grade >=3 infections and infusion-related reactions were 20% and 17%, respectively".
    rated = rule("toxicity.prose.rate_subject.v1").regex.match(clause) if occurred is None else None
    if occurred is not None:
        clause = clause[: occurred.start()]
    elif rated is not None and rated.group("of"):
        clause = rated.group("of")
    else:
        return None
    items = [item for item in _LIST_SEPARATOR.split(clause) if item.strip()]
    if len(items) < count:
        return None
    last_words = items[-1].split()
    shared = last_words[-1] if len(last_words) > 1 else None
    terms: list[Term] = []
    for position, item in enumerate(items[-count:]):
        found = known_suffix(item)
        if position > 0 and found is not None and item[: found[1]].strip():
            found = None
        if found is None or (shared and position < count - 1 and len(item.split()) == 1):
            with_noun = known_suffix(f"{item} {shared}") if shared else None
            found = with_noun if with_noun is not None and not f"{item} {shared}"[: with_noun[1]].strip() else found
        if found is None or is_aggregate(found[0].term):
            return None
        terms.append(found[0])
    before = items[-count - 1] if len(items) > count else ""
    if known_suffix(before) is not None or len({t.term for t in terms}) < count:
        return None
    return terms


# "... occurred in 8 (31%) patients each": the count belongs to each event named before it.
_EACH = re.compile(r"^[^.;]{0,40}?\b(?:patients|subjects|participants|cases)?\s*each\b", re.IGNORECASE)


def _shared_with(text: str, phrase: tuple[int, str], start: int, grade: GradeBand) -> tuple[Term, GradeBand] | None:
    """The first of two events 'A and B occurred in N patients each', with its grade band."""
    if not _EACH.match(text[start:]):
        return None
    _, words = phrase
    last = known_suffix(words)
    if last is None:
        return None
    head = words[: last[1]].rstrip()
    spans = grade_spans(head)
    own = spans[-1] if spans and spans[-1].end == len(head) else None
    if own is not None:
        # "grade 3 rash and grade 3 diarrhea": the second event's own grade is no part of the first.
        head = head[: own.start].rstrip()
    if not re.search(r"\s+and$", head):
        return None
    head = re.sub(r"\s+and$", "", head)
    first = known_suffix(head)
    if first is None:
        return None
    bands = [s.band for s in grade_spans(head) if s.band is not None]
    return first[0], bands[-1] if bands else grade


def _find_groups(text: str, known: frozenset[str] = frozenset()) -> list[tuple[int, list[ProseValue]]]:
    """Bracketed groups holding only values (or values each naming one of the paper's arms, ``known``),
    bare 'N [P%] vs N [P%]' pairs, and values after 'occurred in', left to right."""
    value_regex = rule("toxicity.prose.value.v1").regex
    occurred = rule("toxicity.prose.occurred_in.v1").regex
    found: list[tuple[int, list[ProseValue]]] = []
    spans: list[tuple[int, int]] = []
    for match in value_regex.finditer(text):
        # A group opening a bracket is read whole by the bracket pass below.
        if any(s <= match.start() < e for s, e in spans) or text[: match.start()].rstrip().endswith(("(", "[")):
            continue
        values, end = _parse_values(text[match.start() :], match.start(), whole=False)
        if values and (len(values) > 1 or occurred.search(text[: match.start()]) or _ELLIPTIC_CLAUSE.search(
                text[: match.start()]) or _rate_subject(text[: match.start()]) or _graded_comma_clause(
                text[: match.start()])):
            found.append((match.start(), values))
            spans.append((match.start(), end))
    for open_at, close_at in _brackets(text):
        if any(s <= open_at < e for s, e in spans):
            continue
        content = rule("toxicity.prose.group_p_value.v1").regex.sub("", text[open_at + 1 : close_at])
        # "(16 vs. 11%)": the percent sign printed once stands for both values.
        content = rule("toxicity.prose.shared_percent.v1").regex.sub(r"\g<first>%\g<rest>", content)
        values, _ = _parse_values(content, open_at + 1)
        count = rule("toxicity.prose.count_of_before_bracket.v1").regex.search(text, 0, open_at) or rule(
            "toxicity.prose.count_before_bracket.v1").regex.search(text, 0, open_at)
        if values and count is not None and len(values) == 1 and values[0].n is None:
            # "65 (31%)": the bracket holds the percent of the count printed before it.
            with_count, _ = _parse_values(text[count.start() : close_at + 1], count.start())
            values = with_count or values
        values = (values or _graded_values(content, open_at + 1) or _armed_values(content, open_at + 1, known)
                  or _labelled_values(content, open_at + 1, known) or _slashed_values(text, content, open_at + 1)
                  or _graded_arm_values(content, open_at + 1, known))
        if values:
            found.append((open_at, values))
    return sorted(found, key=lambda g: g[0])


def _graded_arm_values(content: str, offset: int, known: frozenset[str]) -> list[ProseValue]:
    """"(all grades: G-CHOP, 68%; G-FC, 82%)": one grade band for values each led by its arm (an arm of
    the paper, or a lettered one); [] otherwise."""
    led = rule("toxicity.prose.grade_led_bracket.v1").regex.match(content)
    band = grade_band(led.group("grade")) if led else None
    if led is None or band is None:
        return []
    found: list[ProseValue] = []
    rest_at = led.start("rest")
    for part in re.split(r"\s*;\s*", led.group("rest")):
        at = content.find(part, rest_at)
        labelled = rule("toxicity.prose.arm_then_value.v1").regex.match(part.strip())
        if labelled is None:
            return []
        label = labelled.group("arm").strip()
        # A lettered arm or a regimen acronym ("G-CHOP") names an arm even when the paper's arms are unknown.
        named = re.fullmatch(r"(?:arm|group|cohort)\s+[A-D1-4]", label, re.IGNORECASE) or rule(
            "toxicity.prose.regimen_acronym.v1").regex.fullmatch(label)
        arm = clean_arm(label) if named else _paper_arm(label, known)
        values, _ = _parse_values(labelled.group("value"), offset + at + labelled.start("value"))
        if arm is None or len(values) != 1 or values[0].arm is not None:
            return []
        found.append(replace(values[0], arm=arm, grade=band))
    return found if len(found) > 1 else []


def _slashed_values(text: str, content: str, offset: int) -> list[ProseValue]:
    """"(45%/30%)" under a bracket naming two grade bands the same way, "AEs (all grades/grade >=3) were
    neutropenia (45%/30%)": one value per band; [] otherwise."""
    pair = rule("toxicity.prose.slashed_values.v1").regex.fullmatch(content.strip())
    bands = _slashed_bands(text, offset)
    if pair is None or bands is None:
        return []
    return [ProseValue(n=None, of=None, percent=parse_number(pair.group(g)), arm=None,
                       start=offset + content.find(pair.group(g)), grade=band)
            for g, band in zip(("a", "b"), bands, strict=True)]


def _slashed_bands(text: str, before: int) -> tuple[GradeBand, GradeBand] | None:
    """The two grade bands a bracket before a position names, "(all grades/grade >=3)", or None."""
    heads = [m for m in rule("toxicity.prose.slashed_grades.v1").regex.finditer(text, 0, before)]
    if not heads:
        return None
    first, second = (grade_band(f"grade {heads[-1].group(g)}") or grade_band(heads[-1].group(g)) for g in ("a", "b"))
    return (first, second) if first is not None and second is not None and first != second else None


def _armed_values(content: str, offset: int, known: frozenset[str]) -> list[ProseValue]:
    """A bracket whose values name the paper's arms they belong to: "(38.1% in Arm A and 59.0% in
    Arm B)", "(29.1%, simvastatin; 28.9%, placebo)", "(18%, ILF)", "(63% and 56% for DZ and D)";
    [] unless every value is one and every arm named is an arm of the paper."""
    if not known:
        return []
    paired = rule("toxicity.prose.bracket_values_for_arms.v1").regex.match(content)
    if paired is not None:
        values, _ = _parse_values(paired.group("values"), offset)
        arms = [_paper_arm(paired.group(g), known) for g in ("a", "b")]
        if len(values) == 2 and all(arms) and not any(v.arm for v in values):
            return [replace(v, arm=a) for v, a in zip(values, arms, strict=True)]
    found: list[ProseValue] = []
    at = 0
    for part in rule("toxicity.prose.bracket_part_separator.v1").regex.split(content):
        at = content.find(part, at)
        values, _ = _parse_values(part, offset + at)
        if len(values) == 1 and values[0].arm is not None:
            found.append(values[0])
            continue
        labelled = rule("toxicity.prose.bracket_arm_value.v1").regex.match(part.strip())
        values, _ = _parse_values(labelled.group("value"), offset + at) if labelled else ([], 0)
        arm = _paper_arm(labelled.group("arm"), known) if labelled else None
        if len(values) != 1 or arm is None or values[0].arm is not None:
            return []
        found.append(replace(values[0], arm=arm))
    return found


def _labelled_values(content: str, offset: int, known: frozenset[str]) -> list[ProseValue]:
    """A bracket of values each led by its arm and a colon, "(arm A: 20%, arm B: 15%)"; [] unless there
    are two or more and every label is an arm of the paper or a lettered arm ("arm A", "group 2")."""
    found: list[ProseValue] = []
    at = 0
    for part in re.split(r"\s*[;,]\s*", content):
        at = content.find(part, at)
        labelled = rule("toxicity.prose.bracket_labelled_value.v1").regex.match(part.strip())
        if labelled is None:
            return []
        lettered = re.fullmatch(r"(?:arm|group|cohort)\s+[A-D1-4]", labelled.group("arm").strip(), re.IGNORECASE)
        arm = clean_arm(labelled.group("arm")) if lettered else _paper_arm(labelled.group("arm"), known)
        values, _ = _parse_values(labelled.group("value"), offset + at + labelled.start("value"))
        if arm is None or len(values) != 1 or values[0].arm is not None:
            return []
        found.append(replace(values[0], arm=arm))
    return found if len(found) > 1 else []


def _paper_arm(words: str, known: frozenset[str]) -> str | None:
    """The words as an arm label when they name an arm of the paper ("simvastatin plus FOLFIRI" names
    the arm "simvastatin"), else None."""
    label = clean_arm(words)
    if label is None:
        return None
    lowered = label.lower()
    return label if lowered in known or any(lowered.startswith(f"{arm} ") for arm in known) else None


# "...; grade 3 diarrhea in 3 patients": a clause naming an event and its count, with no verb.
def _graded_comma_clause(head: str) -> bool:
    """", and grade >=3 AEs in 75%": a clause after a comma naming an event and its value with no verb,
    read only when it prints its own grade or nothing before it prints one (so a grade of the clause
    before is not carried over)."""
    clause = rule("toxicity.prose.comma_elliptic.v1").regex.search(head)
    if clause is None:
        return False
    own = [s for s in grade_spans(clause.group("words")) if s.band is not None]
    if own or rule("toxicity.prose.all_grades.v1").regex.search(clause.group("words")) is not None:
        return True
    # ", grade 3 in 30%", "and grade 4 in 10%": with no ", and" the clause must print its own grade.
    return bool(clause.group("conj")) and not re.search(r"\bgrade", head[: clause.start()], re.IGNORECASE)


_ELLIPTIC_CLAUSE = re.compile(r"[;:]\s*(?:and\s+)?[^;:,.()]{3,60}?\s+in\s*$", re.IGNORECASE)


def _graded_values(content: str, offset: int) -> list[ProseValue]:
    """A bracket of values each led or closed by its grade: "(any grade, 45%; grade 3, 5%)",
    "(all grades: 68%; grade 3/4: 7%)", "(n = 173, 52% any-grade; n = 15, 5% grade 3)"."""
    found: list[ProseValue] = []
    at = 0
    for part in content.split(";"):
        spans = grade_spans(part)
        lead = spans[0] if spans and not part[: spans[0].start].strip() else None
        trail = spans[-1] if spans and not part[spans[-1].end :].strip() and lead is None else None
        if lead is not None and lead.band is not None:
            rest = part[lead.end :]
            rest_at = len(rest) - len(re.sub(r"^\s*[,:]?\s*(?:in\s+)?", "", rest, flags=re.IGNORECASE))
            values, _ = _parse_values(rest[rest_at:], offset + at + lead.end + rest_at)
            band = lead.band
        elif trail is not None and trail.band is not None:
            head = part[: trail.start].rstrip()
            head_at = len(head) - len(head.lstrip())
            values, _ = _parse_values(head.strip(), offset + at + head_at)
            band = trail.band
        else:
            return []
        if len(values) != 1:
            return []
        found.append(replace(values[0], grade=band))
        at += len(part) + 1
    # "neutropenia (grade >=3: 30%)": one value led by its grade band names it too.
    return found if len(found) > 1 or (len(found) == 1 and lead is not None) else []


def _brackets(text: str) -> Iterator[tuple[int, int]]:
    """Top-level bracket pairs ( ) and [ ] of the text."""
    depth, opened = 0, 0
    for i, char in enumerate(text):
        if char in "([":
            if depth == 0:
                opened = i
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
            if depth == 0:
                yield opened, i


def _parse_values(content: str, offset: int, whole: bool = True) -> tuple[list[ProseValue], int]:
    """Values separated by 'vs' from the start of the content, and where they end (an offset in
    the sentence); with ``whole``, nothing else may follow them."""
    value_regex = rule("toxicity.prose.value.v1").regex
    separator = rule("toxicity.prose.value_separator.v1").regex
    values: list[ProseValue] = []
    pos = len(content) - len(content.lstrip())
    end = pos
    while True:
        match = value_regex.match(content, pos)
        if match is None:
            break
        values.append(_prose_value(match, offset))
        pos = end = match.end()
        sep = separator.match(content, pos)
        if sep is None or not sep.group().strip():
            break
        pos = sep.end()
    if whole and (not values or content[end:].strip()):
        return [], offset
    return values, offset + end


def _prose_value(match: re.Match[str], offset: int) -> ProseValue:
    g = match.groupdict()
    n_text = (g.get("n7") or g.get("n8") or g.get("n6") or g.get("n9") or g.get("n11") or g.get("n4") or g.get("n")
              or g.get("n2") or g.get("n3"))
    pct_text = (g.get("pct18") or g.get("pct13") or g.get("pct7") or g.get("pct8") or g.get("pct6") or g.get("pct10")
                or g.get("pct9") or g.get("pct12") or g.get("pct5") or g.get("pct4")
                or (g.get("pct") if not g.get("lt") else None) or (g.get("pct2") if not g.get("lt2") else None))
    arm_text = (g.get("arm") or g.get("arm5") or g.get("arm12") or g.get("arm13") or g.get("arm14") or g.get("arm15")
                or g.get("arm16") or g.get("arm18"))
    arm = clean_arm(arm_text) if arm_text else None
    percent = parse_number(pct_text) if pct_text else None
    return ProseValue(n=_count(n_text), of=_count(g.get("of8") or g.get("of6") or g.get("of9") or g.get("of")), percent=percent,
                      arm=arm, start=offset + match.start())


def _phrase(text: str, start: int) -> tuple[int, str]:
    """Where the phrase before a group starts, and the phrase (without an 'occurred in' ending)."""
    # "X occurred, respectively, in ...": the commas around "respectively" do not end the phrase.
    text = _RESPECTIVELY_ASIDE.sub(lambda m: " " * len(m.group()), text)
    bounds = [m.end() for m in _PHRASE_START.finditer(text, 0, start)]
    begin = bounds[-1] if bounds else 0
    phrase = text[begin:start]
    occurred = rule("toxicity.prose.occurred_in.v1").regex.search(phrase)
    if occurred:
        phrase = phrase[: occurred.start()]
    counted = rule("toxicity.prose.count_tail.v1").regex.search(phrase)
    if counted:
        phrase = phrase[: counted.start()]
    # "...; any-grade febrile neutropenia in 37% versus 17%": the verb of the clause before is left out.
    phrase = re.sub(r"(?<=\w)\s+in\s*$", "", phrase, flags=re.IGNORECASE)
    return begin, phrase.rstrip()


def _leading_to_discontinuation(term: Term) -> Term:
    """The term of an event that ended treatment, as readers name it."""
    if is_aggregate(term.term) or term.term.endswith("leading to discontinuation"):
        return Term("adverse event leading to discontinuation", True) if is_aggregate(term.term) else term
    return Term(f"{term.term} leading to discontinuation", True)


def _group_term(text: str, phrase: tuple[int, str], start: int, mentions: list[ArmMention],
                ended: bool = False) -> Term | None:
    begin, words = phrase
    found = known_suffix(words) or _before_qualifier(words)
    relative = _TRAILING_RELATIVE.search(words) if found is None else None
    if relative is not None and relative.start() > 0:
        # "Toxicity was confined to hot flushes which occurred in 11/12 patients".
        found = known_suffix(words[: relative.start()])
    if found is None and _RELATIVE.match(words):
        # "... with the exception of neutropenia, which was reported by 57% of patients": the event
        # closes the words before the relative pronoun.
        before = text[:begin].rstrip(" ,")
        named = known_suffix(before)
        return None if named is None or _NEGATED.search(before[: len(before) - len(before[named[1]:])]) else named[0]
    spans = grade_spans(words)
    if found is None and spans and spans[-1].band is not None and not words[spans[-1].end :].strip():
        # "Hematologic toxicity grade 4 occurred in 14 of 40 patients", "Adverse events of any grade
        # occurred in ...": the grade follows the event.
        found = known_suffix(re.sub(r"\s+(?:of|at|with)$", "", words[: spans[-1].start].rstrip(), flags=re.IGNORECASE))
    if found is not None:
        term, at = found
        if not ended and is_aggregate(term.term) and _stopped_for_aggregate(text, begin, words[:at]):
            # "PEG discontinuation related to AEs occurred in only 13.9%": not adverse events of any grade.
            return None
        return None if _NEGATED.search(words[:at]) else term
    predicate = list(_PREDICATE.finditer(words))
    tail = words[predicate[-1].end() :] if predicate else words
    superlative = rule("toxicity.prose.superlative.v1").regex.search(tail) or rule(
        "toxicity.prose.comparative.v1").regex.search(words)
    in_phrase = [m for m in mentions if begin <= m.start < start]
    names_arm = bool(in_phrase)
    before_arm = known_suffix(text[begin : in_phrase[0].start].rstrip()) if names_arm else None
    if before_arm is not None:
        # "discontinued treatment owing to AEs in the A arm than in the B arm (38% vs 8%)": the event
        # before the arms ended treatment; "with more severe neutropenia in the PE arm than in the FEC
        # arm (12% vs 6%)": the values belong to that event in a severity the sentence does not grade.
        return before_arm[0] if ended else None
    graded = rule("toxicity.prose.aggregate_noun.v1").regex.search(tail)
    if graded is not None and graded.group("graded") and not tail[graded.end() :].strip():
        # "no differences in grade 4 events (28% and 27%)": graded events close the phrase.
        return Term("any adverse event", True)
    bare = _bare(tail) or (bool(predicate) and rule("toxicity.prose.plain_predicate.v1").regex.match(tail) is not None)
    if superlative or names_arm or bare:
        return _subject_term(text, start)
    return None


def _stopped_for_aggregate(text: str, begin: int, before: str) -> bool:
    """Whether a change of treatment governs the adverse events named after ``before``: named in the
    words before them ("PEG discontinuation related to AEs"), or earlier in their clause when they are
    its cause ("Treatment was discontinued for progressive disease in 20 and for adverse events in 5")."""
    stopped = rule("toxicity.prose.stopped_before_aggregate.v1").regex
    if stopped.search(before):
        return True
    clause_start = text.rfind(";", 0, begin) + 1
    if re.search(r"\b(?:for|due\s+to|because\s+of|owing\s+to)\s*$", before, re.IGNORECASE):
        return stopped.search(text, clause_start, begin + len(before)) is not None
    # "discontinued because of disease progression in 21 patients (44.7%), adverse events in 14": an
    # item of the list of causes.
    if before.strip() and not re.fullmatch(r"\s*(?:and|or)\s*", before):
        return False
    cause = rule("toxicity.prose.stopped_cause.v1").regex
    return cause.search(text[clause_start:begin]) is not None


def _before_qualifier(words: str) -> tuple[Term, int] | None:
    """The known event a trailing qualifier follows, "allergic reactions to pegylated asparaginase",
    "grade 3 rash after the first dose" (the qualifier naming no event itself), or None."""
    qualified = rule("toxicity.prose.trailing_qualifier.v1").regex.search(words)
    if qualified is None or known_prefix(qualified.group("what"), skip=3) is not None:
        return None
    return known_suffix(words[: qualified.start()])


def _bare(phrase: str) -> bool:
    """A phrase of counts only ("and 7 of 39 patients", "Eleven out of 41 patients"), naming no event."""
    words = re.findall(r"[A-Za-z]+", re.sub(r"\b(?:out\s+of|of|and|in)\b", "", _without_grades(phrase), flags=re.IGNORECASE))
    return all(words_to_int(word) is not None for word in words)


def _without_grades(text: str) -> str:
    for span in reversed(grade_spans(text)):
        text = text[: span.start] + text[span.end :]
    return re.sub(r"\b(?:overall|most\s+often|a\s+total\s+of|in\s+total|patients|subjects|participants)\b", "", text,
                  flags=re.IGNORECASE)


# Where the clause holding a value group ends: a later clause ("..., but there were no differences in
# treatment-related deaths") does not make the group's events deaths or discontinuations.
_CLAUSE_END = re.compile(r";|,\s+(?:but|whereas|while)\b", re.IGNORECASE)
# "The incidence of grade 3 or 4 neutropenia was ...": the measure named before the event.
_MEASURE = re.compile(r"^\s*(?:the\s+)?(?:overall\s+)?(?:incidences?|rates?|frequenc(?:y|ies)|proportions?)\s+of\s+",
                      re.IGNORECASE)


def _subject_term(text: str, until: int | None = None) -> Term | None:
    """The event a sentence is about: a known term opening it, or adverse events in general
    (unless the sentence, up to the values, counts discontinuations or deaths)."""
    verb = _PREDICATE.search(text)
    subject = _MEASURE.sub("", text[: verb.start()] if verb else text)
    clause = _CLAUSE_END.search(text, until) if until is not None else None
    excluded = rule("toxicity.prose.aggregate_exclusion.v1").regex.search(text[: clause.start() if clause else None])
    term = known_prefix(_without_grades(subject), max_words=5)
    if term is not None:
        # "Treatment-related AEs led to discontinuation in ...": no adverse-event frequency.
        return None if excluded and is_aggregate(term.term) else term
    noun = rule("toxicity.prose.aggregate_noun.v1").regex.search(subject)
    if noun is None or excluded:
        return None
    qualified = known_suffix(subject[: noun.end()], max_words=3)
    if qualified is not None and not is_aggregate(qualified[0].term):
        # "an acute GI toxicity score of 2": toxicity of one organ, not adverse events in general.
        return None
    serious = noun.group("serious") or noun.group("sae")
    return Term("serious adverse event" if serious else "any adverse event", True)


def _group_grade(text: str, phrase: tuple[int, str], start: int) -> GradeBand | None:
    _, words = phrase
    inside = [s for s in grade_spans(words)
              if s.band is not None and not _HEDGE.search(words[max(0, s.start - 20) : s.start])]
    if inside:
        return inside[-1].band
    if rule("toxicity.prose.all_grades.v1").regex.search(words):
        return "any"
    band = _grade_before(text, start)
    clause = _last_clause_break(text, start)
    graded = [s for s in grade_spans(text[:start]) if s.band is not None]
    if band is not None and clause >= 0 and graded and graded[-1].end <= clause and _VALUE.search(
            text, graded[-1].end, clause):
        # "Grade 3/4 neutropenia in 85% of patients; febrile neutropenia in 21%": the grade was the
        # event's before the semicolon, which printed its own values.
        return None
    return band


def _severe_not_graded(text: str, start: int, term: Term) -> bool:
    """"The most frequent serious hematologic toxicities were neutropenia (16%)": events called severe
    or serious, with no grade band printed, are not of any grade (unless the event is the aggregate)."""
    return (not is_aggregate(term.term) and _SEVERE.search(text[:start]) is not None
            and rule("toxicity.prose.all_grades.v1").regex.search(text[:start]) is None)


def _last_clause_break(text: str, position: int) -> int:
    """Offset of the last semicolon before a position outside brackets, or -1."""
    depth, found = 0, -1
    for i, char in enumerate(text[:position]):
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        elif char == ";" and depth == 0:
            found = i
    return found


def _group_arms(sentence: Sentence, values: list[ProseValue], previous: list[str],
                mentions: list[ArmMention], follow: bool, starts: tuple[int, ...] = ()) -> list[str | None] | None:
    """One arm per value, or None when the arms cannot be told apart."""
    if len(values) > 1:
        labels = [v.arm for v in values]
        if all(labels):
            return labels
        if any(labels):
            # "83 patients (40%) in the A group and 65 (31%) in the B group": the arm named right after
            # a value that prints none.
            bounds = [v.start for v in values[1:]] + [len(sentence.text)]
            filled = [label or next((m.label for m in mentions if v.start < m.start < bound), None)
                      for v, label, bound in zip(values, labels, bounds, strict=True)]
            if all(filled) and len(set(filled)) == len(filled):
                return filled
        if len(previous) == len(values):
            return list(previous)
        # "in the A group than in the B group (53% vs 44%)": the arms named before the values, in order
        # ("Compared with arm B, arm A had more X (40% vs 30%)": the compared arm comes second).
        before = [m.label for m in mentions if m.start < values[0].start]
        if len(before) == len(values) and len(set(before)) == len(before):
            first = next(m for m in mentions if m.start < values[0].start)
            return before[::-1] if len(before) == 2 and rule(
                "toxicity.prose.compared_first.v1").regex.search(sentence.text, 0, first.start) else before
        # "hypocalcemia (76% vs 30%) ... more frequent in the DZ group than in the D group": the
        # sentence names its arms only after the values, in order.
        after = [m.label for m in mentions if m.start > values[-1].start]
        if not before and len(after) == len(values) == len(mentions) and len({a.lower() for a in after}) == len(after):
            return after
        # "with sorafenib versus placebo were rash (16% vs 1%)"; "... in arms A and B, respectively".
        respectively = re.search(r"\brespectively\b", sentence.text, re.IGNORECASE) is not None
        # "in 25.6% and 20% of the patients in imatinib and dasatinib groups": the pair right after the values.
        closing = _VALUES_OF_PATIENTS.match(sentence.text, values[-1].start)
        pairs = [p for p in arm_pairs(sentence)
                 if p.start < values[0].start or respectively or (closing is not None and p.start == closing.end())]
        if len(values) == 2 and pairs:
            return list(pairs[-1].labels if pairs[-1].start < values[0].start else pairs[0].labels)
        return None
    value = values[0]
    if value.arm:
        return [value.arm]
    if mentions:
        before = [m for m in mentions if m.start < value.start]
        after = [m for m in mentions if m.start > value.start]
        chosen = (after[0] if after else None) if follow else (before[-1] if before else None)
        if follow and chosen is not None and any(value.start < s < chosen.start for s in starts) and re.search(
                r"[:;]", sentence.text[value.start : chosen.start]):
            # "130 of 646 (20%) had an SAE: 60 of 327 (18%) in the A group": the arm after the colon
            # is the next value's, not this one's.
            chosen = None
        if chosen is not None:
            return [chosen.label]
    return [None] if len(paper_arms(sentence.doc)) < 2 else None
