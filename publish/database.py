"""Papers and their evidence records into SQLite with sqlite-utils; atomic builds from paper files."""

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from extractor import __version__ as EXTRACTOR_VERSION
from extractor.errors import PaperError
from extractor.parsers import SUFFIXES
from publish.articles import write_articles
from publish.atomic import remove_stale_temps, replacing
from publish.facet_counts import FACET_COUNTS, paper_facet_counts, update_facet_counts, write_facet_counts
from publish.in_place import IN_PLACE_MAX_FILES, in_place_lock, one_transaction, settled, writable_in_place
from publish.locking import LockError, locked
from publish.meta_analysis import write_meta_tables
from publish.metadata import facet_columns, table_options
from publish.names import safe_path
from publish.partitions import load_partitions
from publish.processing import PaperResult, chunked, read_files
from publish.rows import PaperRows, Row, paper_rows
from publish.search import ensure_search, index_new_rows, last_rowids, rebuild_search
from publish.tables import (
    CORRECTIONS,
    PAPERS,
    PROVENANCE,
    SECTIONS,
    TableSpec,
    all_specs,
    evidence_specs,
)
from publish.unchanged import (
    FileStat,
    derived_state,
    forget_papers,
    known_files,
    known_paper,
    remember_files,
    store_state,
    stored_state,
)

ErrorHandler = Callable[[PaperError], None]

FTS_COLUMNS = ["title", "text"]
# Papers written per transaction.
BATCH_PAPERS = 100
EVIDENCE_TABLES = frozenset(spec.name for spec in evidence_specs().values())


class BuildError(Exception):
    """A build wrote nothing; the message is one line and the target database is left as it was."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        self.errors = list(errors)
        super().__init__(message)


@dataclass
class BuildSummary:
    """What a build wrote: papers, rows per table, and one line per paper that could not be read."""

    database: str
    papers: int = 0
    unchanged: int = 0
    removed: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data."""
        return {"database": self.database, "papers": self.papers, "unchanged": self.unchanged,
                "removed": self.removed, "rows": dict(self.rows), "errors": list(self.errors),
                "warnings": list(self.warnings)}

    def describe(self) -> str:
        """One line for people: papers, evidence records and errors written to which database."""
        records = sum(n for name, n in self.rows.items() if name in EVIDENCE_TABLES)
        failed = f", {len(self.errors)} could not be read" if self.errors else ""
        kept = f", {self.unchanged} unchanged" if self.unchanged else ""
        removed = f", {self.removed} removed" if self.removed else ""
        return f"{self.database}: {self.papers} papers extracted, {records} evidence records{kept}{removed}{failed}"


# Papers reporting the same trial (an interim and a final report, an abstract and a full paper)
# share a registry id: one row per trial, so patients are not counted twice.
TRIALS_VIEW = """
select r.identifier as trial_id, r.registry as registry, count(distinct r.paper_id) as n_papers,
       json_group_array(distinct r.paper_id) as paper_ids,
       json_group_array(distinct coalesce(p.title, p.stem)) as papers
from registry_ids r join papers p on p.paper_id = r.paper_id
group by r.identifier, r.registry
"""


def ensure_schema(db: Database, *, indexes: bool = True) -> None:
    """Create every table that is missing, with keys, foreign keys and the sections full-text index.

    ``indexes=False`` leaves the secondary indexes to ``ensure_indexes``: an empty
    database filled in one go builds them faster after the rows are in.
    """
    for spec in all_specs():
        if spec.name in db.table_names():
            continue
        db.table(spec.name).create(
            spec.column_types(), pk=spec.pk, not_null=spec.not_null(), foreign_keys=list(spec.foreign_keys),
        )
    sections = db.table(SECTIONS)
    if not sections.detect_fts():
        # No triggers: a database is built once; write_papers rebuilds the index after writing.
        sections.enable_fts(FTS_COLUMNS, create_triggers=False)
    ensure_search(db)
    if indexes:
        ensure_indexes(db)
    db.create_view("trials", TRIALS_VIEW, ignore=True)


