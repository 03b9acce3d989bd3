"""`evidence add`: papers copied into the corpus with a manifest entry, the database updated, nothing doubled."""

import json
import os
import time
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from publish.cli import cli
from publish.locking import locked
from tests.conftest import PAPERS

D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
REAL3 = PAPERS / "PMC3669518.nxml"
REAL3_PAGE = """<html><head><meta name="citation_doi" content="10.1016/S1470-2045(13)70096-2">
<meta name="citation_title" content="REAL3"></head><body><article><h1>REAL3</h1><h2>Abstract</h2>
<p>In this randomised, open-label phase 3 trial (REAL3), we enrolled 553 eligible patients.</p>
</article></body></html>"""


def add(tmp_path: Path, *papers: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["add", *map(str, papers), "--corpus", str(tmp_path / "corpus"),
                                      "--db", str(tmp_path / "evidence.db"),
                                      "--corrections", str(tmp_path / "corrections")])
    return result.exit_code, result.stdout, result.stderr


def test_add_copies_records_and_builds(tmp_path: Path) -> None:
    code, out, err = add(tmp_path, D05)
    assert code == 0, err
    assert out.splitlines()[0] == f"{D05}: added as papers/{D05.name}"
    copied = tmp_path / "corpus" / "papers" / D05.name
    assert copied.read_bytes() == D05.read_bytes()
    manifest = json.loads((tmp_path / "corpus" / "manifest.json").read_text())
    (entry,) = manifest["papers"]
    assert entry["file"] == f"papers/{D05.name}" and entry["format"] == "text"
    assert entry["registry_ids"] == ["NCT02728050"] and entry["source"] == str(D05)
    db = sqlite_utils.Database(tmp_path / "evidence.db")
    assert [r["stem"] for r in db.table("papers").rows] == [D05.stem]


def test_the_same_file_twice_is_not_duplicated(tmp_path: Path) -> None:
    add(tmp_path, D05)
    code, out, _ = add(tmp_path, D05)
    assert code == 0 and "already in the corpus as papers/" in out
    assert len(json.loads((tmp_path / "corpus" / "manifest.json").read_text())["papers"]) == 1
    assert sqlite_utils.Database(tmp_path / "evidence.db").table("papers").count == 1


def test_the_same_article_in_two_formats_is_one_article_with_two_sources(tmp_path: Path) -> None:
    page = tmp_path / "real3.html"
    page.write_text(REAL3_PAGE)
    code, out, err = add(tmp_path, REAL3, page)
    assert code == 0, err
    assert "same article as papers/PMC3669518.nxml" in out
    first, second = json.loads((tmp_path / "corpus" / "manifest.json").read_text())["papers"]
    assert second["article"] == first["article"] == first["paper_id"]
    db = sqlite_utils.Database(tmp_path / "evidence.db")
    assert db.table("papers").count == 2
    # In the database too: two papers (each keeps its own quotes), one article with two sources.
    (article,) = db.query("select * from articles")
    assert article["n_sources"] == 2 and sorted(json.loads(article["formats"])) == ["html", "jats"]
    assert article["article_id"] == first["paper_id"]


def test_add_keeps_papers_added_before_and_reports_bad_files(tmp_path: Path) -> None:
    add(tmp_path, D05)
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    code, _, err = add(tmp_path, bad, PAPERS / "d01_borthakur_phase1_haematologica2011.txt")
    assert code == 1 and f"error: {bad}: file is empty" in err
    stems = {r["stem"] for r in sqlite_utils.Database(tmp_path / "evidence.db").table("papers").rows}
    assert stems == {D05.stem, "d01_borthakur_phase1_haematologica2011"}


def test_a_damaged_manifest_is_one_line_and_nothing_is_added(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text('{"papers": [{"paper_id": 1}]}')
    code, _, err = add(tmp_path, D05)
    assert code == 1 and err.startswith(f"Error: {corpus / 'manifest.json'}: invalid manifest (")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(p.name for p in corpus.iterdir()) == ["manifest.json"]
    assert not (tmp_path / "evidence.db").exists()


def test_awkward_file_names_are_added_under_safe_names(tmp_path: Path) -> None:
    sources = tmp_path / "in"
    sources.mkdir()
    latin1 = Path(os.fsdecode(os.fsencode(sources) + b"/caf\xe9.txt"))
    latin1.write_bytes(D05.read_bytes())
    long_name = sources / ("x" * 250 + ".txt")  # 254 bytes: the longest name most file systems take
    long_name.write_bytes(D05.read_bytes() + b"\nAnother copy.\n")
    newline = sources / "bad\nname.txt"
    newline.write_text("")
    code, out, err = add(tmp_path, sources)
    assert code == 1
    assert err == f"error: {sources}/bad\\nname.txt: file is empty\n"
    assert out.splitlines()[:2] == [f"{sources}/caf\\xe9.txt: added as papers/caf_xe9.txt",
                                    f"{long_name}: added as papers/{long_name.name}"]
    manifest = json.loads((tmp_path / "corpus" / "manifest.json").read_text())
    assert [(e["file"], e["source"]) for e in manifest["papers"]] == [
        ("papers/caf_xe9.txt", f"{sources}/caf\\xe9.txt"), (f"papers/{long_name.name}", str(long_name))]
    db = sqlite_utils.Database(tmp_path / "evidence.db")
    assert sorted(r["stem"] for r in db.table("papers").rows) == sorted(["caf_xe9", long_name.stem])
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == ["manifest.json", "papers"]


def test_no_wait_refuses_while_another_add_holds_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    with locked(corpus / "manifest.json"):
        result = CliRunner().invoke(cli, ["add", str(D05), "--corpus", str(corpus), "--db",
                                          str(tmp_path / "evidence.db"), "--no-wait"])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {corpus}/manifest.json: in use by another build or add (pid {os.getpid()}, "
                             f"lock {corpus}/.manifest.json.lock); not waiting\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"] and list(corpus.iterdir()) == []


def test_a_file_past_the_time_limit_is_not_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publish.budget
    import publish.manifest

    def slow(path: Path, data: bytes) -> None:
        time.sleep(30)

    monkeypatch.setattr(publish.budget, "DEFAULT_BUDGET", publish.budget.Budget(seconds=1))
    monkeypatch.setattr(publish.manifest, "parse_bytes", slow)
    code, out, err = add(tmp_path, D05)
    assert (code, out, err) == (1, "", f"error: {D05}: exceeded the 1 s time limit per file\n")
    assert not (tmp_path / "corpus" / "manifest.json").exists() and not (tmp_path / "evidence.db").exists()
