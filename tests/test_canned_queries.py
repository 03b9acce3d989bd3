"""Canned queries give the rows of their plain SQL, read through indexes rather than by scanning a table."""

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from datasette.app import Datasette

from publish.database import build_database
from publish.metadata import QUERIES
from tests.conftest import PAPERS

# Adverse events of many terms and grades.
FILES = [PAPERS / name for name in ("PMC5301372.nxml", "PMC3664086.nxml", "PMC5850960.nxml", "PMC3669518.nxml",
                                    "d05_sorafenib_clagm_bloodadv2023.txt")]

# The query as it was first written: what grade3_adverse_events_by_term must keep answering.
PLAIN_AE_SQL = ("select p.label as study, a.term, a.grade, a.arm, a.n, a.of, a.percent, a.quote "
                "from adverse_events a join papers p on p.paper_id = a.paper_id "
                "where a.grade in ('3', '4', '3-4', '>=3', '5') and a.term like '%' || :term || '%' "
                "order by a.term, study")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("queries") / "evidence.db"
    build_database(path, FILES)
    return path


def probes(conn: sqlite3.Connection) -> list[str]:
    """Every term, its first letters, upper-cased, and texts LIKE treats specially or nothing matches."""
    terms = [r[0] for r in conn.execute("select distinct term from adverse_events where term is not null")]
    return [*terms, *(t[:3] for t in terms), *(t.upper() for t in terms), "", "a", "%", "_", "n_u", "xyz", "é"]


async def test_adverse_events_by_term_gives_the_plain_querys_rows(ds: Datasette, db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        texts = probes(conn)
        assert len(texts) > 100
        matched = 0
        for text in texts:
            response = await ds.client.get(f"/evidence/grade3_adverse_events_by_term.json?term={quote(text)}"
                                           f"&_shape=array")
            assert response.status_code == 200, text
            rows = [tuple(r.values()) for r in response.json()]
            plain = [tuple(r) for r in conn.execute(PLAIN_AE_SQL, {"term": text})]
            assert sorted(rows, key=repr) == sorted(plain, key=repr), text
            assert [(r[1], r[0]) for r in rows] == [(r[1], r[0]) for r in plain], text  # term, then study
            matched += bool(rows)
        assert matched > 20


def test_adverse_events_by_term_reads_the_term_index(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        plan = [r[3] for r in conn.execute("explain query plan " + QUERIES["grade3_adverse_events_by_term"]["sql"],
                                           {"term": "neutropenia"})]
    # The matching rows are found by term and come in term order: no scan of every grade-3 row, no full sort.
    assert "SEARCH a USING INDEX idx_adverse_events_term (term=?)" in plan
    assert not any("idx_adverse_events_grade" in step or step.startswith("SCAN a") for step in plan)
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan
