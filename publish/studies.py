"""Studies for meta-analysis: one per trial (papers sharing a registry id), else per article, else per paper.

A meta-analysis counts a trial once however many papers report it (an interim and a
final report, an abstract and a full paper) and however many files hold one paper
(``paper_sources``). The ``studies`` table, written at every build, names each study
and lists its papers; every meta-analysis row carries its ``study_id``.

A study's id is its registry id (the one most of its papers print, NCT before other
registries, then the smallest) when any paper prints one; else the ``article_id`` of
its article (``paper_sources``); else the paper's own id. Papers are joined through
any registry id they share, so a paper printing its NCT and EudraCT numbers joins the
papers printing either. Records a curator rejected do not count; corrected
identifiers count with their corrected value.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from publish.articles import PAPER_SOURCES
from publish.tables import PAPERS

STUDIES = "studies"
REGISTRY_IDS = "registry_ids"

STUDIES_METADATA: dict[str, Any] = {
    "description": "One row per study the meta-analysis tables count: a trial (papers sharing a registry id), "
                   "else an article (its files in several formats), else a paper.",
    "columns": {
        "study_id": "The trial's registry id; else the article's id (paper_sources.article_id); else the paper's id.",
        "kind": "'trial' (registry id), 'article' (several files of one article) or 'paper'.",
        "label": "The title (or file stem) of its latest paper: how pools and forest plots name it.",
        "registry_ids": "Every registry id its papers print (JSON list).",
        "n_papers": "How many papers (files) report it.",
        "paper_ids": "Those papers' ids (JSON list), latest first.",
        "papers": "Their titles or stems, in the same order (JSON list).",
        "latest_year": "Publication year of its latest paper, when known.",
    },
    "facets": ["kind"],
}


@dataclass
class Study:
    """One study: its id, label and papers (latest first)."""

    study_id: str
    kind: str
    label: str
    registry_ids: list[str] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)
    papers: list[str] = field(default_factory=list)
    latest_year: int | None = None

    @property
    def trial_id(self) -> str | None:
        return self.study_id if self.kind == "trial" else None


def _registry_ids(db: Database) -> dict[str, set[str]]:
    """paper_id -> the registry ids it prints (curators' rejections left out, corrections applied)."""
    found: dict[str, set[str]] = {}
    if REGISTRY_IDS not in db.table_names():
        return found
    for row in db.query(f"select paper_id, identifier, curation, corrected_values from [{REGISTRY_IDS}]"):
        if row["curation"] == "rejected":
            continue
        identifier = json.loads(row["corrected_values"] or "{}").get("identifier", row["identifier"])
        found.setdefault(row["paper_id"], set()).add(identifier)
    return found


def _trial_order(identifier: str, holders: Counter[str]) -> tuple[int, int, str]:
    return -holders[identifier], 0 if identifier.startswith("NCT") else 1, identifier


def assign_studies(db: Database) -> dict[str, Study]:
    """paper_id -> its Study, for every paper of the database."""
    if PAPERS not in db.table_names():
        return {}
    article_of = ({r["paper_id"]: r["article_id"] for r in db.query(f"select paper_id, article_id from [{PAPER_SOURCES}]")}
                  if PAPER_SOURCES in db.table_names() else {})
    papers = {r["paper_id"]: r for r in db.query(f"select paper_id, label, stem, year from [{PAPERS}]")}
    ids = _registry_ids(db)
    # Union-find over articles: two articles printing one registry id are one trial.
    parent = {article_of.get(p, p): article_of.get(p, p) for p in papers}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    owner: dict[str, str] = {}
    for paper_id in sorted(papers):
        article = article_of.get(paper_id, paper_id)
        for identifier in sorted(ids.get(paper_id, ())):
            if identifier in owner:
                a, b = sorted((root(owner[identifier]), root(article)))
                parent[b] = a
            else:
                owner[identifier] = article
    members: dict[str, list[str]] = {}
    for paper_id in papers:
        members.setdefault(root(article_of.get(paper_id, paper_id)), []).append(paper_id)
    studies: dict[str, Study] = {}
    for group_root, paper_ids in members.items():
        holders = Counter(i for p in paper_ids for i in ids.get(p, ()))
        ordered = sorted(paper_ids, key=lambda p: (-(papers[p]["year"] or 0), p))
        labels = [papers[p]["label"] or papers[p]["stem"] for p in ordered]
        if holders:
            trial_ids = sorted(holders, key=lambda i: _trial_order(i, holders))
            study = Study(trial_ids[0], "trial", labels[0], trial_ids, ordered, labels)
        else:
            study = Study(group_root, "article" if len(paper_ids) > 1 else "paper", labels[0], [], ordered, labels)
        years = [papers[p]["year"] for p in paper_ids if papers[p]["year"]]
        study.latest_year = max(years) if years else None
        for paper_id in paper_ids:
            studies[paper_id] = study
    return studies


def study_rows(studies: dict[str, Study]) -> dict[str, dict[str, Any]]:
    """study_id -> its row of the studies table, from assign_studies' answer."""
    return {s.study_id: {"study_id": s.study_id, "kind": s.kind, "label": s.label,
                         "registry_ids": json.dumps(s.registry_ids), "n_papers": len(s.paper_ids),
                         "paper_ids": json.dumps(s.paper_ids), "papers": json.dumps(s.papers),
                         "latest_year": s.latest_year} for s in studies.values()}


def stored_studies(db: Database) -> dict[str, dict[str, Any]] | None:
    """study_id -> its row as the studies table holds it now; None when there is no studies table."""
    if STUDIES not in db.table_names():
        return None
    return {row["study_id"]: row for row in db.query(f"select * from [{STUDIES}]")}


def write_studies(db: Database, studies: dict[str, Study], only: set[str] | None = None,
                  rows: dict[str, dict[str, Any]] | None = None) -> None:
    """(Re)write the studies table from assign_studies' answer (``rows``: its study_rows, when made already); with
    ``only`` (study ids), only those rows are deleted and written again, the table is otherwise kept."""
    rows = study_rows(studies) if rows is None else rows
    if only is not None and STUDIES in db.table_names():
        with db.atomic():
            db.execute(f"DELETE FROM [{STUDIES}] WHERE study_id IN (SELECT value FROM json_each(?))",
                       [json.dumps(sorted(only))])
        db.table(STUDIES).insert_all(row for study_id, row in rows.items() if study_id in only)
        return
    db.table(STUDIES).drop(ignore=True)
    db.table(STUDIES).create({"study_id": str, "kind": str, "label": str, "registry_ids": str, "n_papers": int,
                              "paper_ids": str, "papers": str, "latest_year": int}, pk="study_id")
    if rows:
        db.table(STUDIES).insert_all(rows.values())
