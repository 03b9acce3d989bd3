"""The served site as a reader walks it: every internal link answers, quote links open the quoted span, and the
paper viewer and pool pages link back to the rest of the site."""

import html
import re
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlite_utils
from datasette.app import Datasette
from markupsafe import escape

from publish.site_links import value_columns
from tests.conftest import CORPUS, PAPERS

FILES = [PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt", PAPERS / "PMC5787508.nxml",
         CORPUS / "pdf" / "lancet_2015_pathway2_spironolactone_resistant_hypertension_rct.pdf"]
MAX_PAGES = 600
HREF = re.compile(r"""href=["']([^"']*)["']""")
QUOTE_LINK = re.compile(r'<td class="col-quote type-str"><a href="([^"]*)">(.*?)</a></td>', re.S)
EXACT_QUOTE_LINK = re.compile(r"/-/paper/(?P<paper>[0-9a-f]{16})\?start=(?P<start>\d+)&end=(?P<end>\d+)#evidence")
MARK = re.compile(r"<mark id='evidence'>(.*?)</mark>", re.S)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from publish.database import build_database

    path = tmp_path_factory.mktemp("site") / "evidence.db"
    build_database(path, FILES)
    return path


def _links(page: str) -> list[str]:
    """Internal links of a page (same host), fragments dropped."""
    found = []
    for href in HREF.findall(page):
        href = html.unescape(href).split("#", 1)[0]
        if href.startswith("/") and not href.startswith("//"):
            found.append(href)
    return found


def _kind_of_page(url: str) -> tuple[str, frozenset[str]]:
    """A link's path and the names of its parameters: links differing only in values (another sort column,
    facet value or page) show the same kind of page, so the crawl visits one of each and reaches every page."""
    parts = urlsplit(url)
    return parts.path, frozenset(name for name, _ in parse_qsl(parts.query, keep_blank_values=True))


async def test_every_internal_link_answers(ds: Datasette) -> None:
    started = time.monotonic()
    seen, queue, failed = {_kind_of_page("/")}, deque(["/"]), {}
    visited = []
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        response = await ds.client.get(url, follow_redirects=True)
        visited.append(url)
        if response.status_code != 200:
            failed[url] = response.status_code
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # a .json or .csv download: counted, not read for links
        for link in _links(response.text):
            if _kind_of_page(link) not in seen:
                seen.add(_kind_of_page(link))
                queue.append(link)
    assert not failed, f"{len(failed)} of {len(visited)} links fail: {list(failed.items())[:20]}"
    paths = {urlsplit(url).path for url in visited}
    assert "/-/pool" in paths and "/evidence/search" in paths
    assert any(path.startswith("/-/paper/") for path in paths)
    assert len(visited) >= 100, visited
    print(f"{len(visited)} pages in {time.monotonic() - started:.1f}s")


async def test_quote_links_on_table_pages_open_the_quoted_span(ds: Datasette, db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    checked = 0
    for table in value_columns():
        page = await ds.client.get(f"/evidence/{table}?_size=max")
        assert page.status_code == 200, table
        links = QUOTE_LINK.findall(page.text)
        assert len(links) == db.table(table).count, table  # every row's quote is a link
        for href, quote in links:
            href = html.unescape(href)
            match = EXACT_QUOTE_LINK.fullmatch(href)
            assert match, href
            viewer = await ds.client.get(href)
            assert viewer.status_code == 200, href
            marked = MARK.findall(viewer.text)
            assert [html.unescape(m) for m in marked] == [html.unescape(quote)], href
            rows = list(db.query(f"select quote from [{table}] where paper_id = ? and start = ? and end = ?",
                                 [match["paper"], int(match["start"]), int(match["end"])]))
            assert rows and rows[0]["quote"] == html.unescape(quote)
            checked += 1
    assert checked > 50


async def test_the_paper_viewer_shows_full_quotes_values_and_links_back(ds: Datasette, db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    row = next(db.query("select * from responses order by length(quote) desc, id limit 1"))
    paper_id = row["paper_id"]
    page = await ds.client.get(f"/-/paper/{paper_id}")
    assert page.status_code == 200
    text = page.text
    long = [r["quote"] for r in db.query("select quote from provenance where paper_id = ? and length(quote) > 160",
                                         [paper_id])]
    assert long and all(escape(q) in text for q in long)  # whole, not cut at 160 characters
    assert f'href="/evidence/responses/{row["id"]}"' in text  # the record's row page
    span = f'/-/paper/{paper_id}?start={row["start"]}&amp;end={row["end"]}#evidence'
    assert f'<a class="quote" href="{span}">' in text
    own = text.split("<h3 class='kind'>responses", 1)[1].split("</table>", 1)[0]
    assert {"outcome", "n", "of", "percent"} <= set(re.findall(r"<th>(\w+)</th>", own))
    assert f"<td>{row['outcome']}</td>" in own
    for href in ("/", "/evidence", f"/evidence/papers/{paper_id}", f"/evidence/responses?paper_id={paper_id}",
                 f"/evidence/sections?paper_id={paper_id}", "/-/pool?endpoint=OS", "/evidence/search"):
        assert f'href="{html.escape(href)}"' in text, href
    assert "/-/static/app.css" in text  # Datasette's own look: the page extends its base template


async def test_every_page_links_to_the_pool_and_the_search(ds: Datasette) -> None:
    for url in ("/", "/evidence", "/evidence/responses", "/evidence/papers", "/-/pool?endpoint=OS",
                "/-/pool?outcome=CR"):
        page = await ds.client.get(url)
        assert page.status_code == 200, url
        links = _links(page.text)
        assert "/-/pool?endpoint=OS" in links and "/evidence/search" in links and "/" in links, url
    pool = (await ds.client.get("/-/pool?endpoint=OS")).text
    assert "/evidence" in _links(pool)
    menu = (await ds.client.get("/")).text.split('<div class="nav-menu-inner">', 1)[1].split("</div>", 1)[0]
    assert "Pool estimates" in menu


async def test_each_paper_links_to_its_viewer(ds: Datasette, db_path: Path) -> None:
    papers = list(sqlite_utils.Database(db_path).query("select paper_id, label from papers"))
    page = (await ds.client.get("/evidence/papers")).text
    for paper in papers:
        assert f'<a href="/-/paper/{paper["paper_id"]}">{html.escape(paper["label"])}</a>' in page
        row = (await ds.client.get(f"/evidence/papers/{paper['paper_id']}")).text
        assert f'href="/-/paper/{paper["paper_id"]}"' in row


async def test_column_descriptions_fold_and_tables_scroll_in_their_box(ds: Datasette) -> None:
    page = (await ds.client.get("/evidence/responses")).text
    folded = page.split('<details class="column-descriptions-box">', 1)[1].split("</details>", 1)[0]
    assert "<summary>Column descriptions" in folded and "<dt>outcome</dt>" in folded
    assert "dl.column-descriptions:not(.folded) { display: none; }" in page
    assert ".table-wrapper { overflow-x: auto;" in page
