"""Extracted papers as partition files that `evidence build --partitions` loads without extracting again.

A partition directory holds ``part-<name>.jsonl.gz`` files, each written whole or
not at all (a temporary name, renamed when complete), so partitions written by
many processes or machines at once never collide, and a run cut short leaves
only complete partitions behind, which a resumed run keeps (plan_partitions:
files are cut in order, so ``part-00012`` always holds the same files). Each
line is one input file:

    {"path": ..., "paper_id": ..., "extractor_version": ..., "cause": null,
     "document": {Document}, "records": [{EvidenceRecord}, ...]}

or, for a file that could not be read, the same with ``cause`` set and no
document. Documents and records are the Pydantic models' JSON, validated again
when loaded; a line from another extractor version is refused (its evidence
would not match what this version extracts), and so is a corrupt partition file.
"""

import gzip
import json
import multiprocessing
import os
import re
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Annotated, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractor import __version__ as EXTRACTOR_VERSION
from publish.lifeline import die_with_parent
from publish.processing import PaperResult, chunked, close_pool, read_files, submit
from publish.rows import paper_rows
from schemas import Document
from schemas.records import RECORD_MODELS

PART_GLOB = "part-*.jsonl.gz"
# Fast compression: partitions are written once and read once, and JSON shrinks about 6x even so.
COMPRESSLEVEL = 1
# Lines handed to a worker at a time (build --workers): enough work to outweigh sending it, few enough
# that the rows waiting to be written stay small. Chunks in flight per worker: enough to keep them busy.
CHUNK_LINES = 50
CHUNKS_IN_FLIGHT_PER_WORKER = 2


class PartitionError(Exception):
    """Partitions cannot be written where asked; the message is one line."""


@dataclass
class PartitionSummary:
    """What one partition file holds: papers extracted, and one line per file that could not be read."""

    path: str
    papers: int = 0
    causes: list[str] = field(default_factory=list)


def result_line(result: PaperResult) -> str:
    """One partition line for a result (the models' own JSON, spliced without re-encoding)."""
    head = json.dumps({"path": result.path, "paper_id": result.paper_id, "extractor_version": EXTRACTOR_VERSION,
                       "cause": result.cause}, ensure_ascii=False)
    document = result.document.model_dump_json() if result.document is not None else "null"
    records = ",".join(record.model_dump_json() for record in result.records)
    return f'{head[:-1]}, "document": {document}, "records": [{records}]}}'


def write_partition(directory: Path, name: str, results: Iterable[PaperResult]) -> PartitionSummary:
    """Write results to ``directory/part-<name>.jsonl.gz``, complete or not at all."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"part-{name}.jsonl.gz"
    tmp = directory / f".part-{name}.{os.getpid()}.tmp"
    summary = PartitionSummary(str(target))
    try:
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=COMPRESSLEVEL) as handle:
            for result in results:
                if result.unchanged:
                    raise ValueError("a partition holds extracted papers, not unchanged ones")
                handle.write(result_line(result) + "\n")
                if result.error is None:
                    summary.papers += 1
                else:
                    summary.causes.append(str(result.error))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return summary


def check_output(directory: Path) -> None:
    """Refuse to write into a file, or into a directory already holding partitions (they would mix)."""
    if directory.exists() and not directory.is_dir():
        raise PartitionError(f"{directory}: is a file, not a directory for partitions")
    if directory.is_dir() and partition_files(directory):
        raise PartitionError(f"{directory}: already holds partitions; write into an empty directory "
                             "(or --resume the run that wrote them)")


# A partition to write: its number (part-00012) and its files.
Batch = tuple[int, list[Path]]


def plan_partitions(files: Sequence[Path], directory: Path, partition_size: int, *, resume: bool = False) -> list[Batch]:
    """The partitions a run must write: ``files`` cut in order into ``partition_size`` files each.

    Without ``resume``, all of them, into a directory holding none yet. With it, the
    ones a previous run with the same files and size did not complete: each
    partition already there must hold exactly its files, read by this extractor
    version; anything else is refused (PartitionError), never mixed in. Resuming
    assumes the previous run has ended: its temporary files are removed.
    """
    batches = [list(batch) for batch in chunked(files, partition_size)]
    if not resume or not directory.is_dir():
        check_output(directory)
        return list(enumerate(batches))
    done = {_completed_batch(part, batches) for part in partition_files(directory)}
    # What the interrupted run (over, as resuming assumes) left half-written under temporary names.
    for stale in directory.glob(".part-*.tmp"):
        stale.unlink(missing_ok=True)
    return [(index, batch) for index, batch in enumerate(batches) if index not in done]


def _completed_batch(part: Path, batches: list[list[Path]]) -> int:
    """The batch a partition file completed; PartitionError when it is not one of this run's."""
    match = re.fullmatch(r"part-(\d{5,})\.jsonl\.gz", part.name)
    index = int(match.group(1)) if match else len(batches)
    try:
        with gzip.open(part, "rt", encoding="utf-8") as handle:
            heads = [_line_head(line) for line in handle]
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise PartitionError(f"{part}: cannot be read ({type(exc).__name__}); delete it to extract it again") from None
    versions = {version for _, version in heads} - {EXTRACTOR_VERSION}
    if versions:
        raise PartitionError(f"{part}: extracted by extractor {versions.pop()}, not {EXTRACTOR_VERSION}; "
                             "write into an empty directory")
    if index >= len(batches) or [path for path, _ in heads] != [str(path) for path in batches[index]]:
        raise PartitionError(f"{part}: holds other files than this run's partition {part.name[5:-9]}; "
                             "resume with the same PAPERS and --partition-size, or write into an empty directory")
    return index


