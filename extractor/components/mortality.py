"""Early mortality: 30/60-day, 4/8-week and induction deaths."""

import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache

from extractor.components.rates import (
    Count,
    Masked,
    Token,
    is_design_statement,
    is_hypothetical,
    mask,
    non_overlapping,
    order_from,
    resolve_arms,
    rules_with,
    table_row,
    value_items,
    value_tokens,
)
from extractor.numbers import parse_int
from extractor.prefilter import Prefilter
from extractor.sentence import Sentence
from schemas import EarlyMortality

RULES = "mortality.yaml"
_UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "wk": "week", "wks": "week",
          "month": "month", "months": "month"}
_WITHIN = re.compile(r"\bwithin\s+(?:the\s+first\s+)?(\d+)\s+(days?|weeks?)\b|\(\s*(day)\s+(\d+)\s*\)", re.IGNORECASE)


def extract_mortality(sentence: Sentence) -> Iterator[EarlyMortality]:
    """Early deaths stated in a prose sentence or a table row."""
    if sentence.table is not None:
        found = _from_table(sentence)
    elif is_design_statement(sentence):
        found = []
    else:
        found = _from_prose(sentence)
    seen: set[tuple[object, ...]] = set()
    for window, count, arm, rule_id, confidence in found:
        if (window, count, arm) in seen:
            continue
        seen.add((window, count, arm))
        yield EarlyMortality(
            arm=arm, window=window, n=count.n, of=count.of, percent=count.percent,
            provenance=[sentence.provenance(rule_id, confidence)],
        )


Found = tuple[str, Count, str | None, str, float]


def window_tokens(text: str) -> list[Token]:
    """Mentions of a mortality window, each labelled with its normalised window."""
    found = []
    for rule in rules_with(RULES, "window"):
        for match in rule.regex.finditer(text):
            groups = match.groupdict()
            window = rule.rule.fields.get("window") or _window(groups)
            if groups.get("num2"):
                second = _window({"num": groups["num2"], "unit": groups["unit2"]})
                first = _window({"num": groups["num"], "unit": groups.get("unit") or groups["unit2"]})
                window = f"{first};{second}" if first and second else None
            if window == "early":
                # An early death is a mortality fact only with the window it names ("within 30 days").
                # "Early death (within 30 days)", "Early mortality (day 30)".
                within = _WITHIN.search(text)
                window = _window({"num": within[1] or within[4], "unit": within[2] or within[3]}) if within else None
            if window and not any(r.regex.search(text[: match.start()]) for r in rules_with(RULES, "window_context_excluded")):
                found.append(Token(rule.rule.fields["token"], match.start(), match.end(), label=window,
                                   rule_id=rule.id, confidence=rule.confidence))
    return non_overlapping(found)


def _window(groups: dict[str, str | None]) -> str | None:
    """'4-week' -> '4 weeks', 'day 30' -> '30 days', 'one month' -> '1 month'."""
    if groups.get("num_day"):
        number, unit = parse_int(groups["num_day"] or ""), "day"
    else:
        number = parse_int(groups.get("num") or "")
        unit = _UNITS.get((groups.get("unit") or "").lower(), "")
    if number is None or not unit or number <= 0:
        return None
    return f"{number} {unit}" + ("s" if number != 1 else "")


@cache
def _window_prefilter() -> Prefilter:
    return Prefilter(rule.regex for rule in rules_with(RULES, "window"))


def _from_prose(sentence: Sentence) -> list[Found]:
    text = sentence.text
    if not _window_prefilter().may_match(text):
        return []
    windows = window_tokens(text)
    if not windows:
        return []
    values = [v for v in value_tokens(text) if not any(w.start < v.end and v.start < w.end for w in windows)]
    masked = mask(text, [*windows, *values])
    groups: list[tuple[str, list[tuple[Count, str | None]], str, float]] = []
    used: set[int] = set()
    for rule in rules_with(RULES, "shape"):
        for match in rule.regex.finditer(masked.text):
            w_index, v_index = int(match["w"]), int(match["v"])
            value = masked.tokens[v_index]
            if v_index in used or value.shape == "pair" or is_hypothetical(masked, (w_index, v_index)):
                continue
            if match.groupdict().get("v2"):
                # 'two induction deaths (3%)': the count and its bracketed percent are one fact.
                p_index = int(match["v2"])
                bracketed = masked.tokens[p_index]
                if (p_index in used or bracketed.shape != "single" or bracketed.counts[0].n is not None
                        or value.counts[0].n is None or value.counts[0].percent is not None):
                    continue
                used |= {v_index, p_index}
                count = replace(value.counts[0], percent=bracketed.counts[0].percent)
                groups.append((masked.tokens[w_index].label, [(count, None)], rule.id,
                               rule.confidence * value.confidence))
                continue
            used.add(v_index)
            # A count before its window ('21 (5%) of 457 ... and 22 (5%) of 438 ... died within 90 days')
            # is compared with the counts right after it.
            items = value_items(masked, value, v_index, min(w_index, v_index), used)
            label, confidence = masked.tokens[w_index].label, rule.confidence * value.confidence
            per_window = _compared_per_window(masked, label.split(";"), items, v_index, used)
            groups += [(window, window_items, rule.id, confidence) for window, window_items in per_window]
            if len(per_window) == 1 and len(items) == 1 and ";" not in label:
                breakdown = _breakdown(masked, v_index, used)
                if breakdown:
                    groups.append((label, breakdown, rule.id, confidence))
                else:
                    # '16%, 31%, 55%, and 71%, respectively': one window, a number per arm or subgroup.
                    listed = _listed(masked, v_index, used)
                    if listed:
                        groups[-1] = (label, [(items[0][0], None), *listed], rule.id, confidence)
    resolved = resolve_arms([g[1] for g in groups], order_from([g[1] for g in groups]))
    found: list[Found] = []
    for (window, _, rule_id, confidence), items in zip(groups, resolved, strict=True):
        # '30-day and 60-day mortality ... 3% and 8%, respectively': one number per window.
        windows = window.split(";")
        if len(windows) > 1:
            # Only 'respectively' says the numbers follow the windows; '7% versus 3%' compares arms.
            if (len(windows) == len(items) and re.search(r"\brespectively\b", text)
                    and not re.search(r"\b(?:vs\.?|versus)\s", text)):
                found += [(w, count, None, rule_id, confidence) for w, (count, _) in zip(windows, items, strict=True)]
            continue
        found += [(window, count, arm, rule_id, confidence) for count, arm in items]
    return found


