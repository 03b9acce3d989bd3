"""What each value is of: its analysis set and subgroup, a hazard ratio's kind and the arms it compares.

Worked out once per paper after extraction (``pipeline.extract_records``), from each record's
primary quote up to its value, so that a later "... overall and in exploratory subgroups" does not
mark a value printed before it, with the word lists of ``lexicons/analysis_words.yaml``:

* ``analysis_set``: ``subgroup`` ("subgroup", "in patients with ...", an arm named by disease state
  or marker such as "relapsed"), ``per_protocol``, ``updated`` (a later data cut: "updated analysis",
  "longer follow-up"), else ``primary``; ``subgroup`` keeps the words naming the subgroup when printed.
* ``effect`` (hazard ratios): ``prognostic`` when a patient or tumour factor (KRAS, mutation, rash,
  R0 resection ...) is named before the value and no treatment comparison is printed, else
  ``treatment``. A treatment comparison within marker-defined patients is a subgroup's treatment effect.
* ``experimental_arm`` / ``control_arm`` / ``inverted`` (hazard ratios with a printed "X vs Y"):
  the side named by a control word (placebo, observation, standard ...) or "no X" is the control;
  when neither is, the first named is taken as experimental, as trial reports print them. The
  names are the paper's arm labels when one matches. ``inverted`` is True when the HR is printed
  as control vs experimental, so a pool takes 1/HR.

These fields are annotations (``schemas.records.ANNOTATION_FIELDS``): not part of a record's
identity, shown with the record, and corrected by curators like any other field.
"""

import re
from collections.abc import Iterable
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from extractor.lexicons import load_yaml
from extractor.patterns import load_rules, longest_first
from schemas.records import EvidenceRecord, HazardRatio, Response, TimeToEvent

WordKind = Literal["prognostic", "subgroup", "subgroup_named", "adjusted", "subgroup_arm", "subgroup_arm_survival",
                   "per_protocol", "updated", "control", "factor_sides"]
class AnalysisWords(BaseModel):
    """The word lists of lexicons/analysis_words.yaml (unknown keys are an error)."""

    model_config = ConfigDict(extra="forbid")
    prognostic: list[str]
    subgroup: list[str]
    adjusted: list[str]
    subgroup_arm: list[str]
    subgroup_arm_survival: list[str]
    per_protocol: list[str]
    updated: list[str]
    control: list[str]
    factor_sides: list[str]


@cache
def _subgroup_phrase() -> re.Pattern[str]:
    """The rule naming a subgroup's patients (patterns/effects.yaml)."""
    (rule,) = (r for r in load_rules("effects.yaml") if r.rule.fields.get("role") == "subgroup_phrase")
    return rule.regex


@cache
def word_patterns() -> dict[str, re.Pattern[str]]:
    """One case-insensitive whole-word pattern per word list, and ``subgroup_named``: the subgroup
    words that name an analysis ("subgroup", "subset"), without the "in patients with ..." phrases."""
    words = AnalysisWords.model_validate(load_yaml("analysis_words.yaml")).model_dump()
    words["subgroup_named"] = [w for w in words["subgroup"] if "patients" not in w]
    return {kind: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(listed, key=longest_first))
                             + r")(?!\w)", re.IGNORECASE)
            for kind, listed in words.items()}


def has_words(kind: WordKind, text: str) -> bool:
    """Whether text holds a word of the named list."""
    return word_patterns()[kind].search(text) is not None


def value_end(quote: str, value: float | int | None) -> int:
    """Where the value is first printed in the quote (1·37 and 1.37 alike), else the quote's end."""
    if value is None:
        return len(quote)
    whole, _, decimals = f"{value:g}".partition(".")
    pattern = rf"(?<![\d.·]){re.escape(whole)}" + (rf"[.·]{decimals}0*" if decimals else r"(?:[.·]0+)?") + r"(?!\d)"
    found = re.search(pattern, quote)
    return found.end() if found else len(quote)


# A subgroup phrase printed right after another value ("0.64 (0.22–1.86) for the amplified subgroup and
# 0.69 ...") names that value's subgroup, not a later one's.
_POSTPOSED = re.compile(r"[\d)\]]\s*$")


def named_subgroup(before: str) -> str | None:
    """The subgroup a clause opens by naming ("In the subgroup of chemoradiotherapy, ...", "However, for
    the FGF pathway–amplified subgroup, ..."), before a value; else None ("survival differed between the
    expression subgroups ... in the mid plus high expression subgroup" compares the subgroups)."""
    for match in reversed(list(_subgroup_phrase().finditer(before))):
        label = match.group("label2") or match.group("label3")
        if label and _CLAUSE_OPENING.search(before, 0, match.start()):
            return label.strip()
    return None


# What may stand before a clause's opening words: nothing, a clause break, or a connective.
_CLAUSE_OPENING = re.compile(r"(?:^|[,;:.]\s*|\b(?:However|Moreover|Similarly|Likewise|Also)\s*,?\s*)"
                             r"(?:(?:in|within|for|among)\s+the\s+)?$", re.IGNORECASE)


