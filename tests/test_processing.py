"""publish.processing: files read in worker processes give what one process gives, in input order."""

import multiprocessing
import os
import shutil
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from publish.budget import Budget
from publish.database import build_database
from publish.processing import chunked, close_pool, process_file, read_files, submit
from tests.conftest import PAPERS, database_rows
from tests.pool_work import die_on_crash, exit_now, slow_or_hungry, stuck_in_native_code, worker_pid

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"



def test_process_file_returns_the_paper_or_the_cause(tmp_path: Path) -> None:
    result = process_file(D05)
    assert result.cause is None and result.document is not None
    assert result.paper_id == result.document.paper_id
    assert {r.kind for r in result.records} >= {"registry_id", "response", "mortality"}
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    bad = process_file(empty)
    assert (bad.document, bad.records, bad.cause) == (None, [], "file is empty")
    assert str(bad.error) == f"{empty}: file is empty"
    skipped = process_file(D05, frozenset({result.paper_id}))
    assert skipped.unchanged and skipped.document is None and skipped.paper_id == result.paper_id


def test_two_workers_build_the_same_database_as_one(tmp_path: Path) -> None:
    files = [D01, D05, JATS, *sorted(PAPERS.glob("*.txt"))[:4]]
    one = build_database(tmp_path / "one.db", files)
    two = build_database(tmp_path / "two.db", files, workers=2)
    assert (two.papers, two.rows, two.errors) == (one.papers, one.rows, [])
    assert database_rows(tmp_path / "two.db") == database_rows(tmp_path / "one.db")


def test_results_come_in_input_order_from_several_processes(tmp_path: Path) -> None:
    files = [tmp_path / f"{i:02d}.txt" for i in range(12)]
    results = list(read_files(files, workers=2, work=worker_pid))
    assert [r.path for r in results] == [str(f) for f in files]
    pids = {r.cause for r in results}
    assert str(os.getpid()) not in pids and 1 <= len(pids) <= 2


def test_a_dying_worker_costs_only_its_file(tmp_path: Path) -> None:
    files = []
    for name in ("a.txt", "crash.txt", "b.txt", "c.txt"):
        shutil.copy(D05 if name != "b.txt" else D01, tmp_path / name)
        files.append(tmp_path / name)
    results = list(read_files(files, workers=2, work=die_on_crash))
    assert [Path(r.path).name for r in results] == ["a.txt", "crash.txt", "b.txt", "c.txt"]
    assert [r.cause for r in results] == [None, "could not be read (the worker process reading it died)", None, None]
    assert all(r.document is not None for r in results if r.cause is None)


def test_chunked_keeps_order_and_the_short_tail() -> None:
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked([], 3)) == []


@pytest.mark.parametrize("workers", ["-1", "x"])
def test_workers_must_be_a_count(workers: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from publish.cli import cli

    result = CliRunner().invoke(cli, ["build", str(tmp_path / "e.db"), str(D05), "--workers", workers])
    assert result.exit_code == 2
    assert "--workers" in result.output
    assert not (tmp_path / "e.db").exists()


def test_workers_zero_means_one_per_core(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from publish.cli import cli
    from publish.processing import default_workers

    assert default_workers() >= 1
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "e.db"), str(D01), str(D05), "--workers", "0",
                                      "--corrections", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{tmp_path / 'e.db'}: 2 papers extracted")
    direct = build_database(tmp_path / "direct.db", [D01, D05])
    assert direct.papers == 2
    assert database_rows(tmp_path / "e.db") == database_rows(tmp_path / "direct.db")


def test_dask_needs_an_output_directory() -> None:
    from click.testing import CliRunner

    from publish.cli import cli

    result = CliRunner().invoke(cli, ["extract", str(D01), "--dask", "local"])
    assert result.exit_code == 2 and "--dask needs --out DIR" in result.output


class _StuckPool:
    """A broken pool holding a worker it never stopped, as CPython's pool can when a submit races the
    break: its shutdown waits for its workers (here at most a minute, the real one for ever)."""

    _broken = "A child process terminated abruptly"

    def __init__(self) -> None:
        worker = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(600,), daemon=True)
        worker.start()
        self._processes = {worker.pid: worker}

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        for worker in self._processes.values():
            worker.join(timeout=60)