def ensure_indexes(db: Database) -> None:
    """The secondary indexes: every foreign key, and provenance by record."""
    db.index_foreign_keys()
    db.table(PROVENANCE).create_index(["record_id"], if_not_exists=True)


def _insert(db: Database, spec: TableSpec, rows: list[Row]) -> None:
    """Insert rows (tuples in column order) with one prepared statement (sqlite-utils' insert_all re-plans
    every chunk: 3x slower here)."""
    names = ", ".join(f"[{c}]" for c in spec.column_names())
    marks = ", ".join("?" * len(spec.columns))
    db.conn.executemany(f"INSERT INTO [{spec.name}] ({names}) VALUES ({marks})", rows)


def index_facets(db: Database) -> None:
    """Index every column Datasette offers as a facet, followed by the columns its table's pages are ordered by.

    Counting a facet reads the index, not the table; a page filtered on the column
    (``adverse_events?section=results``: ``where section = ? order by paper_id limit 101``)
    reads its first rows in order from the index, where an index of the column alone had
    SQLite sort every matching row (370,000 of them: 350 ms on the million-row database).
    The column's index alone, from builds before, is dropped: the new one serves its uses.
    """
    names = set(db.table_names())
    options = table_options()
    for table, columns in facet_columns().items():
        if table not in names:
            continue
        handle = db.table(table)
        present = set(handle.columns_dict)
        sort = options[table].get("sort")
        order = [sort] if sort in present else [pk for pk in handle.pks if pk != "rowid"]
        single = {index.name for index in handle.indexes if len(index.columns) == 1}
        for column in columns:
            if column in present:
                indexed = [column, *(c for c in order if c != column)]
                handle.create_index(indexed, if_not_exists=True)
                if len(indexed) > 1 and f"idx_{table}_{column}" in single:
                    db.execute(f"DROP INDEX [idx_{table}_{column}]")


def _delete_paper(db: Database, tables: Sequence[str], paper_id: str) -> None:
    # Tables pointing to papers first, so foreign keys hold at every step.
    for name in reversed(tables):
        db.execute(f"DELETE FROM [{name}] WHERE paper_id = ?", [paper_id])


def write_papers(
    db_path: str | Path | Database, items: Iterable[PaperRows], *, batch_size: int = BATCH_PAPERS,
) -> dict[str, int]:
    """Write papers' rows (publish.rows.paper_rows) into a SQLite database; return the rows written per table.

    Creates the tables when missing. A paper already in the database is replaced
    whole (its sections, tables, records and spans), so writing the same input
    twice gives the same rows and ids. ``items`` may be a generator: papers are
    written ``batch_size`` at a time, each batch in its own transaction, so
    memory holds one batch however many papers there are.
    """
    db = db_path if isinstance(db_path, Database) else Database(db_path)
    tables = [spec.name for spec in all_specs()]
    counts = dict.fromkeys(tables, 0)
    try:
        # Into an empty database, rows go in first and the indexes are built once at the end.
        empty = PAPERS not in db.table_names() or db.table(PAPERS).count == 0
        ensure_schema(db, indexes=not empty)
        stored = {row[0] for row in db.execute(f"select paper_id from [{PAPERS}]").fetchall()}
        specs = {spec.name: spec for spec in all_specs()}
        # Only added papers: the full-text indexes take their new rows; a replaced paper: they are rebuilt.
        before, replaced = last_rowids(db), False
        for batch in chunked(items, batch_size):
            # The same paper twice in one batch: the later one wins, as it would across batches.
            papers = {paper.paper_id: paper for paper in batch}
            rows: dict[str, list[Row]] = {name: [] for name in tables}
            for paper in papers.values():
                for name, new_rows in paper.tables.items():
                    rows[name].extend(new_rows)
            with db.atomic():
                for paper_id in stored.intersection(papers):
                    replaced = True
                    _delete_paper(db, tables, paper_id)
                # Tables in schema order: papers before the rows pointing to them.
                for name in tables:
                    if rows[name]:
                        _insert(db, specs[name], rows[name])
                        counts[name] += len(rows[name])
            stored.update(papers)
        ensure_indexes(db)
        if replaced:
            rebuild_search(db)
        else:
            index_new_rows(db, before, FTS_COLUMNS)
    finally:
        if not isinstance(db_path, Database):
            db.close()
    return counts


