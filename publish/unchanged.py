"""Work proportional to change: files known by their stat, derived tables rewritten only when their inputs changed.

* ``file_stats`` remembers, for each file a build read, its size, modification time (ns) and inode
  beside the paper it held. At the next build a file whose stat is the same is taken to hold the
  same paper without reading or hashing it (``evidence build --rehash`` reads and hashes every file
  again: a file rewritten within one mtime tick at the same size is the case it catches).
* ``build_state`` keeps what the derived tables (articles, studies, meta-analysis tables, facet
  counts) were last computed from: the publish code's digest and the caller's other inputs (the
  curators' corrections). A build that wrote and removed no paper and finds both the same leaves
  those tables as they are; one that wrote or removed papers and finds both the same rewrites only
  the studies of those papers (publish.meta_analysis.write_meta_tables).
"""

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from extractor import digest

FILE_STATS = "file_stats"
BUILD_STATE = "build_state"
FILE_STATS_METADATA = {
    "description": "Each file a build read: its stat before reading and the paper it held. A later build does not "
                   "read a file whose size, mtime and inode are the same (evidence build --rehash does).",
    "columns": {"path": "The file's path as given to the build.", "size": "Size in bytes.",
                "mtime_ns": "Modification time, ns since the epoch.", "inode": "Inode number.",
                "paper_id": "The paper it held (papers.paper_id)."},
}
BUILD_STATE_METADATA = {
    "description": "What the derived tables (articles, studies, meta-analysis tables, facet counts) were last "
                   "computed from; a build that changes no paper and finds the same state leaves them as they are.",
    "columns": {"key": "'derived'.", "value": "Digest of the publish code, then of the corrections applied."},
}
# The publish package's code and data: the derived tables are recomputed when it changes.
PUBLISH_DIGEST = digest(Path(__file__).resolve().parent)


@dataclass(frozen=True)
class FileStat:
    """What a file's stat says about its contents without reading them."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: str | Path) -> "FileStat | None":
        """The stat of a regular file, else None (a FIFO, a device, a directory, a missing file: read as usual)."""
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return cls(info.st_size, info.st_mtime_ns, info.st_ino)


def known_files(db: Database, current: Iterable[str]) -> dict[str, tuple[FileStat, str]]:
    """path as given -> (its stat when read, the paper it held), for papers the database holds at this version."""
    if FILE_STATS not in db.table_names():
        return {}
    papers = set(current)
    rows = db.execute(f"select path, size, mtime_ns, inode, paper_id from [{FILE_STATS}]").fetchall()
    return {path: (FileStat(size, mtime_ns, inode), paper) for path, size, mtime_ns, inode, paper in rows
            if paper in papers}


def known_paper(path: str | Path, name: str, known: dict[str, tuple[FileStat, str]]) -> str | None:
    """The paper a file holds when its stat is the one remembered under its name (known_files), else None."""
    remembered = known.get(name)
    return remembered[1] if remembered is not None and FileStat.of(path) == remembered[0] else None


def remember_files(db: Database, read: Iterable[tuple[str, FileStat, str]]) -> None:
    """Store (path, stat before reading, paper id) of the files read; a path read again replaces its row."""
    rows = [{"path": path, "size": s.size, "mtime_ns": s.mtime_ns, "inode": s.inode, "paper_id": paper}
            for path, s, paper in read]
    if rows:
        db.table(FILE_STATS).upsert_all(rows, pk="path", column_order=("path", "size", "mtime_ns", "inode",
                                                                        "paper_id"))


def forget_papers(db: Database, paper_ids: Iterable[str]) -> None:
    """Drop the file rows of removed papers."""
    ids = list(paper_ids)
    if ids and FILE_STATS in db.table_names():
        with db.atomic():
            db.conn.executemany(f"delete from [{FILE_STATS}] where paper_id = ?", [(i,) for i in ids])


def derived_state(inputs: str = "") -> str:
    """What the derived tables are computed from: the publish code and ``inputs`` (a digest of the corrections)."""
    return f"{PUBLISH_DIGEST}:{inputs}"


def stored_state(db: Database) -> str | None:
    """The state the derived tables were last computed from, or None."""
    if BUILD_STATE not in db.table_names():
        return None
    rows = list(db.query(f"select value from [{BUILD_STATE}] where key = 'derived'"))
    return rows[0]["value"] if rows else None


def store_state(db: Database, state: str) -> None:
    """Record the state the derived tables were just computed from."""
    db.table(BUILD_STATE).upsert({"key": "derived", "value": state}, pk="key")


def inputs_digest(parts: Iterable[str]) -> str:
    """A short digest of text parts (e.g. each corrections file as JSON)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:16]
