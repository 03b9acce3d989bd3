"""Time to event: medians and rates of OS, EFS, DFS, RFS, PFS, CIR, DOR."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from extractor.components.endpoints import (
    ENDPOINT,
    Mention,
    column_headers,
    endpoint_mentions,
    may_mention_endpoint,
    mention_at,
    next_row,
    row_cells,
    row_label,
    row_outcome,
)
from extractor.components.rates import kind_labels, section_row_label, sentence_arm
from extractor.numbers import parse_number
from extractor.patterns import CompiledRule, load_rules
from extractor.sentence import Sentence
from schemas import TimeToEvent
from schemas.vocab import Endpoint, Measure, TimeUnit

# The first number must follow its endpoint closely; later ones (other arms) may sit further on.
MAX_FIRST_GAP = 100
MAX_NEXT_GAP = 120
MAX_BRACKET_GAP = 200
# A median is a time to an event; a cumulative incidence of relapse is reported as a rate.
MEDIAN_ENDPOINTS = frozenset({"OS", "EFS", "DFS", "RFS", "PFS", "DOR"})
_LIST_NUMBER = re.compile(r"\d+(?:[.\u00b7]\d+)?")
_LIST_UNIT = re.compile(r"\b(?:years?|yrs?|months?)\b", re.IGNORECASE)
_UNITS: dict[str, TimeUnit] = {"mo": "months", "wk": "weeks", "da": "days", "d": "days", "we": "weeks", "%": "%"}
_ARM_STOPWORDS = frozenset({
    "the", "all", "both", "each", "median", "ci", "patients", "this", "that", "those", "whole", "entire",
    "overall", "study", "total", "same", "other", "two", "treatment", "evaluable", "remaining",
})


@cache
def rule(role: str) -> CompiledRule:
    """The survival rule with the given fields.role."""
    return next(r for r in load_rules("survival.yaml") if r.rule.fields.get("role") == role)


@dataclass(frozen=True)
class Value:
    """A number of an endpoint as printed, with its CI and arm when printed next to it."""

    start: int
    end: int
    value: float
    unit: TimeUnit
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float | None = None
    arm: str | None = None


def extract_time_to_event(sentence: Sentence) -> Iterator[TimeToEvent]:
    """Medians and rates stated in a prose sentence or a table row."""
    if sentence.table is not None and sentence.row is not None:
        yield from _table_records(sentence)
        return
    records = _sentence_timepoint(sentence.text, list(_prose_records(sentence)))
    if records and all(r.arm is None for r in records):
        # "In the TEGAFOX arm, median OS was 14.2 months": the arm the sentence opens with.
        arm = sentence_arm(sentence.text)
        records = [r.model_copy(update={"arm": arm}) for r in records] if arm else records
    yield from records


def _sentence_timepoint(text: str, records: list[TimeToEvent]) -> list[TimeToEvent]:
    """Rates left without a timepoint take the one timepoint the sentence gives its other rates
    ("3-year EFS rates were 85% and 92%, and OS rates were 93% and 97%") or, when none has one,
    the timepoint closing the sentence ("EFS (81% vs 72%) and survival (89% vs 83%) at 5 years") or
    leading its rates ("The 5-year rates of overall, relapse-free, and event-free survival were ...")."""
    rates = [r for r in records if r.measure == "rate"]
    if not any(r.timepoint is None for r in rates):
        return records
    printed = {r.timepoint for r in rates if r.timepoint is not None}
    if not printed:
        # "... at 5 years." closing the sentence, or "The 5-year rates of overall, relapse-free, ...".
        closing = rule("timepoint_closing").regex.search(text) or rule("timepoint_rates_lead").regex.search(text)
        printed = {_timepoint(closing)} if closing else set()
    printed.discard(None)
    if len(printed) != 1:
        return records
    timepoint = printed.pop()
    # "60-day survival (91.7%) ... 5-year RFS (76.9%)" or "after a median follow-up of 5.8 years":
    # another time printed in the sentence, so the one timepoint may not be the rate's.
    if any(_time_of(m) != timepoint for m in rule("time_expression").regex.finditer(text)):
        return records
    return [r.model_copy(update={"timepoint": timepoint}) if r.measure == "rate" and r.timepoint is None else r
            for r in records]


def _prose_records(sentence: Sentence) -> Iterator[TimeToEvent]:
    """Medians and rates of a prose sentence, each with the timepoint printed for it."""
    text = sentence.text
    # Every record is a value of an endpoint mention: none can be named, none can be found.
    if not may_mention_endpoint(text) or rule("hypothetical").search(text):
        return
    if sentence.section == "methods" and rule("hypothetical_methods").search(text):
        return
    other_work = rule("other_work").search(text)
    limit = other_work.start() if other_work else len(text)
    mentions = [m for m in endpoint_mentions(text) if m.end <= limit
                and not (m.kind != ENDPOINT and _TIMEPOINT_OF.search(text[max(0, m.start - 40) : m.start]))]
    lead = rule("timepoint_lead").search(text)
    lead_timepoint = _timepoint(lead, after=lead.group("after")) if lead else None
    taken: set[int] = set()
    for group, reach_end in _groups(text, mentions, limit):
        if any(m.kind != ENDPOINT for m in group) or rule("mean_before").regex.search(text[: group[0].start]):
            continue
        if _RESPECTIVELY.search(text) and rule("coordinated_before").regex.search(text[: group[0].start]):
            # "relapse or survival ... 46% vs 54% ... and 50% vs 47%, respectively": not all the endpoint's
            # (_relapse_survival_pairs reads that shape with a timepoint).
            continue
        last = group[-1]
        # An endpoint named where the reach ends may own a value printed right before it ('82% for OS').
        next_endpoint = any(m.start == reach_end and m.time_to_event for m in mentions)
        values = _values(text, last.end, reach_end, next_endpoint)
        # "PFS and OS were 2.7 and 5.3 months, respectively, for arm A, and 3.8 and 6.9 months ... for arm B":
        # the endpoints' values in order, once per arm.
        if not values or (len(group) > 1 and len(values) % len(group)):
            continue
        tested = _tested_pairs(text, values, len(group), limit)
        if tested is not None:
            # "DFS and OS were 67.4% and 75.3% (P = 0.315), and 72.3% and 81.9% (P = 0.177)": each P value
            # compares the two arms of one endpoint; read in full, else not at all.
            if not tested:
                continue
            values = tested
        at = rule("timepoint_at").regex.search(text, last.end, reach_end) or rule("timepoint_lasting").regex.search(
            text, last.end, reach_end)
        shared = next((t for t in (_timepoint_before(text, m) for m in group) if t), None)
        listed = _timepoint_list(text, last.end, reach_end) or _timepoint_list_before(text, group[0])
        if len(group) == 1 or len(values) > len(group):
            # Two endpoints with a value each ('DFS and OS were 67% and 75%, respectively in A and B group'):
            # the values are the endpoints' in order, so a pair of arms named for them cannot be theirs.
            values = _pair_arms(text, values)
        values = _chunk_arms(text, values, len(group))
        if len(group) == 1 and listed:
            # "The 1-, 3- and 5-year OS rates were 89%, 82% and 75% for Arm A and 92%, 90% and 82% for Arm B".
            values = _chunk_arms(text, values, len(listed))
        if len(group) == 1 and rule("coordinated_subject").regex.match(text, last.end) and len(values) > 1:
            # "3-year overall survival and AML risk were 56.5% and 25.1%, respectively": one value is the endpoint's.
            values = values[:1]
        per_endpoint = tested is not None or _compared_pairs(text, values, len(group))
        own = [_own_timepoint(text, v) for v in values]
        for i, value in enumerate(values):
            if len(group) == 1:
                mention = last
            elif per_endpoint:
                # "PFS and OS for SP vs. S were 71.9% vs. 46.9%, and 88.4% vs. 67.0%": a compared pair per endpoint.
                mention = group[i // 2]
            else:
                mention = group[i % len(group)]
            if value.unit == "%":
                # "24% at 1 year (11% at 6 years)": a rate followed by its own timepoint takes it; when the
                # rates print their own, one printed after another rate is not this one's.
                after = _timepoint(at) if at and (not any(own) or at.end() <= value.start) else None
                timepoint = _timepoint_before(text, mention) or own[i] or shared or after or (
                    lead_timepoint if not any(own) else None)
                if listed is not None:
                    # 'at 1 and 2 years were 70% and 55%': one timepoint per rate (per arm when the
                    # list repeats for each arm: '88.9%, 82.4% and 74.8% for Arm A and ...'), or none trusted.
                    if not listed or len(values) % len(listed):
                        continue
                    timepoint = listed[i % len(listed)]
                if timepoint is None and rule("timed_rate_name").regex.fullmatch(text, mention.start, mention.end):
                    # 'The relapse rate was 30%': a crude share relapsing, not a risk of relapse by a timepoint.
                    continue
                taken.add(value.start)
                yield _record(sentence, mention.endpoint, "rate", value, timepoint, rule("rate"))
            elif mention.endpoint in MEDIAN_ENDPOINTS and not rule("time_after_event").regex.match(text, value.end):
                taken.add(value.start)
                yield _record(sentence, mention.endpoint, "median", value, None, rule("median"))
    yield from _rates_before_endpoints(sentence, mentions, lead_timepoint, taken)
    yield from _from_to_medians(sentence, mentions, taken)
    yield from _relapse_survival_pairs(sentence, limit)


_FROM_TO_NEXT = re.compile(r"\s*(?:[(\[][^()\[\]]*[)\]])?\s*,?\s*and\s+(?:the\s+)?(?P<median>median\s+)?")


def _from_to_medians(sentence: Sentence, mentions: list[Mention], taken: set[int]) -> Iterator[TimeToEvent]:
    """'bortezomib significantly improved PFS from a median of 13 months to 30 months': the two medians a
    gain verb names for the endpoint, the earlier first; no arm is named for either."""
    text = sentence.text
    previous: re.Match[str] | None = None
    for mention in mentions:
        if mention.kind != ENDPOINT or mention.endpoint not in MEDIAN_ENDPOINTS:
            continue
        gain = rule("from_to_gain").regex.search(text, max(0, mention.start - 60), mention.start)
        if gain is None and previous is not None:
            # "improved PFS from a median of 13 months to 30 months (HR ...) and OS from ... to ...": the verb's too.
            gain = _FROM_TO_NEXT.fullmatch(text, previous.end(), mention.start)
        found = rule("from_to_median").regex.match(text, mention.end) if gain else None
        if gain is None or found is None or not (gain.group("median") or found.group("median")):
            previous = None
            continue
        previous = found
        unit = _unit(found.group("unit"))
        unit_a = _unit(found.group("unit_a")) if found.group("unit_a") else unit
        a, b = parse_number(found.group("a")), parse_number(found.group("b"))
        if unit is None or unit_a != unit or a is None or b is None or found.start("a") in taken:
            continue
        for name, number in (("a", a), ("b", b)):
            taken.add(found.start(name))
            value = Value(found.start(name), found.end(name), number, unit)
            yield _record(sentence, mention.endpoint, "median", value, None, rule("from_to_median"))


def _relapse_survival_pairs(sentence: Sentence, limit: int) -> Iterator[TimeToEvent]:
    """'relapse or survival at four years between the arms: 46% vs 54%; hazard ratio ..., and 50% versus 47%;
    hazard ratio ..., respectively': a compared pair of relapse risks, then one of survival rates (the
    groups loop leaves a sentence coordinating another word with survival 'respectively' alone)."""
    text = sentence.text
    match = rule("relapse_survival_pairs").regex.search(text, 0, limit)
    if match is None:
        return
    at = rule("timepoint_at").regex.search(match.group("between"))
    timepoint = _timepoint(at) if at else _timepoint_before(text, Mention(match.start(), match.end(), None, ENDPOINT))
    if timepoint is None:
        return
    values = {name: parse_number(match.group(name)) for name in "abcd"}
    if any(v is None or not 0 < v <= 100 for v in values.values()):
        return
    for endpoint, names in (("CIR", "ab"), ("OS", "cd")):
        for name in names:
            found = Value(match.start(name), match.end(name), values[name] or 0.0, "%")
            yield _record(sentence, endpoint, "rate", found, timepoint, rule("relapse_survival_pairs"))


def _rates_before_endpoints(
    sentence: Sentence, mentions: list[Mention], lead_timepoint: str | None, taken: set[int],
) -> Iterator[TimeToEvent]:
    """Rates printed right before 'for' and their endpoint, no endpoint named before them: "Five-year
    survival probabilities were 44.3% (95% CI, 37.7% to 50.7%) for overall survival, 44.8% for
    relapse-free survival, and 31.5% for event-free survival"; or right before the endpoint itself
    ("had 79% OS and 57% PFS at 5 years")."""
    text = sentence.text
    if rule("rate_before_blocker").regex.search(text):
        return
    lead = rule("timepoint_rates_lead").regex.search(text)
    shared = _timepoint(lead) if lead else lead_timepoint
    ci_named = rule("ci_named").regex.search(text) is not None
    for mention in mentions:
        if mention.kind != ENDPOINT or mention.endpoint is None:
            continue
        before = rule("rate_before_endpoint").regex.search(text, max(0, mention.start - 100), mention.start)
        closing: str | None = None
        used = rule("rate_before_endpoint")
        if before is None and not rule("rate_right_before_blocker").regex.match(text, mention.end):
            # "had 79% OS and 57% PFS at 5 years": the rate printed right before its endpoint, the list's
            # timepoint after the last of them.
            used = rule("rate_right_before_endpoint")
            before = used.regex.search(text, max(0, mention.start - 100), mention.start)
            chain = rule("rate_right_before_chain").regex.match(text, mention.end)
            at = rule("timepoint_at").regex.match(text, chain.end()) if chain else None
            closing = _timepoint(at) if at else None
        if before is None or before.start("value") in taken:
            continue
        value = parse_number(before.group("value"))
        if value is None or not 0 < value <= 100:
            continue
        low = high = level = None
        ci = rule("ci").regex.match(before.group("ci")) if before.group("ci") else None
        if ci and (ci.group("level") or ci_named):
            low, high = _ci_bounds(ci)
            level = parse_number(ci.group("level")) if ci.group("level") else 95.0
            if low is None or not low <= value <= (high if high is not None else value):
                low = high = level = None
        found = Value(before.start("value"), before.end("value"), value, "%", low, high, level)
        timepoint = _timepoint_before(text, mention) or closing or shared
        yield _record(sentence, mention.endpoint, "rate", found, timepoint, used)


# "after 12 months of follow-up": the follow-up names the timepoint, it ends no endpoint's reach.
_TIMEPOINT_OF = re.compile(r"\b(?:after|at)\s+[\w.]+\s+(?:months?|years?|weeks?)\s+of\s+(?:median\s+)?$", re.IGNORECASE)
_RESPECTIVELY = re.compile(r"\brespectively\b", re.IGNORECASE)
_VERSUS = re.compile(r"\s*(?:\([^()]*\)\s*)?,?\s*(?:vs\.?|versus|v\.|compared\s+with)\s*")


def _tested_pairs(text: str, values: list[Value], endpoints: int, limit: int) -> list[Value] | None:
    """Several endpoints' values printed as one pair per endpoint, each pair followed by its P value:
    "DFS and OS were 67.4% and 75.3% (P = 0.315), and 72.3% and 81.9% (P = 0.177)". None when the values
    are not so printed; the pairs in endpoint order (their arms dropped), or [] when the pairs cannot all be read."""
    if endpoints < 2 or len(values) not in (2, 2 * endpoints):
        return None
    tested = rule("tested_pair_next").regex.match(text, values[1].end)
    if tested is None:
        return None
    pairs = [values[i : i + 2] for i in range(0, len(values), 2)]
    for before, after in pairwise(pairs):
        joined = rule("tested_pair_next").regex.match(text, before[1].end)
        if joined is None or joined.end() != after[0].start:
            return []
    position = tested.end()
    while len(pairs) < endpoints:
        cut = rule("reach_end").regex.search(text, position, limit)
        more = _values(text, position, cut.start() if cut else limit)
        if len(more) != 2:
            return []
        pairs.append(more)
        following = rule("tested_pair_next").regex.match(text, more[-1].end)
        if len(pairs) < endpoints and following is None:
            return []
        position = following.end() if following else more[-1].end
    return [Value(**{**v.__dict__, "arm": None}) for pair in pairs for v in pair]


def _compared_pairs(text: str, values: list[Value], endpoints: int) -> bool:
    """True when the values of several endpoints are compared in pairs, 'a vs. b, and c vs. d'."""
    if endpoints < 2 or len(values) != 2 * endpoints:
        return False
    return all(_VERSUS.fullmatch(text[values[i].end : values[i + 1].start]) for i in range(0, len(values), 2))


def _groups(text: str, mentions: list[Mention], limit: int) -> Iterator[tuple[list[Mention], int]]:
    """Endpoints named together ('OS and EFS were ...') with where their numbers may end (before ``limit``)."""
    group: list[Mention] = []
    for i, mention in enumerate(mentions):
        group.append(mention)
        following = mentions[i + 1] if i + 1 < len(mentions) else None
        reach_end = following.start if following else limit
        cut = rule("reach_end").regex.search(text, mention.end, reach_end)
        reach_end = cut.start() if cut else reach_end
        between = text[mention.end : following.start] if following else ""
        if following and rule("coordination").regex.match(between):
            continue
        yield group, reach_end
        group = []


def _values(text: str, start: int, end: int, next_endpoint: bool = False) -> list[Value]:
    """Numbers of an endpoint between its mention and the end of its reach (where ``next_endpoint``
    says another time-to-event outcome is named)."""
    tokens = []
    for role in ("median", "rate", "shared_unit", "converted_bare"):
        tokens += [m for m in rule(role).regex.finditer(text, start, end)]
    tokens.sort(key=lambda m: m.start())
    # "not reached (18.6 months–NE) in arm A": the unreached median's CI holds no value.
    unreached = [m.span("ci") for m in rule("unreached_ci").regex.finditer(text, start, end)]
    tokens = [t for t in tokens if not any(a <= t.start() < b for a, b in unreached)]
    ci_named = rule("ci_named").regex.search(text) is not None
    values: list[Value] = []
    position = start
    # "EFS, the primary end point, was ...": an appositive naming the endpoint's role does not count as distance.
    appositive = rule("appositive").regex.match(text, start, end)
    discount = appositive.end() - start if appositive else 0
    for token in tokens:
        if token.start() < position:
            continue
        gap = text[position : token.start()]
        reach = MAX_NEXT_GAP if values else MAX_FIRST_GAP + discount
        if not values and rule("bracket_pair").regex.match(text, token.end()) and gap.rstrip().endswith("("):
            # '... longer in patients treated with X compared with those treated with Y (8.4 months vs 5.6
            # months, P=0.011)': the compared pair closes a long clause naming both groups.
            reach = MAX_BRACKET_GAP
        if rule("bracket_pair").regex.match(text, token.end()) and gap.rstrip().endswith("("):
            # "with greater improvements in non-GCB patients (15.1 vs. 7.1 weeks": a compared pair, no gain.
            gap = rule("gain_words").regex.sub(" ", gap)
        if len(gap) > reach or rule("gap_blocker").regex.search(gap):
            break
        if token.re is rule("converted_bare").regex:
            unit = _converted_unit(text, token, values)
        else:
            unit = _unit(token.group("unit") or token.groupdict().get("unit_b"))
        if unit is None or not _is_value(text, token, unit):
            continue
        value = parse_number(token.group("value"))
        if value is None or value <= 0 or (unit == "%" and value > 100):
            continue
        token_end = token.end()
        ci = rule("ci").regex.match(text[token_end:end]) if token_end < end else None
        low = high = level = None
        printed_after = None
        inner = token.groupdict().get("in_low")
        if inner and ci_named:
            # "5.5 (3.8–14.0) months" in a sentence naming its CI: the bracket is the value's CI.
            low, high, level = parse_number(inner), parse_number(token.group("in_high")), 95.0
        elif ci and (ci.group("level") or ci_named):
            low, high = _ci_bounds(ci)
            level = parse_number(ci.group("level")) if ci.group("level") else 95.0
            printed_after = ci
        if level is not None and (low is None or not low <= value <= (high if high is not None else value)):
            low = high = level = None
        elif printed_after is not None:
            token_end += printed_after.end()
        spread = rule("range_after").regex.match(text, token_end, end) if printed_after is None else None
        if spread:
            # "16.5 months (range, 0.0+ to 27.0+) in all patients, 22.1 months in cohort 1": the value's range.
            token_end = spread.end()
        if next_endpoint and rule("next_endpoints").regex.fullmatch(text, token_end, end):
            # '... and 82% for overall survival': the value of the endpoint named next.
            break
        arm = _arm_before(gap) or _arm_after(text[token_end:end])
        values.append(Value(token.start(), token_end, value, unit, low, high, level, arm))
        position = token_end
    return values


# Days in a unit, to tell a bracketed time that is the same time in another unit ("715 days (24 months)").
_DAYS_IN = {"d": 1.0, "w": 7.0, "m": 30.44, "y": 365.25}


def _same_time(value: float, unit: str, other: float, other_unit: str) -> bool:
    """Whether two printed times are one time in two units, within the rounding of the coarser one."""
    days, other_days = value * _DAYS_IN[unit[0].lower()], other * _DAYS_IN[other_unit[0].lower()]
    return unit[0].lower() != other_unit[0].lower() and abs(days - other_days) <= 0.1 * max(days, other_days)


def _converted_unit(text: str, token: re.Match[str], values: list[Value]) -> TimeUnit | None:
    """'715 days (24 months) in Arm 1 versus 901 (30 months)': the unit of the earlier value printed with its
    conversion into the unit of this number's bracket, when this number converts to its bracket too; None
    when no value before was printed so."""
    bracket = rule("converted").regex.match(text, token.end())
    number = parse_number(token.group("value"))
    if bracket is None or number is None:
        return None
    for value in values:
        earlier = rule("converted").regex.match(text, value.end)
        if (earlier is None or value.unit == "%" or earlier.group("unit")[0].lower() != bracket.group("unit")[0].lower()
                or not _same_time(value.value, value.unit, parse_number(earlier.group("value")) or 0, earlier.group("unit"))):
            continue
        if _same_time(number, value.unit, parse_number(bracket.group("value")) or 0, bracket.group("unit")):
            return value.unit
    return None


def _ci_bounds(ci: re.Match[str]) -> tuple[float | None, float | None]:
    """Low and high limits; an upper limit printed 'not reached' is None."""
    low = parse_number(ci.group("low"))
    return low, (parse_number(ci.group("high")) if ci.group("high") else None)


def _unit(printed: str | None) -> TimeUnit | None:
    if not printed:
        return None
    return _UNITS.get(printed.lower()[:2]) or _UNITS.get(printed[:1])


def _is_value(text: str, token: re.Match[str], unit: TimeUnit) -> bool:
    before, after = text[: token.start()], text[token.end() :]
    if rule("arm_label_number").regex.search(before) and token.group("value").isdigit():
        # 'in Arm 1 versus 901 days': the number names the arm.
        return False
    if rule("spread_before").regex.search(before) or rule("ci_bound_before").regex.search(before):
        return False
    if unit == "%":
        return not rule("not_rate_after").regex.match(after) and not rule("count_percent").regex.search(before)
    if token.re is rule("shared_unit").regex:
        return not rule("not_value_before").regex.search(before)
    return not rule("not_value_before").regex.search(before) and not rule("not_value_after").regex.match(after)


def _arm_before(gap: str) -> str | None:
    match = rule("arm_before").regex.search(gap)
    return _clean_arm(next((g for g in match.groups() if g), None)) if match else None


def _arm_after(after: str) -> str | None:
    match = rule("arm_after").regex.match(after)
    if match is None:
        return None
    arm = next((g for g in match.groups() if g), None)
    if arm and _RESPECTIVELY.search(match.group()) and _NAMES_TWO.search(arm):
        # "72% and 82%, respectively, in BuCy and BuFlu group": a list of arms, one per value, not one arm.
        return None
    return _clean_arm(arm)


def _clean_arm(arm: str | None) -> str | None:
    if not arm or arm.lower() in _ARM_STOPWORDS or endpoint_mentions(arm):
        return None
    return arm


def _pair_arms(text: str, values: list[Value]) -> list[Value]:
    """Two values take the two arms the sentence names together, in order.

    Arms named as a pair ("in the A group ... than in the B group (x vs y)") win over
    an arm printed next to one value, which in that shape is the wrong one."""
    if len(values) != 2:
        return _with_arms(text, values)
    match = rule("arm_pair").regex.search(text)
    if not match:
        first, last = values
        if first.arm is None and last.arm and _NAMES_TWO.search(last.arm):
            # "16.5% and 16.2% in BuCy and BuFlu group": the label after the pair may name both arms
            # (or one arm of two drugs): which the last value is cannot be read.
            return [first, Value(**{**last.__dict__, "arm": None})]
        return _with_arms(text, values)
    groups = match.groupdict()
    arms = [v for k, v in groups.items() if v and k != "kind"]
    if groups.get("kind"):
        arms = kind_labels(groups["kind"], arms)
    cleaned = [_clean_arm(a) for a in arms[:2]]
    if len(cleaned) != 2 or None in cleaned or cleaned[0] == cleaned[1]:
        return values
    return [Value(**{**v.__dict__, "arm": a}) for v, a in zip(values, cleaned, strict=True)]


def _with_arms(text: str, values: list[Value]) -> list[Value]:
    """Values each followed by a bare arm of its own ('47% with PTCy and 31% with ATG', '58% for FEC and
    29% for docetaxel'): trusted only when at least two values name an arm and no two the same one; a
    value naming none keeps none ('81%; 69% for surgery alone and 93% for adjuvant chemotherapy')."""
    if len(values) < 2:
        return values
    found = [rule("arm_with").regex.match(text[v.end :]) for v in values]
    arms = [v.arm or (_clean_arm(m.group("arm")) if m else None) for v, m in zip(values, found, strict=True)]
    named = [a for a in arms if a]
    if len(named) < 2 or len(set(named)) != len(named):
        return values
    return [Value(**{**v.__dict__, "arm": a}) for v, a in zip(values, arms, strict=True)]


def _chunk_arms(text: str, values: list[Value], endpoints: int) -> list[Value]:
    """'PFS and OS were 2.7 and 5.3 months, respectively, for arm A, and 3.8 and 6.9 months ... for arm B':
    one value per endpoint (or per listed timepoint) for each arm, the arm printed after the last value
    of its run only."""
    if endpoints < 2 or len(values) % endpoints:
        return values
    out = list(values)
    for first in range(0, len(values), endpoints):
        run = values[first : first + endpoints]
        arm = run[-1].arm
        joined = all(_RUN_JOIN.fullmatch(text[a.end : b.start]) for a, b in pairwise(run))
        if arm and joined and not any(v.arm for v in run[:-1]):
            out[first : first + endpoints] = [Value(**{**v.__dict__, "arm": arm}) for v in run]
    return out


# A label naming two arms ("BuCy and BuFlu group") or one arm of two drugs: it cannot be one value's.
_NAMES_TWO = re.compile(r"\s(?:and|or)\s")
_RUN_JOIN = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+)", re.IGNORECASE)


def _timepoint_list(text: str, start: int, end: int) -> list[str] | None:
    """'at 1 and 2 years' -> ['1 year', '2 years']; None when the reach lists no timepoints."""
    match = rule("timepoint_list").regex.search(text, start, end)
    if match is None:
        return None
    words = match.group("list").replace(",", " ").split()
    return _timepoints([parse_number(w) for w in words if w.lower() not in ("and", "or")], match.group("unit"))


def _timepoint_list_before(text: str, mention: Mention) -> list[str] | None:
    """'The 1-, 3-, and 5-year overall survival' -> ['1 year', '3 years', '5 years']; None when not listed."""
    match = rule("timepoint_list_before").regex.search(text[max(0, mention.start - 60) : mention.start])
    if match is None:
        return None
    units = {u[0].lower() for u in _LIST_UNIT.findall(match.group("list"))}
    if units - {match.group("unit")[0].lower()}:
        # '6-month and 2-year OS': the units differ, no timepoint is trusted.
        return []
    return _timepoints([parse_number(n) for n in _LIST_NUMBER.findall(match.group("list"))], match.group("unit"))


def _timepoints(numbers: list[float | None], unit_printed: str) -> list[str]:
    """Listed numbers of one unit as timepoints ('1 year', '3 years'); none when one is not a time."""
    unit = {"y": "year", "m": "month"}[unit_printed[0].lower()]
    if any(n is None or n <= 0 for n in numbers):
        return []
    return [f"{n:g} {unit}{'' if n == 1 else 's'}" for n in numbers if n]


def _own_timepoint(text: str, value: Value) -> str | None:
    """The timepoint printed right after a rate ('24% at 1 year') or right before it ('and at 3 years 35%');
    None for a median or when none is."""
    if value.unit != "%":
        return None
    match = rule("timepoint_own").regex.match(text, value.end) or rule("timepoint_own_before").regex.search(
        text[max(0, value.start - 40) : value.start])
    return _timepoint(match) if match else None


def _timepoint_before(text: str, mention: Mention) -> str | None:
    match = rule("timepoint_before").regex.search(text[max(0, mention.start - 40) : mention.start])
    match = match or rule("timepoint_clause_lead").regex.search(text[max(0, mention.start - 50) : mention.start])
    return _timepoint(match) if match else None


def _time_of(match: re.Match[str]) -> str | None:
    """A printed time as a timepoint ('60-day' -> '60 days'), days too."""
    number = parse_number(match.group("n"))
    unit = {"y": "year", "m": "month", "w": "week", "d": "day"}[match.group("unit")[0].lower()]
    return None if number is None else f"{number:g} {unit}{'' if number == 1 else 's'}"


def _timepoint(match: re.Match[str], after: str | None = None) -> str | None:
    """'2-year' -> '2 years', 'One-year' -> '1 year', '18 months'; None when not a number."""
    groups = match.groupdict()
    number = parse_number(groups.get("n") or groups.get("n2") or "")
    unit_text = (groups.get("unit") or groups.get("unit2") or "").lower()
    if number is None or number <= 0 or not unit_text:
        return None
    unit = {"y": "year", "m": "month", "w": "week"}[unit_text[0]]
    shown = f"{number:g} {unit}{'' if number == 1 else 's'}"
    return f"{shown} {after.strip()}" if after else shown


def _record(
    sentence: Sentence, endpoint: Endpoint | None, measure: Measure, value: Value, timepoint: str | None,
    source: CompiledRule,
) -> TimeToEvent:
    return TimeToEvent(
        arm=value.arm, endpoint=endpoint, measure=measure, value=value.value, unit=value.unit,
        timepoint=timepoint, ci_low=value.ci_low, ci_high=value.ci_high, ci_level=value.ci_level,
        provenance=[sentence.provenance(source.id, source.confidence)],
    )


def _table_records(sentence: Sentence) -> Iterator[TimeToEvent]:
    """A table row of medians or rates, one value per arm column."""
    table, row = sentence.table, sentence.row
    assert table is not None and row is not None
    outcome = row_outcome(sentence)
    label = row_label(row)
    # 'Median PFS (95% CI)' names the CI its cells print, not a row of CIs.
    if (outcome is None or outcome.endpoint is None
            or rule("table_skip_column").regex.search(rule("table_label_ci").regex.sub("", label))):
        return
    headers = column_headers(table)
    caption = " ".join(filter(None, [table.label, table.caption]))
    own = mention_at(label)
    label_time = rule("timepoint_caption").regex.search(label) or (
        rule("timepoint_before").regex.search(label[: own.start]) if own else None)
    # The row heading a block of rows names a timepoint ('Two-year analysis'), rates ('Estimated OS probability, %'), a unit.
    block = section_row_label(sentence)
    section_time = rule("timepoint_section").regex.match(block)
    ci_cells = _ci_row(sentence)
    # Two values under one header cell (a header spanning sub-columns the header rows do not name,
    # 'Drug X' over 'amplified' and 'nonamplified'): which arm each value is cannot be read.
    valued = [headers.get(c, "") for c, cell in row_cells(row)[1:] if rule("table_cell").regex.match(cell.text)]
    if len([h for h in valued if h]) != len({h for h in valued if h}):
        return
    for column, cell in row_cells(row)[1:]:
        head = headers.get(column, "")
        if rule("table_skip_column").regex.search(head):
            continue
        match = rule("table_cell").regex.match(cell.text)
        value = parse_number(match.group("value")) if match else None
        if match is None or value is None:
            continue
        low, high, level = _cell_ci(match) if match.group("low") else ci_cells.get(column, (None, None, None))
        if not _ci_holds(value, low, high):
            low = high = level = None
        arm = _header_arm(head)
        if rule("table_median").regex.search(label + " " + head):
            # The unit in the row or column label, else in the row heading the block ('PFS, months') or the caption.
            unit_match = next(filter(None, (rule("table_unit").regex.search(text) for text in (
                label + " " + head, block, caption))), None)
            unit = _unit(unit_match.group("unit")) if unit_match else None
            if unit is None or unit == "%" or outcome.endpoint not in MEDIAN_ENDPOINTS:
                continue
            found = Value(cell.start, cell.end, value, unit, low, high, level, arm)
            yield _record(sentence, outcome.endpoint, "median", found, None, rule("table_median"))
        elif rule("table_rate").regex.search(label + " " + head + " " + block) and 0 < value <= 100:
            time = label_time or section_time or rule("timepoint_caption").regex.search(head) or rule(
                "timepoint_caption").regex.search(caption)
            if time is None and own is not None and rule("timed_rate_name").regex.fullmatch(label, own.start, own.end):
                continue
            found = Value(cell.start, cell.end, value, "%", low, high, level, arm)
            yield _record(sentence, outcome.endpoint, "rate", found, _timepoint(time) if time else None,
                          rule("table_rate"))


def _header_arm(head: str) -> str | None:
    """Arm label of a header cell: 'Sunitinib (N = 238)' -> 'sunitinib', 'DA (%)' -> 'DA'."""
    arm = rule("arm_header_clean").regex.sub("", head).strip(" ,;:")
    # Headers capitalise a word prose prints in lower case ('Placebo'); acronyms stay as printed.
    if arm[:1].isupper() and arm[1:].islower() and arm.isalpha():
        arm = arm.lower()
    return arm or None


def _ci_holds(value: float, low: float | None, high: float | None) -> bool:
    """A CI around the value; an upper limit not estimable ('12.1 (8.6–NE)') leaves the lower one, as prose reads it."""
    return low is not None and low <= value and (high is None or value <= high)


def _cell_ci(match: re.Match[str]) -> tuple[float | None, float | None, float | None]:
    low, high = parse_number(match.group("low")), parse_number(match.group("high"))
    value = parse_number(match.group("value"))
    if value is None or not _ci_holds(value, low, high):
        return None, None, None
    return low, high, parse_number(match.group("level")) if match.group("level") else 95.0


def _ci_row(sentence: Sentence) -> dict[int, tuple[float | None, float | None, float | None]]:
    """CIs printed in the row below a row of medians ('95% CI 2.4–4.0 3.8–5.5'), per column."""
    below = next_row(sentence)
    if below is None:
        return {}
    head = rule("table_ci_row").regex.match(row_label(below))
    if head is None:
        return {}
    level = parse_number(head.group("level"))
    found: dict[int, tuple[float | None, float | None, float | None]] = {}
    for column, cell in row_cells(below)[1:]:
        ci = rule("table_ci_cell").regex.match(cell.text)
        if ci:
            found[column] = (parse_number(ci.group("low")), parse_number(ci.group("high")), level)
    return found
