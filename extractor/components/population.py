"""Patients enrolled and evaluable, median age and range."""

import re
from collections.abc import Iterator
from functools import cache

from extractor.components.endpoints import column_headers, next_row, row_cells, row_label
from extractor.components.rates import section_row_label
from extractor.numbers import parse_number
from extractor.patterns import CompiledRule, load_rules
from extractor.prefilter import Prefilter
from extractor.sentence import Sentence
from schemas import PopulationValue
from schemas.vocab import PopulationField

# A median age is reported for a group, not an arm: sentences about one arm are skipped.
_AGE_GROUPS: tuple[tuple[str, PopulationField], ...] = (
    ("median", "age_median"), ("low", "age_min"), ("high", "age_max"),
)


@cache
def _prefilter() -> Prefilter:
    """The rules that give values (those without a role)."""
    return Prefilter(rule.regex for rule in load_rules("population.yaml") if not rule.rule.fields.get("role"))


def extract_population(sentence: Sentence) -> Iterator[PopulationValue]:
    """Population numbers stated in a prose sentence, and the median age of a baseline table's row."""
    if sentence.table is not None:
        yield from _table_ages(sentence)
        return
    if not _prefilter().may_match(sentence.text):
        return
    age_done = False
    rules = load_rules("population.yaml")
    others = [r.regex for r in rules if r.rule.fields.get("role") == "not_patients"]
    per_arm = [r.regex for r in rules if r.rule.fields.get("role") == "per_arm"]
    subset = [r.regex for r in rules if r.rule.fields.get("role") == "subset_before"]
    other_study = [r.regex for r in rules if r.rule.fields.get("role") in ("other_study_before", "citation_before")]
    list_after = [r.regex for r in rules if r.rule.fields.get("role") == "list_after"]
    partial = [r.regex for r in rules if r.rule.fields.get("role") == "partial_count"]
    text = sentence.text
    # A sentence planning the trial gives no count of it (its ages are still read).
    planned = any(r.regex.search(text) for r in rules if r.rule.fields.get("role") == "planned")
    for rule in rules:
        if rule.rule.fields.get("role") or not rule.may_match(text):
            continue
        for match in rule.regex.finditer(text):
            groups = match.groupdict()
            field = rule.rule.fields.get("field")
            if field is not None:
                before = text[: match.start("n") if groups.get("n") else match.start()]
                if planned or any(o.search(before) for o in other_study):
                    continue
                group = next((g for g in ("n", "n2", "n3", "n4", "n5", "n6", "n7") if groups.get(g)), None)
                if group and any(p.match(text, match.end(group)) for p in list_after):
                    continue
                raw = groups[group] if group else None
                value = parse_number(raw) if raw else None
                if field == "n_enrolled" and (any(p.match(text[match.end() :]) for p in per_arm)
                                              or any(s.search(before) for s in subset)
                                              or any(p.match(text[match.end(group) if group else match.end() :])
                                                     for p in partial)):
                    continue
                if value is not None and value >= 1:
                    yield _value(sentence, field, value, rule.id, rule.confidence)
            elif not age_done:
                if any(other.search(sentence.text[: match.start()]) for other in others):
                    continue
                values = {name: parse_number(groups[g]) for g, name in _AGE_GROUPS if groups.get(g)}
                if not (_plausible_range(values) if rule.rule.fields.get("range_only") else _plausible_ages(values)):
                    continue
                age_done = True
                for name, value in values.items():
                    if value is not None:
                        yield _value(sentence, name, value, rule.id, rule.confidence)


def _table_rule(role: str) -> re.Pattern[str]:
    return _table_source(role).regex


@cache
def _table_source(role: str) -> CompiledRule:
    return next(r for r in load_rules("population.yaml") if r.rule.fields.get("role") == role)


def _table_ages(sentence: Sentence) -> Iterator[PopulationValue]:
    """The median age (and range) of the whole population in a baseline table: the row 'Age, median (range)'
    or a 'Median' row in an 'Age' block (its range in a 'Range' row below), read in the table's one column
    of patients or in its 'Total' column. Tables of arms alone give nothing (GUIDE.md: whole population only)."""
    table, row = sentence.table, sentence.row
    if table is None or row is None or row.header:
        return
    label = row_label(row)
    in_block = _table_rule("table_median_row").search(label) and _table_rule("table_age_block").search(
        section_row_label(sentence) or _header_block_label(sentence))
    if not (_table_rule("table_age_row").search(label) or in_block):
        return
    headers = column_headers(table)
    if not any(_table_rule("table_baseline").search(text) for text in (table.caption or "", *headers.values())):
        return
    column = _population_column(headers, [c for c, _ in row_cells(row)[1:]])
    cell = next((cell for c, cell in row_cells(row)[1:] if c == column), None)
    match = _table_rule("table_age_cell").match(cell.text) if cell is not None else None
    if match is None:
        return
    values: dict[PopulationField, float | None] = {"age_median": parse_number(match.group("median"))}
    if match.group("low") and _table_rule("table_range_label").search(label):
        values["age_min"], values["age_max"] = parse_number(match.group("low")), parse_number(match.group("high"))
    below = next_row(sentence)
    if in_block and below is not None and _table_rule("table_range_label").match(row_label(below)):
        ranged = next((_table_rule("table_range_cell").match(c.text) for i, c in row_cells(below)[1:] if i == column), None)
        if ranged:
            values["age_min"], values["age_max"] = parse_number(ranged.group("low")), parse_number(ranged.group("high"))
    if not _plausible_ages(values):
        return
    source = _table_source("table_age_row")
    for name, value in values.items():
        if value is not None:
            yield _value(sentence, name, value, source.id, source.confidence)


def _header_block_label(sentence: Sentence) -> str:
    """The label of a one-cell row in the table's head heading the body's first rows ("Age" printed as a
    header row below the column names, then "N", "Mean ± SD", "Median" rows), when no body row labels a
    block above this row; '' else."""
    table, row = sentence.table, sentence.row
    if table is None or row is None:
        return ""
    label = ""
    for above in table.rows:
        if above is row:
            return label
        cells = [(c, cell.text.strip()) for c, cell in row_cells(above) if cell.text.strip()]
        if above.header and len(cells) == 1 and cells[0][0] == 0:
            label = cells[0][1]
    return ""


def _population_column(headers: dict[int, str], columns: list[int]) -> int | None:
    """The column of the whole population: the one 'Total'/'All patients' column, else the only column
    that is not a statistic ('n', '%', 'P'); None when several arms stand side by side."""
    totals = [c for c in columns if _table_rule("table_total_column").match(headers.get(c, ""))]
    if totals:
        return totals[0] if len(totals) == 1 else None
    named = [c for c in dict.fromkeys(columns) if not _table_rule("table_stat_column").match(headers.get(c, ""))]
    if len(named) > 1 or not columns:
        return None
    return named[0] if named else columns[0]


def _plausible_ages(values: dict[PopulationField, float | None]) -> bool:
    median, low, high = values.get("age_median"), values.get("age_min"), values.get("age_max")
    if median is None or not 0 < median < 110:
        return False
    return low is None or high is None or low <= median <= high


def _plausible_range(values: dict[PopulationField, float | None]) -> bool:
    """An age range printed without a median (rules marked range_only): both ends, in order, as ages."""
    low, high = values.get("age_min"), values.get("age_max")
    return low is not None and high is not None and 0 < low < high < 110


def _value(sentence: Sentence, field: PopulationField, value: float, rule_id: str, confidence: float) -> PopulationValue:
    return PopulationValue(field=field, value=value, provenance=[sentence.provenance(rule_id, confidence)])
