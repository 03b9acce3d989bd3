"""Meta-analysis tables, random-effects pooling checked against an independent computation, and the pages."""

import asyncio
import math
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils
from datasette.app import Datasette

from publish.database import build_database
from publish.forest import MAX_FOREST_STUDIES, forest_rows, forest_svg
from publish.meta_analysis import pool, wilson
from publish.serve import make_datasette
from tests.conftest import PAPERS


def dersimonian_laird(effects: list[float], variances: list[float]) -> tuple[float, float, float, float]:
    """The textbook DerSimonian-Laird estimator, written out with numpy only: (estimate, se, tau2, Q)."""
    y, v = np.array(effects), np.array(variances)
    w = 1 / v
    fixed = (w * y).sum() / w.sum()
    q = (w * (y - fixed) ** 2).sum()
    c = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (q - (len(y) - 1)) / c)
    w_star = 1 / (v + tau2)
    estimate = (w_star * y).sum() / w_star.sum()
    return float(estimate), float(math.sqrt(1 / w_star.sum())), float(tau2), float(q)


def test_wilson_interval_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for events, n in ((6, 37), (0, 12), (12, 12), (48, 276)):
        expected = proportion_confint(events, n, alpha=0.05, method="wilson")
        assert wilson(events, n) == pytest.approx(expected, abs=1e-9)
    assert (round(wilson(6, 37)[0], 4), round(wilson(6, 37)[1], 4)) == (0.0765, 0.3114)


def test_pooling_matches_an_independent_dersimonian_laird() -> None:
    # Four trials' log hazard ratios with SEs from printed 95% CIs.
    hrs = [(0.66, 0.52, 0.85), (0.87, 0.51, 1.51), (1.37, 1.07, 1.76), (0.72, 0.60, 0.88)]
    effects = [math.log(hr) for hr, _, _ in hrs]
    variances = [((math.log(hi) - math.log(lo)) / (2 * 1.959963984540054)) ** 2 for _, lo, hi in hrs]
    result = pool(effects, variances, ["a", "b", "c", "d"])
    estimate, se, tau2, q = dersimonian_laird(effects, variances)
    dl = result["dersimonian_laird"]
    assert dl["estimate"] == pytest.approx(estimate, abs=1e-9)
    assert dl["se"] == pytest.approx(se, abs=1e-9)
    assert dl["tau2"] == pytest.approx(tau2, abs=1e-9)
    assert result["heterogeneity"]["q"] == pytest.approx(q, abs=1e-9)
    assert result["heterogeneity"]["i2"] == pytest.approx(max(0.0, (q - 3) / q), abs=1e-9)
    assert result["paule_mandel"]["tau2"] > 0


def test_hartung_knapp_matches_the_textbook_formula() -> None:
    from scipy.stats import t

    effects, variances = [0.1, 0.3, -0.2, 0.5], [0.04, 0.05, 0.03, 0.08]
    estimate, _, tau2, _ = dersimonian_laird(effects, variances)
    w = 1 / (np.array(variances) + tau2)
    se = math.sqrt((w * (np.array(effects) - estimate) ** 2).sum() / ((len(effects) - 1) * w.sum()))
    half = t.ppf(0.975, len(effects) - 1) * se
    knapp = pool(effects, variances, ["a", "b", "c", "d"])["hartung_knapp"]
    assert knapp["estimate"] == pytest.approx(estimate, abs=1e-9)
    assert knapp["se"] == pytest.approx(se, abs=1e-9)
    assert (knapp["ci_low"], knapp["ci_high"]) == pytest.approx((estimate - half, estimate + half), abs=1e-9)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("meta") / "evidence.db"
    build_database(path, [PAPERS])
    return path


def test_meta_tables_are_shaped_for_r(db_path: Path) -> None:
    db = sqlite_utils.Database(db_path)
    proportion = next(db.query("select * from meta_proportions where events = 6 and n = 37"), None) or next(
        db.query("select * from meta_proportions limit 1"))
    assert 0 <= proportion["ci_low"] <= proportion["proportion"] <= proportion["ci_high"] <= 1
    real3 = next(db.query("select * from meta_hazard_ratios where hr = 1.37 and ci_low = 1.07"))
    assert real3["se_log_hr"] == pytest.approx((math.log(1.76) - math.log(1.07)) / (2 * 1.959963984540054))
    assert "ln 1.76 - ln 1.07" in real3["se_derivation"]
    no_ci = list(db.query("select * from meta_hazard_ratios where not has_ci"))
    assert no_ci and all(r["se_log_hr"] is None for r in no_ci)


