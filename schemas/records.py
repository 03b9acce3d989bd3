"""Evidence records: one model per kind of fact, each carrying its provenance.

A record states one fact of the paper's own trial. ``None`` means "not reported"
(or ambiguous: the extractor leaves a field empty rather than guess).
"""

from typing import Literal

from pydantic import Field

from schemas.base import StrictModel
from schemas.provenance import Provenance
from schemas.vocab import (
    AnalysisSet,
    Design,
    DoseKind,
    DoseUnit,
    EffectKind,
    Endpoint,
    Frequency,
    GradeBand,
    Measure,
    Phase,
    PopulationField,
    ResponseOutcome,
    Route,
    TimeUnit,
)

Registry = Literal["NCT", "ISRCTN", "EudraCT", "ACTRN", "NTR", "ChiCTR", "JPRN", "DRKS", "CTRI", "other"]


class EvidenceRecord(StrictModel):
    """Fields every evidence record has."""

    kind: str = Field(description="Kind of evidence; names the database table the record goes to.")
    provenance: list[Provenance] = Field(
        min_length=1,
        description="Every place in the paper stating this fact; the first is the primary quote.",
    )

    def key(self) -> tuple[tuple[str, str], ...]:
        """Identity of the fact within a paper: records with equal keys are one fact."""
        return record_key(self.model_dump(exclude={"provenance"}))


# What a value is of (analysis set, subgroup, effect kind, arms compared), worked out from its quote by
# extractor/effects.py after the value itself: a reading of the fact, not part of its identity.
ANNOTATION_FIELDS = frozenset({"analysis_set", "subgroup", "effect", "experimental_arm", "control_arm", "inverted"})


def record_key(fields: dict[str, object]) -> tuple[tuple[str, str], ...]:
    """EvidenceRecord.key from a record's model_dump (its provenance and annotations, when there, left out).

    Record ids hash this key (publish/rows.py): it must not change.
    """
    return tuple(sorted((k, repr(v)) for k, v in fields.items() if k != "provenance" and k not in ANNOTATION_FIELDS))


class RegistryId(EvidenceRecord):
    """A trial registry identifier printed in the paper."""

    kind: Literal["registry_id"] = Field(default="registry_id", description="Always 'registry_id'.")
    registry: Registry = Field(description="Registry the identifier belongs to (NCT = ClinicalTrials.gov).")
    identifier: str = Field(description="Identifier as printed, spaces removed, e.g. NCT01254890.")


class TrialPhase(EvidenceRecord):
    """The trial's phase as the paper states it."""

    kind: Literal["phase"] = Field(default="phase", description="Always 'phase'.")
    phase: Phase = Field(description="Trial phase: 1, 1/2, 2, 2/3, 3 or 4.")


class TrialDesign(EvidenceRecord):
    """How the trial allocated patients."""

    kind: Literal["design"] = Field(default="design", description="Always 'design'.")
    design: Design = Field(description="single-arm, randomized, or non-randomized comparison.")


class PopulationValue(EvidenceRecord):
    """One number describing the trial population."""

    kind: Literal["population"] = Field(default="population", description="Always 'population'.")
    field: PopulationField = Field(
        description="n_enrolled (enrolled/registered/randomized), n_evaluable, age_median, age_min or age_max (years).",
    )
    value: float = Field(description="The number as printed.")


class DrugRegimen(EvidenceRecord):
    """A drug given in an arm, with its dose, route, frequency and schedule."""

    kind: Literal["regimen"] = Field(default="regimen", description="Always 'regimen'.")
    arm: str | None = Field(default=None, description="Arm label, or None when the paper has one arm or it is unclear.")
    arm_n: int | None = Field(default=None, description="Patients in the arm, when printed.")
    drug: str = Field(description="Lower-case generic name (INN), normalised through the drug lexicon.")
    drug_as_printed: str = Field(description="The drug name as printed.")
    dose: float | None = Field(default=None, description="Dose (lower bound of a printed range).")
    dose_max: float | None = Field(default=None, description="Upper bound when the dose is printed as a range.")
    unit: DoseUnit | None = Field(default=None, description="Dose unit; a per-day unit is written without '/day'.")
    route: Route | None = Field(default=None, description="oral, IV, SC or IT; None when not stated or alternatives are given.")
    frequency: Frequency | None = Field(default=None, description="How often the dose is given.")
    schedule: str | None = Field(default=None, description="Days of the cycle, as printed, e.g. 'days 1-7'.")


class Response(EvidenceRecord):
    """A response rate: responders, denominator and percent."""

    kind: Literal["response"] = Field(default="response", description="Always 'response'.")
    arm: str | None = Field(default=None, description="Arm or subgroup label; None for the whole study population.")
    outcome: ResponseOutcome = Field(description="CR, CRi, CRp, CRh, CRc (composite), MLFS, PR, ORR, NR or MRD-negative.")
    n: int | None = Field(default=None, description="Number of responders.")
    of: int | None = Field(default=None, description="Denominator printed with the number, else None.")
    percent: float | None = Field(default=None, description="Percent as printed.")
    analysis_set: AnalysisSet | None = Field(
        default=None, description="primary, per_protocol, subgroup or updated (a later data cut): whose value it is.")
    subgroup: str | None = Field(default=None, description="The subgroup as printed, for a subgroup's value.")


