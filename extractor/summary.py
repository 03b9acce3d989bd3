"""Evidence records of one paper -> its evidence summary (corpus/gold/FORMAT.md)."""

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from extractor.components.add_on import added_drugs
from extractor.components.dose_finding import distinct_dlts
from extractor.components.regimen import paper_arms, randomised_paper, supportive_drug
from extractor.components.regimen_arms import dose_arm_label, rule
from schemas import (
    AdverseEvent,
    DoseLimitingToxicity,
    DrugRegimen,
    EarlyMortality,
    EvidenceRecord,
    HazardRatio,
    MaximumToleratedDose,
    PopulationValue,
    RegistryId,
    Response,
    TimeToEvent,
    TrialDesign,
    TrialPhase,
)
from schemas.document import Document
from schemas.summary import (
    EvidenceSummary,
    SummaryAdverseEvent,
    SummaryArm,
    SummaryDlt,
    SummaryDose,
    SummaryDrug,
    SummaryHazardRatio,
    SummaryMortality,
    SummaryPopulation,
    SummaryResponse,
    SummaryTimeToEvent,
)

R = TypeVar("R", bound=EvidenceRecord)
M = TypeVar("M", bound=BaseModel)

POPULATION_FIELDS = ("n_enrolled", "n_evaluable", "age_median", "age_min", "age_max")


def build_summary(document: Document, records: list[EvidenceRecord]) -> EvidenceSummary:
    """The FORMAT.md summary of a paper from its evidence records.

    Single-valued facts (phase, design, each population field) take the value with
    the most support; a tie leaves the field None, since a wrong value is worse
    than a missing one. List facts keep record order; an entry whose fields all
    agree with a fuller entry of the same list (the same fact printed once with and
    once without its denominator, say) is folded into the fuller one.
    """
    trial_ids = list(dict.fromkeys(r.identifier for r in _of(records, RegistryId)))
    phases = _of(records, TrialPhase)
    designs = _of(records, TrialDesign)
    responses = _entries(SummaryResponse, _of(records, Response), _response)
    return EvidenceSummary(
        paper=document.stem,
        source=document.metadata.title or None,
        trial_ids=trial_ids,
        phase=_phase(phases),
        design=best_supported(designs, lambda r: r.design),
        population=_evaluable_from_responses(_population(_of(records, PopulationValue)), responses),
        arms=_every_arm(_add_on_arms(_arms(_of(records, DrugRegimen)), added_drugs(document)),
                        randomised_paper(document), paper_arms(document).named,
                        lambda name: supportive_drug(name, document)),
        responses=responses,
        time_to_event=_entries(SummaryTimeToEvent, _of(records, TimeToEvent), _time_to_event),
        hazard_ratios=_entries(SummaryHazardRatio, _without_ci_repeats(_of(records, HazardRatio)), _hazard_ratio),
        mtd=_entries(SummaryDose, _of(records, MaximumToleratedDose), _dose),
        dlts=_entries(SummaryDlt, distinct_dlts(_of(records, DoseLimitingToxicity)), lambda r: {"term": r.term}),
        adverse_events=_entries(SummaryAdverseEvent, _of(records, AdverseEvent), _adverse_event),
        mortality=_entries(SummaryMortality, _of(records, EarlyMortality), _mortality),
    )


def _of(records: Iterable[EvidenceRecord], model: type[R]) -> list[R]:
    return [r for r in records if isinstance(r, model)]


def support(record: EvidenceRecord) -> tuple[int, float]:
    """How well a record is supported: places stating it, then the best rule confidence."""
    return len(record.provenance), max(p.confidence for p in record.provenance)


def _tied_best(records: list[R], value: Callable[[R], Any]) -> list[Any]:
    """The values sharing the most support (spans summed, best confidence) over the records."""
    scores: dict[Any, tuple[int, float]] = {}
    for record in records:
        spans, confidence = support(record)
        old_spans, old_confidence = scores.get(value(record), (0, 0.0))
        scores[value(record)] = (old_spans + spans, max(old_confidence, confidence))
    top = max(scores.values(), default=None)
    return [v for v, score in scores.items() if score == top]


