"""Incremental builds: unchanged papers are kept, changed and new ones extracted, a new extractor re-extracts all."""

import io
import sys
from pathlib import Path

import pytest
import sqlite_utils

import publish.database
import publish.rows
from publish.cli import _progress
from publish.database import build_database
from tests.conftest import PAPERS

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"


def _rows(db_path: Path) -> dict[str, list[dict]]:
    db = sqlite_utils.Database(db_path)
    return {name: list(db.table(name).rows) for name in db.table_names() if "_fts" not in name}


def test_a_second_build_reads_nothing_again(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    first = build_database(db, [D01, D05])
    assert (first.papers, first.unchanged) == (2, 0)
    rows = _rows(db)
    second = build_database(db, [D01, D05])
    assert (second.papers, second.unchanged, second.removed) == (0, 2, 0)
    assert _rows(db) == rows


def test_new_changed_and_dropped_papers(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    changed = tmp_path / "d05.txt"
    changed.write_bytes(D05.read_bytes())
    build_database(db, [D01, changed])
    changed.write_bytes(D05.read_bytes() + b"\nThe trial was registered as NCT99999999.\n")
    result = build_database(db, [changed])
    assert (result.papers, result.unchanged, result.removed) == (1, 0, 2)
    stems = {row["stem"] for row in sqlite_utils.Database(db).table("papers").rows}
    assert stems == {"d05"}
    ids = {row["identifier"] for row in sqlite_utils.Database(db).table("registry_ids").rows}
    assert ids == {"NCT02728050", "NCT99999999"}
    search = sqlite_utils.Database(db).execute(
        "select count(*) from sections_fts where sections_fts match 'Borthakur OR haematologica'").fetchone()
    assert search == (0,)


def test_keep_others_adds_without_removing(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    build_database(db, [D01])
    result = build_database(db, [D05], keep_others=True)
    assert (result.papers, result.removed) == (1, 0)
    assert sqlite_utils.Database(db).table("papers").count == 2


def test_a_new_extractor_version_re_extracts_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "evidence.db"
    build_database(db, [D01, D05])
    # The version the build compares, and the one it writes into each papers row.
    monkeypatch.setattr(publish.database, "EXTRACTOR_VERSION", "9.9.9")
    monkeypatch.setattr(publish.rows, "EXTRACTOR_VERSION", "9.9.9")
    result = build_database(db, [D01, D05])
    assert (result.papers, result.unchanged) == (2, 0)
    versions = {row["extractor_version"] for row in sqlite_utils.Database(db).table("papers").rows}
    assert versions == {"9.9.9"}


def test_papers_of_one_trial_are_linked_through_the_trials_view(tmp_path: Path) -> None:
    db_path = tmp_path / "evidence.db"
    copy = tmp_path / "d05_interim.txt"
    copy.write_bytes(D05.read_bytes() + b"\nInterim report.\n")
    build_database(db_path, [D05, copy, D01])
    db = sqlite_utils.Database(db_path)
    trials = {row["trial_id"]: row for row in db.query("select * from trials")}
    assert trials["NCT02728050"]["n_papers"] == 2
    assert trials["NCT00217646"]["n_papers"] == 1
    assert db.table("papers").count == 3


def test_a_database_of_an_older_schema_is_rebuilt_whole(tmp_path: Path) -> None:
    db_path = tmp_path / "evidence.db"
    build_database(db_path, [D01])
    old = sqlite_utils.Database(db_path)
    # Facet columns are indexed; transform keeps no index of a dropped column.
    old.execute("DROP INDEX idx_responses_curation_paper_id")
    old.table("responses").transform(drop={"curation"})
    result = build_database(db_path, [D01])
    assert (result.papers, result.unchanged) == (1, 0)
    assert "curation" in {c.name for c in sqlite_utils.Database(db_path).table("responses").columns}


def test_a_paper_whose_file_cannot_be_read_now_keeps_its_previous_version(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    paper = tmp_path / "d05.txt"
    paper.write_bytes(D05.read_bytes())
    build_database(db, [D01, paper])
    paper.write_bytes(b"")  # truncated on disk, say by an interrupted copy
    errors: list[str] = []
    result = build_database(db, [D01, paper], on_error=lambda error: errors.append(str(error)))
    assert errors == [f"{paper}: file is empty"]
    assert result.warnings == [f"{paper}: could not be read; its previous version is kept"]
    assert (result.papers, result.unchanged, result.removed) == (0, 1, 0)
    assert {row["stem"] for row in sqlite_utils.Database(db).table("papers").rows} == {D01.stem, "d05"}
    paper.unlink()  # gone from the inputs: now it is removed
    assert build_database(db, [D01]).removed == 1


def test_a_progress_bar_on_a_terminal_and_none_in_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    files = [D01, D05]
    for stream, shown in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        with _progress(files) as advance:
            for path in files:
                advance(path)
        assert ("Reading papers" in stream.getvalue()) is shown
        assert ("100%" in stream.getvalue()) is shown


def test_the_extractor_version_changes_with_any_rule_file(tmp_path: Path) -> None:
    import shutil

    import extractor

    live = Path(extractor.__file__).parent
    copy = tmp_path / "extractor"
    shutil.copytree(live, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert extractor.digest(copy) == extractor.digest() and extractor.__version__.endswith("+" + extractor.digest())
    rules = copy / "patterns" / "response.yaml"
    rules.write_text(rules.read_text() + "\n# a comment is an edit too\n")
    assert extractor.digest(copy) != extractor.digest()


class _Reads:
    """Which files a build reads (publish.database.read_files) and whether it rewrote the derived tables."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        self.derived = 0
        read, meta = publish.database.read_files, publish.database.write_meta_tables

        def reading(files, **kwargs):  # type: ignore[no-untyped-def]
            files = list(files)
            self.files.extend(Path(f).name for f in files)
            return read(files, **kwargs)

        def writing(db, *args):  # type: ignore[no-untyped-def]
            self.derived += 1
            return meta(db, *args)

        monkeypatch.setattr(publish.database, "read_files", reading)
        monkeypatch.setattr(publish.database, "write_meta_tables", writing)

    def take(self) -> tuple[list[str], int]:
        taken = (sorted(self.files), self.derived)
        self.files, self.derived = [], 0
        return taken


def test_files_unchanged_by_stat_are_not_read_and_derived_tables_not_rewritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    db, paper = tmp_path / "evidence.db", tmp_path / "d05.txt"
    paper.write_bytes(D05.read_bytes())
    reads = _Reads(monkeypatch)
    build_database(db, [D01, paper])
    assert reads.take() == (["d01_borthakur_phase1_haematologica2011.txt", "d05.txt"], 1)
    # Nothing changed: no file read or hashed, the meta-analysis tables left as they are.
    result = build_database(db, [D01, paper])
    assert (result.papers, result.unchanged) == (0, 2) and reads.take() == ([], 0)
    # A touched file is hashed again (its paper is unchanged); other inputs of the derived tables changed: rewritten.
    os.utime(paper, ns=(paper.stat().st_atime_ns, paper.stat().st_mtime_ns + 1_000_000_000))
    result = build_database(db, [D01, paper], derived_inputs="corrections v2")
    assert (result.papers, result.unchanged) == (0, 2) and reads.take() == (["d05.txt"], 1)
    # Same size, same mtime, new bytes: only --rehash notices (the trade-off the stat shortcut makes).
    stat = paper.stat()
    paper.write_bytes(D05.read_bytes().replace(b"sorafenib", b"Sorafenib", 1))
    os.utime(paper, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert build_database(db, [D01, paper], derived_inputs="corrections v2").papers == 0
    assert build_database(db, [D01, paper], derived_inputs="corrections v2", rehash=True).papers == 1
    assert reads.take()[0] == ["d01_borthakur_phase1_haematologica2011.txt", "d05.txt"]


def test_added_papers_are_indexed_without_rebuilding_the_search_indexes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "evidence.db"
    build_database(db, [D01])

    def no_rebuild(database):  # type: ignore[no-untyped-def]
        raise AssertionError("only a paper was added: no index rebuild")

    monkeypatch.setattr(publish.database, "rebuild_search", no_rebuild)
    assert build_database(db, [D01, D05]).papers == 1
    database = sqlite_utils.Database(db)
    # FTS5 checks an external-content index against its content: it raises when they differ.
    database.execute("INSERT INTO sections_fts(sections_fts) VALUES('integrity-check')")
    database.execute("INSERT INTO passages_fts(passages_fts) VALUES('integrity-check')")
    for word, stem in (("myelodysplastic", D01.stem), ("CLAG", D05.stem)):
        found = database.execute("select distinct p.stem from passages_fts f join passage_texts t on t.rowid = f.rowid "
                                 "join papers p on p.paper_id = t.paper_id where passages_fts match ?", [word]).fetchall()
        assert found == [(stem,)]


DERIVED = ("paper_sources", "studies", "meta_proportions", "meta_hazard_ratios", "facet_counts")


def _derived(db_path: Path) -> dict[str, list[str]]:
    """The derived tables' rows, in an order that does not depend on the order they were written in."""
    import json

    db = sqlite_utils.Database(db_path)
    return {name: sorted(json.dumps(row, sort_keys=True) for row in db.table(name).rows) if name in db.table_names()
            else [] for name in DERIVED}


def _two_trials_and_a_paper(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A folder with d01, d05 and the ARCHER 1050 abstract built into evidence.db: (folder, db, full-build path)."""
    papers = tmp_path / "papers"
    papers.mkdir()
    for source in (D01, D05, PAPERS / "ma_archer1050_dacomitinib_os.txt"):
        (papers / source.name).write_bytes(source.read_bytes())
    db, full = tmp_path / "evidence.db", tmp_path / "full.db"
    build_database(db, [papers])
    return papers, db, full


def test_an_incremental_build_rewrites_only_the_studies_changed_and_equals_a_full_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publish.meta_analysis

    papers, db, full = _two_trials_and_a_paper(tmp_path)
    archer, luxlung = PAPERS / "ma_archer1050_dacomitinib_os.txt", PAPERS / "ma_luxlung7_afatinib_os.txt"
    ids = {row["stem"]: row["paper_id"] for row in sqlite_utils.Database(db).table("papers").rows}
    rewritten: list[set[str] | None] = []
    rows_of = publish.meta_analysis.proportion_rows

    def spying(database, studies=None, papers=None):  # type: ignore[no-untyped-def]
        rewritten.append(None if papers is None else set(papers))
        return rows_of(database, studies) if papers is None else rows_of(database, studies, papers)

    monkeypatch.setattr(publish.meta_analysis, "proportion_rows", spying)
    # Another report of D05's trial (same registry id, same DOI: another source of its article) and a new trial.
    (papers / "d05_update.txt").write_bytes(D05.read_bytes() + b"\nUpdated results of NCT02728050.\n")
    (papers / luxlung.name).write_bytes(luxlung.read_bytes())
    assert build_database(db, [papers]).papers == 2
    # Only the studies of the new papers were written again: D01's and ARCHER 1050's rows were kept.
    assert rewritten[-1] is not None and not rewritten[-1] & {ids[D01.stem], ids[archer.stem]}
    assert ids[D05.stem] in rewritten[-1]
    build_database(full, [papers], full=True)
    assert _derived(db) == _derived(full)
    assert _derived(db)["meta_hazard_ratios"] and _derived(db)["meta_proportions"]
    # A paper removed: the study it left is rewritten, the result again that of a full build.
    (papers / D05.name).unlink()
    assert build_database(db, [papers]).removed == 1
    assert ids[D05.stem] not in (rewritten[-1] or set())
    full.unlink()
    build_database(full, [papers], full=True)
    assert _derived(db) == _derived(full)


def test_rows_of_studies_and_sources_a_build_did_not_change_are_kept_as_they_are(tmp_path: Path) -> None:
    archer = PAPERS / "ma_archer1050_dacomitinib_os.txt"
    db = tmp_path / "evidence.db"
    build_database(db, [D01, archer])
    database = sqlite_utils.Database(db)
    archer_id = database.execute("select paper_id from papers where stem = ?", [archer.stem]).fetchone()[0]
    # Each kept row moved to a new rowid, its values unchanged: rewritten, it would not keep that rowid.
    kept = {}
    for table in ("paper_sources", "meta_hazard_ratios", "studies"):
        key = "study_id" if table == "studies" else "paper_id"
        with database.conn:
            database.execute(f"create temp table moved as select * from [{table}] where {key} = ?",
                             [archer_id if table != "studies" else database.execute(
                                 "select study_id from meta_hazard_ratios where paper_id = ?", [archer_id]).fetchone()[0]])
            database.execute(f"delete from [{table}] where {key} in (select {key} from moved)")
            database.execute(f"insert into [{table}] select * from moved")
            database.execute("drop table moved")
        kept[table] = database.execute(f"select rowid, * from [{table}] where rowid = (select max(rowid) from [{table}])"
                                       ).fetchall()
    database.close()
    assert build_database(db, [D01, archer, D05]).papers == 1
    database = sqlite_utils.Database(db)
    for table, rows in kept.items():
        assert database.execute(f"select rowid, * from [{table}] where rowid = ?", [rows[0][0]]).fetchall() == rows


def test_each_file_is_stat_once_per_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from publish.unchanged import FileStat

    db = tmp_path / "evidence.db"
    build_database(db, [D01])
    stat = FileStat.of.__func__  # type: ignore[attr-defined]
    calls: list[str] = []

    def counting(cls, path):  # type: ignore[no-untyped-def]
        calls.append(Path(path).name)
        return stat(cls, path)

    monkeypatch.setattr(FileStat, "of", classmethod(counting))
    # D01 known by its stat (taken once, not again once the database is copied), D05 new: its stat taken as it is read.
    assert build_database(db, [D01, D05]).papers == 1
    assert sorted(calls) == [D01.name, D05.name]
    calls.clear()
    assert build_database(db, [D01, D05]).unchanged == 2
    assert sorted(calls) == sorted([D01.name, D05.name])


def test_a_build_failing_while_it_rewrites_studies_leaves_the_database_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publish.meta_analysis

    db = tmp_path / "evidence.db"
    build_database(db, [D01, PAPERS / "ma_archer1050_dacomitinib_os.txt"])
    before = db.read_bytes()

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    # After the changed studies' rows were deleted, before the new ones are in.
    monkeypatch.setattr(publish.meta_analysis, "_insert_meta", failing)
    with pytest.raises(RuntimeError):
        build_database(db, [D01, PAPERS / "ma_archer1050_dacomitinib_os.txt", PAPERS / "ma_luxlung7_afatinib_os.txt"])
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.db"]  # no temporary file left


def test_a_few_papers_added_are_written_into_the_file_in_one_transaction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    db, full = tmp_path / "evidence.db", tmp_path / "full" / "evidence.db"
    build_database(db, [D01])
    inode = db.stat().st_ino

    def no_copy(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("one paper added: no copy of the database")

    monkeypatch.setattr(publish.database, "replacing", no_copy)
    assert build_database(db, [D01, D05]).papers == 1
    assert db.stat().st_ino == inode  # the same file, written in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.db"]  # no journal or lock left
    monkeypatch.undo()
    build_database(full, [D01, D05])
    rows, full_rows = _rows(db), _rows(full)
    # The facet counts updated by difference: the same rows as counted whole, new values last.
    for table in (rows, full_rows):
        table["facet_counts"].sort(key=lambda row: json.dumps(row))
    assert rows == full_rows
    assert sqlite_utils.Database(db).execute("pragma integrity_check").fetchone() == ("ok",)


def test_a_removed_paper_or_many_files_are_written_into_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publish.in_place

    db = tmp_path / "evidence.db"
    build_database(db, [D01, D05])
    inode = db.stat().st_ino
    # A paper removed (its pages go, the search indexes are rebuilt): a copy replaces the file.
    assert build_database(db, [D05]).removed == 1
    assert db.stat().st_ino != inode
    # More files to read than a build in place holds in memory: a copy too.
    monkeypatch.setattr(publish.database, "IN_PLACE_MAX_FILES", 0)
    inode = db.stat().st_ino
    assert build_database(db, [D05, D01]).papers == 1
    assert db.stat().st_ino != inode
    assert publish.in_place.IN_PLACE_MAX_FILES > 0


def test_facet_counts_of_papers_added_are_updated_by_difference_and_equal_a_full_count(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import yaml
    from click.testing import CliRunner

    from publish.cli import cli

    corrections = tmp_path / "corrections"
    corrections.mkdir()
    # A curated paper: its added record is counted (curation 'added'), taken away and added again at every build.
    (corrections / f"{D05.stem}.yaml").write_text(yaml.safe_dump({"paper": D05.stem, "corrections": [{
        "action": "add", "table": "responses", "who": "A. Curator", "when": "2026-11-22", "why": "missed",
        "values": {"outcome": "MRD-negative", "of": 41, "percent": 83,
                   "quote": "Among 41 patients treated at RP2D, a measurable residual disease–negative complete "
                            "remission (MRD CR) rate of 83% was obtained."}}]}))

    def build(db: Path, *papers: Path) -> None:
        result = CliRunner().invoke(cli, ["build", str(db), *map(str, papers), "--corrections", str(corrections)])
        assert result.exit_code == 0, result.output

    def counts(db: Path) -> list[str]:
        return sorted(json.dumps(row) for row in sqlite_utils.Database(db).execute(
            "select table_name, column_name, value, count from facet_counts").fetchall())

    db, full = tmp_path / "evidence.db", tmp_path / "full.db"
    build(db, D05)

    def no_recount(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("papers only added: the facet counts are updated, not recounted")

    monkeypatch.setattr(publish.database, "write_facet_counts", no_recount)
    build(db, D05, D01)
    monkeypatch.undo()
    build(full, D05, D01)
    assert counts(db) == counts(full)
    assert '["responses", "curation", "added", 1]' in counts(db)
    assert '["papers", "format", "text", 2]' in counts(db)


def test_a_paper_joining_two_trials_rewrites_their_studies_as_a_full_build_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publish.meta_analysis

    papers, db, full = _two_trials_and_a_paper(tmp_path)
    archer, luxlung = PAPERS / "ma_archer1050_dacomitinib_os.txt", PAPERS / "ma_luxlung7_afatinib_os.txt"
    trials = {row["study_id"] for row in sqlite_utils.Database(db).table("studies").rows}
    assert {"NCT00217646", "NCT02728050"} <= trials
    rows_of, asked = publish.meta_analysis.study_rows, []

    def spying(studies):  # type: ignore[no-untyped-def]
        asked.append(set(studies))
        return rows_of(studies)

    monkeypatch.setattr(publish.meta_analysis, "study_rows", spying)
    # A paper printing both trials' registry ids: one trial now, D01's and D05's studies merged into it.
    (papers / "bridge.txt").write_bytes(luxlung.read_bytes() + b"\nThe trial was registered as NCT00217646 and "
                                        b"NCT02728050.\n")
    assert build_database(db, [papers]).papers == 1
    ids = {row["stem"]: row["paper_id"] for row in sqlite_utils.Database(db).table("papers").rows}
    # Rows made only for the studies the new paper touches: not ARCHER 1050's.
    assert asked and ids[archer.stem] not in asked[-1] and ids["bridge"] in asked[-1]
    build_database(full, [papers], full=True)
    assert _derived(db) == _derived(full)
    merged = [row for row in sqlite_utils.Database(db).table("studies").rows if row["n_papers"] == 3]
    assert len(merged) == 1 and merged[0]["study_id"] in {"NCT00217646", "NCT02728050"}
