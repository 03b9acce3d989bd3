"""publish.distributed: `evidence extract --out DIR --dask ADDRESS` on a local Dask cluster of two worker processes."""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import dask
import pytest
from click.testing import CliRunner, Result
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin
from sqlite_utils import Database

from publish.cli import cli
from publish.distributed import INSTALL_HINT, extract_on_dask
from publish.partitions import PartitionError, partition_files, read_partitions
from publish.processing import PaperResult
from tests.conftest import ROOT

# Relative to ROOT, as a user in the project directory would name them; the workers run elsewhere.
PAPERS = ["corpus/papers/d01_borthakur_phase1_haematologica2011.txt", "corpus/papers/000_59df4b2ebd5e169b.txt",
          "corpus/papers/d05_sorafenib_clagm_bloodadv2023.txt", "corpus/papers/PMC5787508.nxml"]


def run(*args: str) -> Result:
    with contextlib.chdir(ROOT):
        return CliRunner().invoke(cli, list(args))


def test_dask_local_starts_a_cluster_for_the_run(tmp_path: Path) -> None:
    # First in the file: its cluster runs before the module's cluster starts, not beside it.
    out = tmp_path / "parts"
    result = run("extract", PAPERS[2], PAPERS[3], "--out", str(out), "--partition-size", "1", "--dask", "local")
    assert result.exit_code == 0, result.output
    assert result.output == f"{out}: 2 papers extracted into 2 partitions\n"
    assert [r.path for r in read_partitions([out])] == PAPERS[2:]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a local cluster whose two workers run in another directory than the tests."""
    elsewhere = tmp_path_factory.mktemp("workers")
    # Worker processes start in the current directory. A task whose worker dies fails at once
    # instead of being tried on other workers (3 times by default).
    with contextlib.chdir(elsewhere), dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster:
        with Client(cluster) as client:
            assert set(client.run(os.getcwd).values()) == {str(elsewhere)}
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def extracted(scheduler: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The papers and an empty file extracted on the cluster into partitions of two; and the files as given."""
    tmp = tmp_path_factory.mktemp("dask")
    empty = tmp / "empty.txt"
    empty.write_text("")
    files = [*PAPERS[:2], str(empty), *PAPERS[2:]]
    out = tmp / "parts"
    result = run("extract", *files, "--out", str(out), "--partition-size", "2", "--dask", scheduler)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {empty}: file is empty\n"
    assert result.stdout == f"{out}: 4 papers extracted into 3 partitions, 1 could not be read\n"
    return out, files


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    return Database(db).execute(sql).fetchall()


def test_partitions_hold_every_file_in_order_named_as_given(extracted: tuple[Path, list[str]]) -> None:
    out, files = extracted
    assert [p.name for p in partition_files(out)] == [f"part-0000{i}.jsonl.gz" for i in range(3)]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    results = list(read_partitions([out]))
    assert [r.path for r in results] == files
    assert [r.cause for r in results] == [None, None, "file is empty", None, None]
    assert [r.document.source_path for r in results if r.document] == PAPERS


def test_resume_on_dask_extracts_only_the_partitions_left_undone(
    extracted: tuple[Path, list[str]], scheduler: str, tmp_path: Path,
) -> None:
    out, files = extracted
    # A run whose middle task failed: its partitions before and after are complete.
    cut = tmp_path / "cut"
    cut.mkdir()
    for name in ("part-00000.jsonl.gz", "part-00002.jsonl.gz"):
        (cut / name).write_bytes((out / name).read_bytes())
    result = run("extract", *files, "--out", str(cut), "--partition-size", "2", "--dask", scheduler, "--resume")
    assert result.exit_code == 1, result.output  # the empty file, in the partition extracted again
    assert result.stdout == f"{cut}: 1 papers extracted into 1 partitions, 2 partitions already there, 1 could not be read\n"
    assert [r.path for r in read_partitions([cut])] == [r.path for r in read_partitions([out])] == files
    assert extract_on_dask([Path(f) for f in files], cut, scheduler="tcp://127.0.0.1:1", partition_size=2,
                           resume=True) == []  # nothing to do: no cluster needed