def best_supported(records: list[R], value: Callable[[R], Any]) -> Any:
    """The value with the most support over the records, or None when the top two tie."""
    tied = _tied_best(records, value)
    return tied[0] if len(tied) == 1 else None


def _phase(records: list[TrialPhase]) -> str | None:
    """The best-supported phase; a tie between '1/2' and its own parts goes to '1/2', and so does a
    paper whose title or abstract calls its trial '2/3' and whose other phases are all its parts."""
    # A phase 1/2 paper also speaks of its phase 1 and phase 2 parts, each as often as of the whole
    # (a phase II/III trial of its "phase II study" more often: "the primary outcome of the phase II study").
    stated = {r.phase for r in records if "/" in r.phase and r.provenance[0].section in ("title", "abstract")}
    if len(stated) == 1:
        (combined,) = stated
        if all(r.phase == combined or r.phase in combined.split("/") for r in records):
            return combined
    tied = _tied_best(records, lambda r: r.phase)
    combined = [p for p in tied if "/" in p]
    if len(combined) == 1 and all(p in combined[0].split("/") for p in tied if p != combined[0]):
        return combined[0]
    return tied[0] if len(tied) == 1 else None


_ARM_WORD = re.compile(r"[a-z0-9]+")
# Words of an arm label that do not tell arms apart: those joining its drugs, printed either way
# ('chemotherapy and/plus bevacizumab'), and those naming it an arm ('sorafenib', 'the sorafenib arm').
_ARM_NOISE = frozenset({"and", "plus", "with", "the", "arm", "arms", "group", "groups", "cohort", "treatment"})
_RANDOMIZED = re.compile(r"\brandomi[sz]|\brandomly\b", re.IGNORECASE)


def _population(records: list[PopulationValue]) -> SummaryPopulation:
    values: dict[str, float] = {}
    quotes: dict[str, str] = {}
    for field in POPULATION_FIELDS:
        in_field = [r for r in records if r.field == field]
        value = best_supported(in_field, lambda r: r.value)
        if value is None and field == "n_enrolled":
            # Enrolled and randomized counts that differ (withdrawals before randomization): the
            # randomized count is the trial's, as FORMAT.md reads n_enrolled.
            value = best_supported([r for r in in_field if _RANDOMIZED.search(_quote(r))], lambda r: r.value)
        if value is not None:
            values[field] = value
            quotes[field] = next(_quote(r) for r in in_field if r.value == value)
    quote = quotes.get("n_enrolled") or next(iter(quotes.values()), None)
    return SummaryPopulation(**values, quote=quote)


def _evaluable_from_responses(population: SummaryPopulation, responses: list[SummaryResponse]) -> SummaryPopulation:
    """The number analysed, when no sentence states it: the denominator two or more whole-population
    responses share ("CR 16/25 (64%), overall response 20/25 (80%)" of 26 enrolled), when it is
    below the enrolled count and above half of it."""
    enrolled = population.n_enrolled
    if population.n_evaluable is not None or enrolled is None:
        return population
    counts = Counter(r.of for r in responses if r.arm is None and r.of is not None)
    if not counts:
        return population
    denominator, times = counts.most_common(1)[0]
    if times < 2 or not enrolled / 2 < denominator < enrolled:
        return population
    return population.model_copy(update={"n_evaluable": denominator})


def _arm_words(label: str) -> list[str]:
    """The words of an arm label that tell arms apart, in order."""
    return [w for w in _ARM_WORD.findall(label.lower()) if w not in _ARM_NOISE]


def _arm_name(label: str | None) -> str | None:
    """An arm label without the words that do not tell arms apart, for grouping."""
    if label is None:
        return None
    return " ".join(_arm_words(label)) or label.lower()


