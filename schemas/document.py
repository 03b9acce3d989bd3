"""A parsed paper: one canonical text with its sections, tables and metadata."""

from pydantic import Field

from schemas.base import StrictModel
from schemas.vocab import DocumentFormat, SectionLabel


class Section(StrictModel):
    """A stretch of the canonical text under one heading."""

    label: SectionLabel = Field(description="Normalised kind of section (abstract, methods, results, ...).")
    title: str | None = Field(default=None, description="Heading as printed, or None for an unheaded stretch.")
    start: int = Field(ge=0, description="Offset of the section's first character in the canonical text.")
    end: int = Field(ge=0, description="Offset just past the section's last character.")


class TableCell(StrictModel):
    """One cell of a table row, located in the canonical text."""

    text: str = Field(description="The cell's text exactly as it stands in the canonical text.")
    start: int = Field(ge=0, description="Offset of the cell's first character in the canonical text.")
    end: int = Field(ge=0, description="Offset just past the cell's last character.")
    header: bool = Field(default=False, description="True for a header cell (th, or a header row).")
    column: int | None = Field(default=None, description="Grid column of the cell's first column (0-based), spans expanded.")
    colspan: int = Field(default=1, ge=1, description="Number of grid columns the cell spans.")


class TableRow(StrictModel):
    """One row of a table: its cells and the span that covers them."""

    cells: list[TableCell] = Field(description="Cells of the row, left to right.")
    start: int = Field(ge=0, description="Offset where the row starts in the canonical text.")
    end: int = Field(ge=0, description="Offset just past the row's end.")
    header: bool = Field(default=False, description="True when the row is a header row.")


class Table(StrictModel):
    """A table of the paper as rows of cells."""

    label: str | None = Field(default=None, description="Table label as printed, e.g. 'Table 2'.")
    caption: str | None = Field(default=None, description="Table caption as printed.")
    section: SectionLabel = Field(description="Section the table belongs to.")
    start: int = Field(ge=0, description="Offset where the table starts in the canonical text.")
    end: int = Field(ge=0, description="Offset just past the table's end.")
    rows: list[TableRow] = Field(description="Rows, top to bottom, header rows first.")
    duplicate_of: int | None = Field(
        default=None,
        description="Index of an earlier table in Document.tables this one repeats (a table printed twice).",
    )


class Span(StrictModel):
    """A stretch of the canonical text."""

    start: int = Field(ge=0, description="Offset of the first character.")
    end: int = Field(ge=0, description="Offset just past the last character.")


class DocumentMetadata(StrictModel):
    """Bibliographic identifiers printed in the paper."""

    title: str | None = Field(default=None, description="Article title.")
    doi: str | None = Field(default=None, description="DOI, e.g. 10.1200/JCO.21.01612.")
    pmid: str | None = Field(default=None, description="PubMed id.")
    pmcid: str | None = Field(default=None, description="PubMed Central id, e.g. PMC9197362.")
    journal: str | None = Field(default=None, description="Journal title.")
    year: int | None = Field(default=None, description="Publication year.")
    article_type: str | None = Field(
        default=None, description="The journal's subject heading for the article, e.g. 'Study Protocol', 'Original Article'.")
    first_author: str | None = Field(
        default=None, description="Surname of the first listed author (JATS contrib-group), e.g. 'Waddell'; "
                                  "forest plots name a study by it.")


class Document(StrictModel):
    """Parser output: what every extractor reads."""

    paper_id: str = Field(description="Stable id derived from the file's bytes (sha256 prefix).")
    source_path: str = Field(description="Path of the file the paper was read from.")
    stem: str = Field(description="File name without extension; names the paper's evidence summary.")
    format: DocumentFormat = Field(description="File format the paper was parsed from.")
    text: str = Field(description="Canonical text; every offset in the document and its records points into it.")
    sections: list[Section] = Field(description="Sections in reading order; they do not overlap.")
    tables: list[Table] = Field(default_factory=list, description="Tables in reading order.")
    citations: list[Span] = Field(
        default_factory=list,
        description=(
            "Reference markers the parser recognised (e.g. JATS <xref ref-type='bibr'>): "
            "sentences holding one cite other work."
        ),
    )
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata, description="Identifiers found in the paper.")

    def section_at(self, offset: int) -> Section | None:
        """The section containing a character offset, if any."""
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return None
