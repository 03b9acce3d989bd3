"""Curators' corrections: read from corpus/corrections/<stem>.yaml, applied to the database at every build.

Corrections live apart from extracted records, so extraction can run again and
never lose them. Each decision finds its record by stable id, or by its field
values when the id changed; a decision that finds nothing is kept as 'orphaned'
and reported, never dropped.
"""

import json
import sqlite3
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError
from sqlite_utils import Database
from sqlite_utils.db import jsonify_if_needed

from publish.articles import source_rank
from publish.atomic import replacing
from publish.rows import record_id
from publish.tables import CORRECTIONS, PAPERS, PRIMARY_PROVENANCE_EXCLUDE, PROVENANCE, SECTIONS, evidence_specs
from schemas import RECORD_MODELS, EvidenceRecord, Provenance
from schemas.corrections import Correction, CorrectionFile

CURATION = {"confirm": "confirmed", "correct": "corrected", "reject": "rejected", "add": "added"}
EVIDENCE_TABLES = {spec.name: spec for spec in evidence_specs().values()}
KIND_OF_TABLE = {spec.name: kind for kind, spec in evidence_specs().items()}
CURATOR = "curator"
# Columns that say where and how a row was found, not what it states: never part of a match.
NOT_MATCHED = frozenset({"id", "paper_id", "section", "start", "end", "quote", "rule_id", "extractor_version",
                         "confidence", "n_sources", "curation", "corrected_values"})


class CorrectionError(Exception):
    """A correction that cannot be read or recorded; the message is one line naming the file or record."""


def load_corrections(directory: str | Path | None) -> list[tuple[Path, CorrectionFile]]:
    """Every corrections file of a directory (none when it does not exist), validated."""
    if directory is None or not Path(directory).is_dir():
        return []
    files = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            files.append((path, CorrectionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))))
        except (yaml.YAMLError, ValidationError, OSError, UnicodeDecodeError) as exc:
            raise CorrectionError(f"{path}: invalid corrections file ({_one_line(exc)})") from exc
    return files


def apply_corrections(db: Database, files: list[tuple[Path, CorrectionFile]]) -> list[str]:
    """Apply every correction to the database; return one warning line per correction that no longer applies."""
    _reset(db)
    papers = _papers_by_stem(db)
    warnings, rows = [], []
    for path, content in files:
        paper_ids = papers.get(content.paper, [])
        for ordinal, correction in enumerate(content.corrections):
            where = f"{path}#{ordinal}"
            try:
                applied_to, problem = _apply(db, paper_ids, correction) if paper_ids else (
                    None, f"no paper {content.paper!r}")
            except sqlite3.Error as exc:  # a value SQLite refuses: reported like any correction that does not apply
                applied_to, problem = None, _one_line(exc)
            if problem:
                warnings.append(f"{where}: {correction.action} on {correction.table} no longer applies ({problem})")
            rows.append({
                "id": f"{path.name}#{ordinal}", "paper_id": paper_ids[0] if paper_ids else None, "stem": content.paper,
                **correction.model_dump(mode="json", exclude={"match", "set", "values"}),
                "match": json.dumps(correction.match) if correction.match else None,
                "changes": json.dumps(correction.set or correction.values) if (correction.set or correction.values) else None,
                "applied_to": applied_to, "status": "orphaned" if problem else "applied",
            })
    if rows:
        db.table(CORRECTIONS).insert_all(rows, replace=True)
    return warnings


def _papers_by_stem(db: Database) -> dict[str, list[str]]:
    """Stem -> paper ids, the preferred format first: one corrections file serves every source of a paper."""
    if PAPERS not in db.table_names():
        return {}
    papers: dict[str, list[tuple[int, str]]] = {}
    for row in db.query(f"select stem, paper_id, format from [{PAPERS}]"):
        papers.setdefault(row["stem"], []).append((source_rank(row["format"]), row["paper_id"]))
    return {stem: [paper_id for _, paper_id in sorted(ids)] for stem, ids in papers.items()}


