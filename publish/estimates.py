"""One estimate per study per question: merging the same value stated twice, and the rule that picks one.

A *question* is an endpoint and comparison for hazard ratios (a study that names at
most one comparison for an endpoint has one question there: a record without a
comparison is taken to be the trial's comparison), an outcome and arm for
proportions (no arm: the whole study population).

1. **Same value, one estimate.** Records of one study and one question stating the
   same value (the same HR and CI and level; the same events and n) are one estimate
   with several sources: ``n_sources`` counts them and ``sources`` keeps every record
   id, section and quote. Its quote is that of its best source (curator-confirmed,
   then the abstract, then the first stated). A curator's rejection of any of them
   rejects the estimate; a correction applies its values before comparing.
2. **Estimates that cannot be pooled** keep their row with ``included = 0`` and the
   reason: "rejected by curator", "no CI printed" (no SE can be derived), "no
   denominator ..." (proportions).
3. **Not a treatment effect of the whole trial.** From the record's fields, which the
   extractor sets from the quote's words (``extractor/effects.py``) and curators can
   correct: a ``prognostic`` factor (``effect``: KRAS, mutation, rash, R0 resection,
   ...: "prognostic factor, not a treatment effect"), a ``subgroup`` (``analysis_set``:
   "subgroup", "in patients with", an arm label naming a disease state or marker such
   as "relapsed" or "FLT3 wild-type": "subgroup analysis") are excluded unless asked
   for (``?subgroups=1`` on the pool page); an updated cut, an ``adjusted``
   (multivariable) or a per-protocol estimate stays eligible but ranks after the primary one.
4. **One per study per question.** Of the eligible estimates, the first in this
   order is included: confirmed (or corrected, or added) by a curator; the primary
   analysis, then an updated cut, an adjusted, a per-protocol one; the latest report of the trial (paper year);
   stated in the abstract; stated first in its paper. The others: "same study:
   another estimate chosen (...)", naming what the chosen one had.
5. **One per study per pool.** A pool takes one estimate per study: when a study
   has included estimates of several questions (comparisons, arms), the whole
   population first (proportions), then the order of 4.
"""

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Literal

from extractor.effects import has_words, value_end

Analysis = Literal["primary", "updated", "adjusted", "per_protocol", "subgroup", "prognostic"]
ANALYSIS_ORDER: dict[str, int] = {"primary": 0, "updated": 1, "adjusted": 2, "per_protocol": 3, "subgroup": 4,
                                  "prognostic": 5}
ANALYSIS_REASON = {"subgroup": "subgroup analysis", "prognostic": "prognostic factor, not a treatment effect"}
CURATED = frozenset({"confirmed", "corrected", "added"})
SELECTION_RULE = (
    "One estimate per study: records of one study (a trial's papers, an article's files) stating the same value "
    "are one estimate; rejected records, estimates without a CI or denominator, subgroup and prognostic analyses "
    "are left out (subgroups=1 lets subgroup and prognostic ones in); of a study's remaining estimates the one "
    "chosen is the curator-confirmed one, then by analysis (primary, then an updated cut, then adjusted, then "
    "per-protocol), then the latest report, then the one stated in the abstract, then the first stated (the whole "
    "population before an arm). A hazard ratio printed as control vs experimental is pooled as 1/HR.")


def classify(record: dict[str, Any], value: float | int | None) -> Analysis:
    """The kind of analysis a record (a row of its evidence table, curators' values applied) states.

    From the fields the extractor set (extractor/effects.py: ``effect``, ``analysis_set``), so a curator's
    correction of them decides; ``adjusted`` also from the quote's words up to the value.
    """
    if record.get("effect") == "prognostic":
        return "prognostic"
    chosen = record.get("analysis_set")
    if chosen in ("subgroup", "per_protocol"):
        return chosen
    quote = record.get("quote") or ""
    if record.get("adjusted") or has_words("adjusted", quote[:value_end(quote, value)]):
        return "adjusted"
    return "updated" if chosen == "updated" else "primary"


