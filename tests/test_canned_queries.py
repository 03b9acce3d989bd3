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

# Adverse events of many terms and grades; hazard ratios of five endpoints; responses of several outcomes.
FILES = [PAPERS / name for name in ("PMC5301372.nxml", "PMC3664086.nxml", "PMC5850960.nxml", "PMC3669518.nxml",
                                    "d05_sorafenib_clagm_bloodadv2023.txt", "PMC5292678.nxml", "PMC5706840.nxml",
                                    "PMC529310.nxml", "000_59df4b2ebd5e169b.txt")]

# The query as it was first written: what grade3_adverse_events_by_term must keep answering.
PLAIN_AE_SQL = ("select p.label as study, a.term, a.grade, a.arm, a.n, a.of, a.percent, a.quote "
                "from adverse_events a join papers p on p.paper_id = a.paper_id "
                "where a.grade in ('3', '4', '3-4', '>=3', '5') and a.term like '%' || :term || '%' "
                "order by a.term, study")
PLAIN_HR_SQL = ("select study, trial_id, endpoint, comparison, hr, ci_low, ci_high, ci_level, log_hr, se_log_hr, "
                "se_derivation, has_ci, adjusted, p, quote, study_id, n_sources, analysis, included, excluded_reason "
                "from meta_hazard_ratios where endpoint = :endpoint order by study")
PLAIN_RESPONSE_SQL = ("select study, trial_id, arm, outcome, events, n, round(proportion, 4) as proportion, "
                      "round(ci_low, 4) as ci_low, round(ci_high, 4) as ci_high, quote, study_id, n_sources, "
                      "denominator_source, included, excluded_reason from meta_proportions "
                      "where events is not null and outcome = :outcome "
                      "and paper_id in (select paper_id from regimens where drug = :drug) order by study, arm")


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
    assert "SEARCH a USING INDEX idx_adverse_events_term_paper_id (term=?)" in plan
    assert not any("idx_adverse_events_grade" in step or step.startswith("SCAN a") for step in plan)
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan


async def test_hazard_ratios_for_endpoint_gives_the_plain_querys_rows(ds: Datasette, db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        endpoints = [r[0] for r in conn.execute("select distinct endpoint from meta_hazard_ratios where endpoint is not null")]
        assert len(endpoints) >= 4
        for endpoint in [*endpoints, "no such endpoint"]:
            response = await ds.client.get(f"/evidence/hazard_ratios_for_endpoint.json?endpoint={quote(endpoint)}"
                                           f"&_shape=array")
            assert response.status_code == 200
            rows = [tuple(r.values()) for r in response.json()]
            plain = [tuple(r) for r in conn.execute(PLAIN_HR_SQL, {"endpoint": endpoint})]
            assert sorted(rows, key=repr) == sorted(plain, key=repr)
            assert [r[0] for r in rows] == [r[0] for r in plain]  # by study


async def test_response_rates_gives_the_plain_querys_rows(ds: Datasette, db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        drugs = [r[0] for r in conn.execute("select distinct drug from regimens where drug is not null")]
        outcomes = [r[0] for r in conn.execute("select distinct outcome from meta_proportions where outcome is not null")]
        found = 0
        for drug in [*drugs, "no such drug"]:
            for outcome in [*outcomes, "no such outcome"]:
                response = await ds.client.get(f"/evidence/response_rates.json?drug={quote(drug)}"
                                               f"&outcome={quote(outcome)}&_shape=array")
                assert response.status_code == 200
                rows = [tuple(r.values()) for r in response.json()]
                plain = [tuple(r) for r in conn.execute(PLAIN_RESPONSE_SQL, {"drug": drug, "outcome": outcome})]
                assert sorted(rows, key=repr) == sorted(plain, key=repr)
                assert [r[:3] for r in rows] == [r[:3] for r in plain]  # by study, arm
                found += bool(rows)
        assert found >= 5


def test_the_meta_queries_read_their_rows_by_index(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        hr = [r[3] for r in conn.execute("explain query plan " + QUERIES["hazard_ratios_for_endpoint"]["sql"],
                                         {"endpoint": "OS"})]
        rates = [r[3] for r in conn.execute("explain query plan " + QUERIES["response_rates"]["sql"],
                                            {"drug": "x", "outcome": "CR"})]
    # The rows of an endpoint come in the order shown (no sort of every match); a drug's papers are sought by outcome.
    assert hr == ["SEARCH meta_hazard_ratios USING INDEX idx_meta_hazard_ratios_endpoint_study_record_id (endpoint=?)"]
    assert any("(outcome=? AND paper_id=?)" in step for step in rates)