def test_a_build_from_dask_partitions_equals_a_build_from_the_files(
    extracted: tuple[Path, list[str]], tmp_path: Path,
) -> None:
    out, files = extracted
    loaded, direct = tmp_path / "loaded.db", tmp_path / "direct.db"
    from_parts = run("build", str(loaded), "--partitions", str(out), "--corrections", str(tmp_path))
    from_files = run("build", str(direct), *files, "--corrections", str(tmp_path))
    assert from_parts.exit_code == from_files.exit_code == 1  # the empty file, reported by both
    assert from_parts.stderr == from_files.stderr == f"error: {files[2]}: file is empty\n"
    assert "4 papers extracted" in from_parts.stdout
    for sql in ["select * from papers order by paper_id", "select * from adverse_events order by id",
                "select * from responses order by id", "select * from provenance order by id"]:
        assert _rows(loaded, sql) == _rows(direct, sql), sql
    assert len(_rows(loaded, "select * from provenance")) > 50


def test_dask_into_a_directory_holding_partitions_writes_nothing(
    extracted: tuple[Path, list[str]], scheduler: str,
) -> None:
    out, _ = extracted
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run("extract", PAPERS[0], "--out", str(out), "--dask", scheduler)
    assert result.exit_code == 1
    assert result.output == (f"Error: {out}: already holds partitions; write into an empty directory "
                             "(or --resume the run that wrote them)\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_failed_task_is_one_line_naming_its_partition(scheduler: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # The output lies under a file: the workers cannot create it (an infrastructure fault, not a bad paper).
    with contextlib.chdir(ROOT), pytest.raises(PartitionError) as raised:
        extract_on_dask([Path(p) for p in PAPERS[:2]], blocker / "parts", scheduler=scheduler, partition_size=1)
    message = str(raised.value)
    assert message.startswith(f"partition 00000 (first file {PAPERS[0]}) failed: NotADirectoryError: ")
    assert message.endswith("(2 of 2 partitions failed)") and "\n" not in message


class DieOnFile(WorkerPlugin):
    """Makes a worker process die (as a crash in a native library would) when it reads a file of this name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def setup(self, worker: object) -> None:
        import publish.distributed

        self.process_file = real = publish.distributed.process_file

        def process_or_die(path: Path, unchanged: frozenset[str] = frozenset()) -> PaperResult:
            if path.name == self.name:
                os._exit(1)
            return real(path, unchanged)

        publish.distributed.process_file = process_or_die

    def teardown(self, worker: object) -> None:
        import publish.distributed

        publish.distributed.process_file = self.process_file


def test_a_worker_that_dies_is_one_line_naming_its_partition(scheduler: str, tmp_path: Path) -> None:
    deadly = tmp_path / "deadly.txt"
    deadly.write_text("Any text: the worker dies before reading it.\n")
    with Client(scheduler) as client:
        client.register_plugin(DieOnFile(deadly.name), name="die-on-file")
        try:
            with contextlib.chdir(ROOT), pytest.raises(PartitionError) as raised:
                extract_on_dask([deadly, Path(PAPERS[0])], tmp_path / "parts", scheduler=scheduler, partition_size=1)
        finally:
            client.unregister_worker_plugin("die-on-file")
    message = str(raised.value)
    assert message.startswith(f"partition 00000 (first file {deadly}) failed: KilledWorker: ")
    assert "\n" not in message
    assert [r.path for r in read_partitions([tmp_path / "parts"])] == [PAPERS[0]]  # the other partition is written


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(PartitionError, match=r"^cannot reach the Dask scheduler at tcp://127\.0\.0\.1:1: OSError: "):
        extract_on_dask([ROOT / PAPERS[0]], tmp_path / "parts", scheduler="tcp://127.0.0.1:1")
    assert not (tmp_path / "parts").exists()


def test_without_dask_installed_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    result = run("extract", PAPERS[0], "--out", str(tmp_path / "parts"), "--dask", "local")
    assert result.exit_code == 1
    assert result.output == f"Error: {INSTALL_HINT}\n"