def _resolved(path: str | Path) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):  # a symlink loop: reading it reports the error
        return str(Path(path).absolute())


def paper_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files to read: files as given, directories expanded to their paper files (sorted), duplicates once.

    A directory named like a paper ('x.pdf/'), given or inside a directory, is
    kept, and so is anything else inside a directory named like a paper that is
    not a regular file (a FIFO, a device or a link to one, a dangling link or a
    link loop): reading it reports what it is, one line each, rather than it
    being skipped without a word. Hidden files (.name) are left out.

    Duplicates are found by resolved path. A directory is resolved once: an entry
    of it that is not a symbolic link resolves to the directory's resolved path and
    its name (one ``realpath`` per file, a system call per path component, made
    listing 10,000 papers take seconds).
    """
    found: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if path.is_dir() and path.suffix.lower() not in SUFFIXES:
            try:
                with os.scandir(path) as entries:
                    children = sorted((entry.name, _is_link(entry)) for entry in entries)
            except OSError:  # an unreadable directory: reading it says it is one
                found.append((path, _resolved(path)))
                continue
            resolved = _resolved(path)
            for name, link in children:
                child = path / name
                if child.suffix.lower() in SUFFIXES and not name.startswith("."):
                    found.append((child, _resolved(child) if link else os.path.join(resolved, name)))
        else:
            found.append((path, _resolved(path)))
    seen: set[str] = set()
    unique = []
    for path, key in found:
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:  # not known: resolved in full
        return True


def _accepted(
    results: Iterable[PaperResult], summary: BuildSummary, on_error: ErrorHandler | None,
    unchanged: frozenset[str], seen: set[str], progress: Callable[[Path], None] | None = None,
    failed: set[str] | None = None, stats: list[tuple[str, FileStat, str]] | None = None,
) -> Iterator[PaperRows]:
    """The papers to write from read results; errors reported, the same file twice refused, unchanged ones counted.

    ``stats`` collects (path, stat, paper id) of each file read and accepted (publish.unchanged)."""
    first_path: dict[str, str] = {}
    for result in results:
        if progress is not None:
            progress(Path(result.path))
        error = result.error
        if result.paper_id is not None:
            if result.paper_id in first_path:
                error = PaperError(result.path, f"same file as {first_path[result.paper_id]} (paper {result.paper_id})")
            else:
                first_path[result.paper_id] = result.path
                seen.add(result.paper_id)
        if error is not None:
            summary.errors.append(str(error))
            if failed is not None:
                failed.add(_resolved(result.path))
            if on_error is not None:
                on_error(error)
            continue
        if stats is not None and result.stat is not None and result.paper_id is not None:
            stats.append((result.path, result.stat, result.paper_id))
        if result.unchanged or result.paper_id in unchanged:
            summary.unchanged += 1
            continue
        summary.papers += 1
        if result.rows is not None:
            yield result.rows
        else:
            assert result.document is not None
            yield paper_rows(result.document, result.records)


def _noted(papers: Iterable[PaperRows], ids: set[str]) -> Iterator[PaperRows]:
    """``papers`` as they are, each one's id added to ``ids``."""
    for paper in papers:
        ids.add(paper.paper_id)
        yield paper


def _curated_papers(db: Database) -> set[str]:
    """Papers a corrections file names (by stem): the ones whose curated rows a build may change."""
    if CORRECTIONS not in db.table_names():
        return set()
    return {row[0] for row in db.execute(f"select paper_id from [{PAPERS}] where stem in "
                                         f"(select stem from [{CORRECTIONS}])").fetchall()}


