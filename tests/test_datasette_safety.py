"""Datasette as `evidence serve` runs it: no write gets through any route, and a runaway query is stopped."""

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from datasette.app import Datasette

from publish.database import build_database
from publish.plugins.limits import MAX_SQL_BYTES, MAX_VALUE_BYTES, apply_limits, bad_parameter
from publish.serve import SETTINGS
from tests.conftest import PAPERS, ROOT

D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
WRITES = [
    "insert into papers (paper_id) values ('x')",
    "update papers set title = 'x'",
    "delete from papers",
    "drop table papers",
    "create table x (y)",
    "replace into papers (paper_id, source_path, stem, format, label, n_chars, n_sections, n_tables, "
    "extractor_version) values ('x', 'x', 'x', 'text', 'x', 0, 0, 0, 'x')",
    "with doomed as (select paper_id from papers) delete from papers where paper_id in (select paper_id from doomed)",
    "with t as (select 1) insert into papers (paper_id) select 'x' from t",
    "select 1; delete from papers",
    "attach database ':memory:' as other",
    "vacuum into '/tmp/stolen.db'",
    "pragma writable_schema = 1",
    "select * from pragma_table_info('papers'); pragma journal_mode = delete",
    "select load_extension('/tmp/evil.so')",
]
# A query with no end: counts upwards for ever.
RUNAWAY = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("safety") / "evidence.db"
    build_database(path, [D05])
    return path


async def _n_papers(ds: Datasette) -> int:
    response = await ds.client.get("/evidence.json?sql=select+count(*)+as+n+from+papers&_shape=array")
    return response.json()[0]["n"]


@pytest.mark.parametrize("sql", WRITES)
async def test_sql_that_writes_is_refused(ds: Datasette, db_path: Path, sql: str) -> None:
    before = db_path.read_bytes()
    response = await ds.client.get(f"/evidence.json?sql={quote(sql)}")
    assert response.status_code == 400, response.text
    assert response.json()["ok"] is False and response.json()["error"]
    assert await _n_papers(ds) == 1
    assert db_path.read_bytes() == before
    assert not Path("/tmp/stolen.db").exists()


async def test_write_routes_are_refused(ds: Datasette, db_path: Path) -> None:
    before = db_path.read_bytes()
    paper_id = (await ds.client.get("/evidence/papers.json?_shape=array")).json()[0]["paper_id"]
    attempts = {
        "/evidence": {"sql": "delete from papers"},
        "/evidence/-/create": {"table": "x", "row": {"y": 1}},
        "/-/create": {"table": "x"},
        "/evidence/papers/-/insert": {"row": {"paper_id": "x"}},
        "/evidence/papers/-/upsert": {"rows": [{"paper_id": paper_id, "title": "x"}]},
        f"/evidence/papers/{paper_id}/-/update": {"update": {"title": "x"}},
        f"/evidence/papers/{paper_id}/-/delete": {},
        "/evidence/papers/-/drop": {"confirm": True},
        # Datasette 0.65 answers a POST to a read-only canned query with a 500; nothing is written either way.
        "/evidence/grade3_adverse_events_by_term": {"term": "x"},
    }
    for path, body in attempts.items():
        response = await ds.client.post(path, json=body)
        assert response.status_code >= 400, (path, response.status_code)
    assert ds.databases["evidence"].is_mutable is False
    with pytest.raises(AssertionError):  # Datasette itself cannot open a writable connection to it
        await ds.databases["evidence"].execute_write("delete from papers")
    assert await _n_papers(ds) == 1
    assert db_path.read_bytes() == before


async def test_a_runaway_query_is_stopped_by_the_time_limit(ds: Datasette) -> None:
    limit = SETTINGS["sql_time_limit_ms"] / 1000
    start = time.perf_counter()
    response = await ds.client.get(f"/evidence.json?sql={quote(RUNAWAY)}")
    elapsed = time.perf_counter() - start
    assert response.status_code == 400
    assert "took too long" in response.json()["error"]
    assert limit <= elapsed < limit + 5
    assert await _n_papers(ds) == 1  # the server still answers