def _line_head(line: str) -> tuple[str, str]:
    """(path, extractor version) of a partition line, read from its head without parsing the document.

    result_line writes the head first and splices the document after it; a quote
    inside a JSON string is escaped, so the first ', "document": ' is the splice.
    """
    head = json.loads(line[: line.index(', "document": ')] + "}")
    return str(head["path"]), str(head["extractor_version"])


def write_partitions(
    files: Sequence[Path], directory: Path, *, workers: int = 1, partition_size: int = 500, resume: bool = False,
) -> list[PartitionSummary]:
    """Extract ``files`` (in ``workers`` processes) into partitions of ``partition_size`` papers each.

    With ``resume``, only the partitions a previous run left undone (plan_partitions);
    returns the summaries of the partitions written by this run.
    """
    plan = plan_partitions(files, directory, partition_size, resume=resume)
    results = iter(read_files([path for _, batch in plan for path in batch], workers=workers))
    # Each partition is written as its results arrive: one paper in memory at a time, not a partition.
    return [write_partition(directory, f"{index:05d}", islice(results, len(batch))) for index, batch in plan]


def partition_files(directory: Path) -> list[Path]:
    """The complete partition files of a directory, in name order."""
    return sorted(directory.glob(PART_GLOB))


def read_partitions(directories: Iterable[Path]) -> Iterator[PaperResult]:
    """The results stored in partition directories, in file and line order.

    A line from another extractor version becomes an error naming its paper file;
    a partition that cannot be read (not gzip, broken JSON, a record that does
    not validate) becomes one error naming the partition, after the lines read
    before the damage.
    """
    return _in_order((unit, _unit_results(unit)) for unit in _units(directories))


def load_partitions(directories: Sequence[Path], *, workers: int = 1) -> Iterator[PaperResult]:
    """read_partitions with each paper's database rows made (PaperResult.rows; no document, no records).

    With ``workers`` > 1 the lines are validated and turned into rows in that many
    processes, CHUNK_LINES at a time, a few chunks ahead of the one being written:
    the writing process only decompresses and inserts. Same results, same order.
    """
    units = _units(directories)
    return _in_order(_rows_in_pool(units, workers) if workers > 1 else ((u, _unit_rows(u)) for u in units))


@dataclass(frozen=True)
class _Chunk:
    """Consecutive lines of a partition file, the first of them line ``first``."""

    part: Path
    first: int
    lines: list[str]


# What a partition directory is read as: chunks of lines, and errors (a directory or file that cannot be read).
Unit = _Chunk | PaperResult
# What a chunk gives: its results, and whether a corrupt line ended them.
Done = tuple[list[PaperResult], bool]


def _in_order(done: Iterable[tuple[Unit, Done]]) -> Iterator[PaperResult]:
    """The results of units in order; a corrupt line ends its partition (what was read past it is dropped)."""
    corrupt_part: str | None = None
    for unit, (results, corrupt) in done:
        part = str(unit.part) if isinstance(unit, _Chunk) else unit.path
        if part == corrupt_part:
            continue
        yield from results
        if corrupt:
            corrupt_part = part


def _units(directories: Iterable[Path]) -> Iterator[Unit]:
    for directory in directories:
        if not directory.is_dir():
            yield PaperResult(str(directory), cause="partition directory not found")
            continue
        parts = partition_files(directory)
        if not parts:
            yield PaperResult(str(directory), cause=f"no partition files ({PART_GLOB}) in this directory")
        for part in parts:
            yield from _part_units(part, CHUNK_LINES)