@dataclass
class _ByStat:
    """What a database and the files' stat say before anything is read: the papers the database holds (id ->
    extractor version), those at this version, the results of the files known by their stat, the files to read."""

    current: dict[str, str]
    unchanged: frozenset[str]
    known: list[PaperResult]
    to_read: list[Path]

    @classmethod
    def of(cls, db: Database, files: list[Path], rehash: bool) -> "_ByStat":
        current = _current_papers(db)
        unchanged = frozenset(paper for paper, version in current.items() if version == EXTRACTOR_VERSION)
        return cls(current, unchanged, *_known_by_stat(db, files, unchanged, rehash))

    def nothing_to_do(self, keep_others: bool) -> bool:
        """True when every file is known by its stat at this extractor version and no paper is to be removed."""
        return not self.to_read and self._keeps_every_paper(keep_others)

    def only_adds(self, keep_others: bool) -> bool:
        """True when a build can only add papers, from few files (publish.in_place): at most IN_PLACE_MAX_FILES
        files to read, and no paper removed or re-extracted (``_keeps_every_paper``)."""
        return len(self.to_read) <= IN_PLACE_MAX_FILES and self._keeps_every_paper(keep_others)

    def _keeps_every_paper(self, keep_others: bool) -> bool:
        """Every stored paper is at this extractor version, and every paper the build could remove
        (``keep_others`` off) is known by its file's stat: none is removed, replaced or re-extracted."""
        if len(self.unchanged) != len(self.current):
            return False
        return keep_others or {result.paper_id for result in self.known} == set(self.current)


def _known_by_stat(db: Database, files: list[Path], unchanged: frozenset[str], rehash: bool,
                   ) -> tuple[list[PaperResult], list[Path]]:
    """(results for the files whose stat says they hold a paper already extracted at this version, the files to
    read); with ``rehash`` every file is read."""
    known = {} if rehash else known_files(db, unchanged)
    if not known:
        return [], files
    results, to_read = [], []
    for path in files:
        name = safe_path(path)
        paper = known_paper(path, name, known)
        if paper is not None:
            results.append(PaperResult(name, paper_id=paper, unchanged=True))
        else:
            to_read.append(path)
    return results, to_read


def _schema_current(path: Path) -> bool:
    """True when a database has every table and column of the current schema (else it is rebuilt whole)."""
    try:
        db = Database(path)
        try:
            names = set(db.table_names())
            return all(spec.name in names and set(spec.column_names()) <= {c.name for c in db.table(spec.name).columns}
                       for spec in all_specs())
        finally:
            db.close()
    except Exception:  # an unreadable or foreign file is not reused; the build writes a new one
        return False


def _current_papers(db: Database) -> dict[str, str]:
    """paper_id -> extractor version of the papers a database already holds."""
    if PAPERS not in db.table_names():
        return {}
    return dict(db.execute(f"select paper_id, extractor_version from [{PAPERS}]").fetchall())


def remove_papers(db: Database, paper_ids: Iterable[str]) -> int:
    """Delete papers and everything extracted from them; returns how many."""
    tables = [spec.name for spec in all_specs()]
    removed = 0
    for paper_id in paper_ids:
        with db.atomic():
            _delete_paper(db, tables, paper_id)
        removed += 1
    return removed


def _unreadable_now(db: Database, paper_ids: set[str], failed: set[str]) -> dict[str, str]:
    """paper_id -> source path of the papers whose file is among the inputs but could not be read this time."""
    rows = db.query(f"select paper_id, source_path from [{PAPERS}]") if PAPERS in db.table_names() else []
    return {r["paper_id"]: r["source_path"] for r in rows
            if r["paper_id"] in paper_ids and _resolved(r["source_path"]) in failed}


