"""Curators' corrections: read from corpus/corrections/<stem>.yaml, applied to the database at every build.

Corrections live apart from extracted records, so extraction can run again and
never lose them. Each decision finds its record by stable id, or by its field
values when the id changed; a decision that finds nothing is kept as 'orphaned'
and reported, never dropped.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlite_utils import Database

from publish.tables import CORRECTIONS, PAPERS, SECTIONS, evidence_specs
from schemas.corrections import Correction, CorrectionFile

CURATION = {"confirm": "confirmed", "correct": "corrected", "reject": "rejected", "add": "added"}
EVIDENCE_TABLES = {spec.name: spec for spec in evidence_specs().values()}


class CorrectionError(Exception):
    """A corrections file that cannot be read; the message is one line naming the file."""


def load_corrections(directory: str | Path | None) -> list[tuple[Path, CorrectionFile]]:
    """Every corrections file of a directory (none when it does not exist), validated."""
    if directory is None or not Path(directory).is_dir():
        return []
    files = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            files.append((path, CorrectionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))))
        except (yaml.YAMLError, ValidationError, OSError, UnicodeDecodeError) as exc:
            cause = " ".join(str(exc).split())[:300]
            raise CorrectionError(f"{path}: invalid corrections file ({cause})") from exc
    return files


def apply_corrections(db: Database, files: list[tuple[Path, CorrectionFile]]) -> list[str]:
    """Apply every correction to the database; return one warning line per correction that no longer applies."""
    _reset(db)
    papers = {row["stem"]: row["paper_id"] for row in db.table(PAPERS).rows} if PAPERS in db.table_names() else {}
    warnings, rows = [], []
    for path, content in files:
        paper_id = papers.get(content.paper)
        for ordinal, correction in enumerate(content.corrections):
            where = f"{path}#{ordinal}"
            applied_to, problem = _apply(db, paper_id, correction) if paper_id else (None, f"no paper {content.paper!r}")
            if problem:
                warnings.append(f"{where}: {correction.action} on {correction.table} no longer applies ({problem})")
            rows.append({
                "id": where, "paper_id": paper_id, "stem": content.paper,
                **correction.model_dump(mode="json", exclude={"match", "set", "values"}),
                "match": json.dumps(correction.match) if correction.match else None,
                "changes": json.dumps(correction.set or correction.values) if (correction.set or correction.values) else None,
                "applied_to": applied_to, "status": "orphaned" if problem else "applied",
            })
    if rows:
        db.table(CORRECTIONS).insert_all(rows)
    return warnings


def _reset(db: Database) -> None:
    """Forget the decisions of the previous build: they are applied afresh from the files."""
    with db.conn:
        db.execute(f"DELETE FROM [{CORRECTIONS}]")
        for table in EVIDENCE_TABLES:
            db.execute(f"DELETE FROM [{table}] WHERE curation = 'added'")
            db.execute(f"UPDATE [{table}] SET curation = NULL, corrected_values = NULL WHERE curation IS NOT NULL")


def _apply(db: Database, paper_id: str, correction: Correction) -> tuple[str | None, str | None]:
    """(id of the row changed, None) or (None, why it does not apply)."""
    if correction.table not in EVIDENCE_TABLES:
        return None, f"unknown table {correction.table!r}"
    if correction.action == "add":
        return _add(db, paper_id, correction)
    row_id = _find(db, paper_id, correction)
    if row_id is None:
        return None, "no extracted record matches its record_id or match"
    update: dict[str, Any] = {"curation": CURATION[correction.action]}
    if correction.action == "correct":
        unknown = set(correction.set) - set(EVIDENCE_TABLES[correction.table].column_names())
        if unknown:
            return None, f"unknown fields {sorted(unknown)}"
        update["corrected_values"] = json.dumps(correction.set)
    db.table(correction.table).update(row_id, update)
    return row_id, None


def _find(db: Database, paper_id: str, correction: Correction) -> str | None:
    table = db.table(correction.table)
    if correction.record_id:
        found = list(table.rows_where("id = ? and paper_id = ?", [correction.record_id, paper_id], limit=1))
        if found:
            return found[0]["id"]
    if not correction.match:
        return None
    columns = set(EVIDENCE_TABLES[correction.table].column_names())
    if set(correction.match) - columns:
        return None
    where = " and ".join(f"[{name}] is ?" for name in correction.match)
    found = list(table.rows_where(f"paper_id = ? and {where}", [paper_id, *correction.match.values()], limit=2))
    return found[0]["id"] if len(found) == 1 else None


def _add(db: Database, paper_id: str, correction: Correction) -> tuple[str | None, str | None]:
    """Insert a record the extractor missed, located by its quote in the paper's text."""
    values = dict(correction.values)
    quote = values.pop("quote", None)
    if not quote:
        return None, "an added record needs its quote"
    spec = EVIDENCE_TABLES[correction.table]
    unknown = set(values) - set(spec.column_names())
    if unknown:
        return None, f"unknown fields {sorted(unknown)}"
    sections = list(db.query(f"select label, start, text from [{SECTIONS}] where paper_id = ? order by ordinal", [paper_id]))
    for section in sections:
        at = section["text"].find(quote)
        if at >= 0:
            start = section["start"] + at
            row_id = hashlib.sha256(json.dumps([paper_id, "added", correction.table, values, quote]).encode()).hexdigest()[:16]
            db.table(correction.table).insert({
                "id": row_id, "paper_id": paper_id, **values, "section": section["label"], "start": start,
                "end": start + len(quote), "quote": quote, "rule_id": "curator", "extractor_version": "curator",
                "confidence": 1.0, "n_sources": 1, "curation": "added",
            })
            return row_id, None
    return None, "its quote is not in the paper's text"


def add_correction(directory: Path, stem: str, correction: Correction) -> Path:
    """Append a correction to the paper's corrections file (created when missing); returns its path."""
    path = directory / f"{stem}.yaml"
    content = (CorrectionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
               if path.exists() else CorrectionFile(paper=stem))
    content.corrections.append(correction)
    directory.mkdir(parents=True, exist_ok=True)
    header = "# Reviewed corrections of one paper's extracted evidence; applied at every `evidence build`.\n"
    path.write_text(header + yaml.safe_dump(content.model_dump(mode="python", exclude_defaults=True),
                                            sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