def _part_units(part: Path, size: int) -> Iterator[Unit]:
    """A partition file's lines in chunks; when it cannot be read further, one error after the lines read."""
    lines: list[str] = []
    first = 1
    try:
        with gzip.open(part, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                lines.append(line)
                if len(lines) >= size:
                    yield _Chunk(part, first, lines)
                    lines, first = [], number + 1
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        if lines:
            yield _Chunk(part, first, lines)
        yield PaperResult(str(part), cause=f"partition file cannot be read ({type(exc).__name__})")
        return
    if lines:
        yield _Chunk(part, first, lines)


def _chunk_results(chunk: _Chunk) -> Done:
    """The results of a chunk's lines, and whether a corrupt line ended them (its partition is read no further)."""
    results = []
    for number, line in enumerate(chunk.lines, chunk.first):
        try:
            results.append(_line_result(line))
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            # json's, pydantic's and our own complaints are all ValueError or KeyError/TypeError.
            kind = "a record that does not validate" if isinstance(exc, ValidationError) else "broken JSON"
            results.append(PaperResult(str(chunk.part), cause=f"partition file is corrupt ({kind} on line {number})"))
            return results, True
    return results, False


def _unit_results(unit: Unit) -> Done:
    return ([unit], False) if isinstance(unit, PaperResult) else _chunk_results(unit)


def _unit_rows(unit: Unit) -> Done:
    return ([unit], False) if isinstance(unit, PaperResult) else _chunk_rows(unit)


def _rows_in_pool(units: Iterator[Unit], workers: int) -> Iterator[tuple[Unit, Done]]:
    """(unit, _unit_rows(unit)) in order, chunks worked in ``workers`` processes a few ahead.

    A worker that dies (killed, out of memory) breaks the pool: its chunks, and
    every chunk after, are then worked in this process. Rows do not depend on
    where they are made.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["publish.partitions"])
    pool: ProcessPoolExecutor | None = ProcessPoolExecutor(workers, mp_context=context, initializer=die_with_parent,
                                                           initargs=(os.getpid(),))
    pending: deque[tuple[Unit, Future[Done] | None]] = deque()

    def start(unit: Unit) -> Future[Done] | None:
        if pool is None or not isinstance(unit, _Chunk):
            return None
        return submit(pool, _chunk_rows, unit)

    def finish(unit: Unit, future: Future[Done] | None) -> tuple[Unit, Done]:
        nonlocal pool
        if future is not None:
            try:
                return unit, future.result()
            except BrokenProcessPool:
                if pool is not None:
                    close_pool(pool)
                pool = None
        return unit, _unit_rows(unit)

    try:
        for unit in units:
            pending.append((unit, start(unit)))
            if len(pending) > workers * CHUNKS_IN_FLIGHT_PER_WORKER:
                yield finish(*pending.popleft())
        while pending:
            yield finish(*pending.popleft())
    finally:
        if pool is not None:
            close_pool(pool)


def _chunk_rows(chunk: _Chunk) -> Done:
    """_chunk_results with each paper's rows made in place of its document and records."""
    results, corrupt = _chunk_results(chunk)
    for result in results:
        if result.document is not None:
            result.rows = paper_rows(result.document, result.records)
            result.document, result.records = None, []
    return results, corrupt


class PartitionLine(BaseModel):
    """One line of a partition file, validated in one pass (pydantic-core parses and checks the JSON together)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    paper_id: str | None
    extractor_version: str
    cause: str | None
    document: Document | None
    records: list[Annotated[Union[tuple(RECORD_MODELS.values())], Field(discriminator="kind")]]  # noqa: UP007


def _line_result(line: str) -> PaperResult:
    try:
        data = PartitionLine.model_validate_json(line)
    except ValidationError:
        # Another version's line may not fit this version's models: say so rather than "corrupt".
        return _result(json.loads(line))
    if data.extractor_version != EXTRACTOR_VERSION:
        return _version_error(data.path, data.extractor_version)
    if data.cause is not None:
        return PaperResult(data.path, paper_id=data.paper_id, cause=data.cause)
    if data.document is None:
        raise ValueError("a line without a cause must have a document")
    return PaperResult(data.path, paper_id=data.paper_id, document=data.document, records=list(data.records))


def _version_error(path: str, version: object) -> PaperResult:
    return PaperResult(path, cause=f"extracted by extractor {version}, not {EXTRACTOR_VERSION}: extract it again")


def _result(data: dict[str, object]) -> PaperResult:
    path, version = str(data["path"]), data["extractor_version"]
    if version != EXTRACTOR_VERSION:
        return _version_error(path, version)
    result = PaperResult(path, paper_id=data["paper_id"], cause=data["cause"])  # type: ignore[arg-type]
    if result.cause is None:
        result.document = Document.model_validate(data["document"])
        records = data["records"]
        if not isinstance(records, list):
            raise TypeError("records is not a list")
        result.records = [RECORD_MODELS[record["kind"]].model_validate(record) for record in records]
    return result
