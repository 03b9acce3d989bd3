"""Paper files into (Document, records): one file at a time, here or in parallel worker processes.

``process_file`` is the unit of work: read, hash, parse and extract one file,
returning a ``PaperResult`` that holds either the paper or the one-line reason it
could not be read (never an exception: a bad file never stops a batch).
``read_files`` runs it over many files and yields the results in input order,
in this process (``workers=1``) or in ``workers`` processes with a bounded
number of files in flight, so memory stays flat however many files there are.
The distributed backend (publish/distributed.py) runs the same unit of work.

Each file is read within a budget (publish/budget.py: 60 s and 1024 MB of memory
by default); a file past either is reported with the limit it exceeded. Worker
processes leave when the build that started them is gone (publish/lifeline.py),
even after a SIGKILL.
"""

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from extractor.errors import PaperError
from extractor.parsers import paper_id_for, parse_bytes, read_paper_bytes
from publish.budget import DEFAULT_BUDGET, Budget, TimeLimitExceeded, memory_limit, time_limit
from publish.lifeline import die_with_parent
from publish.names import safe_document, safe_path, safe_text
from publish.rows import PaperRows
from publish.unchanged import FileStat
from schemas import Document, EvidenceRecord

# Files handed to the workers ahead of the one being written, per worker: enough to keep
# every worker busy while the writer catches up, few enough that waiting results stay small.
IN_FLIGHT_PER_WORKER = 4

T = TypeVar("T")


@dataclass
class PaperResult:
    """What reading one file gave: its paper and records, or why it could not be read."""

    path: str
    paper_id: str | None = None
    document: Document | None = None
    records: list[EvidenceRecord] = field(default_factory=list)
    # Why the file could not be read (PaperError's cause); the path is above.
    cause: str | None = None
    # The database already holds this paper at this extractor version: nothing was parsed.
    unchanged: bool = False
    # The file's stat taken before its bytes were read (publish.unchanged): what the next build compares.
    stat: FileStat | None = None
    # The paper's database rows, when made where it was read (publish.partitions.load_partitions);
    # document and records are then None and empty.
    rows: PaperRows | None = None

    @property
    def error(self) -> PaperError | None:
        """The failure as the PaperError the rest of the system reports, or None."""
        return None if self.cause is None else PaperError(self.path, self.cause)


def unexpected_error(path: str | Path, exc: Exception) -> PaperError:
    """A parser or extractor failure that is not a PaperError, as one line naming the file: the batch goes on."""
    detail = safe_text(" ".join(str(exc).split())[:200])
    return PaperError(safe_path(path), f"could not be read (unexpected {type(exc).__name__}{': ' + detail if detail else ''})")


def extract_records(document: Document) -> list[EvidenceRecord]:
    """extractor.pipeline.extract_records, imported on first use: a process that only writes never loads spaCy."""
    from extractor.pipeline import extract_records as extract

    return extract(document)


def process_file(path: Path, unchanged: frozenset[str] | set[str] = frozenset()) -> PaperResult:
    """Read, parse and extract one file; a paper whose id is in ``unchanged`` is only hashed.

    The result's path, and the document's source path and stem, are safe text
    (publish/names.py): a file name that is not UTF-8 or holds a newline is read
    all the same, and shown and stored escaped.
    """
    result = PaperResult(safe_path(path), stat=FileStat.of(path))
    try:
        data = read_paper_bytes(path)
        result.paper_id = paper_id_for(data)
        if result.paper_id in unchanged:
            result.unchanged = True
            return result
        result.document = safe_document(parse_bytes(path, data))
        result.records = extract_records(result.document)
    except MemoryError:  # the per-file budget's, reported by within_budget
        raise
    except Exception as exc:  # one bad paper never stops a batch nor prints a traceback
        error = exc if isinstance(exc, PaperError) else unexpected_error(path, exc)
        result.cause, result.document, result.records = safe_text(error.cause), None, []
    return result


def within_budget(work: "Work", path: Path, unchanged: frozenset[str], budget: Budget = DEFAULT_BUDGET,
                  ) -> PaperResult:
    """``work(path, unchanged)`` within ``budget``: its seconds, and its megabytes more memory than the process
    held before (the cap is lifted after the file); a file past either gives a result naming the limit."""
    global _STARTED
    _STARTED = time.monotonic()
    try:
        with memory_limit(budget.megabytes), time_limit(budget.seconds):
            return work(path, unchanged)
    except TimeLimitExceeded:
        return PaperResult(safe_path(path), cause=budget.time_cause)
    except MemoryError:
        return PaperResult(safe_path(path), cause=budget.memory_cause)
    finally:
        _STARTED = None


