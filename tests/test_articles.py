"""One article in two formats is one article with two sources, counted once; other papers stay apart."""

import json
from pathlib import Path

import sqlite_utils

from publish.articles import article_keys, group_sources
from publish.database import build_database
from tests.conftest import PAPERS

REAL3 = PAPERS / "PMC3669518.nxml"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
PAGE = """<html><head><meta name="citation_doi" content="{doi}"><meta name="citation_title" content="REAL3"></head>
<body><article><h1>REAL3</h1><h2>Abstract</h2><p>In this randomised, open-label phase 3 trial, we enrolled 553
eligible patients.</p><h2>Results</h2><p>Complete remission was achieved in 12 of 40 patients (30%).</p></article>
</body></html>"""


def _paper(paper_id: str, fmt: str, doi: str | None = None, pmid: str | None = None,
           pmcid: str | None = None) -> dict[str, str | None]:
    return {"paper_id": paper_id, "format": fmt, "doi": doi, "pmid": pmid, "pmcid": pmcid}


def test_identifiers_are_compared_normalised() -> None:
    assert article_keys("https://doi.org/10.1016/S1470-2045(13)70096-2", None, None) == \
        article_keys("10.1016/s1470-2045(13)70096-2", None, None) == {"doi:10.1016/s1470-2045(13)70096-2"}
    assert article_keys(None, "023594787", "pmc3669518") == {"pmid:23594787", "pmcid:PMC3669518"}
    assert article_keys(" ", "n/a", "PMCxyz") == set()


def test_sources_sharing_an_identifier_directly_or_through_another_are_one_article() -> None:
    rows = group_sources([
        _paper("a-pdf", "pdf", doi="10.1/x"),
        _paper("b-jats", "jats", doi="10.1/X", pmid="42"),
        _paper("c-html", "html", pmid="42"),
        _paper("d-text", "text", doi="10.1/other"),
        _paper("e-text", "text"),
    ])
    by_id = {row["paper_id"]: row for row in rows}
    # The publisher XML is the primary source; the PDF joins through the DOI, the HTML through the PMID.
    assert {p: by_id[p]["article_id"] for p in by_id} == {
        "a-pdf": "b-jats", "b-jats": "b-jats", "c-html": "b-jats", "d-text": "d-text", "e-text": "e-text"}
    assert [p for p, row in by_id.items() if row["is_primary"]] == ["b-jats", "d-text", "e-text"]
    assert json.loads(by_id["b-jats"]["shared_ids"]) == ["doi:10.1/x", "pmid:42"]
    assert json.loads(by_id["c-html"]["shared_ids"]) == ["pmid:42"]
    assert by_id["e-text"]["shared_ids"] is None


def test_two_formats_of_one_article_are_counted_once(tmp_path: Path) -> None:
    page = tmp_path / "real3.html"
    page.write_text(PAGE.format(doi="https://doi.org/10.1016/S1470-2045(13)70096-2"))
    other = tmp_path / "other.html"
    other.write_text(PAGE.format(doi="10.9999/another-article"))
    db_path = tmp_path / "evidence.db"
    build_database(db_path, [REAL3, page, other, D05])
    db = sqlite_utils.Database(db_path)
    stems = {row["paper_id"]: row["stem"] for row in db.table("papers").rows}
    articles = {stems[row["article_id"]]: row for row in db.query("select * from articles")}
    assert articles["PMC3669518"]["n_sources"] == 2
    assert sorted(json.loads(articles["PMC3669518"]["formats"])) == ["html", "jats"]
    assert articles["PMC3669518"]["pmid"] == "23594787"
    assert {name: row["n_sources"] for name, row in articles.items() if name != "PMC3669518"} == {
        "other": 1, D05.stem: 1}
    secondary = [stems[r["paper_id"]] for r in db.query("select paper_id from paper_sources where not is_primary")]
    assert secondary == ["real3"]
    # Both files keep their own evidence with their own quotes; the meta-analysis counts the article once.
    assert {stems[r["paper_id"]] for r in db.query("select paper_id from responses")} >= {"real3", "other"}
    assert "real3" not in {stems[r["paper_id"]] for r in db.query("select paper_id from meta_proportions")}
    assert "other" in {stems[r["paper_id"]] for r in db.query("select paper_id from meta_proportions")}
