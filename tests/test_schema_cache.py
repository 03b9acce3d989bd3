"""The schema of the served (immutable) database is read once: later pages ask no SQL thread about it."""

from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette, DatasetteClient

from publish.database import build_database
from publish.metadata import build_metadata
from publish.serve import SETTINGS, make_datasette, plugins_dir, table_counts, template_dir
from tests.conftest import PAPERS

FILES = [PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt", PAPERS / "PMC5787508.nxml"]
PAGES = ["/.json", "/evidence.json", "/evidence/responses.json?_size=5", "/evidence/adverse_events.json?_size=5"]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "evidence.db"
    build_database(path, FILES)
    return path


async def traced(ds: Datasette) -> Datasette:
    ds._settings["trace_debug"] = True  # ?_trace=1 lists the page's SQL (the app is made with the setting)
    ds.client = DatasetteClient(ds)
    await ds.invoke_startup()
    return ds


def counting_thread_calls(ds: Datasette) -> list[int]:
    """Count the calls the database makes to its SQL threads (execute_fn: the schema methods' way there)."""
    db = ds.get_database("evidence")
    calls = [0]
    execute_fn = db.execute_fn

    async def counted(fn: Any) -> Any:
        calls[0] += 1
        return await execute_fn(fn)

    db.execute_fn = counted
    return calls


def without_timing(page: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in page.items() if k not in {"query_ms", "_trace"}}


async def test_later_pages_read_the_schema_from_memory(db_path: Path) -> None:
    ds = await traced(make_datasette(db_path))
    urls = [url + ("&" if "?" in url else "?") + "_trace=1" for url in PAGES]
    first = {url: (await ds.client.get(url)).json() for url in urls}
    calls = counting_thread_calls(ds)
    for url in urls:
        before = calls[0]
        response = await ds.client.get(url)
        assert response.status_code == 200
        page = response.json()
        assert without_timing(page) == without_timing(first[url])
        assert not [t for t in page["_trace"]["traces"] if "sqlite_master" in (t.get("sql") or "")], url
        # Every call left is a query of the page's own (each one traced): none reads the schema.
        assert calls[0] - before == len([t for t in page["_trace"]["traces"] if t["database"] == "evidence"]), url


async def test_the_pages_are_those_of_a_server_reading_the_schema_every_time(db_path: Path) -> None:
    cached = await traced(make_datasette(db_path))
    # The same file opened mutable: nothing is remembered, every page reads the schema.
    fresh = Datasette(files=[str(db_path)], metadata=build_metadata("evidence", table_counts(db_path)),
                      settings=dict(SETTINGS), template_dir=template_dir(), plugins_dir=plugins_dir())
    await fresh.invoke_startup()
    calls = counting_thread_calls(fresh)
    for url in PAGES:
        for _ in range(2):
            mine, theirs = (await cached.client.get(url)).json(), (await fresh.client.get(url)).json()
            if url == "/.json":  # the index names the file's hash, mode and colour (from the hash): not compared
                mine, theirs = ({k: {**v, "hash": None, "is_mutable": None, "color": None} for k, v in p.items()}
                                for p in (mine, theirs))
            assert without_timing(mine) == without_timing(theirs), url
    assert calls[0] > 20
    html = await cached.client.get("/evidence")
    assert html.status_code == 200 and "meta_hazard_ratios" in html.text