def _arms(records: list[DrugRegimen]) -> list[SummaryArm]:
    grouped: dict[str | None, list[DrugRegimen]] = {}
    labels: dict[str | None, str | None] = {}
    for record in records:
        name = _arm_name(record.arm)
        # The first label printed for an arm names it.
        labels.setdefault(name, record.arm)
        grouped.setdefault(name, []).append(record)
    arms = []
    for name, in_arm in grouped.items():
        label = labels[name]
        sizes = [r.arm_n for r in in_arm if r.arm_n is not None]
        n = max(set(sizes), key=sizes.count) if sizes else None
        drugs = _one_per_dose(_entries(SummaryDrug, in_arm, _drug))
        arms.append(SummaryArm(label=label, n=n, drugs=drugs))
    # A dose printed without its arm that an arm of the paper holds is that arm's, not a further fact.
    armed = {(d.drug, d.dose, d.unit) for arm in arms if arm.label is not None for d in arm.drugs}
    for i, arm in enumerate(arms):
        if arm.label is None:
            arms[i] = arm.model_copy(update={"drugs": [d for d in arm.drugs if (d.drug, d.dose, d.unit) not in armed]})
    return [arm for arm in arms if arm.drugs]


def _add_on_arms(arms: list[SummaryArm], added: frozenset[str]) -> list[SummaryArm]:
    """The arms of an add-on trial (``added``: the drugs its experimental arm adds) with the backbone
    in both: a drug printed without its arm, or in one arm only, that the other arm names no dose of
    is that arm's too. Left as they are when the arms do not split into one arm without and at most
    one with the added drugs."""
    if not added:
        return arms
    labelled = [arm for arm in arms if arm.label is not None]
    unarmed = [drug for arm in arms if arm.label is None for drug in arm.drugs]
    experimental = [arm for arm in labelled if any(d.drug in added for d in arm.drugs)]
    control = [arm for arm in labelled if arm not in experimental]
    if len(experimental) > 1 or len(control) > 1:
        return arms
    backbone = [d for d in unarmed if d.drug not in added]
    if not backbone and not (control and experimental):
        return arms
    backbone_names = " + ".join(dict.fromkeys(d.drug for d in (control[0].drugs if control else backbone)))
    plain = control[0] if control else SummaryArm(label=backbone_names, drugs=[])
    adding = experimental[0] if experimental else SummaryArm(
        label=" + ".join([backbone_names, *sorted(added)]), drugs=[])
    # Each arm takes the drugs printed for the whole trial and the other arm's backbone drugs
    # it names no dose of itself (a backbone given at another dose in one arm stays its own).
    plain_drugs = _with(plain.drugs, [*backbone, *(d for d in adding.drugs if d.drug not in added)])
    adding_drugs = _with(adding.drugs, [*unarmed, *plain.drugs])
    return [plain.model_copy(update={"drugs": plain_drugs}), adding.model_copy(update={"drugs": adding_drugs})]


def _every_arm(arms: list[SummaryArm], randomised: bool, named: dict[str, frozenset[str]],
               supportive: Callable[[str], bool]) -> list[SummaryArm]:
    """The arms of a randomised trial with the doses printed without their arm that belong to every arm
    listed in each labelled arm that does not hold them (corpus/gold/GUIDE.md: all doses of all drugs of
    every arm): a drug a sentence gives every arm ("All patients then received ... daunorubicin 50 mg/m2"),
    unless given after the surgery that follows the randomised treatment, and a dose of a drug the paper
    names for every arm and prints no arm's own dose of ("R-CHOP or R-CVP"; "Rituximab 375 mg/m2 was
    given on day 1"). A drug's dose randomised across regimen arms naming it is in each of them
    (_crossed_dose_arms). ``named``: arm label -> the drugs the paper's sentences name for it; a ``supportive``
    drug (G-CSF every patient receives) is no arm's regimen and stays listed once."""
    labelled = [arm for arm in arms if arm.label is not None]
    if not randomised or len(labelled) < 2:
        return arms
    names = {_arm_name(label): drugs for label, drugs in named.items()}
    arms = _crossed_dose_arms(arms, names)
    labelled = [arm for arm in arms if arm.label is not None]
    every, later = rule("regimen.arm.every_arm.v1").regex, rule("regimen.arm.every_arm_later.v1").regex
    armed_doses = {d.drug for arm in labelled for d in arm.drugs if d.dose is not None}
    # Every arm: those of the summary and those the paper's sentences name (an arm none of whose doses
    # was read is still an arm).
    arm_names = {_arm_name(arm.label) for arm in labelled} | set(names)
    in_every = set.intersection(*(set(names.get(name, ())) for name in arm_names)) - armed_doses
    shared = [d for arm in arms if arm.label is None for d in arm.drugs if not supportive(d.drug) and (
              (d.quote and every.search(d.quote) and not later.search(d.quote))
              or (d.drug in in_every and d.dose is not None))]
    if not shared:
        return arms
    result = []
    for arm in arms:
        if arm.label is None:
            rest = [d for d in arm.drugs if d not in shared]
            if rest:
                result.append(arm.model_copy(update={"drugs": rest}))
            continue
        held = {(d.drug, d.dose, d.unit) for d in arm.drugs}
        result.append(arm.model_copy(update={"drugs": arm.drugs + [
            d for d in shared if (d.drug, d.dose, d.unit) not in held]}))
    return result