Work = Callable[[Path, frozenset[str]], PaperResult]

# What each worker process runs, and the unchanged paper ids: sent to each worker once, not with every file.
_WORK: Work = process_file
_UNCHANGED: frozenset[str] = frozenset()
# When the file being read started (time.monotonic()), or None between files.
_STARTED: float | None = None
_BUDGET: Budget = DEFAULT_BUDGET


def _overdue() -> bool:
    started = _STARTED
    return started is not None and time.monotonic() - started > _BUDGET.seconds + _BUDGET.grace


def _start_worker(work: Work, unchanged: frozenset[str], budget: Budget, build_pid: int) -> None:
    global _WORK, _UNCHANGED, _BUDGET
    _WORK, _UNCHANGED, _BUDGET = work, unchanged, budget
    die_with_parent(build_pid, _overdue)
    from extractor.pipeline import build_nlp

    build_nlp()  # load the pipeline once per worker, before the first file


def _process_in_worker(path: Path) -> PaperResult:
    return within_budget(_WORK, path, _UNCHANGED, _BUDGET)


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_files(
    files: Iterable[Path], *, workers: int = 1, unchanged: frozenset[str] = frozenset(), work: Work = process_file,
    budget: Budget = DEFAULT_BUDGET,
) -> Iterator[PaperResult]:
    """``work`` (process_file) over ``files``, results in input order; ``workers`` > 1 reads in that many processes.

    In processes, at most IN_FLIGHT_PER_WORKER files per worker are read ahead of
    the result being consumed. A worker that dies (killed, out of memory, a crash
    in a native library) costs only the file it was reading, reported as an
    unreadable paper; the files after it are read again in a fresh pool.

    Each file is read within ``budget`` (``within_budget``), in this process too.
    """
    if workers <= 1:
        for path in files:
            yield within_budget(work, path, unchanged, budget)
        return
    yield from _read_in_pool(iter(files), workers, unchanged, work, budget)


def _new_pool(workers: int, work: Work, unchanged: frozenset[str], budget: Budget) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean process that has imported the extractor once,
    # not from a fork of a caller that may hold threads, open databases or a web server.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["publish.processing", "extractor.pipeline"])
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(work, unchanged, budget, os.getpid()))


def _read_in_pool(files: Iterator[Path], workers: int, unchanged: frozenset[str], work: Work, budget: Budget,
                  ) -> Iterator[PaperResult]:
    pool = _new_pool(workers, work, unchanged, budget)
    pending: deque[tuple[Path, Future[PaperResult]]] = deque()
    window = workers * IN_FLIGHT_PER_WORKER

    def fill() -> None:
        while len(pending) < window:
            path = next(files, None)
            if path is None:
                return
            pending.append((path, submit(pool, _process_in_worker, path)))

    try:
        fill()
        while pending:
            path, future = pending.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                # The dead worker took the pool with it. The file due next is read again alone:
                # if that kills a worker too, it is the culprit and is reported; the files after
                # it are read again as well.
                retry = [p for p, _ in pending]
                pending.clear()
                close_pool(pool)
                pool = _new_pool(workers, work, unchanged, budget)
                try:
                    result = submit(pool, _process_in_worker, path).result()
                except BrokenProcessPool:
                    result = PaperResult(str(path), cause="could not be read (the worker process reading it died)")
                    close_pool(pool)
                    pool = _new_pool(workers, work, unchanged, budget)
                pending.extend((p, submit(pool, _process_in_worker, p)) for p in retry)
            yield result
            fill()
    finally:
        close_pool(pool)


A = TypeVar("A")
R = TypeVar("R")


def submit(pool: ProcessPoolExecutor, fn: Callable[[A], R], arg: A) -> Future[R]:
    """pool.submit(fn, arg); on a pool already broken, a future failed with BrokenProcessPool (never a raise),
    so that the caller's one place for a broken pool handles it, and no work is lost on the way."""
    try:
        return pool.submit(fn, arg)
    except BrokenProcessPool as exc:
        failed: Future[R] = Future()
        failed.set_exception(exc)
        return failed


def close_pool(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down, waiting for its processes; a broken pool's workers are killed first.

    When a worker dies, CPython's pool stops the others, but a worker it starts while
    breaking (a submit racing the break) is left waiting for work, and shutdown would
    wait for it forever (seen with CPython 3.11); killed, it is reaped at once.
    """
    if getattr(pool, "_broken", False):
        # Private attributes: the pool offers no public way to its processes.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
