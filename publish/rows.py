"""The database rows of one paper: values in each table's column order, ready for an INSERT.

``paper_rows(document, records)`` is all a writer needs from a paper. It costs
more than inserting the rows (record ids are hashes, list columns are JSON), so
`evidence build --partitions --workers N` makes rows in worker processes while
the writing process only inserts them (publish/partitions.py).
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from extractor import __version__ as EXTRACTOR_VERSION
from extractor.merge import merge_duplicates
from publish.tables import (
    PAPER_TABLES,
    PAPERS,
    PASSAGES,
    PRIMARY_PROVENANCE_EXCLUDE,
    PROVENANCE,
    SECTIONS,
    TableSpec,
    all_specs,
    table_name,
)
from schemas import Document, EvidenceRecord
from schemas.records import record_key

Row = tuple[Any, ...]


@dataclass
class PaperRows:
    """One paper's rows per table, each a tuple in the table's column order (list columns as JSON text)."""

    paper_id: str
    tables: dict[str, list[Row]] = field(default_factory=dict)


def record_id(paper_id: str, record: EvidenceRecord, key: tuple[Any, ...] | None = None) -> str:
    """Stable record id: a hash of the paper, the kind and the record's key (its values, not its spans)."""
    pairs = record.key() if key is None else key
    payload = json.dumps([paper_id, record.kind, [list(pair) for pair in pairs]], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def paper_row(document: Document) -> dict[str, Any]:
    """The papers row of a Document."""
    meta = document.metadata
    return {
        "paper_id": document.paper_id,
        "source_path": document.source_path,
        "stem": document.stem,
        "format": document.format,
        **meta.model_dump(),
        "label": meta.title or document.stem,
        "n_chars": len(document.text),
        "n_sections": len(document.sections),
        "n_tables": len(document.tables),
        "extractor_version": EXTRACTOR_VERSION,
    }


def section_rows(document: Document) -> list[dict[str, Any]]:
    """One sections row per section, carrying the section's text for full-text search."""
    return [
        {
            "paper_id": document.paper_id,
            "ordinal": i,
            **section.model_dump(),
            "text": document.text[section.start : section.end],
        }
        for i, section in enumerate(document.sections)
    ]


def passage_rows(document: Document) -> list[dict[str, Any]]:
    """One passages row per non-blank line of each section (a paragraph or a table row), blanks trimmed.

    Passages hold offsets only: their text is read from the sections table
    (publish/search.py), so the full-text index over them stores no second copy.
    """
    out: list[dict[str, Any]] = []
    text = document.text
    for i, section in enumerate(document.sections):
        start = section.start
        while start < section.end:
            end = text.find("\n", start, section.end)
            end = section.end if end < 0 else end
            line = text[start:end]
            if line.strip():
                lead = len(line) - len(line.lstrip())
                out.append({"paper_id": document.paper_id, "ordinal": len(out), "section_ordinal": i,
                            "section": section.label, "start": start + lead, "end": start + len(line.rstrip())})
            start = end + 1
    return out


def table_rows(document: Document) -> list[dict[str, Any]]:
    """One paper_tables row per parsed table, rows kept as lists of cell texts."""
    out = []
    for i, table in enumerate(document.tables):
        out.append({
            "paper_id": document.paper_id,
            "ordinal": i,
            **table.model_dump(exclude={"rows"}),
            "n_rows": len(table.rows),
            "n_header_rows": sum(row.header for row in table.rows),
            "rows": [[cell.text for cell in row.cells] for row in table.rows],
        })
    return out


def record_rows(
    document: Document, records: Sequence[EvidenceRecord],
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Evidence rows grouped by table, and the provenance rows of every span of every record."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    spans: list[dict[str, Any]] = []
    # One dump per record: its key (EvidenceRecord.key: every field but the spans) and its
    # provenance come out of it.
    dumps = [record.model_dump() for record in records]
    keys = [record_key(fields) for fields in dumps]
    if len({(r.kind, key) for r, key in zip(records, keys, strict=True)}) < len(keys):
        # Records stating one fact twice become one row, as the pipeline would have merged them
        # (merging extends a record's provenance, so it works on copies; extracted records need none).
        records = merge_duplicates([r.model_copy(deep=True) for r in records])
        dumps = [record.model_dump() for record in records]
        keys = [record_key(fields) for fields in dumps]
    for record, key, fields in zip(records, keys, dumps, strict=True):
        places = fields.pop("provenance")
        for place in places:
            if place["paper_id"] != document.paper_id:
                raise ValueError(f"{record.kind} record cites paper {place['paper_id']}, not {document.paper_id}")
        rid = record_id(document.paper_id, record, key)
        table = table_name(record.kind)
        del fields["kind"]
        by_table.setdefault(table, []).append({
            "id": rid,
            "paper_id": document.paper_id,
            **fields,
            **{name: value for name, value in places[0].items() if name not in PRIMARY_PROVENANCE_EXCLUDE},
            "n_sources": len(places),
        })
        spans.extend(
            {"id": f"{rid}-{i}", "record_table": table, "record_id": rid, "ordinal": i, **place}
            for i, place in enumerate(places)
        )
    return by_table, spans


def paper_rows(document: Document, records: Sequence[EvidenceRecord]) -> PaperRows:
    """Every row a paper adds to the database, as tuples in column order."""
    by_table, spans = record_rows(document, records)
    named = {PAPERS: [paper_row(document)], SECTIONS: section_rows(document),
             PASSAGES: passage_rows(document),
             PAPER_TABLES: table_rows(document), **by_table, PROVENANCE: spans}
    specs = _specs()
    return PaperRows(document.paper_id, {name: _values(specs[name], rows) for name, rows in named.items() if rows})


@cache
def _specs() -> dict[str, TableSpec]:
    return {spec.name: spec for spec in all_specs()}


@cache
def _layout(spec: TableSpec) -> tuple[list[str], frozenset[str], tuple[int, ...]]:
    columns = spec.column_names()
    return columns, frozenset(columns), tuple(i for i, c in enumerate(spec.columns) if c.type in (list, dict))


def _values(spec: TableSpec, rows: list[dict[str, Any]]) -> list[Row]:
    """Rows as tuples in column order, list columns as JSON text as sqlite-utils stores them.

    A key that is not a column is refused; a list or dict in any other column is
    refused by sqlite3 when inserted, never stored as something else.
    """
    columns, known, json_at = _layout(spec)
    out = []
    for row in rows:
        if not known.issuperset(row):
            raise ValueError(f"{spec.name}: no such columns {sorted(set(row) - known)}")
        values = list(map(row.get, columns))
        for i in json_at:
            if values[i] is not None:
                values[i] = json.dumps(values[i], default=repr, ensure_ascii=False)
        out.append(tuple(values))
    return out
