"""Where a value came from: paper, section, character span, quote and rule."""

from pydantic import Field, model_validator

from schemas.base import StrictModel
from schemas.vocab import SectionLabel


class Provenance(StrictModel):
    """One place in a paper's canonical text that states a fact."""

    paper_id: str = Field(description="Id of the paper (schemas.Document.paper_id) the quote is taken from.")
    section: SectionLabel = Field(description="Label of the section the quote lies in.")
    start: int = Field(ge=0, description="Character offset where the quote starts in the paper's canonical text.")
    end: int = Field(ge=0, description="Character offset just past the quote's end in the canonical text.")
    quote: str = Field(min_length=1, description="The sentence or table row that states the fact, verbatim: text[start:end].")
    rule_id: str = Field(min_length=1, description="Id of the extraction rule that produced the value, e.g. 'response.n_pct.v1'.")
    extractor_version: str = Field(description="Version of the extractor that produced the value.")
    confidence: float = Field(ge=0.0, le=1.0, description="Rule's confidence that the value is right, 0 to 1.")

    @model_validator(mode="after")
    def _span_matches_quote(self) -> "Provenance":
        if self.end - self.start != len(self.quote):
            raise ValueError("quote length must equal end - start")
        return self