def build_database(
    db_path: str | Path, paths: Iterable[str | Path], on_error: ErrorHandler | None = None,
    *, keep_others: bool = False, full: bool = False, progress: Callable[[Path], None] | None = None,
    after_write: Callable[[Database, BuildSummary], None] | None = None, workers: int = 1,
    partitions: Sequence[str | Path] = (), wait: bool = True, on_wait: Callable[[str], None] | None = None,
    rehash: bool = False, derived_inputs: str = "",
) -> BuildSummary:
    """Read paper files into the SQLite database at ``db_path``, replacing it only when complete.

    ``paths`` are paper files or directories (expanded to the files whose
    extension extractor.parsers reads, sorted). A file that cannot be read (PaperError) is reported as one
    line "path: cause" in the summary's ``errors`` and passed to ``on_error``;
    the batch goes on. If ``on_error`` raises, the build stops there.

    Incremental: a paper whose bytes the database already holds, extracted by
    this extractor version, is kept as it is; new or changed papers are parsed
    and extracted, and a new extractor version re-extracts everything. Papers no
    longer among ``paths`` are removed unless ``keep_others`` (what `evidence add`
    uses); one whose file is still given but cannot be read keeps its previous
    version. ``full`` rebuilds from scratch. ``after_write`` runs on the new
    database before it replaces the old one (corrections are applied there).

    Work proportional to change (publish/unchanged.py): a file whose size, mtime
    and inode are those it had when its paper was read is not read or hashed again
    (``rehash`` reads and hashes every file); the derived tables (articles, studies,
    meta-analysis tables, facet counts) are rewritten only when a paper was written
    or removed, or the publish code or ``derived_inputs`` (a digest of what
    ``after_write`` applies: the corrections) changed since they were computed; with
    the same code and corrections, only the studies the papers written, removed or
    curated belong to are rewritten (publish.meta_analysis.write_meta_tables), and
    only the paper_sources rows that change.

    ``workers`` > 1 parses and extracts in that many processes (publish.processing),
    papers written in input order in batches. ``partitions`` are directories of
    papers extracted earlier (publish.partitions: `evidence extract --out`, or the
    distributed backend), loaded after ``paths`` as if read from their files.

    Everything is written to a temporary copy in the target's directory, which
    replaces the target (``os.replace``) only after the last paper is written:
    a build that fails or is killed leaves the previous database untouched. A
    build that only adds a few papers (``_ByStat.only_adds``) to a database no
    served snapshot links to writes into it in one transaction instead
    (publish.in_place), with the same guarantee.
    Raises BuildError, leaving the target untouched, when no paper could be read.

    One build of a database at a time (publish.locking): the whole build, from
    listing ``paths`` and reading the database to replacing it, holds the lock
    beside it. Another build holding it is waited for (``on_wait`` is told one
    line), and this one then starts from the database that one left; without
    ``wait``, BuildError instead.
    """
    target = Path(db_path)
    if target.is_dir():
        raise BuildError(f"{safe_path(target)}: is a directory, not a database file")
    summary = BuildSummary(database=safe_path(target))
    try:
        with locked(target, wait=wait, on_wait=on_wait):
            return _build_locked(target, paths, summary, on_error, keep_others=keep_others, full=full,
                                 progress=progress, after_write=after_write, workers=workers, partitions=partitions,
                                 rehash=rehash, derived_inputs=derived_inputs)
    except LockError as error:
        raise BuildError(str(error)) from None


def _build_locked(
    target: Path, paths: Iterable[str | Path], summary: BuildSummary, on_error: ErrorHandler | None,
    *, keep_others: bool, full: bool, progress: Callable[[Path], None] | None,
    after_write: Callable[[Database, BuildSummary], None] | None, workers: int, partitions: Sequence[str | Path],
    rehash: bool = False, derived_inputs: str = "",
) -> BuildSummary:
    files = paper_files(paths)
    with in_place_lock(target):
        settled(target)  # what a build killed while writing in place left
    reuse = target.exists() and not full and _schema_current(target)
    before = None
    write = partial(_write, files=files, summary=summary, on_error=on_error, keep_others=keep_others,
                    progress=progress, after_write=after_write, workers=workers, partitions=partitions,
                    rehash=rehash, derived_inputs=derived_inputs)
    if reuse and not (rehash or partitions):
        # The files' stat against the database, taken once (under the lock): the copy below holds the same rows.
        db = Database(target)
        try:
            before, state = _ByStat.of(db, files, rehash), stored_state(db)
        finally:
            db.close()
        current_state = state == derived_state(derived_inputs)
        if current_state and before.nothing_to_do(keep_others):
            # Nothing to read, write, remove or recompute: the database is left as it is (not even copied).
            summary.unchanged = len({result.paper_id for result in before.known})
            return summary
        if current_state and before.only_adds(keep_others):
            with writable_in_place(target) as alone:
                if alone:
                    remove_stale_temps(target)
                    with one_transaction(target) as db:
                        write(db, before, adds_only=True)
                        _check_written(summary, files, partitions)
                    return summary
    with replacing(target, seed=reuse) as tmp:
        db = Database(tmp)
        # The temporary file is thrown away on failure, so it needs no journal or per-commit sync.
        db.execute("PRAGMA journal_mode = MEMORY")
        db.execute("PRAGMA synchronous = OFF")
        try:
            write(db, before)
        finally:
            db.close()
        _check_written(summary, files, partitions)
    return summary


