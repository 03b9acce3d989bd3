"""The question page (/-/pool with drug, comparator, analysis and exclude=): facets with study counts, narrowing,
leaving studies out, the permalink, JSON and CSV agreeing with the page, forest labels with year and trial id."""

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from datasette.app import Datasette

from publish.database import build_database
from publish.diseases import disease_patterns, diseases_in, paper_diseases
from publish.meta_analysis import LEFT_OUT_BY_YOU, pool
from tests.conftest import PAPERS

SVG_TEXT = "{http://www.w3.org/2000/svg}text"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("question") / "evidence.db"
    build_database(path, [PAPERS])
    return path


async def _json(ds: Datasette, url: str) -> dict[str, Any]:
    response = await ds.client.get(url)
    assert response.status_code == 200, url
    return response.json()


def _facet(result: dict[str, Any], name: str) -> dict[str, int]:
    (facet,) = [f for f in result["facets"] if f["name"] == name]
    return {v["value"]: v["count"] for v in facet["values"]}


def _eligible_studies(db_path: Path, where: str = "", args: tuple[Any, ...] = ()) -> dict[str, int]:
    """Study counts per drug of the OS hazard ratios a pool could take, counted in SQL."""
    db = sqlite_utils.Database(db_path)
    return {r["drug"]: r["n"] for r in db.query(
        "select g.drug, count(distinct m.study_id) as n from meta_hazard_ratios m join regimens g using (paper_id) "
        "where m.endpoint = 'OS' and m.problem is null and m.analysis in ('primary', 'adjusted') "
        f"and coalesce(g.curation, '') != 'rejected' {where} group by g.drug", args)}


async def test_facets_list_the_values_present_with_study_counts(ds: Datasette, db_path: Path) -> None:
    result = await _json(ds, "/-/pool.json?endpoint=OS")
    drugs = _facet(result, "drug")
    assert drugs == _eligible_studies(db_path)
    # Gold round 3 added an AML trial of vosaroxin with low-dose cytarabine (hg01): cytarabine 4 -> 5; stop 22's
    # regimen rules read one more bundled paper's "with or without low-dose cytarabine" arm: 5 -> 6.
    assert (drugs["cytarabine"], drugs["capecitabine"], drugs["sorafenib"]) == (6, 3, 2)
    db = sqlite_utils.Database(db_path)
    endpoints = {r["endpoint"]: r["n"] for r in db.query(
        "select endpoint, count(distinct study_id) as n from meta_hazard_ratios where problem is null "
        "and analysis in ('primary', 'adjusted') and endpoint is not null group by endpoint")}
    assert _facet(result, "endpoint") == endpoints
    # OS: 15 + ARCHER 1050 and LUX-Lung 7 (corpus/meta_analyses) + the vosaroxin AML trial of gold round 3 (hg01);
    # stop 22: the papers of gold rounds 4-6 and the HR table-row rules add 3 OS and 2 PFS studies.
    assert (endpoints["OS"], endpoints["PFS"]) == (21, 11)
    analyses = _facet(result, "analysis")
    assert analyses == {r["analysis"]: r["n"] for r in db.query(
        "select analysis, count(distinct study_id) as n from meta_hazard_ratios where endpoint = 'OS' "
        "and problem is null group by analysis")}
    assert set(analyses) >= {"primary", "prognostic"}
    assert "sunitinib vs capecitabine" in _facet(result, "comparator")
    assert _facet(await _json(ds, "/-/pool.json?outcome=CR"), "outcome")["CR"] >= 2
    # Under a chosen drug, the other facets count that drug's studies; the drug facet still offers every drug.
    narrowed = await _json(ds, "/-/pool.json?endpoint=OS&drug=capecitabine")
    assert _facet(narrowed, "endpoint")["OS"] == 3 and _facet(narrowed, "drug") == drugs
    page = (await ds.client.get("/-/pool?endpoint=OS")).text
    assert "<a href='/-/pool?endpoint=OS&amp;drug=cytarabine'>cytarabine</a> (6)" in page


