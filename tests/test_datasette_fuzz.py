"""No parameter makes the server answer 500: every page of `evidence serve` fuzzed with odd and hostile values."""

import asyncio
import itertools
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from datasette.app import Datasette

from publish.database import build_database
from publish.metadata import QUERIES
from tests.conftest import PAPERS

D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"
JUNK = [
    "", "nonexistent", "-1", "0", "99999999999999999999999999", "1e309", "NaN", "'", '"', "[", "]", "%", "_",
    "\x00", "a\x00b", "é☃𝔘", "\ud800", "x" * 10_000, "<script>alert(1)</script>", "1; drop table papers",
    "rowid", "desc", "$\\foo$", "{}", "[1,2]", "9" * 5_000, "-99999999999999999999", "1.5", " ",
]
TABLE_PARAMETERS = [
    "_sort", "_sort_desc", "_facet", "_facet_array", "_facet_date", "_size", "_search", "_where", "_next", "_col",
    "_nocol", "_shape", "_json", "_labels", "_nl", "_through", "_fts_table", "_fts_pk", "_timelimit", "_ttl",
    "_dl", "_stream", "_searchmode", "paper_id__exact", "start__gt", "quote__contains", "x__y", "section__in",
    "_sort_by_desc", "_search_section", "_filter_column", "_filter_op", "_filter_value",
]
QUERY_PARAMETERS = ["sql", "_shape", "_json", "_size", "_timelimit", "_nl", "_labels", "_sort"]
POOL_PARAMETERS = ["endpoint", "outcome", "subgroups", "drug", "disease", "comparator", "analysis", "exclude", "shown", "keep"]
# (parameter, value) pairs tried on each page; over all tables' pages every pair is tried at least once.
PER_PAGE = 12


def _url(path: str, name: str, value: str) -> str:
    return f"{path}?{urlencode({name: value}, quote_via=quote, errors='surrogatepass')}"


def _cycle(names: list[str], values: list[str], page: int, count: int = PER_PAGE) -> list[tuple[str, str]]:
    """The ``page``-th run of ``count`` (name, value) pairs: consecutive pages go on through every pair in turn."""
    pairs = list(itertools.product(names, values))
    return [pairs[(page * count + i) % len(pairs)] for i in range(count)]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "evidence.db"
    build_database(path, [D05, JATS])
    return path


async def _urls(ds: Datasette) -> list[str]:
    tables = (await ds.client.get("/evidence.json")).json()["tables"]
    urls = []
    pages = itertools.count()
    for i, table in enumerate(tables):
        name = table["name"]
        for suffix in ("", ".json", ".csv"):
            urls += [_url(f"/evidence/{quote(name)}{suffix}", p, v) for p, v in _cycle(TABLE_PARAMETERS, JUNK, next(pages))]
        rows = (await ds.client.get(f"/evidence/{quote(name)}.json?_size=1&_shape=objects")).json()
        primary_keys = table["primary_keys"] or ["rowid"]
        if rows.get("rows"):
            key = ",".join(quote(str(rows["rows"][0].get(pk, "")), safe="") for pk in primary_keys)
            urls += [f"/evidence/{quote(name)}/{key}", f"/evidence/{quote(name)}/{key}.json"]
            urls += [_url(f"/evidence/{quote(name)}/{key}.json", p, v)
                     for p, v in _cycle(["_shape", "_json", "_labels", "_col", "_nocol"], JUNK, i, 4)]
        urls += [f"/evidence/{quote(name)}/{quote(v, safe='', errors='surrogatepass')}" for v in JUNK[::3]]
    paper_id = (await ds.client.get("/evidence/papers.json?_shape=array")).json()[0]["paper_id"]
    for start, end in itertools.product(JUNK[::3], JUNK[1::3]):
        urls.append(f"/-/paper/{paper_id}?{urlencode({'start': start, 'end': end}, quote_via=quote, errors='surrogatepass')}")
    urls += [f"/-/paper/{paper_id}?start=10&end=5", f"/-/paper/{paper_id}?start=0&end=99999999",
             f"/-/paper/{'f' * 5000}", "/-/paper/0", f"/-/paper/{paper_id}?start=-5&end=-1"]
    for path, name, value in itertools.product(("/-/pool", "/-/pool.json", "/-/pool.csv"), POOL_PARAMETERS, JUNK):
        urls.append(_url(path, name, value))
    query_pages = itertools.count()
    for query in QUERIES:
        for suffix in ("", ".json", ".csv"):
            urls += [_url(f"/evidence/{query}{suffix}", p, v)
                     for p, v in _cycle(["term", "drug", "outcome", "endpoint", *QUERY_PARAMETERS], JUNK, next(query_pages), 30)]
    urls += [_url("/evidence.json", "sql", v) for v in JUNK]
    urls += [_url("/evidence", "sql", f"select {v!r}") for v in JUNK[:10]]
    return urls


async def test_no_parameter_gives_a_server_error(ds: Datasette) -> None:
    urls = await _urls(ds)
    assert len(urls) > 1500
    statuses: dict[str, int] = {}

    async def get(url: str) -> None:
        statuses[url] = (await ds.client.get(url)).status_code

    for i in range(0, len(urls), 8):  # eight at a time, as concurrent clients would
        await asyncio.gather(*(get(url) for url in urls[i:i + 8]))
    errors = {url[:200]: status for url, status in statuses.items() if status >= 500}
    assert not errors, f"{len(errors)} of {len(urls)}: {list(errors.items())[:20]}"
    # Most of them are answered (not refused): the fuzz reaches the pages, not only the router.
    assert sum(status == 200 for status in statuses.values()) > len(urls) / 3