def test_refusals_are_errors_not_crashes_when_serve_is_imported_first(db_path: Path) -> None:
    """As in `evidence serve`: a fresh interpreter whose first Datasette import is publish.serve's."""
    script = f"""
import asyncio
from publish.serve import make_datasette

async def main():
    ds = make_datasette({str(db_path)!r})
    await ds.invoke_startup()
    for url in ("/evidence.json?sql=delete+from+papers", "/evidence/papers/-/insert", "/no/such/page"):
        print((await ds.client.get(url)).status_code)

asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.split() == ["400", "404", "404"], result.stderr[-500:]


async def test_one_huge_value_is_refused_at_once(ds: Datasette) -> None:
    huge = "select length(replace(hex(zeroblob(100000000)),'0','00000')) as n"
    start = time.perf_counter()
    response = await ds.client.get(f"/evidence.json?sql={quote(huge)}")
    assert response.status_code == 400 and "string or blob too big" in response.json()["error"]
    assert time.perf_counter() - start < 1
    # Just under the limit still answers: the limit is on one value, not on what a query may compute.
    fits = f"select length(zeroblob({MAX_VALUE_BYTES})) as n"
    assert (await ds.client.get(f"/evidence.json?sql={quote(fits)}&_shape=array")).json() == [{"n": MAX_VALUE_BYTES}]


async def test_the_value_limit_is_far_above_the_largest_value_stored(ds: Datasette) -> None:
    sql = "select max(length(cast(text as blob))) as n from sections"
    largest = (await ds.client.get(f"/evidence.json?sql={quote(sql)}&_shape=array")).json()[0]["n"]
    assert largest > 1_000 and 100 * largest < MAX_VALUE_BYTES
    assert (await ds.client.get("/evidence/sections.json?_search=sorafenib")).status_code == 200


def test_a_statement_longer_than_the_limit_is_refused() -> None:
    # Longer than any URL an HTTP client sends (httpx stops at 64 KB), so checked on a connection given the limits.
    import sqlite3

    conn = sqlite3.connect(":memory:")
    apply_limits(conn)
    assert conn.execute("select 1" + " " * (MAX_SQL_BYTES - 20)).fetchone() == (1,)
    with pytest.raises(sqlite3.DataError, match="query string is too large"):
        conn.execute("select 1" + " " * MAX_SQL_BYTES)


@pytest.mark.parametrize("call", ["fts3_tokenizer('simple')", "fts3_tokenizer('x', x'00')"])
async def test_fts3_tokenizer_is_disabled(ds: Datasette, call: str) -> None:
    response = await ds.client.get(f"/evidence.json?sql={quote('select ' + call + ' as t')}")
    assert response.status_code == 400 and "user-defined function raised exception" in response.json()["error"]


@pytest.mark.parametrize("param", ["_sort", "_sort_desc"])
async def test_sorting_by_an_unknown_column_is_a_400(ds: Datasette, param: str) -> None:
    response = await ds.client.get(f"/evidence/papers.json?{param}=nonexistent")
    assert response.status_code == 400 and response.json()["error"] == "Cannot sort table by nonexistent"
    assert (await ds.client.get(f"/evidence/papers?{param}=nonexistent")).status_code == 400
    assert (await ds.client.get(f"/evidence/papers.json?{param}=stem")).status_code == 200


@pytest.mark.parametrize(("query", "problem"), [
    ("_timelimit=abc", "_timelimit must be a whole number"),
    ("_through=%5B", "_through must be a JSON object"),
    ("_facet=%7B%7D", "_facet given as JSON must be an object"),
    ("start__gt=" + "9" * 30, "start__gt: the number is out of range"),
    ("stem=a%00b", "a NUL character in a parameter"),
])
async def test_parameters_datasette_would_crash_on_are_a_400(ds: Datasette, query: str, problem: str) -> None:
    response = await ds.client.get(f"/evidence/papers.json?{query}")
    assert response.status_code == 400 and response.json()["error"].startswith(problem)
    assert (bad_parameter(query) or "").startswith(problem)
    assert bad_parameter("_timelimit=200&_facet=format&start__gt=12&_through=" + quote(
        '{"table": "sections", "column": "label", "value": "methods"}')) is None