async def test_paper_page_highlights_the_span(ds: Datasette, db_path: Path) -> None:
    row = next(sqlite_utils.Database(db_path).query("select * from registry_ids limit 1"))
    response = await ds.client.get(f"/-/paper/{row['paper_id']}?start={row['start']}&end={row['end']}")
    assert response.status_code == 200
    assert "<mark id='evidence'>" in response.text and row["identifier"] in response.text
    assert "<h3 class='kind'>registry_ids" in response.text


async def test_quotes_link_to_the_highlighted_span(ds: Datasette) -> None:
    response = await ds.client.get("/evidence/registry_ids")
    assert response.status_code == 200
    assert "/-/paper/" in response.text and "#evidence" in response.text


async def test_pool_json_and_page(ds: Datasette) -> None:
    data = (await ds.client.get("/-/pool.json?endpoint=OS")).json()
    assert data["k"] >= 2 and data["dersimonian_laird"]["hr"] > 0
    page = await ds.client.get("/-/pool?endpoint=OS")
    assert page.status_code == 200 and "<svg" in page.text and "DerSimonian" in page.text


async def test_canned_queries_answer_in_json_and_csv(ds: Datasette) -> None:
    rows = (await ds.client.get("/evidence/hazard_ratios_for_endpoint.json?endpoint=OS&_shape=array")).json()
    assert any(r["hr"] == 1.37 and r["ci_low"] == 1.07 for r in rows)
    rows = (await ds.client.get("/evidence/mtd_and_dlts_by_drug.json?drug=sorafenib&_shape=array")).json()
    assert any(r["dose"] == 400 and r["unit"] == "mg" for r in rows)
    rows = (await ds.client.get("/evidence/grade3_adverse_events_by_term.json?term=neutropenia&_shape=array")).json()
    assert rows and all(r["grade"] in ("3", "4", "3-4", ">=3", "5") and "neutropenia" in r["term"] for r in rows)
    rows = (await ds.client.get("/evidence/response_rates.json?drug=cytarabine&outcome=CR&_shape=array")).json()
    assert {(r["events"], r["n"]) for r in rows} >= {(14, 15), (24, 36)}
    assert all(r["outcome"] == "CR" and r["ci_low"] <= r["proportion"] <= r["ci_high"] for r in rows)
    csv = await ds.client.get("/evidence/hazard_ratios_for_endpoint.csv?endpoint=OS")
    assert csv.status_code == 200 and csv.text.startswith("study,trial_id,endpoint")


async def test_pooled_proportions_of_an_outcome(ds: Datasette) -> None:
    data = (await ds.client.get("/-/pool.json?outcome=ORR")).json()
    assert data["k"] >= 2
    dl = data["dersimonian_laird"]
    assert 0 < dl["proportion_ci_low"] < dl["proportion"] < dl["proportion_ci_high"] < 1
    page = await ds.client.get("/-/pool?outcome=ORR")
    assert page.status_code == 200 and "<svg" in page.text and "Pooled proportion: ORR" in page.text


def _many_studies(k: int, label: str = "study {i}") -> dict:
    effects = [math.log(0.5 + (i % 17) / 10) for i in range(k)]
    variances = [0.01 + (i % 29) / 100 for i in range(k)]
    return pool(effects, variances, [label.format(i=i) for i in range(k)])


def test_forest_plot_is_plain_svg_with_escaped_labels() -> None:
    result = _many_studies(3, label="$\\foo$ <b>&{i}</b>")
    svg = forest_svg(result, ratio=True)
    root = ET.fromstring(svg)  # well-formed XML: every label escaped
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "$\\foo$ <b>&0</b>" in texts and "Pooled (DL)" in texts
    assert "Hazard ratio (95% CI), log scale" in texts and "1" in texts  # the axis has a tick at HR 1
    proportions = ET.fromstring(forest_svg(_many_studies(4), ratio=False))
    assert "Proportion (95% CI)" in [t.text for t in proportions.iter("{http://www.w3.org/2000/svg}text")]


