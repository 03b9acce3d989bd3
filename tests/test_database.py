"""publish.database: the corpus written to SQLite, stable ids, per-file errors and atomic builds."""

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

import publish.processing as processing
from extractor.errors import PaperError
from extractor.parsers import parse_paper
from publish.database import BuildError, BuildSummary, build_database, paper_files, write_papers
from publish.rows import paper_rows, record_id
from publish.tables import all_specs, evidence_specs
from schemas import Provenance, RegistryId
from tests.conftest import PAPERS, document_from_text

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildSummary]:
    """The whole bundled corpus built once for this module."""
    db_path = tmp_path_factory.mktemp("db") / "evidence.db"
    return db_path, build_database(db_path, [PAPERS])


def _dump(db_path: Path) -> dict[str, list[dict[str, Any]]]:
    db = Database(db_path)
    try:
        return {spec.name: list(db.table(spec.name).rows) for spec in all_specs()}
    finally:
        db.close()


def _canonical(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True)


def test_one_papers_row_per_file(built: tuple[Path, BuildSummary], corpus_papers: list[Path]) -> None:
    db_path, summary = built
    assert summary.errors == []
    assert summary.papers == len(corpus_papers)
    papers = _dump(db_path)["papers"]
    assert sorted(p["stem"] for p in papers) == sorted(p.stem for p in corpus_papers)
    jats = next(p for p in papers if p["stem"] == JATS.stem)
    assert jats["format"] == "jats"
    assert jats["label"] == (jats["title"] or jats["stem"])
    assert jats["n_chars"] > 10_000


def test_nct_id_is_linked_to_its_paper_with_an_exact_quote(built: tuple[Path, BuildSummary]) -> None:
    db_path, _ = built
    document = parse_paper(D01)
    rows = _dump(db_path)["registry_ids"]
    hits = [r for r in rows if r["identifier"] == "NCT00217646"]
    assert len(hits) == 1
    row = hits[0]
    assert row["paper_id"] == document.paper_id
    assert row["registry"] == "NCT"
    assert document.text[row["start"] : row["end"]] == row["quote"]
    assert "NCT00217646" in row["quote"]
    assert row["n_sources"] >= 1


def test_every_span_quotes_its_paper(built: tuple[Path, BuildSummary], corpus_papers: list[Path]) -> None:
    db_path, _ = built
    texts = {doc.paper_id: doc.text for doc in map(parse_paper, corpus_papers)}
    tables = _dump(db_path)
    spans = tables["provenance"]
    assert spans
    for span in spans:
        assert texts[span["paper_id"]][span["start"] : span["end"]] == span["quote"]
    # Every evidence row's n_sources counts its provenance rows, and its primary span is ordinal 0.
    by_record: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        by_record.setdefault(span["record_id"], []).append(span)
    for spec in evidence_specs().values():
        for row in tables[spec.name]:
            own = by_record[row["id"]]
            assert len(own) == row["n_sources"]
            primary = next(s for s in own if s["ordinal"] == 0)
            assert (primary["start"], primary["end"], primary["record_table"]) == (row["start"], row["end"], spec.name)


def test_sections_have_full_text_search(built: tuple[Path, BuildSummary]) -> None:
    db = Database(built[0])
    try:
        hits = list(db.table("sections").search("sorafenib"))
        papers = {r["paper_id"] for r in hits}
        assert parse_paper(D05).paper_id in papers
        assert all("sorafenib" in (r["text"] + (r["title"] or "")).lower() for r in hits)
        assert db.table("registry_ids").foreign_keys[0].other_table == "papers"
    finally:
        db.close()


def test_rebuild_gives_identical_rows(built: tuple[Path, BuildSummary], tmp_path: Path) -> None:
    # Three papers rebuilt in another order: their rows and ids match the full build's exactly.
    again = tmp_path / "again.db"
    build_database(again, [D05, JATS, D01])
    rebuilt = _dump(again)
    ids = {p["paper_id"] for p in rebuilt["papers"]}
    assert len(ids) == 3
    full = {name: [r for r in rows if r["paper_id"] in ids] for name, rows in _dump(built[0]).items()}
    assert rebuilt["registry_ids"]
    for name, rows in full.items():
        assert sorted(rebuilt[name], key=_canonical) == sorted(rows, key=_canonical), name


def test_write_papers_replaces_a_paper_written_twice(tmp_path: Path) -> None:
    text = "The trial is registered at ClinicalTrials.gov as NCT01254890. NCT01254890 was the id."
    document = document_from_text(text)
    span = Provenance(paper_id=document.paper_id, section="results", start=0, end=61, quote=text[:61],
                      rule_id="registry.nct.v1", extractor_version="0", confidence=0.9)
    records = [RegistryId(registry="NCT", identifier="NCT01254890", provenance=[span])]
    db_path = tmp_path / "evidence.db"
    write_papers(db_path, [paper_rows(document, records)])
    counts = write_papers(db_path, [paper_rows(document, records)])
    assert counts["registry_ids"] == 1
    rows = _dump(db_path)
    assert len(rows["papers"]) == 1 and len(rows["provenance"]) == 1
    assert rows["registry_ids"][0]["id"] == record_id(document.paper_id, records[0])
    assert rows["registry_ids"][0]["quote"] == text[:61]
    assert rows["papers"][0]["label"] == "test"  # no title: the stem