def _breakdown(masked: Masked, v_index: int, used: set[int]) -> list[tuple[Count, str | None]]:
    """'The 30-day mortality was 12% (younger patients, 5%; older patients, 19%)': the subgroup values
    bracketed right after a whole-population value, each with its label; none when any part is unclear."""
    match = rules_with(RULES, "breakdown")[0].regex.match(masked.after(v_index))
    if match is None:
        return []
    part, excluded = rules_with(RULES, "breakdown_part")[0], rules_with(RULES, "breakdown_label_excluded")
    items: list[tuple[Count, str | None]] = []
    indexes: list[int] = []
    for segment in match["body"].split(";"):
        found = part.regex.fullmatch(segment.strip())
        if found is None:
            return []
        # A number in a label ('aged 65 years or older') is masked as a bare number: printed back.
        label = re.sub(r"\u27e6N(\d+)\u27e7", lambda m: _printed(masked, int(m[1])), found["label"]).strip(" ,:")
        index = int(found["v"])
        token = masked.tokens[index]
        if not label or any(r.regex.search(label) for r in excluded) or index in used or token.shape != "single":
            return []
        items.append((token.counts[0], label))
        indexes.append(index)
    if len({label for _, label in items}) != len(items):
        return []
    used.update(indexes)
    return items


def _listed(masked: Masked, v_index: int, used: set[int]) -> list[tuple[Count, str | None]]:
    """The values listed right after value ``v_index`` ('..., 31%, 55%, and 71%, respectively'), all single."""
    match = rules_with(RULES, "value_list")[0].regex.match(masked.after(v_index))
    if match is None:
        return []
    indexes = [int(i) for i in re.findall(r"\u27e6V(\d+)\u27e7", match["rest"])]
    if any(i in used or masked.tokens[i].shape != "single" for i in indexes):
        return []
    used.update(indexes)
    return [(masked.tokens[i].counts[0], None) for i in indexes]


def _printed(masked: Masked, index: int) -> str:
    token = masked.tokens[index]
    return masked.source[token.start : token.end]


# What may stand between two comparisons given per window: their statistics and 'and'.
_STATISTICS = re.compile(
    r"\b(?:hazard|odds|risk)\s+ratios?|\b(?:HR|OR|RR|CI|P|p|and|respectively)\b|\d+(?:\s*%)?|[\s.,;:()\[\]=<>\u2264\u2265\u2010-\u2014-]")


def _compared_per_window(masked: Masked, windows: list[str], items: list[tuple[Count, str | None]], v_index: int,
                         used: set[int]) -> list[tuple[str, list[tuple[Count, str | None]]]]:
    """'The 30- and 60-day mortality was higher in X: 7% versus 3%; ..., and 9% versus 5%; ..., respectively':
    one comparison per window, in the order the windows are named. Any other multi-window group is
    returned whole (its numbers are assigned, or dropped, later)."""
    joined = ";".join(windows)
    if len(windows) < 2 or len(items) < 2 or not re.search(r"\brespectively\b", masked.source):
        return [(joined, items)]
    comparisons, taken = [items], set(used)
    for index, token in enumerate(masked.tokens):
        if len(comparisons) == len(windows):
            break
        if index <= v_index or index in taken or token.kind != "V" or token.shape != "single":
            continue
        previous = max(i for i in taken if masked.tokens[i].kind == "V")
        between = masked.text[masked.spans[previous][1] : masked.spans[index][0]]
        if _STATISTICS.sub("", between).strip(" ,;:()[]=<>"):
            # Words between the comparisons other than their statistics: the later numbers are of something else.
            return [(joined, items)]
        taken.add(index)
        later = value_items(masked, token, index, index, taken)
        if len(later) != len(items):
            return [(joined, items)]
        comparisons.append(later)
    if len(comparisons) != len(windows):
        return [(joined, items)]
    used |= taken
    return list(zip(windows, comparisons, strict=True))


def _from_table(sentence: Sentence) -> list[Found]:
    if any(r.regex.search(sentence.header) for r in rules_with(RULES, "table_caption_excluded")):
        return []
    rule = rules_with(RULES, "table_row")[0]
    windows: list[Token] = []

    def label_ok(label: str) -> bool:
        # A footnote mark before the unit suffix ('30-day mortality*, n (%)') is left out too.
        label = re.sub(r"[*\u2020\u2021\u00a7\u00b6]+", "", rule.regex.sub("", label)).strip()
        tokens = [t for t in window_tokens(label)
                  if t.kind == "W" and ";" not in t.label and t.start == 0 and t.end == len(label)]
        windows.extend(tokens)
        return bool(tokens)

    row = table_row(sentence, label_ok)
    if row is None:
        return []
    return [(windows[0].label, v.count, v.arm, rule.id, rule.confidence) for v in row[1]]