def rank(estimate: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key of step 4: the smaller, the better."""
    return (0 if estimate["curation"] in CURATED else 1, ANALYSIS_ORDER[estimate["analysis"]],
            -(estimate["year"] or 0), 0 if estimate["in_abstract"] else 1, estimate["paper_id"], estimate["start"])


def why_chosen(chosen: dict[str, Any], other: dict[str, Any], key: Callable[[dict[str, Any]], tuple[Any, ...]]) -> str:
    """What decided for the chosen estimate over another, and the chosen record, for the other's excluded_reason."""
    names = ("curator's decision", "primary analysis", "latest report", "stated in the abstract", "stated first",
             "stated first")
    a, b = key(chosen), key(other)
    # A pool of proportions puts the whole-population preference before rank's criteria.
    names = ("the whole population", *names)[-len(a):] if len(a) > len(names) else names
    decided = next((name for name, x, y in zip(names, a, b, strict=False) if x != y), "stated first")
    return f"{decided}: {chosen['record_id']}"


def select(
    estimates: Iterable[dict[str, Any]], group: Callable[[dict[str, Any]], Hashable], *, subgroups: bool = False,
    key: Callable[[dict[str, Any]], tuple[Any, ...]] = rank, same: str = "another estimate chosen",
) -> dict[str, str | None]:
    """record_id -> None for the estimate chosen in its group, else why it was left out."""
    reasons: dict[str, str | None] = {}
    groups: dict[Hashable, list[dict[str, Any]]] = {}
    for estimate in estimates:
        if estimate["problem"]:
            reasons[estimate["record_id"]] = estimate["problem"]
        elif not subgroups and estimate["analysis"] in ANALYSIS_REASON:
            reasons[estimate["record_id"]] = ANALYSIS_REASON[estimate["analysis"]]
        else:
            groups.setdefault(group(estimate), []).append(estimate)
    for members in groups.values():
        chosen, *others = sorted(members, key=key)
        reasons[chosen["record_id"]] = None
        for other in others:
            reasons[other["record_id"]] = f"same study: {same} ({why_chosen(chosen, other, key)})"
    return reasons


def merge_sources(records: list[dict[str, Any]], value: Callable[[dict[str, Any]], Hashable]) -> list[dict[str, Any]]:
    """Records of one study and question with the same value -> one estimate each (step 1).

    Each record needs record_id, study_id, question, paper_id, section, start, quote,
    n_sources, curation and problem; the estimate is its best record with
    ``n_sources`` summed and ``sources``/``record_ids`` listing them all. Rejected or
    unusable records (a ``problem`` other than a curator's rejection) stay one estimate each; an estimate
    one of whose records a curator rejected is rejected.
    """
    def best(record: dict[str, Any]) -> tuple[Any, ...]:
        return (0 if record["curation"] in CURATED else 1, 0 if record["section"] == "abstract" else 1,
                record["paper_id"], record["start"])

    grouped: dict[Hashable, list[dict[str, Any]]] = {}
    for record in records:
        same = (record["study_id"], record["question"], value(record))
        usable = record["problem"] is None or record["curation"] == "rejected"
        grouped.setdefault(same if usable else record["record_id"], []).append(record)
    merged = []
    for members in grouped.values():
        members.sort(key=best)
        estimate = dict(members[0])
        estimate["n_sources"] = sum(m["n_sources"] or 1 for m in members)
        estimate["in_abstract"] = any(m["section"] == "abstract" for m in members)
        estimate["record_ids"] = [m["record_id"] for m in members]
        estimate["sources"] = [{k: m[k] for k in ("record_id", "paper_id", "section", "start", "quote")} for m in members]
        if any(m["curation"] == "rejected" for m in members):
            # A curator who rejects one statement of a value rejects the value.
            estimate["curation"], estimate["problem"] = "rejected", "rejected by curator"
        merged.append(estimate)
    return merged
