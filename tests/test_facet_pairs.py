"""Facets of a page filtered on one column, read from counts taken once from the served database."""

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette, DatasetteClient

from publish.database import build_database
from publish.facet_pairs import combine, count_pairs, sqlite_order, wait_for_pair_counts
from publish.metadata import facet_columns
from publish.serve import make_datasette
from tests.conftest import PAPERS

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"
# Adverse events of seven grades, in the results and the abstract.
FILES = [D01, D05, JATS, PAPERS / "PMC3669518.nxml", PAPERS / "hb06_ruan_romidepsin_lenalidomide_ptcl.txt"]
ADDED = PAPERS / "PMC3642008.nxml"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pairs") / "evidence.db"
    build_database(path, FILES)
    return path


def grouped(conn: sqlite3.Connection, table: str, column: str, where: str, params: list[Any]) -> list[tuple[Any, int]]:
    """Datasette's facet query, written out: (value, rows) of ``column`` among the rows ``where`` selects."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        f"select [{column}], count(*) from [{table}] where {where} and [{column}] is not null "
        f"group by [{column}] order by count(*) desc, [{column}]", params)]


def test_pair_counts_equal_a_group_by_for_every_filter_value_and_column(db_path: Path) -> None:
    checked = 0
    with closing(sqlite3.connect(db_path)) as conn:
        for table, columns in facet_columns().items():
            pairs = count_pairs(conn, table, columns)
            if pairs is None:
                continue
            for filter_column in pairs.filters:
                values = [r[0] for r in conn.execute(f"select distinct [{filter_column}] from [{table}]")]
                for value in [v for v in values if isinstance(v, str)] + ["no such value"]:
                    for column in pairs.columns:
                        expected = grouped(conn, table, column, f"[{filter_column}] = ?", [value])
                        assert pairs.facet(filter_column, value, column) == expected, (table, filter_column, value)
                        checked += 1
            assert pairs.facet(next(iter(pairs.filters)), "x", "not a facet column") is None
    assert checked > 500


def test_only_text_columns_are_filters_and_values_keep_their_type(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        pairs = count_pairs(conn, "papers", facet_columns()["papers"])
        assert pairs is not None
        assert "year" in pairs.columns and "year" not in pairs.filters  # ?year=2013 compares a number: SQLite's
        journal = conn.execute("select journal from papers where journal is not null and year is not null").fetchone()[0]
        years = pairs.facet("journal", journal, "year")
        assert years and all(isinstance(year, int) for year, _ in years)


def test_combined_counts_sort_like_sqlite() -> None:
    rows = [("a", 2, 5), ("a", "2", 5), ("a", "b", 1), ("a", "B", 1), ("a", None, 7), ("b", 2, 3), (None, 2, 4)]
    pairs = combine(rows, ["f", "c"], ["f"])
    assert pairs.facet("f", "a", "c") == [(2, 5), ("2", 5), ("B", 1), ("b", 1)]
    assert pairs.facet("f", "a", "f") == [("a", 19)]  # rows of a NULL c count too
    assert pairs.facet("f", "c", "c") == []
    assert sorted([b"x", "x", 1.5, 1, None], key=sqlite_order) == [None, 1, 1.5, "x", b"x"]


def facet_values(page: dict[str, Any], column: str) -> list[tuple[Any, int]]:
    return [(v["value"], v["count"]) for v in page["facet_results"][column]["results"]]


def group_by_queries(page: dict[str, Any]) -> list[str]:
    """The facet queries Datasette ran for the page (its ?_trace=1 list)."""
    return [t["sql"] for t in page["_trace"]["traces"] if "group by" in t["sql"]]


async def traced(path: Path) -> Datasette:
    ds = make_datasette(path)
    ds._settings["trace_debug"] = True  # ?_trace=1 lists the page's SQL (the app is made with the setting)
    ds.client = DatasetteClient(ds)
    await ds.invoke_startup()
    wait_for_pair_counts(ds, timeout=60)
    return ds


async def test_a_page_filtered_on_one_column_reads_the_pair_counts(db_path: Path) -> None:
    ds = await traced(db_path)
    with closing(sqlite3.connect(db_path)) as conn:
        for url_filter, where, params in [("section=results", "section = ?", ["results"]),
                                          ("section__exact=abstract", "section = ?", ["abstract"]),
                                          ("grade=3", "grade = ?", ["3"]),
                                          ("grade=no+such+grade", "grade = ?", ["no such grade"])]:
            response = await ds.client.get(
                f"/evidence/adverse_events.json?_facet=grade&_facet=term&_facet=section&_size=0&{url_filter}&_trace=1")
            assert response.status_code == 200
            page = response.json()
            total = conn.execute(f"select count(*) from adverse_events where {where}", params).fetchone()[0]
            assert page["filtered_table_rows_count"] == total
            assert total > 0 or params == ["no such grade"]
            for column in ("grade", "term", "section"):
                expected = grouped(conn, "adverse_events", column, where, params)
                assert facet_values(page, column) == expected[:30]
            # The facets and the row count come from the pair counts: SQLite only reads the page's first rows.
            assert group_by_queries(page) == []
            assert [t["sql"] for t in page["_trace"]["traces"] if "count(*)" in t["sql"]] == []
            plan = [r[3] for r in conn.execute(f"explain query plan select * from adverse_events where {where} "
                                                f"order by paper_id limit 101", params)]
            assert not any("TEMP B-TREE" in step for step in plan), plan  # read in order from the facet index
        html = await ds.client.get("/evidence/adverse_events?_facet=term&section=results")
        assert html.status_code == 200
        top = grouped(conn, "adverse_events", "term", "section = ?", ["results"])[0]
        assert f"{top[0]}</a> {top[1]:,}" in html.text


@pytest.mark.parametrize(("table", "query", "where", "params"), [
    ("adverse_events", "section=results&grade=3", "section = ? and grade = ?", ["results", "3"]),
    ("adverse_events", "section=results&_where=grade+in+('3','4')", "section = ? and grade in ('3','4')",
     ["results"]),
    ("adverse_events", "section__not=results", "section != ?", ["results"]),
    ("papers", "year=2013", "year = ?", [2013]),
])
async def test_other_pages_are_counted_by_sqlite(db_path: Path, table: str, query: str, where: str,
                                                 params: list[Any]) -> None:
    ds = await traced(db_path)
    column = "format" if table == "papers" else "term"
    response = await ds.client.get(f"/evidence/{table}.json?_facet={column}&_size=0&{query}&_trace=1")
    assert response.status_code == 200
    page = response.json()
    with closing(sqlite3.connect(db_path)) as conn:
        assert facet_values(page, column) == grouped(conn, table, column, where, params)[:30]
    assert group_by_queries(page)


async def test_a_rebuilt_database_is_counted_afresh_by_the_server_serving_it(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "evidence.db"
    shutil.copy(db_path, path)
    url = "/evidence/adverse_events.json?_facet=term&_size=0&section=results"
    with closing(sqlite3.connect(path)) as conn:
        before = grouped(conn, "adverse_events", "term", "section = ?", ["results"])
    old = make_datasette(path)
    await old.invoke_startup()
    wait_for_pair_counts(old, timeout=60)
    assert facet_values((await old.client.get(url)).json(), "term") == before[:30]
    build_database(path, [*FILES, ADDED])  # a paper added: the file is replaced
    with closing(sqlite3.connect(path)) as conn:
        after = grouped(conn, "adverse_events", "term", "section = ?", ["results"])
    assert after != before
    new = make_datasette(path)
    await new.invoke_startup()
    wait_for_pair_counts(new, timeout=60)
    assert facet_values((await new.client.get(url)).json(), "term") == after[:30]
    # The server started before the build still serves the version it opened, counts included.
    assert facet_values((await old.client.get(url)).json(), "term") == before[:30]


def test_facet_indexes_end_with_the_page_order_and_replace_single_column_ones(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "evidence.db"
    shutil.copy(db_path, path)
    with closing(sqlite3.connect(path)) as conn:
        indexes = {r[1]: [c[2] for c in conn.execute(f"pragma index_info([{r[1]}])")]
                   for r in conn.execute("select * from sqlite_master where type = 'index' and sql is not null")}
        assert indexes["idx_adverse_events_section_paper_id"] == ["section", "paper_id"]
        assert indexes["idx_passages_section_paper_id_ordinal"] == ["section", "paper_id", "ordinal"]
        assert indexes["idx_papers_journal_stem"] == ["journal", "stem"]
        assert "idx_adverse_events_section" not in indexes
        # A database of an earlier build: the facet column indexed alone.
        conn.execute("drop index idx_adverse_events_section_paper_id")
        conn.execute("create index idx_adverse_events_section on adverse_events (section)")
        conn.commit()
    build_database(path, [*FILES, ADDED])
    with closing(sqlite3.connect(path)) as conn:
        names = {r[0] for r in conn.execute("select name from sqlite_master where type = 'index'")}
    assert "idx_adverse_events_section_paper_id" in names and "idx_adverse_events_section" not in names