def _crossed_dose_arms(arms: list[SummaryArm], names: dict[str | None, frozenset[str]]) -> list[SummaryArm]:
    """The arms of a trial randomising a drug's dose across its regimens ("A plus CHOP (A-CHOP) or A plus FC
    (A-FC)"; "randomly assigned to A 1600 mg ... or 400 mg"): the dose arms' doses are in every regimen arm
    naming the drug and holding no dose of it, and the dose arms go. Left as they are unless two or more dose
    arms of one drug and two or more such regimen arms (``names``: arm name -> the drugs it is named with)."""
    dose_arms = [arm for arm in arms if arm.label is not None and arm.drugs
                 and len({d.drug for d in arm.drugs}) == 1 and arm.drugs[0].dose is not None
                 and arm.drugs[0].unit is not None
                 and arm.label == dose_arm_label(arm.drugs[0].drug, arm.drugs[0].dose, arm.drugs[0].unit)]
    drugs = {arm.drugs[0].drug for arm in dose_arms}
    if len(drugs) != 1 or len(dose_arms) < 2:
        return arms
    (drug,) = drugs
    crossed = [arm for arm in arms if arm.label is not None and arm not in dose_arms
               and drug in names.get(_arm_name(arm.label), ()) and all(d.drug != drug for d in arm.drugs)]
    if len(crossed) < 2:
        return arms
    doses = [d for arm in dose_arms for d in arm.drugs]
    return [arm.model_copy(update={"drugs": arm.drugs + doses}) if arm in crossed else arm
            for arm in arms if arm not in dose_arms]


def _with(own: list[SummaryDrug], shared: list[SummaryDrug]) -> list[SummaryDrug]:
    """An arm's drugs and those shared drugs it names none of, each drug and dose once."""
    named = {d.drug for d in own}
    extra: dict[tuple[str, float | None, str | None], SummaryDrug] = {}
    for drug in shared:
        if drug.drug not in named:
            extra.setdefault((drug.drug, drug.dose, drug.unit), drug)
    return own + list(extra.values())


def _one_per_dose(drugs: list[SummaryDrug]) -> list[SummaryDrug]:
    """One entry per drug and dose in an arm: the same dose printed with a frequency in one place and
    another in another ("single dose", "every 3 weeks") is one fact; the fullest entry is kept."""
    best: dict[tuple[str, float | None, str | None], SummaryDrug] = {}
    for entry in drugs:
        key = (entry.drug, entry.dose, entry.unit)
        kept = best.get(key)
        if kept is None or _filled(entry) > _filled(kept):
            best[key] = entry
    return [entry for entry in drugs if best[(entry.drug, entry.dose, entry.unit)] is entry]


def _filled(entry: SummaryDrug) -> int:
    return sum(value is not None for value in (entry.frequency, entry.route))


def _quote(record: EvidenceRecord) -> str:
    return record.provenance[0].quote


def _entries(model: type[M], records: list[R], fields: Callable[[R], dict[str, Any]]) -> list[M]:
    """One summary entry per distinct fact, fuller entries absorbing the ones they subsume."""
    rows = [(fields(r), _quote(r)) for r in records]
    kept: list[tuple[dict[str, Any], str]] = []
    for i, (row, quote) in enumerate(rows):
        # Two rows each subsuming the other (arms named alike) keep the first.
        if any(_subsumes(other, row) and other != row and (j < i or not _subsumes(row, other))
               for j, (other, _) in enumerate(rows)):
            continue
        if all(other != row for other, _ in kept):
            kept.append((row, quote))
    return [model(**row, quote=quote) for row, quote in kept]


