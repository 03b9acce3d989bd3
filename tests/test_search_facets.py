"""Passage search (the `search` query and passages?_search=) and facets read from stored counts."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from datasette.app import Datasette
from sqlite_utils import Database

from extractor.parsers import parse_paper
from publish.database import build_database
from publish.search import SEARCH_LIMIT, fts_words
from tests.conftest import PAPERS

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"
FILES = [D01, D05, JATS]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "evidence.db"
    build_database(path, FILES)
    return path


@pytest.mark.parametrize(("query", "expected"), [
    ("overall survival", '"overall" "survival"'),
    ('"unbalanced', '"unbalanced"'),
    ("AND OR NOT", '"AND" "OR" "NOT"'),
    ("col:value*", '"col" "value"'),
    ("", '""'),
    ("  ** ()", '""'),
    (None, '""'),
])
def test_any_text_becomes_a_quoted_fts_query(query: str | None, expected: str) -> None:
    assert fts_words(query) == expected


def test_passages_are_the_non_blank_lines_of_each_section(db_path: Path) -> None:
    db = Database(db_path)
    for path in FILES:
        document = parse_paper(path)
        rows = list(db.query("select p.ordinal, p.section, p.start, p.[end], t.text from passages p "
                             "join passage_texts t on t.rowid = p.rowid where p.paper_id = ? order by p.ordinal",
                             [document.paper_id]))
        lines = [(m.start(), m.end()) for section in document.sections
                 for m in re.finditer(r"[^\n]+", document.text[section.start:section.end])
                 if m.group().strip()]
        assert len(rows) == len(lines) > 0
        for row in rows:
            assert row["text"] == document.text[row["start"]:row["end"]]
            assert row["text"] == row["text"].strip() and "\n" not in row["text"]


async def test_search_gives_snippets_linked_to_the_passage(ds: Datasette, db_path: Path) -> None:
    response = await ds.client.get("/evidence/search.json?q=sorafenib&_shape=array")
    assert response.status_code == 200
    rows = response.json()
    assert 0 < len(rows) <= SEARCH_LIMIT
    texts = {parse_paper(p).paper_id: parse_paper(p).text for p in FILES}
    for row in rows:
        assert "[sorafenib]" in row["snippet"].lower()
        link = urlsplit(row["link"])
        paper_id = link.path.rsplit("/", 1)[1]
        args = parse_qs(link.query)
        passage = texts[paper_id][int(args["start"][0]):int(args["end"][0])]
        assert "sorafenib" in passage.lower() and "\n" not in passage
    page = await ds.client.get(rows[0]["link"])
    assert page.status_code == 200 and "<mark id='evidence'>" in page.text


async def test_search_needs_every_word_and_takes_any_text(ds: Datasette) -> None:
    one = (await ds.client.get("/evidence/search.json?q=sorafenib&_shape=array")).json()
    both = (await ds.client.get("/evidence/search.json?q=sorafenib+patients&_shape=array")).json()
    assert 0 < len(both) < len(one)
    assert all("[sorafenib]" in r["snippet"].lower() or "[patients]" in r["snippet"].lower() for r in both)
    for hostile in ['"', "AND", "NEAR(", "x" * 3000, "\u00e9\u00e8", "*", "sorafenib OR"]:
        response = await ds.client.get("/evidence/search.json", params={"q": hostile, "_shape": "array"})
        assert response.status_code == 200, hostile
    empty = await ds.client.get("/evidence/search.json?q=&_shape=array")
    assert empty.status_code == 200 and empty.json() == []


async def test_the_passages_table_is_searchable(ds: Datasette) -> None:
    response = await ds.client.get("/evidence/passages.json?_search=sorafenib&_shape=objects")
    assert response.status_code == 200
    body = response.json()
    assert body["filtered_table_rows_count"] == len(body["rows"]) > 0


def test_stored_facet_counts_match_a_group_by(db_path: Path) -> None:
    db = Database(db_path)
    stored = {(r["value"], r["count"]) for r in db.query(
        "select value, count from facet_counts where table_name = 'adverse_events' and column_name = 'grade'")}
    counted = set(db.execute("select grade, count(*) from adverse_events where grade is not null group by grade"))
    assert stored == counted and stored
    # Integer columns keep their type.
    years = db.execute("select typeof(value) from facet_counts where table_name = 'papers' and column_name = 'year'")
    assert {row[0] for row in years} <= {"integer"}


async def test_an_unfiltered_facet_reads_the_stored_counts(ds: Datasette) -> None:
    unfiltered = (await ds.client.get("/evidence/adverse_events.json?_facet=grade&_size=0")).json()
    # A filter true of every row makes Datasette count the rows itself: the two must agree.
    counted = (await ds.client.get("/evidence/adverse_events.json?_facet=grade&_size=0&id__notblank=1")).json()
    assert unfiltered["facet_results"]["grade"]["results"]
    strip = [(v["value"], v["count"]) for v in unfiltered["facet_results"]["grade"]["results"]]
    assert strip == [(v["value"], v["count"]) for v in counted["facet_results"]["grade"]["results"]]
    assert "grade" in (await ds.client.get("/evidence/adverse_events?_facet=grade")).text


async def test_a_filtered_facet_counts_only_the_filtered_rows(ds: Datasette, db_path: Path) -> None:
    paper_id = parse_paper(D05).paper_id
    response = (await ds.client.get(f"/evidence/adverse_events.json?_facet=grade&_size=0&paper_id={paper_id}")).json()
    counted = dict(Database(db_path).execute(
        "select grade, count(*) from adverse_events where paper_id = ? and grade is not null group by grade",
        [paper_id]).fetchall())
    assert {v["value"]: v["count"] for v in response["facet_results"]["grade"]["results"]} == counted


def test_a_rebuild_without_a_paper_drops_it_from_search_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "evidence.db"
    build_database(path, [D01, D05])
    build_database(path, [D05])
    db = Database(path)
    gone = parse_paper(D01).paper_id
    hits = db.execute("select t.paper_id from passages_fts f join passage_texts t on t.rowid = f.rowid "
                      "where passages_fts match 'Borthakur'").fetchall()
    assert gone not in {h[0] for h in hits}
    papers = db.execute("select sum(count) from facet_counts where table_name = 'papers' and column_name = 'format'")
    assert papers.fetchone()[0] == 1


async def test_the_search_page_links_each_passage(ds: Datasette) -> None:
    response = await ds.client.get("/evidence/search?q=sorafenib")
    assert response.status_code == 200
    links = re.findall(r'<a href="(/-/paper/[0-9a-f]+\?start=\d+&amp;end=\d+#evidence)">passage in context</a>',
                       response.text)
    assert links
