"""A published meta-analysis reproduced from the abstracts of the trials it pooled (issue 14, item 5).

Zhang H, Chen J, Liu T, Dang J, Li G. First-line treatments in EGFR-mutated advanced non-small cell lung
cancer: a network meta-analysis. PLoS ONE 2019;14(10):e0223530 (PMC6776360). Its Table 2 ("Results of
direct comparisons") prints, for overall survival, second- vs first-generation EGFR TKIs: 2 studies,
771 patients, HR 0.81 (95% CI 0.67–0.97), I² 0, heterogeneity P 0.52. The two trials are ARCHER 1050
(dacomitinib vs gefitinib, OS HR 0.760, 95% CI 0.582 to 0.993; Mok et al., J Clin Oncol 2018) and
LUX-Lung 7 (afatinib vs gefitinib, OS HR 0.86, 95% CI 0.66‒1.12; Paz-Ares et al., Ann Oncol 2017):
227 + 225 + 160 + 159 = 771 patients. The table names no model for the row; with I² = 0 the
DerSimonian–Laird estimate (what the pool reports) equals the fixed-effect one, and the test checks both.
Sources and how the pooled trials were identified: corpus/meta_analyses/README.md.

Everything asserted is extracted from the two abstracts as bundled (corpus/papers/ma_*.txt): a missed or
misread hazard ratio, a subgroup estimate let into the pool or a change in the pooling moves k, the
per-trial values or the estimate, and the test fails.
"""

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlite_utils
from datasette.app import Datasette
from scipy.stats import chi2

from publish.database import build_database
from tests.conftest import PAPERS

TRIALS = {  # paper file -> (HR, CI low, CI high) as printed in the abstract
    "ma_archer1050_dacomitinib_os.txt": (0.76, 0.582, 0.993),
    "ma_luxlung7_afatinib_os.txt": (0.86, 0.66, 1.12),
}
PUBLISHED = {"hr": 0.81, "ci_low": 0.67, "ci_high": 0.97, "heterogeneity_p": 0.52}
QUESTION = "endpoint=OS&drug=gefitinib"
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("published-ma") / "evidence.db"
    summary = build_database(path, [PAPERS / name for name in TRIALS])
    assert summary.papers == len(TRIALS) and not summary.errors
    return path


async def test_the_pool_reproduces_the_published_estimate(ds: Datasette, db_path: Path) -> None:
    data = (await ds.client.get(f"/-/pool.json?{QUESTION}")).json()
    assert data["k"] == len(TRIALS) == 2

    # Each trial's estimate is the one its abstract prints (and the meta-analysis pooled).
    files = {row["paper_id"]: row["stem"] + ".txt" for row in sqlite_utils.Database(db_path).query(
        "select paper_id, stem from papers")}
    by_file = {files[s["paper_id"]]: s for s in data["studies"]}
    assert sorted(by_file) == sorted(TRIALS)
    for name, (hr, low, high) in TRIALS.items():
        study = by_file[name]
        assert (study["hr"], study["ci_low"], study["ci_high"], study["ci_level"]) == (hr, low, high, 95.0), name
        assert study["analysis"] == "primary"
        assert study["se_log_hr"] == pytest.approx((math.log(high) - math.log(low)) / (2 * 1.959963984540054))

    # DerSimonian–Laird, τ² = 0: the fixed-effect estimate, within 0.01 of the printed HR and CI.
    dl = data["dersimonian_laird"]
    assert dl["tau2"] == 0 and data["heterogeneity"]["i2"] == 0
    assert abs(dl["hr"] - PUBLISHED["hr"]) <= TOLERANCE
    assert abs(dl["hr_ci_low"] - PUBLISHED["ci_low"]) <= TOLERANCE
    assert abs(dl["hr_ci_high"] - PUBLISHED["ci_high"]) <= TOLERANCE
    weights = [1 / s["variance"] for s in data["studies"]]
    fixed = sum(w * s["effect"] for w, s in zip(weights, data["studies"], strict=True)) / sum(weights)
    assert dl["estimate"] == pytest.approx(fixed, abs=1e-12)
    assert dl["se"] == pytest.approx(math.sqrt(1 / sum(weights)), abs=1e-12)

    # Cochran's Q gives the printed heterogeneity P.
    q, df = data["heterogeneity"]["q"], data["heterogeneity"]["df"]
    assert df == 1 and round(chi2.sf(q, df), 2) == PUBLISHED["heterogeneity_p"]


async def test_the_subgroup_estimates_stay_out(ds: Datasette) -> None:
    """LUX-Lung 7's abstract also prints OS by mutation type (exon 19 deletion, L858R): not the trial's estimate."""
    data = (await ds.client.get(f"/-/pool.json?{QUESTION}")).json()
    left_out = {(s["hr"], s["reason"]) for s in data["excluded"]}
    assert left_out == {(0.83, "subgroup analysis"), (0.91, "subgroup analysis")}


async def test_the_question_page_draws_both_trials(ds: Datasette) -> None:
    page = await ds.client.get(f"/-/pool?{QUESTION}")
    assert page.status_code == 200 and "DerSimonian" in page.text
    svg = page.text[page.text.index("<svg"):page.text.index("</svg>") + len("</svg>")]
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "Pooled (DL)" in texts
    assert any(t.startswith("Afatinib versus gefitinib") for t in texts)
    assert any(t.startswith("Improvement in Overall Su") for t in texts)