def _subsumes(fuller: dict[str, Any], row: dict[str, Any]) -> bool:
    """True when every field the row gives has the same value in ``fuller``; an arm named shorter
    in one place ("dovitinib" in prose, "Dovitinib + fulvestrant" in the table) is the same arm."""
    return all(value is None or fuller.get(key) == value or (key == "arm" and _same_arm(fuller.get(key), value))
               for key, value in row.items())


def _same_arm(fuller: Any, arm: Any) -> bool:
    if not isinstance(fuller, str) or not isinstance(arm, str):
        return False
    words = set(_arm_words(arm))
    return bool(words) and words <= set(_arm_words(fuller))


def _drug(r: DrugRegimen) -> dict[str, Any]:
    # A dose range given as one regimen ("epirubicin 30–40 mg/m2") has no single dose to write;
    # the range stays in the database (dose, dose_max). Escalation ranges arrive here as levels.
    ranged = r.dose_max is not None
    dose, unit = (None, None) if ranged else (r.dose, r.unit)
    return {"drug": r.drug, "dose": dose, "unit": unit, "frequency": r.frequency, "route": r.route}


def _response(r: Response) -> dict[str, Any]:
    return {"arm": r.arm, "outcome": r.outcome, "n": r.n, "of": r.of, "percent": r.percent,
            "analysis_set": r.analysis_set, "subgroup": r.subgroup}


def _time_to_event(r: TimeToEvent) -> dict[str, Any]:
    # FORMAT.md writes ci_level only when it is not the default 95.
    level = None if r.ci_level == 95 else r.ci_level
    return {
        "arm": r.arm, "endpoint": r.endpoint, "measure": r.measure, "value": r.value, "unit": r.unit,
        "timepoint": r.timepoint, "ci_low": r.ci_low, "ci_high": r.ci_high, "ci_level": level,
        "analysis_set": r.analysis_set, "subgroup": r.subgroup,
    }


def _without_ci_repeats(records: list[HazardRatio]) -> list[HazardRatio]:
    """The hazard ratios less those printed without a CI that repeat one printed with it: the same HR, the
    endpoint and P the same or not printed on one side ("(HR, 0.64; met the predefined criteria)" after
    "0.64 (0.22-1.86) for the amplified subgroup"), whatever arms or subgroup each place names."""
    def has_ci(r: HazardRatio) -> bool:
        return r.ci_low is not None and r.ci_high is not None

    def repeats(r: HazardRatio, fuller: HazardRatio) -> bool:
        return (has_ci(fuller) and fuller.hr == r.hr
                and (r.endpoint is None or fuller.endpoint is None or r.endpoint == fuller.endpoint)
                and (r.p is None or fuller.p is None or r.p == fuller.p))

    return [r for r in records if has_ci(r) or not any(repeats(r, other) for other in records)]


def _hazard_ratio(r: HazardRatio) -> dict[str, Any]:
    has_ci = r.ci_low is not None and r.ci_high is not None
    level = r.ci_level if r.ci_level is not None or not has_ci else 95.0
    return {
        "endpoint": r.endpoint, "hr": r.hr, "ci_low": r.ci_low, "ci_high": r.ci_high, "ci_level": level,
        "p": r.p, "comparison": r.comparison, "adjusted": r.adjusted, "analysis_set": r.analysis_set,
        "subgroup": r.subgroup, "effect": r.effect, "experimental_arm": r.experimental_arm,
        "control_arm": r.control_arm, "inverted": r.inverted,
    }


def _dose(r: MaximumToleratedDose) -> dict[str, Any]:
    return {"drug": r.drug, "dose": r.dose, "unit": r.unit, "frequency": r.frequency}


def _adverse_event(r: AdverseEvent) -> dict[str, Any]:
    return {"term": r.term, "grade": r.grade, "n": r.n, "percent": r.percent, "arm": r.arm}


def _mortality(r: EarlyMortality) -> dict[str, Any]:
    return {"window": r.window, "n": r.n, "of": r.of, "percent": r.percent, "arm": r.arm}