def test_forest_plot_draws_at_most_the_cap_quickly() -> None:
    result = _many_studies(5_000)
    start = time.perf_counter()
    svg = forest_svg(result, ratio=True)
    assert time.perf_counter() - start < 0.5
    labels = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    drawn = [label for label in labels if label and label.startswith("study ")]
    assert len(drawn) == MAX_FOREST_STUDIES == 100
    kept = forest_rows(result["studies"])
    assert [s["label"] for s in kept] == drawn
    assert max(s["variance"] for s in kept) <= min(s["variance"] for s in result["studies"] if s not in kept)
    assert len(svg) < 100_000


@pytest.fixture(scope="module")
def odd_labels_db(db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built database with its hazard-ratio study labels made hostile (math text, markup) and 150 extra studies."""
    path = tmp_path_factory.mktemp("odd") / "evidence.db"
    shutil.copyfile(db_path, path)
    db = sqlite_utils.Database(path)
    db.execute("update meta_hazard_ratios set study = '$\\foo$ <script>' || study where endpoint = 'OS'")
    rows = [dict(r) for r in db.query("select * from meta_hazard_ratios where endpoint = 'OS' and included")]
    # 150 more studies (one pool takes one estimate per study).
    extra = [{**rows[i % len(rows)], "record_id": f"extra-{i}", "study_id": f"extra-study-{i}"} for i in range(150)]
    db.table("meta_hazard_ratios").insert_all(extra)
    db.close()
    return path


async def test_pool_page_with_odd_labels_and_many_studies(odd_labels_db: Path) -> None:
    ds = make_datasette(odd_labels_db)
    await ds.invoke_startup()
    data = (await ds.client.get("/-/pool.json?endpoint=OS")).json()
    k = data["k"]
    assert k > MAX_FOREST_STUDIES and len(data["studies"]) == k  # the JSON keeps every study
    page = await ds.client.get("/-/pool?endpoint=OS")
    assert page.status_code == 200
    assert f"Showing {MAX_FOREST_STUDIES} of {k} studies" in page.text
    assert "$\\foo$ &lt;script&gt;" in page.text and "<script>" not in page.text


async def test_concurrent_pool_requests_share_one_answer_and_leave_other_pages_answering(ds: Datasette) -> None:
    urls = ["/-/pool?endpoint=PFS", "/-/pool.json?endpoint=PFS", "/-/pool?outcome=CR"] * 4
    responses = await asyncio.gather(*(ds.client.get(url) for url in urls), ds.client.get("/evidence/papers.json"))
    assert all(r.status_code == 200 for r in responses)
    assert len({r.text for r in responses[1:-1:3]}) == 1
    start = time.perf_counter()
    again = await ds.client.get("/-/pool.json?endpoint=PFS")
    assert time.perf_counter() - start < 0.2 and again.text == responses[1].text


def test_dersimonian_laird_tau2_is_truncated_at_zero_when_q_is_below_its_df() -> None:
    # Two ST03-like and sunitinib-trial-like log HRs closer than their SEs: Q < k - 1, so tau² = 0 and every
    # random-effects estimate is the fixed-effect one (statsmodels alone would give a negative tau² and NaN SEs).
    effects, variances = [0.0769610411361284, 0.1570037488096647], [0.007924601733222285, 0.028601158827430844]
    estimate, se, tau2, q = dersimonian_laird(effects, variances)
    result = pool(effects, variances, ["a", "b"])
    assert q < 1 and tau2 == 0.0
    for key in ("dersimonian_laird", "hartung_knapp"):
        assert result[key]["tau2"] == 0.0 and result[key]["estimate"] == pytest.approx(estimate, abs=1e-12)
    assert result["dersimonian_laird"]["se"] == pytest.approx(se, abs=1e-12)
    assert min(effects) < result["dersimonian_laird"]["estimate"] < max(effects)
    assert all(math.isfinite(result[k][b]) for k in ("dersimonian_laird", "hartung_knapp") for b in ("ci_low", "ci_high"))
    assert result["heterogeneity"]["i2"] == 0.0
