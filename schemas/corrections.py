"""Curators' corrections of extracted evidence: reviewed files kept apart from what extraction writes."""

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from schemas.base import StrictModel

Action = Literal["confirm", "correct", "reject", "add"]


class Correction(StrictModel):
    """One curator decision about one evidence record of a paper."""

    action: Action = Field(description="confirm, correct (set new values), reject, or add a missed record.")
    table: str = Field(description="Evidence table of the record, e.g. 'responses'.")
    record_id: str | None = Field(default=None, description="Stable id of the record (evidence tables' id column).")
    match: dict[str, Any] = Field(
        default_factory=dict,
        description="Field values identifying the record when its id changed (e.g. after an extractor change).",
    )
    set: dict[str, Any] = Field(default_factory=dict, description="For 'correct': the corrected field values.")
    values: dict[str, Any] = Field(default_factory=dict, description="For 'add': the missed record's fields and quote.")
    who: str = Field(min_length=1, description="Who made the decision.")
    when: date = Field(strict=False, description="When it was made (YYYY-MM-DD; quoted or not in YAML).")
    why: str = Field(min_length=1, description="Why: the reason, e.g. what the paper says.")

    @model_validator(mode="after")
    def _has_what_it_needs(self) -> "Correction":
        if self.action == "add" and not self.values:
            raise ValueError("an 'add' correction needs values")
        if self.action == "correct" and not self.set:
            raise ValueError("a 'correct' correction needs set")
        if self.action != "add" and not (self.record_id or self.match):
            raise ValueError(f"a '{self.action}' correction needs record_id or match")
        return self


class CorrectionFile(StrictModel):
    """corpus/corrections/<paper stem>.yaml: every reviewed correction of one paper."""

    paper: str = Field(description="Stem of the paper file the corrections are about.")
    corrections: list[Correction] = Field(default_factory=list, description="Decisions, oldest first.")
