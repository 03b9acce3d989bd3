"""Controlled vocabularies of the evidence-summary format (corpus/gold/FORMAT.md)."""

from typing import Literal

SectionLabel = Literal[
    "title", "abstract", "introduction", "methods", "results", "discussion",
    "references", "back", "other",
]
DocumentFormat = Literal["text", "jats", "pdf", "html"]
Phase = Literal["1", "1/2", "2", "2/3", "3", "4"]
Design = Literal["single-arm", "randomized", "non-randomized comparison"]
PopulationField = Literal["n_enrolled", "n_evaluable", "age_median", "age_min", "age_max"]
DoseUnit = Literal["mg", "mg/m2", "g/m2", "mg/kg", "ug/kg", "ug", "g", "IU", "U/m2"]
Frequency = Literal[
    "once daily", "twice daily", "three times daily", "weekly", "every 2 weeks",
    "every 3 weeks", "every 4 weeks", "continuous infusion", "single dose",
]
Route = Literal["oral", "IV", "SC", "IT"]
ResponseOutcome = Literal["CR", "CRi", "CRp", "CRh", "CRc", "MLFS", "PR", "ORR", "NR", "MRD-negative"]
Endpoint = Literal["OS", "EFS", "DFS", "RFS", "PFS", "CIR", "DOR"]
Measure = Literal["median", "rate"]
TimeUnit = Literal["months", "weeks", "days", "%"]
GradeBand = Literal["any", "1", "2", "1-2", "3", "4", "3-4", ">=3", "5"]
DoseKind = Literal["mtd", "rp2d"]
# Which patients and which data cut a value is of: the trial's primary (intention-to-treat or as
# reported) population, its per-protocol population, a subgroup, or a later (updated) cut.
AnalysisSet = Literal["primary", "per_protocol", "subgroup", "updated"]
# What a hazard ratio measures: the effect of the assigned treatment, or the association of a
# patient or tumour factor (a biomarker, a covariate of a multivariable model) with the endpoint.
EffectKind = Literal["treatment", "prognostic"]
