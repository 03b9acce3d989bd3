"""The database layout derived from the Pydantic models: table names, column types and descriptions."""

import datetime
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from schemas import RECORD_MODELS, Document, DocumentMetadata, Provenance, Section, Table
from schemas.corrections import Correction

# Kinds whose plural reads worse than the singular; every other kind takes an 's'.
UNCOUNTABLE_KINDS = frozenset({"population", "time_to_event", "mortality"})

# Record fields that hold the record itself, not a value: the table name and the spans.
RECORD_INTERNAL_FIELDS = frozenset({"kind", "provenance"})

# The primary provenance is flattened into each evidence row; paper_id already has its own column.
PRIMARY_PROVENANCE_EXCLUDE = frozenset({"paper_id"})

PAPERS = "papers"
SECTIONS = "sections"
PASSAGES = "passages"
PAPER_TABLES = "paper_tables"
PROVENANCE = "provenance"


@dataclass(frozen=True)
class Column:
    """One column: its name, the Python type sqlite-utils maps to SQL, nullability and description."""

    name: str
    type: type
    not_null: bool
    description: str


@dataclass(frozen=True)
class TableSpec:
    """One table of the database."""

    name: str
    description: str
    columns: tuple[Column, ...]
    pk: str | tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()

    def column_types(self) -> dict[str, type]:
        """Columns in order with their Python types, as sqlite-utils ``create`` takes them."""
        return {c.name: c.type for c in self.columns}

    def not_null(self) -> set[str]:
        """Names of the columns declared NOT NULL."""
        return {c.name for c in self.columns if c.not_null}

    def column_names(self) -> list[str]:
        """Names of the columns in order."""
        return [c.name for c in self.columns]


def table_name(kind: str) -> str:
    """Database table for a record kind: 'hazard_ratio' -> 'hazard_ratios', 'population' stays."""
    return kind if kind in UNCOUNTABLE_KINDS else f"{kind}s"


def _is_optional(annotation: Any) -> bool:
    origin = get_origin(annotation)
    return origin in (Union, types.UnionType) and type(None) in get_args(annotation)


