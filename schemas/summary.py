"""The per-paper evidence summary of corpus/gold/FORMAT.md: gold format and export."""

from pydantic import Field

from schemas.base import StrictModel
from schemas.vocab import (
    AnalysisSet,
    Design,
    DoseUnit,
    EffectKind,
    Endpoint,
    Frequency,
    GradeBand,
    Measure,
    Phase,
    ResponseOutcome,
    Route,
    TimeUnit,
)

# Gold files also write a per-day unit out ('mg/day'); the scorer strips it.
SummaryUnit = DoseUnit | str


class SummaryPopulation(StrictModel):
    """Population numbers of the trial."""

    n_enrolled: float | None = Field(default=None, description="Patients enrolled, registered or randomized.")
    n_evaluable: float | None = Field(default=None, description="Patients evaluable for the primary efficacy analysis.")
    age_median: float | None = Field(default=None, description="Median age in years.")
    age_min: float | None = Field(default=None, description="Youngest age in years.")
    age_max: float | None = Field(default=None, description="Oldest age in years.")
    quote: str | None = Field(default=None, description="Quote stating the main numbers.")


class SummaryDrug(StrictModel):
    """A drug of an arm."""

    drug: str = Field(description="Lower-case generic name.")
    dose: float | None = Field(description="Dose.")
    unit: SummaryUnit | None = Field(description="Dose unit.")
    frequency: Frequency | None = Field(description="Frequency.")
    route: Route | None = Field(description="Route.")
    quote: str = Field(description="Verbatim quote stating the dose.")


class SummaryArm(StrictModel):
    """An arm and its drugs."""

    label: str | None = Field(description="Arm label, free text.")
    n: int | None = Field(default=None, description="Patients in the arm when printed.")
    drugs: list[SummaryDrug] = Field(description="Drugs given in the arm.")


class SummaryResponse(StrictModel):
    """A response count."""

    arm: str | None = Field(description="Arm or subgroup; None for the whole population.")
    outcome: ResponseOutcome = Field(description="Response category.")
    n: int | None = Field(description="Responders.")
    of: int | None = Field(description="Denominator printed with the number.")
    percent: float | None = Field(description="Percent as printed.")
    analysis_set: AnalysisSet | None = Field(
        default=None, description="primary, per_protocol, subgroup or updated (a later data cut); optional.")
    subgroup: str | None = Field(default=None, description="The subgroup as printed, for a subgroup's value; optional.")
    quote: str = Field(description="Verbatim quote.")


class SummaryTimeToEvent(StrictModel):
    """A median or a rate of a time-to-event endpoint."""

    arm: str | None = Field(description="Arm or subgroup.")
    endpoint: Endpoint = Field(description="Endpoint.")
    measure: Measure = Field(description="median or rate.")
    value: float = Field(description="Value.")
    unit: TimeUnit = Field(description="Unit.")
    timepoint: str | None = Field(default=None, description="Timepoint of a rate.")
    ci_low: float | None = Field(default=None, description="Lower confidence limit.")
    ci_high: float | None = Field(default=None, description="Upper confidence limit.")
    ci_level: float | None = Field(default=None, description="Confidence level when not 95.")
    analysis_set: AnalysisSet | None = Field(
        default=None, description="primary, per_protocol, subgroup or updated (a later data cut); optional.")
    subgroup: str | None = Field(default=None, description="The subgroup as printed, for a subgroup's value; optional.")
    quote: str = Field(description="Verbatim quote.")


class SummaryHazardRatio(StrictModel):
    """A hazard ratio."""

    endpoint: Endpoint | str | None = Field(description="Endpoint, or free text for other endpoints.")
    hr: float = Field(description="Hazard ratio.")
    ci_low: float | None = Field(description="Lower confidence limit.")
    ci_high: float | None = Field(description="Upper confidence limit.")
    ci_level: float | None = Field(description="Confidence level.")
    p: str | None = Field(description="P value as printed.")
    comparison: str | None = Field(description="Comparison, free text.")
    adjusted: bool | None = Field(default=None, description="True for a multivariable estimate.")
    analysis_set: AnalysisSet | None = Field(
        default=None, description="primary, per_protocol, subgroup or updated (a later data cut); optional.")
    subgroup: str | None = Field(default=None, description="The subgroup as printed, for a subgroup's value; optional.")
    effect: EffectKind | None = Field(default=None, description="treatment or prognostic; optional.")
    experimental_arm: str | None = Field(default=None, description="Experimental arm of the comparison; optional.")
    control_arm: str | None = Field(default=None, description="Control (reference) arm of the comparison; optional.")
    inverted: bool | None = Field(default=None, description="True when printed as control vs experimental; optional.")
    quote: str = Field(description="Verbatim quote.")


class SummaryDose(StrictModel):
    """A maximum tolerated or recommended phase 2 dose."""

    drug: str = Field(description="Lower-case generic name.")
    dose: float | None = Field(description="Dose.")
    unit: SummaryUnit | None = Field(description="Dose unit.")
    frequency: Frequency | None = Field(description="Frequency.")
    quote: str = Field(description="Verbatim quote.")


class SummaryDlt(StrictModel):
    """A dose-limiting toxicity."""

    term: str = Field(description="Lower-case term.")
    quote: str = Field(description="Verbatim quote.")


class SummaryAdverseEvent(StrictModel):
    """An adverse event count for a grade band."""

    term: str = Field(description="Lower-case CTCAE-style term.")
    grade: GradeBand = Field(description="Grade band.")
    n: int | None = Field(description="Patients with the event.")
    percent: float | None = Field(description="Percent.")
    arm: str | None = Field(default=None, description="Arm in multi-arm trials.")
    quote: str = Field(description="Verbatim quote.")


class SummaryMortality(StrictModel):
    """Early deaths in a window."""

    window: str = Field(description="Window, e.g. '30 days'.")
    n: int | None = Field(description="Deaths.")
    of: int | None = Field(description="Denominator.")
    percent: float | None = Field(description="Percent.")
    arm: str | None = Field(default=None, description="Arm in multi-arm trials.")
    quote: str = Field(description="Verbatim quote.")


class EvidenceSummary(StrictModel):
    """What one paper reports about its own trial (FORMAT.md)."""

    paper: str = Field(description="Paper file stem.")
    source: str | None = Field(default=None, description="Citation or description of the paper.")
    trial_ids: list[str] = Field(default_factory=list, description="Registry identifiers.")
    phase: Phase | None = Field(default=None, description="Trial phase.")
    design: Design | None = Field(default=None, description="Trial design.")
    population: SummaryPopulation = Field(default_factory=SummaryPopulation, description="Population numbers.")
    arms: list[SummaryArm] = Field(default_factory=list, description="Arms and their drugs.")
    responses: list[SummaryResponse] = Field(default_factory=list, description="Response counts.")
    time_to_event: list[SummaryTimeToEvent] = Field(default_factory=list, description="Medians and rates.")
    hazard_ratios: list[SummaryHazardRatio] = Field(default_factory=list, description="Hazard ratios.")
    mtd: list[SummaryDose] = Field(default_factory=list, description="MTD / RP2D.")
    dlts: list[SummaryDlt] = Field(default_factory=list, description="Dose-limiting toxicities.")
    adverse_events: list[SummaryAdverseEvent] = Field(default_factory=list, description="Adverse events.")
    mortality: list[SummaryMortality] = Field(default_factory=list, description="Early mortality.")