def test_paper_files_expands_directories_sorted(tmp_path: Path) -> None:
    for name in ("b.nxml", "a.txt", "notes.md", ".hidden.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    assert paper_files([tmp_path, tmp_path / "a.txt"]) == [tmp_path / "a.txt", tmp_path / "b.nxml"]


def test_bad_files_are_reported_and_the_others_written(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    shutil.copy(D05, papers / D05.name)
    shutil.copy(D01, papers / D01.name)
    shutil.copy(D05, papers / "zz_copy.txt")
    (papers / "empty.txt").write_text("")
    seen: list[PaperError] = []
    summary = build_database(tmp_path / "evidence.db", [papers], on_error=seen.append)
    assert summary.papers == 2
    assert len(summary.errors) == 2 == len(seen)
    empty, copy = summary.errors
    assert empty.startswith(str(papers / "empty.txt") + ": ") and "empty" in empty
    assert copy.startswith(str(papers / "zz_copy.txt") + ": ") and D05.name in copy
    assert sorted(p["stem"] for p in _dump(tmp_path / "evidence.db")["papers"]) == sorted([D05.stem, D01.stem])
    assert "2 papers" in summary.describe() and "2 could not be read" in summary.describe()
    assert (tmp_path / "evidence.db").stat().st_mode & 0o777 == 0o644  # not mkstemp's private mode


def _stop(error: PaperError) -> None:
    raise RuntimeError(f"stop at {error}")


def test_a_failing_build_leaves_the_previous_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_path = tmp_path / "evidence.db"
    build_database(db_path, [D05])
    before = db_path.read_bytes()
    missing = tmp_path / "missing.txt"
    with pytest.raises(RuntimeError, match="stop at"):
        build_database(db_path, [D01, missing, D05], on_error=_stop)
    assert db_path.read_bytes() == before

    def broken(document: object) -> list[object]:
        raise RuntimeError("extractor bug")

    # An extractor bug is one error line naming the paper, like bad input; with no paper left, nothing is written.
    monkeypatch.setattr(processing, "extract_records", broken)
    with pytest.raises(BuildError) as info:
        build_database(db_path, [D01])
    assert info.value.errors == [f"{D01}: could not be read (unexpected RuntimeError: extractor bug)"]
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.db"]  # no temporary file left


def test_nothing_readable_raises_and_creates_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(BuildError) as info:
        build_database(tmp_path / "evidence.db", [tmp_path])
    assert len(info.value.errors) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt"]


def test_special_files_in_a_directory_are_reported_one_line_each(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    shutil.copy(D05, papers / D05.name)
    os.mkfifo(papers / "fifo.txt")  # opened, it would block the build for ever
    (papers / "dir.pdf").mkdir()
    (papers / "loop.txt").symlink_to("loop.txt")
    (papers / "device.txt").symlink_to("/dev/zero")
    (papers / "dangling.nxml").symlink_to("missing.nxml")
    (papers / "fifo-not-a-paper").symlink_to("fifo.txt")  # no paper extension: not a paper file, skipped
    summary = build_database(tmp_path / "evidence.db", [papers])
    assert summary.papers == 1
    assert summary.errors == [
        f"{papers}/dangling.nxml: cannot read file (No such file or directory)",
        f"{papers}/device.txt: not a regular file (a pipe, socket or device); refused",
        f"{papers}/dir.pdf: is a directory, not a paper file",
        f"{papers}/fifo.txt: not a regular file (a pipe, socket or device); refused",
        f"{papers}/loop.txt: cannot read file (Too many levels of symbolic links)",
    ]


def test_file_names_that_are_not_utf8_or_hold_newlines_are_written_escaped(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    latin1 = Path(os.fsdecode(os.fsencode(papers) + b"/caf\xe9.txt"))
    shutil.copy(D05, latin1)
    (papers / "two\nlines.txt").write_bytes(D01.read_bytes())
    (papers / "three\nlines.txt").write_text("")
    summary = build_database(tmp_path / "evidence.db", [papers], workers=2)
    assert summary.errors == [f"{papers}/three\\nlines.txt: file is empty"]
    rows = _dump(tmp_path / "evidence.db")["papers"]
    assert sorted((p["source_path"], p["stem"]) for p in rows) == [
        (f"{papers}/caf\\xe9.txt", "caf\\xe9"), (f"{papers}/two\\nlines.txt", "two\\nlines")]
    # Built again: both are recognised unchanged, by their bytes.
    again = build_database(tmp_path / "evidence.db", [papers])
    assert (again.papers, again.unchanged, again.removed) == (0, 2, 0)


def test_a_database_with_a_name_of_254_bytes_is_built(tmp_path: Path) -> None:
    db_path = tmp_path / ("e" * 251 + ".db")
    assert build_database(db_path, [D05]).papers == 1
    assert build_database(db_path, [D01]).papers == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [db_path.name]
