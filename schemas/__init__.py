"""Pydantic models of trial-evidence: parsed documents, evidence records, summaries."""

from schemas.base import StrictModel
from schemas.document import Document, DocumentMetadata, Section, Span, Table, TableCell, TableRow
from schemas.provenance import Provenance
from schemas.records import (
    RECORD_MODELS,
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
from schemas.summary import EvidenceSummary

__all__ = [
    "RECORD_MODELS",
    "AdverseEvent",
    "Document",
    "DocumentMetadata",
    "DoseLimitingToxicity",
    "DrugRegimen",
    "EarlyMortality",
    "EvidenceRecord",
    "EvidenceSummary",
    "HazardRatio",
    "MaximumToleratedDose",
    "PopulationValue",
    "Provenance",
    "RegistryId",
    "Response",
    "Section",
    "Span",
    "StrictModel",
    "Table",
    "TableCell",
    "TableRow",
    "TimeToEvent",
    "TrialDesign",
    "TrialPhase",
]
