"""Hazard ratios with confidence interval and P value."""

import re
from collections.abc import Iterator
from functools import cache

from extractor.components.endpoints import (
    ENDPOINT,
    column_headers,
    endpoint_mentions,
    mention_at,
    next_row,
    row_cells,
    row_label,
    row_outcome,
)
from extractor.components.rates import section_row_label
from extractor.components.survival import rule as survival_rule
from extractor.numbers import normalise_number_text, parse_number
from extractor.patterns import CompiledRule, load_rules
from extractor.prefilter import Prefilter
from extractor.sentence import Sentence
from schemas import HazardRatio, Table, TableCell
from schemas.vocab import Endpoint

# Beyond this a printed "HR" is not a hazard ratio (a heart rate, a count).
MAX_HR = 50.0
# At most this many characters between two hazard ratios of one list ("..., P=0.02, and 9% versus 5%; ").
MAX_LISTED_GAP = 60


@cache
def rule(role: str) -> CompiledRule:
    """The hazard-ratio rule with the given fields.role."""
    return next(r for r in load_rules("hazard_ratio.yaml") if r.rule.fields.get("role") == role)


@cache
def _prose_prefilter() -> Prefilter:
    return Prefilter([rule("prose").regex, rule("prose_words").regex])


def extract_hazard_ratios(sentence: Sentence) -> Iterator[HazardRatio]:
    """Every hazard ratio printed in the sentence, or in a table row's hazard-ratio column."""
    text = sentence.text
    if sentence.table is None and not _prose_prefilter().may_match(text):
        return
    if rule("hypothetical").regex.search(text):
        return
    found = False
    taken: list[tuple[int, int]] = []
    for source in (rule("prose"), rule("prose_words")):
        for match in source.regex.finditer(text):
            if source.id != rule("prose").id and any(s < match.end() and match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            record = _prose_record(sentence, match, source)
            if record is None:
                continue
            found = True
            yield record
            if record.ci_low is not None:
                for listed, span in _listed_after(sentence, match.end()):
                    taken.append(span)
                    yield listed
    if not found and sentence.table is not None and sentence.row is not None:
        yield from _table_records(sentence)


def _listed_after(sentence: Sentence, position: int) -> Iterator[tuple[HazardRatio, tuple[int, int]]]:
    """Hazard ratios listed after one with a CI, each with its own bracketed CI, and where each is printed."""
    more = rule("list_more")
    while (match := more.regex.match(sentence.text, position)) is not None:
        record = _prose_record(sentence, match, more)
        if record is None:
            return
        yield record, match.span()
        position = match.end()


def _prose_record(sentence: Sentence, match: re.Match[str], source: CompiledRule | None = None) -> HazardRatio | None:
    text = sentence.text
    source = source or rule("prose")
    group = match.groupdict().get
    hr = parse_number(match.group("hr"))
    low_text = group("low") or group("blow") or group("ulow")
    high_text = group("high") or group("bhigh") or group("uhigh")
    low = parse_number(low_text) if low_text else None
    high = parse_number(high_text) if high_text else None
    if hr is None or not 0 < hr <= MAX_HR:
        return None
    if low is None and (later := rule("ci_later").regex.match(text, match.end())) is not None:
        low, high = parse_number(later.group("low")), parse_number(later.group("high"))
        group = {**match.groupdict(), "level": later.group("level")}.get
    if low is not None and high is not None and not low <= hr <= high:
        return None
    if _compares_no_time_to_event(text, match):
        return None
    level = None
    if low is not None:
        level = parse_number(group("level")) if group("level") else 95.0
    sided = group("sided")
    one_sided = bool(sided and sided.lower()[0] in "o1") or bool(
        group("p") and rule("one_sided_after").regex.match(text[match.end() :]))
    return HazardRatio(
        endpoint=_endpoint(text, match),
        hr=hr, ci_low=low, ci_high=high, ci_level=level,
        p=_p_value(group("op"), group("p")),
        one_sided=one_sided,
        comparison=_comparison(text),
        adjusted=_adjusted(text[: match.start()] + match.group()),
        provenance=[sentence.provenance(source.id, source.confidence)],
    )


def _endpoint(text: str, match: re.Match[str]) -> Endpoint | None:
    """The endpoint named in 'HR for PFS' or '... for OS' after it, else the nearest outcome named before it."""
    if match.group("for"):
        named = [m for m in endpoint_mentions(match.group("for")) if m.kind == ENDPOINT]
        if named:
            return named[-1].endpoint
    after = text[match.end() :]
    lead = rule("for_after").regex.match(after)
    if lead:
        named = endpoint_mentions(after[lead.end() :])
        if named and named[0].start == 0:
            return named[0].endpoint
    before = endpoint_mentions(text[: match.start()])
    if not before or before[-1].kind != ENDPOINT:
        return None
    return before[-1].endpoint


def _compares_no_time_to_event(text: str, match: re.Match[str]) -> bool:
    """An HR printed for a response or an early-death proportion ("complete remission (22% vs 12%;
    hazard ratio 0.47", "30-day mortality: 7% versus 3%; hazard ratio 2.07"), or listed right after one,
    compares no time to event."""
    if _endpoint(text, match) is not None:
        return False
    before = text[max(0, match.start() - 100) : match.start()]
    if rule("no_time_to_event").regex.search(before) is not None:
        return True
    # "... 30- and 60-day mortality ...: 7% versus 3%; hazard ratio 2.07 (...), P=0.02, and 9% versus 5%;
    # hazard ratio 1.99": a hazard ratio listed right after such a one, no outcome named between, is another.
    earlier = list(rule("prose").regex.finditer(text, 0, match.start()))
    between = text[earlier[-1].end() : match.start()] if earlier else ""
    if (not earlier or len(between) > MAX_LISTED_GAP or endpoint_mentions(between)
            or rule("factor_table_tte").regex.search(between)):
        return False
    return _compares_no_time_to_event(text, earlier[-1])


def _p_value(op: str | None, printed: str | None) -> str | None:
    """'P < .001' -> '<.001', 'p=0·013' -> '0.013'."""
    if not printed:
        return None
    sign = "" if op in (None, "=") else op
    return sign + normalise_number_text(printed)


# Words a loose "with X than Y" pair can take for a side that names no arm ("than that with chlorambucil").
_NOT_ARMS = frozenset({"the", "that", "this", "those", "these", "it", "arm", "group"})


def _comparison(text: str) -> str | None:
    """'X vs Y' as printed, or the two arms a sentence contrasts ('with X than Y')."""
    match = rule("comparison").regex.search(text)
    if match is not None and not endpoint_mentions(match.group()):
        return f"{match.group('a')} vs {match.group('b')}"
    pair = survival_rule("arm_pair").regex.search(text)
    arms = [g for g in pair.groups() if g] if pair else []
    if len(arms) != 2 or any(endpoint_mentions(a) or a.lower() in _NOT_ARMS for a in arms):
        return None
    return f"{arms[0]} vs {arms[1]}"


def _adjusted(text: str) -> bool | None:
    """True or False from the last adjusted/unadjusted cue before the HR; None when none is printed."""
    cues = [(m.start(), True) for m in rule("adjusted").regex.finditer(text)]
    cues += [(m.start(), False) for m in rule("unadjusted").regex.finditer(text)]
    return max(cues)[1] if cues else None


def _table_records(sentence: Sentence) -> Iterator[HazardRatio]:
    """A time-to-event row of a table with a hazard-ratio column, a row labelled as hazard ratios, or a
    factor or subgroup row of a table of time-to-event hazard ratios."""
    table, row = sentence.table, sentence.row
    assert table is not None and row is not None
    if rule("hr_row_label").regex.match(row_label(row)):
        yield from _hr_row_records(sentence)
        return
    outcome = row_outcome(sentence)
    if outcome is None:
        yield from _factor_records(sentence)
        return
    if not outcome.time_to_event:
        return
    headers = column_headers(table)
    cells = dict(row_cells(row)[1:])
    hr_columns = [c for c in cells if rule("hr_column").regex.search(headers.get(c, ""))]
    if len(hr_columns) != 1:
        return
    cell = rule("table_cell").regex.match(cells[hr_columns[0]].text)
    hr = parse_number(cell.group("hr")) if cell else None
    if cell is None or hr is None or not 0 < hr <= MAX_HR:
        return
    low, high, level = _table_ci(cell, cells, headers, hr_columns[0])
    if low is not None and high is not None and not low <= hr <= high:
        return
    p = None
    for column, other in cells.items():
        p_cell = rule("p_cell").regex.match(other.text)
        if column != hr_columns[0] and rule("p_column").regex.search(headers.get(column, "")) and p_cell:
            p = _p_value(p_cell.group("op"), p_cell.group("p"))
    source = rule("table_cell")
    yield HazardRatio(
        endpoint=outcome.endpoint, hr=hr, ci_low=low, ci_high=high, ci_level=level, p=p,
        provenance=[sentence.provenance(source.id, source.confidence)],
    )


def _factor_records(sentence: Sentence) -> Iterator[HazardRatio]:
    """A row naming no outcome (a factor, a subgroup, an endpoint the lexicon does not know) in a table
    of time-to-event hazard ratios: one hazard ratio with its CI (in its cell or the CI column beside it)
    per hazard-ratio column ("Low HOXB13
    expression 0.38 (0.23 to 0.60) 0.000048 0.35 (0.20 to 0.60) 0.00016" under "Distant recurrence" and
    "Breast cancer death"). Its endpoint is the one the block row above names ("Overall survival" over
    "Age > 60"; a block row of responses gives nothing), else the column's header's or the caption's (none
    when other rows of the table are outcomes: the row is then an endpoint outside the vocabulary, "D-FFS");
    it is adjusted when its column's header or else the caption says so ("Adjusted model", "Crude model",
    "Multivariable analysis of ...")."""
    table, row = sentence.table, sentence.row
    assert table is not None and row is not None
    if rule("factor_row_not").regex.search(row_label(row)):
        return
    block = mention_at(section_row_label(sentence))
    if block is not None and not block.time_to_event:
        return
    headers = column_headers(table)
    caption = table.caption or ""
    cells = dict(row_cells(row)[1:])
    hr_columns = [c for c in sorted(cells) if rule("factor_hr_column").regex.search(headers.get(c, ""))]
    source = rule("factor_hr_column")
    for index, column in enumerate(hr_columns):
        header = headers.get(column, "")
        context = f"{caption} {header}"
        if block is None and not rule("factor_table_tte").regex.search(context) and not any(
                m.time_to_event for m in endpoint_mentions(context)):
            continue
        cell = rule("table_cell").regex.match(cells[column].text)
        hr = parse_number(cell.group("hr")) if cell else None
        if cell is None or hr is None or not 0 < hr <= MAX_HR:
            continue
        low, high, level = _table_ci(cell, cells, headers, column)
        if low is None or high is None or not low <= hr <= high or low == high:
            continue
        following = hr_columns[index + 1] if index + 1 < len(hr_columns) else None
        p = None
        for other in sorted(cells):
            p_cell = rule("p_cell").regex.match(cells[other].text)
            if (column < other and (following is None or other < following) and p is None and p_cell
                    and rule("p_column").regex.search(headers.get(other, ""))):
                p = _p_value(p_cell.group("op"), p_cell.group("p"))
        if block is not None:
            endpoint = block.endpoint
        else:
            endpoint = None if _rows_name_outcomes(table) else _named_endpoint(header) or _named_endpoint(caption)
        yield HazardRatio(
            endpoint=endpoint, hr=hr, ci_low=low, ci_high=high, ci_level=level, p=p,
            adjusted=_adjusted(context),
            provenance=[sentence.provenance(source.id, source.confidence)],
        )


def _hr_row_records(sentence: Sentence) -> Iterator[HazardRatio]:
    """A row of hazard ratios under rows of medians ("HR (95% CI) 0.665 (0.544-0.812) 0.390 (0.130-1.173)"
    below "Median PFS (95% CI)"): one hazard ratio per cell with its CI, the endpoint the nearest row above
    naming an outcome or else the caption names, the P value the same column's of a P-value row right below."""
    table, row = sentence.table, sentence.row
    assert table is not None and row is not None
    index = next(i for i, r in enumerate(table.rows) if r is row or (r.start, r.end) == (row.start, row.end))
    named = next((m for m in (mention_at(row_label(r)) for r in reversed(table.rows[:index]) if not r.header)
                  if m is not None), None)
    caption = table.caption or ""
    if named is not None and not named.time_to_event:
        return
    if named is None and not rule("factor_table_tte").regex.search(caption):
        return
    endpoint = named.endpoint if named is not None else _named_endpoint(caption)
    below = next_row(sentence)
    p_cells = dict(row_cells(below)) if below is not None and rule("p_column").regex.search(row_label(below)) else {}
    source = rule("hr_row_label")
    for column, cell_text in ((c, cell.text) for c, cell in row_cells(row)[1:]):
        cell = rule("table_cell").regex.match(cell_text)
        hr = parse_number(cell.group("hr")) if cell else None
        if cell is None or hr is None or not cell.group("low") or not 0 < hr <= MAX_HR:
            continue
        low, high = parse_number(cell.group("low")), parse_number(cell.group("high"))
        if low is None or high is None or not low <= hr <= high or low == high:
            continue
        p_cell = rule("p_cell").regex.match(p_cells[column].text) if column in p_cells else None
        yield HazardRatio(
            endpoint=endpoint, hr=hr, ci_low=low, ci_high=high, ci_level=_level(rule("ci_column").regex.search(row_label(row))),
            p=_p_value(p_cell.group("op"), p_cell.group("p")) if p_cell else None,
            provenance=[sentence.provenance(source.id, source.confidence)],
        )


def _rows_name_outcomes(table: Table) -> bool:
    """True when some row of the table is labelled with an outcome ("PFS", "Overall survival"): its rows are
    then endpoints, and a caption's or spanning header's "Survival outcomes" names none of the others."""
    return any(not row.header and mention_at(row_label(row)) is not None for row in table.rows)


def _named_endpoint(text: str) -> Endpoint | None:
    """The one vocabulary endpoint a header or caption names, else None."""
    named = {m.endpoint for m in endpoint_mentions(text) if m.kind == ENDPOINT}
    return named.pop() if len(named) == 1 else None


def _table_ci(
    cell: re.Match[str], cells: dict[int, TableCell], headers: dict[int, str], hr_column: int,
) -> tuple[float | None, float | None, float | None]:
    """CI of a table hazard ratio: in its own cell, or in a CI column right beside it."""
    if cell.group("low"):
        header = rule("ci_column").regex.search(headers.get(hr_column, ""))
        return parse_number(cell.group("low")), parse_number(cell.group("high")), _level(header)
    header = rule("ci_column").regex.search(headers.get(hr_column + 1, ""))
    beside = cells.get(hr_column + 1)
    ci = rule("ci_cell").regex.match(beside.text) if beside is not None else None
    if header is None or ci is None:
        return None, None, None
    return parse_number(ci.group("low")), parse_number(ci.group("high")), _level(header)


def _level(header: re.Match[str] | None) -> float | None:
    """Confidence level printed in a header ('95% CI'), 95 when not printed."""
    return parse_number(header.group("level")) if header and header.group("level") else 95.0