class TimeToEvent(EvidenceRecord):
    """A median time to event or an event-free rate at a timepoint."""

    kind: Literal["time_to_event"] = Field(default="time_to_event", description="Always 'time_to_event'.")
    arm: str | None = Field(default=None, description="Arm or subgroup label; None for the whole study population.")
    endpoint: Endpoint = Field(description="OS, EFS, DFS, RFS, PFS, CIR (relapse) or DOR (duration of response).")
    measure: Measure = Field(description="'median' (a time) or 'rate' (a percent at a timepoint).")
    value: float = Field(description="The median time or the rate.")
    unit: TimeUnit = Field(description="months, weeks or days for a median; % for a rate.")
    timepoint: str | None = Field(default=None, description="Timepoint of a rate, e.g. '2 years'.")
    ci_low: float | None = Field(default=None, description="Lower confidence limit.")
    ci_high: float | None = Field(default=None, description="Upper confidence limit.")
    ci_level: float | None = Field(default=None, description="Confidence level in percent when a CI is printed.")
    analysis_set: AnalysisSet | None = Field(
        default=None, description="primary, per_protocol, subgroup or updated (a later data cut): whose value it is.")
    subgroup: str | None = Field(default=None, description="The subgroup as printed, for a subgroup's value.")


class HazardRatio(EvidenceRecord):
    """A hazard ratio with its confidence interval and P value."""

    kind: Literal["hazard_ratio"] = Field(default="hazard_ratio", description="Always 'hazard_ratio'.")
    endpoint: Endpoint | None = Field(default=None, description="Endpoint the hazard ratio refers to, when clear.")
    hr: float = Field(gt=0, description="Hazard ratio as printed.")
    ci_low: float | None = Field(default=None, description="Lower confidence limit.")
    ci_high: float | None = Field(default=None, description="Upper confidence limit.")
    ci_level: float | None = Field(default=None, description="Confidence level in percent (95 unless stated).")
    p: str | None = Field(default=None, description="P value as printed without 'P =', e.g. '<.001'.")
    one_sided: bool = Field(default=False, description="True when the P value is stated as one-sided.")
    comparison: str | None = Field(default=None, description="What is compared, free text, when stated.")
    adjusted: bool | None = Field(default=None, description="True for a multivariable (adjusted) estimate when stated.")
    analysis_set: AnalysisSet | None = Field(
        default=None, description="primary, per_protocol, subgroup or updated (a later data cut): whose value it is.")
    subgroup: str | None = Field(default=None, description="The subgroup as printed, for a subgroup's value.")
    effect: EffectKind | None = Field(
        default=None, description="treatment (the assigned treatment's effect) or prognostic (a patient or tumour factor).")
    experimental_arm: str | None = Field(default=None, description="The experimental arm of the comparison, when named.")
    control_arm: str | None = Field(default=None, description="The control (reference) arm of the comparison, when named.")
    inverted: bool | None = Field(
        default=None, description="True when the HR is printed as control vs experimental (pools use 1/HR).")


class MaximumToleratedDose(EvidenceRecord):
    """A maximum tolerated dose or recommended phase 2 dose."""

    kind: Literal["mtd"] = Field(default="mtd", description="Always 'mtd'.")
    dose_kind: DoseKind = Field(description="'mtd' (maximum tolerated dose) or 'rp2d' (recommended phase 2 dose).")
    drug: str = Field(description="Lower-case generic name.")
    dose: float | None = Field(default=None, description="Dose.")
    unit: DoseUnit | None = Field(default=None, description="Dose unit.")
    frequency: Frequency | None = Field(default=None, description="How often the dose is given.")


class DoseLimitingToxicity(EvidenceRecord):
    """A toxicity the paper names as dose-limiting."""

    kind: Literal["dlt"] = Field(default="dlt", description="Always 'dlt'.")
    term: str = Field(description="Lower-case toxicity term, CTCAE-style.")
    grade: GradeBand | None = Field(default=None, description="Grade when printed with the toxicity.")


class AdverseEvent(EvidenceRecord):
    """Patients with an adverse event of a grade band."""

    kind: Literal["adverse_event"] = Field(default="adverse_event", description="Always 'adverse_event'.")
    arm: str | None = Field(default=None, description="Arm label in multi-arm trials; None otherwise.")
    term: str = Field(description="Lower-case CTCAE-style term, US spelling.")
    grade: GradeBand = Field(description="Grade band: any, 1, 2, 1-2, 3, 4, 3-4, >=3 or 5.")
    n: int | None = Field(default=None, description="Patients with the event.")
    of: int | None = Field(default=None, description="Denominator when printed with the number.")
    percent: float | None = Field(default=None, description="Percent as printed.")


class EarlyMortality(EvidenceRecord):
    """Deaths within an early window (30/60-day, 4/8-week, induction)."""

    kind: Literal["mortality"] = Field(default="mortality", description="Always 'mortality'.")
    arm: str | None = Field(default=None, description="Arm label in multi-arm trials; None otherwise.")
    window: str = Field(description="Window such as '4 weeks', '30 days' or 'induction'.")
    n: int | None = Field(default=None, description="Deaths.")
    of: int | None = Field(default=None, description="Denominator when printed with the number.")
    percent: float | None = Field(default=None, description="Percent as printed.")


RECORD_MODELS: dict[str, type[EvidenceRecord]] = {
    model.model_fields["kind"].default: model
    for model in (
        RegistryId, TrialPhase, TrialDesign, PopulationValue, DrugRegimen, Response, TimeToEvent,
        HazardRatio, MaximumToleratedDose, DoseLimitingToxicity, AdverseEvent, EarlyMortality,
    )
}