def _reset(db: Database) -> None:
    """Forget the decisions of the previous build: they are applied afresh from the files."""
    with db.atomic():
        db.execute(f"DELETE FROM [{CORRECTIONS}]")
        for table in EVIDENCE_TABLES:
            db.execute(f"DELETE FROM [{PROVENANCE}] WHERE record_table = ? AND rule_id = ?", [table, CURATOR])
            db.execute(f"DELETE FROM [{table}] WHERE curation = 'added'")
            db.execute(f"UPDATE [{table}] SET curation = NULL, corrected_values = NULL WHERE curation IS NOT NULL")


def _apply(db: Database, paper_ids: list[str], correction: Correction) -> tuple[str | None, str | None]:
    """(id of the row changed, None) or (None, why it does not apply)."""
    if correction.table not in EVIDENCE_TABLES:
        return None, f"unknown table {correction.table!r}"
    if correction.action == "add":
        return _add(db, paper_ids, correction)
    row_id, problem = _find(db, paper_ids, correction)
    if row_id is None:
        return None, problem
    update: dict[str, Any] = {"curation": CURATION[correction.action]}
    if correction.action == "correct":
        problem = check_fields(correction.table, correction.set)
        if problem:
            return None, problem
        update["corrected_values"] = json.dumps(correction.set)
    db.table(correction.table).update(row_id, update)
    return row_id, None


def _find(db: Database, paper_ids: list[str], correction: Correction) -> tuple[str | None, str]:
    """The row a decision is about: by its stable id, else by its field values when exactly one row has them."""
    table = db.table(correction.table)
    marks = ", ".join("?" * len(paper_ids))
    if correction.record_id:
        found = list(table.rows_where(f"id = ? and paper_id in ({marks})", [correction.record_id, *paper_ids]))
        if found:
            return found[0]["id"], ""
    if not correction.match:
        return None, "no extracted record has its record_id"
    unknown = set(correction.match) - set(EVIDENCE_TABLES[correction.table].column_names())
    if unknown:
        return None, f"unknown fields {sorted(unknown)} in match"
    where = " and ".join(f"[{name}] is ?" for name in correction.match)
    values = [jsonify_if_needed(value) for value in correction.match.values()]
    found = list(table.rows_where(f"paper_id in ({marks}) and {where}", [*paper_ids, *values], limit=2))
    if len(found) == 1:
        return found[0]["id"], ""
    return None, "no extracted record matches its record_id or match" if not found else "its match fits several records"


def check_fields(table: str, values: dict[str, Any]) -> str | None:
    """Why these field values cannot stand in an evidence table (unknown field, wrong type or vocabulary), or None."""
    fields = RECORD_MODELS[KIND_OF_TABLE[table]].model_fields
    for name, value in values.items():
        if name not in fields or name in ("kind", "provenance"):
            return f"unknown field {name!r} of {table}"
        try:
            TypeAdapter(fields[name].annotation).validate_python(value)
        except ValidationError as exc:
            return f"{name}={value!r} is not valid ({exc.errors()[0]['msg']})"
    return None


def added_record(db: Database, paper_ids: list[str], table: str, values: dict[str, Any]) -> EvidenceRecord:
    """The record a curator adds, validated like an extracted one and located by its verbatim quote."""
    values = dict(values)
    quote = values.pop("quote", None)
    if not isinstance(quote, str) or not quote.strip():
        raise CorrectionError("an added record needs its quote, verbatim from the paper")
    problem = check_fields(table, values)
    if problem:
        raise CorrectionError(problem)
    for paper_id in paper_ids:
        sections = db.query(f"select label, start, text from [{SECTIONS}] where paper_id = ? order by ordinal", [paper_id])
        for section in sections:
            at = section["text"].find(quote)
            if at >= 0:
                span = Provenance(paper_id=paper_id, section=section["label"], start=section["start"] + at,
                                  end=section["start"] + at + len(quote), quote=quote, rule_id=CURATOR,
                                  extractor_version=CURATOR, confidence=1.0)
                try:
                    return RECORD_MODELS[KIND_OF_TABLE[table]].model_validate({**values, "provenance": [span]})
                except ValidationError as exc:
                    raise CorrectionError(f"invalid values ({_one_line(exc)})") from exc
    raise CorrectionError("its quote is not in the paper's text")