def column_type(annotation: Any) -> type:
    """The Python type a field's values are stored as: str, int, float, bool, or list/dict (as JSON)."""
    origin = get_origin(annotation)
    if origin is Literal:
        kinds = {type(arg) for arg in get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 else str
    if origin in (Union, types.UnionType):
        kinds = {column_type(arg) for arg in get_args(annotation) if arg is not type(None)}
        if kinds == {int, float}:
            return float
        # A union of different kinds (e.g. a vocabulary or free text) is stored as text.
        return kinds.pop() if len(kinds) == 1 else str
    if origin in (list, tuple, set, frozenset):
        return list
    if origin is dict:
        return dict
    if isinstance(annotation, type) and annotation in (str, int, float, bool, list, dict):
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return dict
    if annotation is datetime.date:
        return str  # ISO 8601 text, as SQLite keeps dates
    raise TypeError(f"no column type for annotation {annotation!r}")


def model_columns(
    model: type[BaseModel], *, exclude: frozenset[str] = frozenset(), prefix: str = "",
) -> list[Column]:
    """Columns for a model's fields, in declaration order, described by the fields' descriptions."""
    columns = []
    for name, field in model.model_fields.items():
        if name in exclude:
            continue
        if not field.description:
            raise ValueError(f"{model.__name__}.{name} has no description")
        columns.append(Column(
            name=name,
            type=column_type(field.annotation),
            not_null=not _is_optional(field.annotation),
            description=prefix + field.description,
        ))
    return columns


def _paper_id_column() -> Column:
    return Column("paper_id", str, True, "Paper the row belongs to (papers.paper_id).")


def _papers_spec() -> TableSpec:
    document = model_columns(Document, exclude=frozenset({"text", "sections", "tables", "citations", "metadata"}))
    # Every metadata field may be missing from a paper, whatever its declared default.
    metadata = [
        Column(c.name, c.type, False, c.description) for c in model_columns(DocumentMetadata)
    ]
    computed = [
        Column("label", str, True, "Title when known, else the file stem: what links to the paper show."),
        Column("n_chars", int, True, "Length of the canonical text in characters."),
        Column("n_sections", int, True, "Number of sections the parser found."),
        Column("n_tables", int, True, "Number of tables the parser found."),
        Column("extractor_version", str, True, "Version of trial-evidence that read the paper."),
    ]
    return TableSpec(
        name=PAPERS,
        description="One row per paper read: where it came from, its identifiers and its size.",
        columns=tuple(document + metadata + computed),
        pk="paper_id",
    )


def _sections_spec() -> TableSpec:
    columns = [
        _paper_id_column(),
        Column("ordinal", int, True, "Position of the section in reading order, from 0."),
        *model_columns(Section),
        Column("text", str, True, "The section's text: the canonical text from start to end."),
    ]
    return TableSpec(
        name=SECTIONS,
        description="Sections of every paper, one row each with its whole text, with full-text search over title and text.",
        columns=tuple(columns),
        pk=("paper_id", "ordinal"),
        foreign_keys=(("paper_id", PAPERS, "paper_id"),),
    )


def _passages_spec() -> TableSpec:
    columns = [
        _paper_id_column(),
        Column("ordinal", int, True, "Position of the passage in the paper's reading order, from 0."),
        Column("section_ordinal", int, True, "The section holding the passage (sections.ordinal)."),
        Column("section", str, True, "Label of that section (abstract, methods, results, ...)."),
        Column("start", int, True, "Offset of the passage's first character in the canonical text."),
        Column("end", int, True, "Offset just past the passage's last character."),
    ]
    return TableSpec(
        name=PASSAGES,
        description=("Paragraphs and table rows of every paper, one per line of its canonical text: "
                     "the full-text search (the search query) finds them and shows a snippet of each."),
        columns=tuple(columns),
        pk=("paper_id", "ordinal"),
        foreign_keys=(("paper_id", PAPERS, "paper_id"),),
    )


def _paper_tables_spec() -> TableSpec:
    columns = [
        _paper_id_column(),
        Column("ordinal", int, True, "Position of the table in reading order, from 0."),
        *model_columns(Table, exclude=frozenset({"rows"})),
        Column("n_rows", int, True, "Number of rows, header rows included."),
        Column("n_header_rows", int, True, "Number of header rows."),
        Column("rows", list, True, "Rows top to bottom as JSON lists of cell texts, header rows first."),
    ]
    return TableSpec(
        name=PAPER_TABLES,
        description="Tables printed in the papers, as parsed: caption, section and rows of cell texts.",
        columns=tuple(columns),
        pk=("paper_id", "ordinal"),
        foreign_keys=(("paper_id", PAPERS, "paper_id"),),
    )


def _provenance_spec() -> TableSpec:
    columns = [
        Column("id", str, True, "Record id and the span's position among the record's spans, e.g. 'ab12...-0'."),
        Column("record_table", str, True, "Table of the record the span supports."),
        Column("record_id", str, True, "Id of the record (its row in record_table)."),
        Column("ordinal", int, True, "Position among the record's spans; 0 is the primary quote."),
        *model_columns(Provenance),
    ]
    return TableSpec(
        name=PROVENANCE,
        description="Every place in a paper that states an evidence record: one row per quoted span.",
        columns=tuple(columns),
        pk="id",
        foreign_keys=(("paper_id", PAPERS, "paper_id"),),
    )


def evidence_spec(kind: str) -> TableSpec:
    """The table of one record kind: id, paper, the record's fields, its primary provenance, n_sources."""
    model = RECORD_MODELS[kind]
    own = model_columns(model, exclude=RECORD_INTERNAL_FIELDS)
    primary = model_columns(Provenance, exclude=PRIMARY_PROVENANCE_EXCLUDE, prefix="Primary quote: ")
    clash = {c.name for c in own} & ({c.name for c in primary} | {"id", "paper_id", "n_sources"})
    if clash:
        raise ValueError(f"{model.__name__} fields clash with provenance columns: {sorted(clash)}")
    columns = [
        Column("id", str, True, "Stable id of the record: a hash of paper, kind and the record's values."),
        _paper_id_column(),
        *own,
        *primary,
        Column("n_sources", int, True, "How many places in the paper state this fact (rows in provenance)."),
        Column("curation", str, False,
               "Curator's decision from corpus/corrections: confirmed, corrected, rejected or added; empty when unreviewed."),
        Column("corrected_values", str, False,
               "For a corrected record: the corrected field values (JSON); the row's own columns keep the extracted ones."),
    ]
    doc = (model.__doc__ or kind).strip().rstrip(".")
    return TableSpec(
        name=table_name(kind),
        description=f"{doc}. One row per fact of a paper's own trial, with its primary quote.",
        columns=tuple(columns),
        pk="id",
        foreign_keys=(("paper_id", PAPERS, "paper_id"),),
    )


def evidence_specs() -> dict[str, TableSpec]:
    """The evidence tables by record kind, in RECORD_MODELS order."""
    return {kind: evidence_spec(kind) for kind in RECORD_MODELS}


CORRECTIONS = "corrections"


def corrections_spec() -> TableSpec:
    """Curators' decisions as applied at the last build, from corpus/corrections/<stem>.yaml."""
    columns = [
        Column("id", str, True, "The correction: its file and position in it, e.g. 'd05.yaml#2'."),
        Column("paper_id", str, False, "Paper the correction is about (empty when its file names no paper in the build)."),
        Column("stem", str, True, "Stem of the paper file, as the corrections file names it."),
        *model_columns(Correction, exclude=frozenset({"match", "set", "values"})),
        Column("match", str, False, "Field values identifying the record when its id changed (JSON)."),
        Column("changes", str, False, "Corrected values ('correct') or the added record's values ('add'), JSON."),
        Column("applied_to", str, False, "Id of the evidence row the correction was applied to."),
        Column("status", str, True,
               "applied; or orphaned: no extracted record matches any more (after an extractor change), to review."),
    ]
    return TableSpec(
        name=CORRECTIONS,
        description="Curators' corrections (confirm, correct, reject, add) and whether each still applies.",
        columns=tuple(columns),
        pk="id",
    )


def all_specs() -> list[TableSpec]:
    """Every table: papers first (the others point to it), then passages, tables, evidence, provenance."""
    return [
        _papers_spec(), _sections_spec(), _passages_spec(), _paper_tables_spec(),
        *evidence_specs().values(), _provenance_spec(), corrections_spec(),
    ]