async def test_narrowing_by_drug_pools_the_papers_of_that_drug(ds: Datasette, db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    drug_papers = {r["paper_id"] for r in db.query("select paper_id from regimens where drug = 'capecitabine'")}
    whole = await _json(ds, "/-/pool.json?endpoint=OS")
    narrowed = await _json(ds, "/-/pool.json?endpoint=OS&drug=capecitabine")
    assert {s["study_id"] for s in narrowed["studies"]} == {"NCT00824785", "NCT00450203", "28437d59a596775f"}
    assert {s["paper_id"] for s in narrowed["studies"]} <= drug_papers
    assert narrowed["k"] == 3 < whole["k"]
    comparator = await _json(ds, "/-/pool.json?endpoint=OS&comparator=sunitinib+vs+capecitabine")
    assert [s["comparison"] for s in comparator["studies"]] == ["sunitinib vs capecitabine"]
    prognostic = await _json(ds, "/-/pool.json?endpoint=OS&analysis=prognostic")
    assert prognostic["studies"] and {s["analysis"] for s in prognostic["studies"]} == {"prognostic"}


def test_disease_words_load_and_match_whole_words() -> None:
    assert "acute myeloid leukemia" in disease_patterns()
    assert diseases_in("older patients with acute myeloid leukaemia or high-risk MDS") == {
        "acute myeloid leukemia", "myelodysplastic syndrome"}
    assert diseases_in("advanced oesophagogastric cancer (REAL3)") == {"gastric or oesophageal cancer"}
    assert diseases_in("a SAMLE of DAMLs and gastrectomy") == set()


async def test_narrowing_by_disease_pools_the_papers_naming_it(ds: Datasette, db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    whole = await _json(ds, "/-/pool.json?endpoint=OS")
    named = paper_diseases(db, {s["paper_id"] for s in whole["studies"]})
    aml = {s["study_id"] for s in whole["studies"] if "acute myeloid leukemia" in named.get(s["paper_id"], ())}
    assert _facet(whole, "disease")["acute myeloid leukemia"] == len(aml) == 7  # 6 before gold round 3 (hg01)
    assert _facet(whole, "disease")["gastric or oesophageal cancer"] == 2  # REAL3 and ST03
    narrowed = await _json(ds, "/-/pool.json?endpoint=OS&disease=acute+myeloid+leukemia")
    assert {s["study_id"] for s in narrowed["studies"]} == aml
    assert "ISRCTN11036523" in aml and "NCT00824785" not in aml
    page = (await ds.client.get("/-/pool?endpoint=OS")).text
    assert "<a href='/-/pool?endpoint=OS&amp;disease=acute+myeloid+leukemia'>acute myeloid leukemia</a> (7)" in page


async def test_exclude_leaves_a_study_out_and_pools_the_rest(ds: Datasette) -> None:
    whole = await _json(ds, "/-/pool.json?endpoint=OS&drug=capecitabine")
    left = await _json(ds, "/-/pool.json?endpoint=OS&drug=capecitabine&exclude=NCT00824785")
    assert left["k"] == whole["k"] - 1 == 2
    assert "NCT00824785" not in {s["study_id"] for s in left["studies"]}
    assert [(s["study_id"], s["reason"]) for s in left["left_out"]] == [("NCT00824785", LEFT_OUT_BY_YOU)]
    expected = pool([s["log_hr"] for s in left["studies"]], [s["se_log_hr"] ** 2 for s in left["studies"]],
                    [s["study_id"] for s in left["studies"]])
    assert left["dersimonian_laird"]["estimate"] == pytest.approx(expected["dersimonian_laird"]["estimate"], abs=1e-12)
    assert left["hartung_knapp"]["ci_high"] == pytest.approx(expected["hartung_knapp"]["ci_high"], abs=1e-12)
    page = (await ds.client.get("/-/pool?endpoint=OS&drug=capecitabine&exclude=NCT00824785")).text
    assert "Left out by you (1)" in page and "<span id='k'>k = 2</span>" in page
    out = page.split("Left out by you (1)", 1)[1].split("</table>", 1)[0]
    assert LEFT_OUT_BY_YOU in out
    assert "name='keep' value='NCT00824785' aria-label='pool NCT00824785'>" in out  # unticked: put it back
    # The studies form: unticked (shown, not kept) studies become exclude= in the permalink it redirects to.
    form = await ds.client.get("/-/pool?endpoint=OS&drug=capecitabine&shown=NCT00824785&shown=NCT00450203"
                               "&keep=NCT00450203")
    assert form.status_code == 302
    assert form.headers["location"] == "/-/pool?endpoint=OS&drug=capecitabine&exclude=NCT00824785"
    put_back = await ds.client.get("/-/pool?endpoint=OS&exclude=NCT00824785&shown=NCT00824785&keep=NCT00824785")
    assert put_back.headers["location"] == "/-/pool?endpoint=OS"


async def test_the_permalink_reproduces_the_page(ds: Datasette) -> None:
    url = "/-/pool?exclude=NCT00450203&drug=capecitabine&endpoint=OS&exclude=NCT00450203"
    page = (await ds.client.get(url)).text
    (permalink,) = re.findall(r"<a id='permalink' href='([^']+)'", page)
    permalink = html.unescape(permalink)
    assert permalink == "/-/pool?endpoint=OS&drug=capecitabine&exclude=NCT00450203"
    assert (await ds.client.get(permalink)).text == page


async def test_json_and_csv_agree_with_the_page(ds: Datasette, db_path: Path) -> None:
    query = "endpoint=OS&drug=cytarabine&exclude=ISRCTN11036523"
    result = await _json(ds, f"/-/pool.json?{query}")
    page = (await ds.client.get(f"/-/pool?{query}")).text
    rows = list(csv.DictReader(io.StringIO((await ds.client.get(f"/-/pool.csv?{query}")).text)))
    assert [r["study_id"] for r in rows] == [s["study_id"] for s in result["studies"]]
    assert [float(r["TE"]) for r in rows] == pytest.approx([s["log_hr"] for s in result["studies"]])
    assert f"<span id='k'>k = {result['k']}</span>" in page and f"Studies pooled ({result['k']})" in page
    assert f"<td>{result['dersimonian_laird']['hr']:.3f}</td>" in page
    pooled = page.split("Studies pooled", 1)[1].split("</table>", 1)[0]
    assert re.findall(r"name='keep' value='([^']+)' aria-label='[^']*' checked>", pooled) == [r["study_id"] for r in rows]
    db = sqlite_utils.Database(db_path)
    for study in result["studies"]:
        href = f"/-/paper/{study['paper_id']}?start={study['start']}&amp;end={study['end']}#evidence"
        assert f"<a class='quote' href='{href}'>" in page
        text = "".join(s["text"] for s in db.query("select text from sections where paper_id = ? order by ordinal",
                                                   [study["paper_id"]]))
        assert study["quote"] in text


async def test_forest_labels_carry_year_and_trial_id(ds: Datasette) -> None:
    result = await _json(ds, "/-/pool.json?endpoint=OS")
    page = (await ds.client.get("/-/pool?endpoint=OS")).text
    svg = page.split("<div id='forest'>", 1)[1].split("</div>", 1)[0]
    labels = [t.text for t in ET.fromstring(svg).iter(SVG_TEXT)]
    assert "Waddell 2013 (NCT00824785)" in labels  # REAL3: first author from JATS, year, registry id
    assert "Cunningham 2017 (NCT00450203)" in labels
    for study in result["studies"]:
        assert study["label"] in labels
        if study["trial_id"]:
            assert study["label"].endswith(f" ({study['trial_id']})")
        if study["year"]:
            assert f" {study['year']}" in study["label"]


async def test_odd_parameters_are_escaped_and_answered(ds: Datasette) -> None:
    for name in ("drug", "disease", "comparator", "analysis", "exclude", "shown", "keep"):
        for value in ("<script>alert(1)</script>", "'\"&", "x" * 5000, "é\u202e"):
            response = await ds.client.get("/-/pool", params={"endpoint": "OS", name: value})
            assert response.status_code in (200, 302), (name, value)
            assert "<script>alert" not in response.text
