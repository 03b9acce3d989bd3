"""Extract papers into partition files on a Dask cluster, for corpora too large for one machine.

One task per partition: a worker reads its files with ``process_file`` (the unit
of work of ``evidence extract --out --workers``) and writes the partition
straight to the shared output directory with ``write_partition`` (whole or not
at all); only the small ``PartitionSummary`` travels back. The partitions are
the same files the local backend writes, and `evidence build --partitions`
loads them.

Why Dask and not Ray: dask and distributed are pure-Python wheels (their
compiled dependencies, msgpack, psutil and tornado, are small common wheels)
installing into the project's venv; a ``client.submit`` per list of files is
the whole program; ``LocalCluster`` starts in a few seconds for tests; and the
same code runs on SLURM/PBS/LSF (dask-jobqueue), Kubernetes (dask-kubernetes)
or plain ``dask scheduler`` / ``dask worker`` processes on machines sharing a
filesystem. Ray's 79 MB wheel (2.60, Python 3.11) ships its own runtime
(raylet, GCS server, shared-memory object store) that moving file names and
small summaries does not need.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from publish.partitions import Batch, PartitionError, PartitionSummary, plan_partitions, write_partition
from publish.processing import PaperResult, default_workers, process_file

INSTALL_HINT = "the Dask backend needs `pip install 'trial-evidence[dask]'`"


def extract_on_dask(
    files: Sequence[Path], out: Path, *, scheduler: str, partition_size: int = 500, resume: bool = False,
) -> list[PartitionSummary]:
    """Extract ``files`` into ``out`` as partitions of ``partition_size`` files, one Dask task each.

    ``scheduler`` is a scheduler address (``tcp://host:8786``) or ``local`` for a
    ``LocalCluster`` of one single-threaded worker process per core, started
    for this run. Workers must see ``files`` and ``out`` at the same absolute
    paths. Returns one summary per partition, in order; a task that fails (a
    worker that died, an output it cannot write: not a bad paper, which its
    partition records) raises PartitionError naming the partition. With
    ``resume``, only the partitions a previous run left undone are extracted
    (publish.partitions.plan_partitions), and only their summaries returned.
    """
    plan = plan_partitions(files, out, partition_size, resume=resume)
    if not plan:
        return []
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PartitionError(INSTALL_HINT) from None
    if scheduler == "local":
        with LocalCluster(n_workers=default_workers(), threads_per_worker=1, processes=True) as cluster, \
                Client(cluster) as client:
            return _run(client, plan, out)
    try:
        client = Client(scheduler)
    except (OSError, ValueError) as exc:  # unreachable (timed out) or not an address
        raise PartitionError(f"cannot reach the Dask scheduler at {scheduler}: {_one_line(exc)}") from None
    with client:
        return _run(client, plan, out)


def _run(client: Any, plan: list[Batch], out: Path) -> list[PartitionSummary]:
    from distributed import as_completed

    # Workers may run in another directory: they read absolute paths, and results name files as given.
    batches = [[(str(path), str(path.absolute())) for path in batch] for _, batch in plan]
    target = str(out.absolute())
    index_of = {client.submit(_extract_partition, target, f"{plan[index][0]:05d}", batch, pure=False): index
                for index, batch in enumerate(batches)}
    summaries: dict[int, PartitionSummary] = {}
    failures: dict[int, BaseException | None] = {}
    # Every task ends before a failure is reported, so that none of this run still writes into the
    # directory afterwards. Each summary is fetched and released as its task ends: one held by a
    # worker that dies later would make Dask extract the whole partition again.
    for future in as_completed(list(index_of)):
        index = index_of.pop(future)
        if future.status == "error":
            failures[index] = future.exception()
        else:
            summary = future.result()
            summary.path = str(out / Path(summary.path).name)
            summaries[index] = summary
        future.release()
    if failures:
        index = min(failures)
        others = f" ({len(failures)} of {len(batches)} partitions failed)" if len(failures) > 1 else ""
        raise PartitionError(f"partition {plan[index][0]:05d} (first file {batches[index][0][0]}) failed: "
                             f"{_one_line(failures[index])}{others}")
    return [summaries[index] for index in range(len(batches))]


def _extract_partition(out: str, name: str, files: list[tuple[str, str]]) -> PartitionSummary:
    """On a worker: read (given path, absolute path) files and write them as partition ``name``."""
    return write_partition(Path(out), name, _read(files))


def _read(files: list[tuple[str, str]]) -> Iterator[PaperResult]:
    for given, absolute in files:
        result = process_file(Path(absolute))
        result.path = given
        if result.document is not None:
            result.document.source_path = given
        yield result


def _one_line(exc: BaseException | None) -> str:
    detail = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
