"""Studies, not records: one estimate per study per question, curators' decisions, stated denominators, the pool page."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette

from publish.cli import cli
from publish.estimates import select
from publish.meta_analysis import (
    CSV_HAZARD_RATIOS,
    CSV_PROPORTIONS,
    pool_hazard_ratios,
    pool_proportions,
    pool_selection,
    population_denominators,
)
from publish.studies import assign_studies, write_studies
from tests.conftest import PAPERS

REAL3 = PAPERS / "PMC3669518.nxml"  # NCT00824785: the OS HR 1·37 in abstract and results; KRAS, PIK3CA, rash HRs
ST03 = PAPERS / "PMC5337626.nxml"  # NCT00450203 (and ISRCTN46020948): R0 resection, tumour regression grade HRs
D04 = PAPERS / "d04_loo_allg_amlm16_blood2023.txt"  # ACTRN12611001112954: OS 0.76 and an HCT subgroup 0.45
AML16 = [PAPERS / "PMC5292678.nxml", PAPERS / "hc06_burnett_clofarabine_ldac_aml.txt"]  # ISRCTN11036523, two papers
SORAFENIB_PHASE1 = PAPERS / "000_59df4b2ebd5e169b.txt"  # "6 (16%)" CR with 37 evaluable stated elsewhere
PAPER_FILES = [REAL3, ST03, D04, *AML16, SORAFENIB_PHASE1]
REAL3_OS = "d1f8638192a992b3"


def _build(db: Path, corrections: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(db), *map(str, PAPER_FILES), "--corrections", str(corrections)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("selection")
    _build(tmp / "evidence.db", tmp / "corrections")
    return tmp / "evidence.db"


def test_one_study_per_trial_listing_its_papers(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    studies = {row["study_id"]: row for row in db.table("studies").rows}
    assert set(studies) == {"NCT00824785", "NCT00450203", "ACTRN12611001112954", "ISRCTN11036523", "NCT01254890"}
    aml16 = studies["ISRCTN11036523"]
    assert (aml16["kind"], aml16["n_papers"]) == ("trial", 2)
    assert json.loads(aml16["papers"])[1] == "hc06_burnett_clofarabine_ldac_aml"
    # ST03 prints its NCT and ISRCTN numbers: one trial, named by its NCT number.
    assert json.loads(studies["NCT00450203"]["registry_ids"]) == ["NCT00450203", "ISRCTN46020948"]
    for table in ("meta_hazard_ratios", "meta_proportions"):
        assert {r["study_id"] for r in db.query(f"select study_id from {table}")} <= set(studies)


def test_the_same_hr_in_abstract_and_results_is_one_estimate(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    (row,) = db.query("select * from meta_hazard_ratios where study_id = 'NCT00824785' and hr = 1.37")
    assert (row["record_id"], row["n_sources"], row["included"], row["excluded_reason"]) == (REAL3_OS, 2, 1, None)
    assert [s["section"] for s in json.loads(row["sources"])] == ["abstract", "results"]
    assert len(json.loads(row["record_ids"])) == 2 and row["comparison"] == "mEOC+P vs EOC"
    assert row["quote"].startswith("Median overall survival in 275 patients allocated EOC")


def test_one_estimate_per_study_and_question_prognostic_and_subgroup_excluded(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    counts = list(db.query("select study_id, question, sum(included) as n from meta_hazard_ratios "
                           "group by study_id, question having n > 1"))
    assert counts == []
    reasons = {(r["study_id"], r["hr"]): r["excluded_reason"] for r in db.query(
        "select study_id, hr, excluded_reason from meta_hazard_ratios where endpoint = 'OS'")}
    assert reasons[("NCT00824785", 2.21)] == reasons[("NCT00824785", 3.63)] == "prognostic factor, not a treatment effect"
    assert reasons[("NCT00824785", 0.64)] == "prognostic factor, not a treatment effect"  # rash
    assert reasons[("NCT00450203", 0.23)] == "prognostic factor, not a treatment effect"  # R0 vs R1 resection
    assert reasons[("ACTRN12611001112954", 0.45)] == "subgroup analysis"  # patients who received HCT
    assert reasons[("NCT00824785", 1.53)] == "no CI printed"
    assert reasons[("NCT00450203", 1.09)].startswith("same study: another estimate chosen (")


def test_a_pool_never_holds_two_estimates_of_one_study(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    result = pool_hazard_ratios(db, "OS")
    ids = [s["study_id"] for s in result["studies"]]
    assert len(ids) == len(set(ids)) == result["k"] == 4
    chosen = {s["study_id"]: s["hr"] for s in result["studies"]}
    assert chosen["NCT00824785"] == 1.37 and chosen["ACTRN12611001112954"] == 0.76 and chosen["NCT00450203"] == 1.08
    assert {e["hr"] for e in result["excluded"] if e["study_id"] == "ACTRN12611001112954"} == {0.45}
    assert "One estimate per study" in result["rule"]
    asked = pool_hazard_ratios(db, "OS", subgroups=True)
    assert [s["study_id"] for s in asked["studies"]] == ids  # every study has its primary estimate
    (hct,) = [e for e in asked["excluded"] if e["hr"] == 0.45]
    assert hct["reason"].startswith("same study: another estimate chosen (primary analysis: ")


def _estimate(record_id: str, study: str, analysis: str, **fields: Any) -> dict[str, Any]:
    return {"record_id": record_id, "study_id": study, "question": "OS | the trial's comparison", "problem": None,
            "analysis": analysis, "curation": None, "year": 2020, "in_abstract": False, "paper_id": "p" + study,
            "start": int(record_id[-1]), "arm": None, **fields}


def test_subgroup_estimates_enter_only_when_asked_and_curators_are_preferred() -> None:
    rows = [_estimate("a1", "A", "primary"), _estimate("a2", "A", "subgroup", in_abstract=True),
            _estimate("b1", "B", "prognostic"), _estimate("c1", "C", "primary", problem="rejected by curator"),
            _estimate("c2", "C", "adjusted", curation="confirmed"), _estimate("c3", "C", "primary")]
    chosen, excluded = pool_selection(rows)
    assert [r["record_id"] for r in chosen] == ["a1", "c2"]
    assert {r["record_id"]: r["reason"] for r in excluded} == {
        "a2": "subgroup analysis", "b1": "prognostic factor, not a treatment effect", "c1": "rejected by curator",
        "c3": "same study: another estimate chosen (curator's decision: c2)"}
    chosen, _ = pool_selection(rows, subgroups=True)
    assert [r["record_id"] for r in chosen] == ["a1", "b1", "c2"]
    later = [_estimate("d1", "D", "primary", year=2015, in_abstract=True), _estimate("d2", "D", "primary", year=2021)]
    assert select(later, lambda e: e["study_id"]) == {
        "d2": None, "d1": "same study: another estimate chosen (latest report: d2)"}


def test_a_response_without_its_denominator_takes_the_stated_evaluable_count(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    paper = next(db.query("select paper_id from papers where stem = '000_59df4b2ebd5e169b'"))["paper_id"]
    assert [n for n, _ in population_denominators(db)[paper]] == [37]
    rows = {r["outcome"]: r for r in db.query("select * from meta_proportions where paper_id = ? and arm is null",
                                              [paper])}
    assert (rows["CR"]["events"], rows["CR"]["n"], rows["CR"]["included"]) == (6, 37, 1)
    assert rows["CR"]["denominator_source"].startswith("population n_evaluable = 37 (")
    # "The response rate was 46%": 17 of 37 (45.9%).
    assert (rows["ORR"]["events"], rows["ORR"]["n"]) == (17, 37)
    assert rows["ORR"]["denominator_source"].startswith("events = 46% of 37 = 17; population n_evaluable = 37")
    reasons = {r["excluded_reason"] for r in db.query("select excluded_reason from meta_proportions where not included")}
    assert "no denominator printed for the arm" in reasons
    assert "no denominator printed and no evaluable count stated" in reasons
    relapsed = next(db.query("select * from meta_proportions where arm = 'relapsed' and outcome = 'ORR'"))
    assert (relapsed["events"], relapsed["n"], relapsed["excluded_reason"]) == (6, 19, "subgroup analysis")
    result = pool_proportions(db, "CR")
    assert len({s["study_id"] for s in result["studies"]}) == len(result["studies"])


def test_rejected_and_corrected_records_reach_the_meta_tables_and_pools(tmp_path: Path) -> None:
    db_file, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    _build(db_file, corrections)
    db = sqlite_utils.Database(db_file)
    d04_os = next(db.query("select record_id from meta_hazard_ratios where hr = 0.76"))["record_id"]
    db.close()
    for args in ([REAL3_OS, "--action", "reject"], [d04_os, "--action", "correct", "--set", "hr=0.7",
                                                     "--set", "ci_low=0.4", "--set", "ci_high=1.2"]):
        result = CliRunner().invoke(cli, ["correct", str(db_file), *args, "--who", "A. Curator", "--why", "checked",
                                          "--corrections", str(corrections)])
        assert result.exit_code == 0, result.output
    _build(db_file, corrections)
    db = sqlite_utils.Database(db_file)
    (rejected,) = db.query("select * from meta_hazard_ratios where record_id = ?", [REAL3_OS])
    # Both statements of HR 1·37 (abstract and results) are one estimate: rejecting it rejects both.
    assert (rejected["included"], rejected["excluded_reason"], rejected["n_sources"]) == (0, "rejected by curator", 2)
    (corrected,) = db.query("select * from meta_hazard_ratios where record_id = ?", [d04_os])
    assert (corrected["hr"], corrected["ci_low"], corrected["ci_high"], corrected["included"]) == (0.7, 0.4, 1.2, 1)
    assert corrected["curation"] == "corrected" and "ln 1.2 - ln 0.4" in corrected["se_derivation"]
    result = pool_hazard_ratios(db, "OS")
    pooled = {s["study_id"]: s["hr"] for s in result["studies"]}
    assert "NCT00824785" not in pooled and pooled["ACTRN12611001112954"] == 0.7
    assert REAL3_OS in {e["record_id"] for e in result["excluded"] if e["reason"] == "rejected by curator"}


async def test_pool_page_lists_studies_rule_permalink_and_csv_for_r(ds: Datasette) -> None:
    page = await ds.client.get("/-/pool?endpoint=OS")
    assert page.status_code == 200
    assert "<b>Selection rule.</b> One estimate per study" in page.text
    assert "Studies pooled (4)" in page.text and "prognostic factor, not a treatment effect" in page.text
    assert "href='/-/pool?endpoint=OS'" in page.text and "/-/pool.csv?endpoint=OS" in page.text
    data = (await ds.client.get("/-/pool.json?endpoint=OS")).json()
    response = await ds.client.get("/-/pool.csv?endpoint=OS")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == CSV_HAZARD_RATIOS and tuple(rows[0])[:3] == ("studlab", "TE", "seTE")
    assert [r["study_id"] for r in rows] == [s["study_id"] for s in data["studies"]]
    real3 = next(r for r in rows if r["study_id"] == "NCT00824785")
    assert float(real3["TE"]) == pytest.approx(0.3148, abs=1e-4) and float(real3["seTE"]) == pytest.approx(0.1270, abs=1e-4)
    asked = await ds.client.get("/-/pool?endpoint=OS&subgroups=1")
    assert "href='/-/pool?endpoint=OS&amp;subgroups=1'" in asked.text and "are let in (subgroups=1)" in asked.text
    proportions = await ds.client.get("/-/pool.csv?outcome=CR")
    assert proportions.text.splitlines()[0] == ",".join(CSV_PROPORTIONS)
    assert proportions.text.splitlines()[0].startswith("studlab,event,n,")


def test_studies_join_papers_by_registry_id_else_article_else_paper(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "hand.db")
    db.table("papers").insert_all([
        {"paper_id": p, "label": f"paper {p}", "stem": p, "year": year}
        for p, year in (("a", 2019), ("b", 2021), ("c", None), ("d", 2020), ("d-pdf", 2020), ("e", 2018))])
    db.table("paper_sources").insert_all([{"paper_id": p, "article_id": "d" if p == "d-pdf" else p}
                                          for p in ("a", "b", "c", "d", "d-pdf", "e")])
    db.table("registry_ids").insert_all([
        {"paper_id": "a", "identifier": "2010-000001-01", "curation": None, "corrected_values": None},
        {"paper_id": "b", "identifier": "2010-000001-01", "curation": None, "corrected_values": None},
        {"paper_id": "b", "identifier": "NCT00000002", "curation": None, "corrected_values": None},
        {"paper_id": "c", "identifier": "NCT00000002", "curation": None, "corrected_values": None},
        # A rejected id does not join e to the trial; a corrected one counts with its corrected value.
        {"paper_id": "e", "identifier": "NCT00000002", "curation": "rejected", "corrected_values": None},
        {"paper_id": "d", "identifier": "NCT0000000X", "curation": "corrected",
         "corrected_values": json.dumps({"identifier": "NCT00000004"})},
    ], alter=True)
    studies = assign_studies(db)
    trial = studies["a"]
    assert studies["b"] is studies["c"] is trial
    # Printed by two papers each, the NCT number comes first; latest paper first.
    assert (trial.study_id, trial.kind, trial.registry_ids) == ("NCT00000002", "trial", ["NCT00000002", "2010-000001-01"])
    assert (trial.paper_ids, trial.label, trial.latest_year) == (["b", "a", "c"], "paper b", 2021)
    assert studies["d"] is studies["d-pdf"] and studies["d"].study_id == "NCT00000004"
    assert (studies["e"].study_id, studies["e"].kind, studies["e"].trial_id) == ("e", "paper", None)
    write_studies(db, studies)
    assert db.table("studies").count == 3