def _check_written(summary: BuildSummary, files: list[Path], partitions: Sequence[str | Path]) -> None:
    """BuildError when no paper was written or kept: the database is then left as it was."""
    if summary.papers == 0 and summary.unchanged == 0:
        cause = "no paper files found" if not files and not partitions else "no paper could be read"
        raise BuildError(f"{summary.database}: {cause}; database left unchanged", summary.errors)


def _write(
    db: Database, before: "_ByStat | None", *, adds_only: bool = False, files: list[Path], summary: BuildSummary,
    on_error: ErrorHandler | None, keep_others: bool, progress: Callable[[Path], None] | None,
    after_write: Callable[[Database, BuildSummary], None] | None, workers: int, partitions: Sequence[str | Path],
    rehash: bool, derived_inputs: str,
) -> None:
    """Bring the database ``db`` (a copy of the old one, or the old one in one transaction) up to the files:
    papers read, written and removed, corrections applied, derived tables rewritten as their inputs changed.

    ``adds_only`` (``_ByStat.only_adds``): no paper is removed or replaced, so the facet counts are updated by
    difference (publish.facet_counts.update_facet_counts) from the curated papers' counts taken first."""
    by_stat = before or _ByStat.of(db, files, rehash)
    current, unchanged, known, to_read = by_stat.current, by_stat.unchanged, by_stat.known, by_stat.to_read
    seen: set[str] = set()
    failed: set[str] = set()
    stats: list[tuple[str, FileStat, str]] = []
    curated, written, gone = _curated_papers(db), set(), []
    facets = facet_columns()
    counted = paper_facet_counts(db, facets, curated) if adds_only and FACET_COUNTS in db.table_names() else None
    # A pool of workers costs seconds to start (each loads spaCy and the rules): not for fewer files than
    # workers, as when one paper was added.
    results = chain(known, read_files(to_read, workers=min(workers, len(to_read)), unchanged=unchanged),
                    load_partitions([Path(p) for p in partitions], workers=workers))
    summary.rows = write_papers(db, _noted(_accepted(results, summary, on_error, unchanged, seen, progress,
                                                     failed, stats), written))
    remember_files(db, stats)
    if not keep_others:
        # A paper whose file cannot be read this time keeps its previous version: nothing is lost.
        kept = _unreadable_now(db, set(current) - seen, failed)
        summary.warnings.extend(f"{path}: could not be read; its previous version is kept"
                                for path in kept.values())
        gone = sorted(set(current) - seen - set(kept))
        summary.removed = remove_papers(db, gone)
        forget_papers(db, gone)
        if summary.removed:
            rebuild_search(db)
    if after_write is not None:
        after_write(db, summary)
    state, previous = derived_state(derived_inputs), stored_state(db)
    if summary.papers or summary.removed or previous != state:
        # From the same code and corrections, only the studies of the papers changed are rewritten.
        changed = written | set(gone) | curated | _curated_papers(db) if previous == state else None
        write_articles(db)
        write_meta_tables(db, changed)
        index_facets(db)
        if counted is not None and changed is not None:
            update_facet_counts(db, facets, counted, changed)
        else:
            write_facet_counts(db, facets)
        store_state(db, state)