def analysis_set(before: str, arm: str | None = None, *, phrases: bool = True) -> tuple[str, str | None]:
    """(analysis set, subgroup label) of a value from the words before it and its arm label.

    ``phrases=False`` reads only the subgroup words that name an analysis ("subgroup", "subset"), not
    "in patients with ...": a response or median of the whole population is often stated that way.
    """
    if has_words("subgroup" if phrases else "subgroup_named", before):
        found = [m for m in _subgroup_phrase().finditer(before) if not _POSTPOSED.search(before, 0, m.start())]
        label = next((g for g in found[-1].group("label", "label2", "label3") if g), None) if found else None
        return "subgroup", label.strip() if label else None
    if arm and (has_words("subgroup", arm) or has_words("subgroup_arm", arm)):
        return "subgroup", arm
    if has_words("per_protocol", before):
        return "per_protocol", None
    if has_words("updated", before):
        return "updated", None
    return "primary", None


def _is_control(side: str) -> bool:
    """A side named "no X" or by a control word (placebo, observation, standard ...)."""
    return side.lower().startswith("no ") or has_words("control", side)


def _arm_label(side: str, arms: Iterable[str]) -> str:
    """The paper's arm label a printed side names (equal, else the one label holding it as a word), else the side."""
    labels = sorted(set(arms))
    equal = [a for a in labels if a.lower() == side.lower()]
    if equal:
        return equal[0]
    holding = [a for a in labels if re.search(rf"(?<!\w){re.escape(side)}(?!\w)", a, re.IGNORECASE)]
    return holding[0] if len(holding) == 1 else side


def _compares_factor_levels(comparison: str | None) -> bool:
    """Whether both sides of an "X vs Y" comparison are levels of a factor ("high TOP2A vs low")."""
    if not comparison or " vs " not in comparison:
        return False
    return all(has_words("factor_sides", side) for side in comparison.split(" vs ", 1))


def compared_arms(comparison: str | None, arms: Iterable[str] = ()) -> tuple[str | None, str | None, bool | None]:
    """(experimental arm, control arm, inverted) of an "X vs Y" comparison; (None, None, None) without one."""
    if not comparison or " vs " not in comparison:
        return None, None, None
    first, second = (side.strip() for side in comparison.split(" vs ", 1))
    arms = list(arms)
    # Both sides named by control words ("placebo + docetaxel vs BSC + docetaxel"): placebo marks the control.
    inverted = _is_control(first) and (not _is_control(second) or (
        "placebo" in first.lower() and "placebo" not in second.lower()))
    experimental, control = (second, first) if inverted else (first, second)
    return _arm_label(experimental, arms), _arm_label(control, arms), inverted


_TREATMENT_COMPARED = re.compile(r"\b(?:compared\s+(?:with|to)|versus|vs\.?)\s+(?:the\s+)?(?:untreated|control|placebo|"
                                 r"observation|no\s+\w+)", re.IGNORECASE)


def annotate(record: EvidenceRecord, arms: Iterable[str] = ()) -> EvidenceRecord:
    """The record with its analysis fields set (records of other kinds unchanged)."""
    if not isinstance(record, HazardRatio | Response | TimeToEvent):
        return record
    quote = record.provenance[0].quote
    if isinstance(record, HazardRatio):
        before = quote[:value_end(quote, record.hr)]
        prognostic = has_words("prognostic", before)
        # "for patients with high HOXB13 expression, tamoxifen did not prolong DRFS compared with untreated
        # patients (HR 0.88)": a treatment compared within marker-defined patients, not the marker's effect.
        within = prognostic and analysis_set(before)[0] == "subgroup" and _TREATMENT_COMPARED.search(before)
        if (prognostic and not record.comparison and not within) or _compares_factor_levels(record.comparison):
            # A factor's effect within a named subgroup ("In the subgroup of chemoradiotherapy, weight loss
            # ... HR 3.3") is that subgroup's; "in patients with KRAS mutation" names the factor itself, and
            # "between the expression subgroups" its levels.
            label = named_subgroup(before)
            update: dict[str, object] = {"analysis_set": "subgroup" if label else "primary",
                                         "subgroup": label, "effect": "prognostic"}
        else:
            chosen, label = analysis_set(before)
            if prognostic:  # a treatment comparison within marker-defined patients
                chosen = "subgroup"
            update = {"analysis_set": chosen, "subgroup": label, "effect": "treatment"}
        experimental, control, inverted = compared_arms(record.comparison, arms)
        update.update(experimental_arm=experimental, control_arm=control, inverted=inverted)
        return record.model_copy(update=update)
    value = record.value if isinstance(record, TimeToEvent) else record.n if record.n is not None else record.percent
    chosen, label = analysis_set(quote[:value_end(quote, value)], record.arm, phrases=False)
    if isinstance(record, TimeToEvent) and chosen == "primary" and record.arm and has_words(
            "subgroup_arm_survival", record.arm):
        chosen, label = "subgroup", record.arm
    return record.model_copy(update={"analysis_set": chosen, "subgroup": label})


def annotate_all(records: list[EvidenceRecord]) -> list[EvidenceRecord]:
    """Every record of one paper annotated, arms named after the paper's own arm labels."""
    arms = {label for r in records if (label := getattr(r, "arm", None))}
    return [annotate(r, arms) for r in records]
