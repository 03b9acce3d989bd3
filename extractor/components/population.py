"""Patients enrolled and evaluable, median age and range."""

from collections.abc import Iterator
from functools import cache

from extractor.numbers import parse_number
from extractor.patterns import load_rules
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
    """Population numbers stated in a prose sentence (tables hold arm-level baselines)."""
    if sentence.table is not None or not _prefilter().may_match(sentence.text):
        return
    age_done = False
    rules = load_rules("population.yaml")
    others = [r.regex for r in rules if r.rule.fields.get("role") == "not_patients"]
    per_arm = [r.regex for r in rules if r.rule.fields.get("role") == "per_arm"]
    subset = [r.regex for r in rules if r.rule.fields.get("role") == "subset_before"]
    other_study = [r.regex for r in rules if r.rule.fields.get("role") in ("other_study_before", "citation_before")]
    list_after = [r.regex for r in rules if r.rule.fields.get("role") == "list_after"]
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
                group = next((g for g in ("n", "n2", "n3", "n4", "n5") if groups.get(g)), None)
                if group and any(p.match(text, match.end(group)) for p in list_after):
                    continue
                raw = groups[group] if group else None
                value = parse_number(raw) if raw else None
                if field == "n_enrolled" and (any(p.match(text[match.end() :]) for p in per_arm)
                                              or any(s.search(before) for s in subset)):
                    continue
                if value is not None and value >= 1:
                    yield _value(sentence, field, value, rule.id, rule.confidence)
            elif not age_done:
                if any(other.search(sentence.text[: match.start()]) for other in others):
                    continue
                values = {name: parse_number(groups[g]) for g, name in _AGE_GROUPS if groups.get(g)}
                if not _plausible_ages(values):
                    continue
                age_done = True
                for name, value in values.items():
                    if value is not None:
                        yield _value(sentence, name, value, rule.id, rule.confidence)


def _plausible_ages(values: dict[PopulationField, float | None]) -> bool:
    median, low, high = values.get("age_median"), values.get("age_min"), values.get("age_max")
    if median is None or not 0 < median < 110:
        return False
    return low is None or high is None or low <= median <= high


def _value(sentence: Sentence, field: PopulationField, value: float, rule_id: str, confidence: float) -> PopulationValue:
    return PopulationValue(field=field, value=value, provenance=[sentence.provenance(rule_id, confidence)])
