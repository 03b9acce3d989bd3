"""bench/synth.py: synthetic copies are distinct files and articles whose evidence is their source's."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from bench.synth import copy_path, make_corpus, synthetic_ids
from extractor.parsers import parse_paper
from extractor.pipeline import extract_records
from publish.articles import article_keys
from schemas import Document
from tests.conftest import PAPERS, ROOT

N = 30
# The synthetic corpus is made from the 8 text and 4 JATS papers of the first gold set (the
# counts below follow from them), not from whatever else the corpus holds now.
SOURCES = sorted([*PAPERS.glob("0*.txt"), *PAPERS.glob("d0*.txt"),
                  *(PAPERS / f"{p}.nxml" for p in ("PMC2855860", "PMC3669518", "PMC5292678", "PMC5787508"))])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("synth")
    return out, make_corpus(out, N, ["text", "jats"], SOURCES)


def copies(out: Path) -> list[Path]:
    return sorted(p for p in out.glob("*/*") if p.is_file())


def values(document: Document) -> list[tuple[str, str]]:
    """Kinds and values of the document's records, provenance (paper id, offsets) left out."""
    return sorted((r.kind, json.dumps(r.model_dump(exclude={"provenance"}), sort_keys=True))
                  for r in extract_records(document))


def test_writes_distinct_files_in_subdirectories(corpus: tuple[Path, dict[str, Any]]) -> None:
    out, summary = corpus
    files = copies(out)
    assert len(files) == N
    assert len({hashlib.sha256(p.read_bytes()).hexdigest() for p in files}) == N
    assert {p.parent.name for p in files} == {"0000"}
    assert (out / "dirs.txt").read_text().split() == [str((out / "0000").resolve())]
    assert json.loads((out / "synth.json").read_text()) == summary
    assert summary["papers"] == N and summary["seed"] == 0
    assert summary["per_format"] == {"text": 22, "jats": 8}  # 8 text and 4 JATS sources, round-robin
    assert sum(s["copies"] for s in summary["sources"]) == N


def test_every_copy_is_another_article(corpus: tuple[Path, dict[str, Any]]) -> None:
    out, summary = corpus
    sources = {e["path"]: parse_paper(ROOT / e["path"]).metadata for e in summary["sources"]}
    seen: set[str] = set()
    for i, path in enumerate(copies(out)):
        entry = summary["sources"][i % len(sources)]
        meta = parse_paper(path).metadata
        source = sources[entry["path"]]
        ids = synthetic_ids(i)
        assert (meta.doi, meta.pmid, meta.pmcid) == (
            source.doi and ids["doi"], source.pmid and ids["pmid"], source.pmcid and ids["pmcid"])
        keys = article_keys(meta.doi, meta.pmid, meta.pmcid)
        assert not keys & seen
        seen |= keys
    assert len(seen) > N  # most sources print at least one identifier


@pytest.mark.parametrize("stem", ["003_560b24a11cf67a5c", "d01_borthakur_phase1_haematologica2011",
                                  "d02_ravandi_sorafenib_ida_arac_jco2010", "d05_sorafenib_clagm_bloodadv2023",
                                  "PMC5787508"])
def test_copy_has_its_sources_evidence(corpus: tuple[Path, dict[str, Any]], stem: str) -> None:
    out, summary = corpus
    i, entry = next((i, e) for i, e in enumerate(summary["sources"]) if Path(e["path"]).stem == stem)
    source = ROOT / entry["path"]
    original, copy = parse_paper(source), parse_paper(copy_path(out, i, i, source))
    assert copy.paper_id != original.paper_id
    if "title" in entry["rewritten"]:
        assert copy.metadata.title == f"{original.metadata.title} [synthetic copy {i}]"
    found = values(copy)
    assert found and found == values(original)


def test_pdf_copy_reads_as_its_source(tmp_path: Path) -> None:
    source = ROOT / "corpus" / "pdf" / "bmcanesthesiol_2015_haloperidol_dexamethasone_ponv_dose_response_rct.pdf"
    summary = make_corpus(tmp_path, 2, ["pdf"], [source], seed=3)
    copy = copy_path(tmp_path, 1, 3_000_001, source)
    assert copy.read_bytes() == source.read_bytes() + b"\n%synthetic copy 3000001\n"
    original, synthetic = parse_paper(source), parse_paper(copy)
    assert synthetic.paper_id != original.paper_id
    assert synthetic.text == original.text
    assert synthetic.metadata == original.metadata  # the DOI sits in compressed text: kept
    assert summary["per_format"] == {"pdf": 2}


def test_html_identifiers_rewritten_in_meta_tags(tmp_path: Path) -> None:
    source = ROOT / "tests" / "fixtures" / "html" / "pmc_article.html"
    make_corpus(tmp_path, 1, ["html"], [source], seed=1)
    meta = parse_paper(copy_path(tmp_path, 0, 1_000_000, source)).metadata
    ids = synthetic_ids(1_000_000)
    assert (meta.doi, meta.pmid, meta.pmcid) == (ids["doi"], ids["pmid"], ids["pmcid"])


def test_refuses_a_directory_holding_files(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(FileExistsError):
        make_corpus(tmp_path, 1, ["text"], [PAPERS])


def test_refuses_a_format_without_sources(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no html source"):
        make_corpus(tmp_path / "out", 1, ["html"], [PAPERS])


def test_varied_copies_differ_in_numbers_drugs_and_trials_but_not_in_markup(tmp_path: Path) -> None:
    from bench.vary import vary

    jats = (b'<p>Patients (n = 112) received <italic>sorafenib</italic> 400 mg; 27.5% had neutropenia '
            b'&#x02013; NCT02728050 and NCT02728050 again; in 2019.</p><xref rid="B12">12</xref>')
    one, two = vary(jats, 1), vary(jats, 2)
    assert one != two != jats
    for copy in (one, two):
        assert copy.count(b"<") == jats.count(b"<") and b'rid="B12"' in copy and b"&#x02013;" in copy
        assert b"in 2019" in copy and b"sorafenib" not in copy and b"400 mg" not in copy
        ids = [w for w in copy.split() if w.startswith(b"NCT")]
        assert len(ids) == 2 and ids[0] == ids[1] != b"NCT02728050"
    summary = make_corpus(tmp_path / "out", 4, ["text"], [PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"],
                          varied=True)
    papers = sorted((tmp_path / "out" / "0000").glob("*.txt"))
    texts = [p.read_bytes() for p in papers]
    assert summary["varied"] and len(set(texts)) == 4
    assert all(parse_paper(p).metadata.pmid is None for p in papers)