def _add(db: Database, paper_ids: list[str], correction: Correction) -> tuple[str | None, str | None]:
    """Insert a record the extractor missed; if extraction now finds the same fact, confirm that row instead."""
    try:
        record = added_record(db, paper_ids, correction.table, correction.values)
    except CorrectionError as exc:
        return None, str(exc)
    span = record.provenance[0]
    row_id = record_id(span.paper_id, record)
    table = db.table(correction.table)
    if list(table.rows_where("id = ?", [row_id])):
        table.update(row_id, {"curation": CURATION["confirm"]})
        return row_id, None
    table.insert({"id": row_id, "paper_id": span.paper_id, **record.model_dump(exclude={"kind", "provenance"}),
                  **span.model_dump(exclude=set(PRIMARY_PROVENANCE_EXCLUDE)), "n_sources": 1, "curation": "added"})
    db.table(PROVENANCE).insert({"id": f"{row_id}-0", "record_table": correction.table, "record_id": row_id,
                                 "ordinal": 0, **span.model_dump()})
    return row_id, None


def decision(
    db: Database, target: str, action: str, changes: dict[str, Any], *, table: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """(paper stem, the correction's fields but who/when/why) for a decision about DB's row ``target``.

    For confirm, correct and reject ``target`` is an evidence row's id; for add,
    the paper's stem or paper_id, with ``table`` and ``changes`` holding the
    record's fields and its ``quote``. CorrectionError (one line) when the
    decision cannot apply to this database.
    """
    if action == "add":
        if table not in EVIDENCE_TABLES:
            raise CorrectionError(f"--table must be one of {sorted(EVIDENCE_TABLES)}")
        rows = list(db.query(f"select stem from [{PAPERS}] where stem = ? or paper_id = ?", [target, target]))
        if not rows:
            raise CorrectionError(f"no paper with stem or paper_id {target!r}")
        stem = rows[0]["stem"]
        added_record(db, _papers_by_stem(db)[stem], table, changes)
        return stem, {"action": action, "table": table, "values": changes}
    for name in EVIDENCE_TABLES:
        found = list(db.table(name).rows_where("id = ?", [target])) if name in db.table_names() else []
        if found:
            row = found[0]
            break
    else:
        raise CorrectionError(f"no evidence record with id {target!r}")
    problem = check_fields(name, changes) if action == "correct" else None
    if problem:
        raise CorrectionError(problem)
    stem = db.execute(f"select stem from [{PAPERS}] where paper_id = ?", [row["paper_id"]]).fetchone()[0]
    match = {k: v for k, v in row.items() if k not in NOT_MATCHED and v is not None}
    return stem, {"action": action, "table": name, "record_id": target, "match": match,
                  "set": changes if action == "correct" else {}}


def add_correction(directory: Path, stem: str, correction: Correction) -> Path:
    """Append a correction to the paper's corrections file (created when missing); returns its path."""
    path = directory / f"{stem}.yaml"
    try:
        content = (CorrectionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
                   if path.exists() else CorrectionFile(paper=stem))
    except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as exc:
        raise CorrectionError(f"{path}: invalid corrections file ({_one_line(exc)})") from exc
    content.corrections.append(correction)
    header = "# Reviewed corrections of one paper's extracted evidence; applied at every `evidence build`.\n"
    text = header + yaml.safe_dump(content.model_dump(mode="python", exclude_defaults=True),
                                   sort_keys=False, allow_unicode=True)
    # The file is the curators' record: written whole or not at all.
    with replacing(path, seed=False) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]