def test_a_broken_pool_is_closed_with_its_workers_killed() -> None:
    stuck = _StuckPool()
    worker = next(iter(stuck._processes.values()))
    try:
        close_pool(stuck)  # type: ignore[arg-type]
        assert worker.exitcode == -signal.SIGKILL
    finally:
        worker.kill()


def test_a_submit_to_a_broken_pool_fails_in_its_future() -> None:
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
    try:
        with pytest.raises(BrokenProcessPool):
            submit(pool, exit_now, 3).result()
        late = submit(pool, exit_now, 3)  # raises nothing: the future holds the failure
        assert isinstance(late.exception(), BrokenProcessPool)
    finally:
        close_pool(pool)
    # A pool that is not broken is shut down as usual, its workers left to finish.
    healthy = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
    assert submit(healthy, abs, -2).result() == 2
    close_pool(healthy)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_past_its_budget_fails_alone_naming_the_limit(workers: int, tmp_path: Path) -> None:
    files = []
    for name in ("slow.txt", "a.txt", "hungry.txt", "b.txt"):
        shutil.copy(D01, tmp_path / name)
        files.append(tmp_path / name)
    start = time.monotonic()
    results = list(read_files(files, workers=workers, work=slow_or_hungry, budget=Budget(seconds=2, megabytes=300)))
    assert time.monotonic() - start < 30
    assert [(Path(r.path).name, r.cause) for r in results] == [
        ("slow.txt", "exceeded the 2 s time limit per file"),
        ("a.txt", None),
        ("hungry.txt", "exceeded the memory limit of 300 MB per file"),
        ("b.txt", None),
    ]
    assert [r.unchanged for r in results] == [False, True, False, True]


def test_the_budget_is_lifted_after_each_file_in_this_process(tmp_path: Path) -> None:
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    previous, timer = signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)
    shutil.copy(D01, tmp_path / "hungry.txt")
    [result] = read_files([tmp_path / "hungry.txt"], work=slow_or_hungry, budget=Budget(seconds=5, megabytes=300))
    assert result.cause == "exceeded the memory limit of 300 MB per file"
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    # The caller's handler and timer (pytest-timeout's, when it runs) as they were.
    assert signal.getsignal(signal.SIGALRM) is previous
    assert signal.getitimer(signal.ITIMER_REAL)[0] == pytest.approx(timer[0], abs=5)


def test_a_worker_stuck_past_the_limit_and_its_grace_leaves(tmp_path: Path) -> None:
    files = [tmp_path / "stuck.txt"]
    start = time.monotonic()
    [result] = read_files(files, workers=2, work=stuck_in_native_code, budget=Budget(seconds=1, grace=1))
    assert result.cause == "could not be read (the worker process reading it died)"
    assert time.monotonic() - start < 25


def test_unreadable_names_are_read_and_shown_as_one_line_of_utf8(tmp_path: Path) -> None:
    latin1 = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.txt"))
    shutil.copy(D05, latin1)
    newline = tmp_path / "two\nlines.txt"
    newline.write_text("too short")
    good = process_file(latin1)
    assert good.cause is None and good.document is not None
    assert good.path == f"{tmp_path}/caf\\xe9.txt"
    assert (good.document.source_path, good.document.stem) == (f"{tmp_path}/caf\\xe9.txt", "caf\\xe9")
    bad = process_file(newline)
    assert str(bad.error) == f"{tmp_path}/two\\nlines.txt: too little text to be a paper (fewer than 5 words)"


def test_a_callers_own_timer_outlives_the_per_file_one(tmp_path: Path) -> None:
    shutil.copy(D01, tmp_path / "a.txt")
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        list(read_files([tmp_path / "a.txt"], work=slow_or_hungry, budget=Budget(seconds=5)))
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left < 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
