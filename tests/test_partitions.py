"""publish.partitions: papers extracted once, stored as partition files, built later without extracting again."""

import gzip
import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from extractor import __version__ as EXTRACTOR_VERSION
from publish.cli import cli
from publish.database import BuildError, build_database
from publish.partitions import PartitionError, load_partitions, partition_files, read_partitions, write_partitions
from publish.rows import paper_rows
from tests.conftest import PAPERS, database_rows

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"



def _lines(part: Path) -> list[str]:
    with gzip.open(part, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three papers and an empty file extracted into partitions of two, through the CLI; and the empty file."""
    tmp = tmp_path_factory.mktemp("partitions")
    empty = tmp / "empty.txt"
    empty.write_text("")
    out = tmp / "parts"
    result = CliRunner().invoke(cli, ["extract", str(D01), str(empty), str(D05), str(JATS),
                                      "--out", str(out), "--partition-size", "2"])
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {empty}: file is empty\n"
    assert result.stdout == f"{out}: 3 papers extracted into 2 partitions, 1 could not be read\n"
    return out, empty


def test_partitions_hold_every_file_in_order(extracted: tuple[Path, Path]) -> None:
    out, empty = extracted
    assert [p.name for p in partition_files(out)] == ["part-00000.jsonl.gz", "part-00001.jsonl.gz"]
    results = list(read_partitions([out]))
    assert [r.path for r in results] == [str(D01), str(empty), str(D05), str(JATS)]
    assert [r.cause for r in results] == [None, "file is empty", None, None]
    line = json.loads(_lines(out / "part-00000.jsonl.gz")[0])
    assert line["extractor_version"] == EXTRACTOR_VERSION
    assert line["document"]["paper_id"] == line["paper_id"] == results[0].paper_id
    assert len(line["records"]) == len(results[0].records) >= 5


def test_a_build_from_partitions_equals_a_build_from_the_files(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    out, empty = extracted
    direct = build_database(tmp_path / "direct.db", [D01, empty, D05, JATS])
    loaded = build_database(tmp_path / "loaded.db", [], partitions=[out])
    assert (loaded.papers, loaded.rows, loaded.errors) == (direct.papers, direct.rows, direct.errors)
    assert database_rows(tmp_path / "loaded.db") == database_rows(tmp_path / "direct.db")
    # Built again from the same partitions: every paper is already there at this version.
    again = build_database(tmp_path / "loaded.db", [], partitions=[out])
    assert (again.papers, again.unchanged, again.removed) == (0, 3, 0)


def test_build_from_partitions_through_the_cli(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    out, _ = extracted
    db = tmp_path / "e.db"
    result = CliRunner().invoke(cli, ["build", str(db), "--partitions", str(out), "--corrections", str(tmp_path)])
    assert result.exit_code == 1  # the empty file is still reported
    assert "3 papers extracted" in result.stdout
    assert Database(db).table("papers").count == 3
    none = CliRunner().invoke(cli, ["build", str(tmp_path / "f.db")])
    assert none.exit_code == 2 and "--partitions" in none.output


def test_partitions_are_never_mixed(extracted: tuple[Path, Path]) -> None:
    out, _ = extracted
    before = sorted(out.iterdir())
    with pytest.raises(PartitionError, match="already holds partitions"):
        write_partitions([D01], out)
    result = CliRunner().invoke(cli, ["extract", str(D01), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == (f"Error: {out}: already holds partitions; write into an empty directory "
                             "(or --resume the run that wrote them)\n")
    assert sorted(out.iterdir()) == before


def test_a_corrupt_partition_is_one_error_and_the_others_load(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    out, _ = extracted
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "part-00000.jsonl.gz").write_bytes((out / "part-00000.jsonl.gz").read_bytes()[:300])
    (damaged / "part-00001.jsonl.gz").write_bytes((out / "part-00001.jsonl.gz").read_bytes())
    results = list(read_partitions([damaged]))
    assert results[0].path == str(damaged / "part-00000.jsonl.gz")
    assert results[0].cause is not None and results[0].cause.startswith("partition file cannot be read")
    assert [r.path for r in results[1:]] == [str(D05), str(JATS)]
    db = tmp_path / "e.db"
    summary = build_database(db, [], partitions=[damaged])
    assert summary.papers == 2 and len(summary.errors) == 1


def test_records_that_do_not_validate_or_another_version_are_refused(
    extracted: tuple[Path, Path], tmp_path: Path,
) -> None:
    out, _ = extracted
    lines = _lines(out / "part-00001.jsonl.gz")
    old, broken = json.loads(lines[0]), json.loads(lines[1])
    old["extractor_version"] = "0.0.1"
    broken["records"][0]["kind"] = "adverse_event"  # fields of another kind
    edited = tmp_path / "edited"
    edited.mkdir()
    with gzip.open(edited / "part-00000.jsonl.gz", "wt") as handle:
        handle.write(json.dumps(old) + "\n" + json.dumps(broken) + "\n")
    results = list(read_partitions([edited]))
    assert [r.cause for r in results] == [
        f"extracted by extractor 0.0.1, not {EXTRACTOR_VERSION}: extract it again",
        "partition file is corrupt (a record that does not validate on line 2)",
    ]
    assert results[0].path == str(D05) and results[1].path == str(edited / "part-00000.jsonl.gz")
    with pytest.raises(BuildError, match="no paper could be read"):
        build_database(tmp_path / "e.db", [], partitions=[edited])
    assert not (tmp_path / "e.db").exists()


def test_a_missing_or_empty_partition_directory_is_reported(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    results = list(read_partitions([tmp_path / "missing", tmp_path / "empty"]))
    assert [r.cause for r in results] == [
        "partition directory not found", "no partition files (part-*.jsonl.gz) in this directory",
    ]


def test_workers_write_the_same_partitions(tmp_path: Path) -> None:
    one = write_partitions([D01, D05], tmp_path / "one", partition_size=1)
    two = write_partitions([D01, D05], tmp_path / "two", workers=2, partition_size=1)
    assert [s.papers for s in one] == [s.papers for s in two] == [1, 1]
    for a, b in zip(partition_files(tmp_path / "one"), partition_files(tmp_path / "two"), strict=True):
        assert _lines(a) == _lines(b)


def _damaged_directory(extracted: tuple[Path, Path], tmp_path: Path) -> Path:
    """Partitions with a corrupt line between good ones, a truncated file and a good file after."""
    out, _ = extracted
    first, second = _lines(out / "part-00000.jsonl.gz"), _lines(out / "part-00001.jsonl.gz")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    with gzip.open(damaged / "part-00000.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join([*first, "{not json", *second]) + "\n")
    (damaged / "part-00001.jsonl.gz").write_bytes((out / "part-00000.jsonl.gz").read_bytes()[:300])
    (damaged / "part-00002.jsonl.gz").write_bytes((out / "part-00001.jsonl.gz").read_bytes())
    return damaged


def _loaded(directories: list[Path], workers: int) -> list[tuple[str, str | None, dict | None]]:
    return [(r.path, r.cause, None if r.rows is None else r.rows.tables)
            for r in load_partitions(directories, workers=workers)]


@pytest.mark.parametrize("chunk_lines", [1, 2, 50])
def test_rows_made_in_workers_are_the_rows_made_here(
    extracted: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_lines: int,
) -> None:
    out, empty = extracted
    damaged = _damaged_directory(extracted, tmp_path)
    monkeypatch.setattr("publish.partitions.CHUNK_LINES", chunk_lines)
    here = _loaded([out, damaged, tmp_path / "missing"], workers=1)
    assert here == _loaded([out, damaged, tmp_path / "missing"], workers=2)
    assert [(path, cause) for path, cause, _ in here] == [
        (str(D01), None), (str(empty), "file is empty"), (str(D05), None), (str(JATS), None),
        # The corrupt line ends its partition: what follows it is not read.
        (str(D01), None), (str(empty), "file is empty"),
        (str(damaged / "part-00000.jsonl.gz"), "partition file is corrupt (broken JSON on line 3)"),
        (str(damaged / "part-00001.jsonl.gz"), "partition file cannot be read (EOFError)"),
        (str(D05), None), (str(JATS), None),
        (str(tmp_path / "missing"), "partition directory not found"),
    ]
    # The same as read_partitions gives, the paper's rows in place of its document and records.
    assert [(r.path, r.cause) for r in read_partitions([out, damaged])] == [(p, c) for p, c, _ in here[:-1]]
    d01 = next(r for r in read_partitions([out]) if r.path == str(D01))
    assert d01.document is not None and here[0][2] == paper_rows(d01.document, d01.records).tables
    assert len(here[0][2]["provenance"]) >= len(d01.records) >= 5


def test_a_build_with_workers_from_partitions_is_the_same_database(
    extracted: tuple[Path, Path], tmp_path: Path,
) -> None:
    out, _ = extracted
    one = build_database(tmp_path / "one.db", [], partitions=[out])
    two = build_database(tmp_path / "two.db", [], partitions=[out], workers=2)
    assert (two.papers, two.rows, two.errors) == (one.papers, one.rows, one.errors)
    assert database_rows(tmp_path / "two.db") == database_rows(tmp_path / "one.db")


class _DeadPool:
    """A process pool whose workers have died: every chunk sent to it fails as the real pool fails."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.submitted = 0

    def submit(self, fn: object, *args: object) -> Future:
        self.submitted += 1
        if self.submitted > 1:
            raise BrokenProcessPool("a child process terminated abruptly")
        future: Future = Future()
        future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


def test_chunks_a_dead_worker_held_are_made_here(
    extracted: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, _ = extracted
    expected = _loaded([out], workers=1)
    monkeypatch.setattr("publish.partitions.ProcessPoolExecutor", _DeadPool)
    monkeypatch.setattr("publish.partitions.CHUNK_LINES", 1)
    assert _loaded([out], workers=2) == expected


def _copy(out: Path, target: Path, names: list[str]) -> Path:
    target.mkdir()
    for name in names:
        (target / name).write_bytes((out / name).read_bytes())
    return target


def test_resume_writes_only_the_partitions_an_interrupted_run_left_undone(
    extracted: tuple[Path, Path], tmp_path: Path,
) -> None:
    out, empty = extracted
    # A run cut short after its first partition: the second is missing.
    cut = _copy(out, tmp_path / "cut", ["part-00000.jsonl.gz"])
    (cut / ".part-00001.4242.tmp").write_bytes(b"half written")
    first = (cut / "part-00000.jsonl.gz").stat().st_mtime_ns
    args = ["extract", str(D01), str(empty), str(D05), str(JATS), "--out", str(cut), "--partition-size", "2"]
    result = CliRunner().invoke(cli, [*args, "--resume"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{cut}: 2 papers extracted into 1 partitions, 1 partitions already there\n"
    assert (cut / "part-00000.jsonl.gz").stat().st_mtime_ns == first
    for name in ("part-00000.jsonl.gz", "part-00001.jsonl.gz"):
        assert _lines(cut / name) == _lines(out / name)
    assert sorted(p.name for p in cut.iterdir()) == ["part-00000.jsonl.gz", "part-00001.jsonl.gz"]
    # Nothing left to do: nothing is written.
    again = CliRunner().invoke(cli, [*args, "--resume"])
    assert again.output == f"{cut}: 0 papers extracted into 0 partitions, 2 partitions already there\n"
    # Into a directory that does not exist yet, --resume is a first run.
    fresh = write_partitions([D01, D05], tmp_path / "fresh", partition_size=1, resume=True)
    assert [s.papers for s in fresh] == [1, 1]


def test_resume_refuses_partitions_of_another_run(extracted: tuple[Path, Path], tmp_path: Path) -> None:
    out, empty = extracted
    files = [D01, empty, D05, JATS]
    cut = _copy(out, tmp_path / "cut", ["part-00001.jsonl.gz"])
    with pytest.raises(PartitionError, match=r"part-00001.jsonl.gz: holds other files than this run's partition 00001"):
        write_partitions(files, cut, partition_size=3, resume=True)
    with pytest.raises(PartitionError, match="holds other files"):
        write_partitions([D01, empty, JATS, D05], cut, partition_size=2, resume=True)
    (cut / "part-x.jsonl.gz").write_bytes((out / "part-00000.jsonl.gz").read_bytes())
    with pytest.raises(PartitionError, match=r"part-x.jsonl.gz: holds other files than this run's partition"):
        write_partitions(files, cut, partition_size=2, resume=True)
    (cut / "part-x.jsonl.gz").unlink()
    old = json.loads(_lines(out / "part-00000.jsonl.gz")[0])
    old["extractor_version"] = "0.0.1"
    with gzip.open(cut / "part-00000.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(old) + "\n" + _lines(out / "part-00000.jsonl.gz")[1] + "\n")
    with pytest.raises(PartitionError, match=r"part-00000.jsonl.gz: extracted by extractor 0.0.1, not "):
        write_partitions(files, cut, partition_size=2, resume=True)
    (cut / "part-00000.jsonl.gz").write_bytes(b"not gzip")
    with pytest.raises(PartitionError, match=r"part-00000.jsonl.gz: cannot be read \(BadGzipFile\); delete it"):
        write_partitions(files, cut, partition_size=2, resume=True)
    assert sorted(p.name for p in cut.iterdir()) == ["part-00000.jsonl.gz", "part-00001.jsonl.gz"]
    refused = CliRunner().invoke(cli, ["extract", str(D01), "--resume"])
    assert refused.exit_code == 2 and "--resume needs --out DIR" in refused.output
