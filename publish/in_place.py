"""Small incremental builds written into the database file itself, in one SQLite transaction, not into a copy.

Copying a 10,000-paper database (over 600 MB) and syncing the copy to disk costs more
than adding one paper to it. A build that only adds a few papers (at most
IN_PLACE_MAX_FILES files to read, no paper removed, replaced or re-extracted, the
derived tables' inputs unchanged: publish.database decides) writes into the file in
one transaction instead. The old database stays safe:

* ``cache_spill = OFF`` keeps every changed page in memory until COMMIT, so a build
  that fails or is killed before its commit leaves the file byte for byte as it was
  (a failure rolls the transaction back; a kill leaves nothing to undo);
* during the commit SQLite's rollback journal (``<name>-journal``) holds the old
  pages: a build killed then leaves a hot journal, which the next connection that
  opens the file (the next build, ``sqlite3``) rolls back. ``settled`` does so, and
  removes the cold journal a build killed before its commit leaves, before each
  build and before `evidence serve` pins a version.

`evidence serve` pins the version it serves by a hard link (publish.snapshot): a
file with more than one link is never written in place (the served version would
change under the server), and the writer's lock ``in_place_lock`` keeps a server
from linking or copying the file while a build writes into it.
"""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager, suppress
from pathlib import Path

from sqlite_utils import Database

from publish.locking import LockError, locked

# Files to read at most for a build written in place: their new pages are held in memory until the commit
# (cache_spill off), a few MB per hundred papers; a bigger build writes a copy, as a first build does.
IN_PLACE_MAX_FILES = 200
JOURNAL_SUFFIX = "-journal"
# Seconds the commit waits for other connections reading the file.
COMMIT_WAIT = 60.0
# The longest file name most file systems take: a database named longer than this less the suffix has no journal.
NAME_MAX = 255


def journal_path(target: Path) -> Path | None:
    """SQLite's rollback journal of ``target``, or None when its name would be too long to create."""
    if len(os.fsencode(target.name + JOURNAL_SUFFIX)) > NAME_MAX:
        return None
    return target.with_name(target.name + JOURNAL_SUFFIX)


@contextmanager
def in_place_lock(target: Path) -> Iterator[None]:
    """Hold the lock that a build writing into ``target`` and a server pinning ``target`` take (``.<name>.in-place.lock``).

    Waits for the holder: a build written in place is small (seconds); a pin only links or copies the file.
    """
    with locked(target.parent / f"{target.name}.in-place"):
        yield


@contextmanager
def writable_in_place(target: Path) -> Iterator[bool]:
    """Hold ``in_place_lock``; yield True when ``target`` may be written in place: no served snapshot links to it,
    and its journal can be made."""
    with in_place_lock(target):
        try:
            alone = os.stat(target).st_nlink == 1 and journal_path(target) is not None
        except OSError:
            alone = False
        yield alone


@contextmanager
def one_transaction(path: Path) -> Iterator[Database]:
    """The database at ``path`` open in one write transaction: committed when the block ends normally, else rolled
    back; the file is not written before the commit (see the module's docstring)."""
    # The commit waits for readers of the file (a sqlite3 shell, a Datasette opened without a snapshot) to finish
    # their read, up to COMMIT_WAIT seconds; past that the build fails and the database is left as it was.
    db = Database(sqlite3.connect(path, timeout=COMMIT_WAIT))
    try:
        db.execute("PRAGMA journal_mode = DELETE")  # a rollback journal, whatever mode the file was left in
        db.execute("PRAGMA cache_spill = OFF")
        # sqlite-utils' writes and publish's db.atomic() blocks join this transaction (savepoints).
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.conn.execute("COMMIT")
    finally:
        db.close()


def settled(path: Path) -> None:
    """Leave no journal beside ``path``: roll back the hot one a build killed during its commit left, remove the cold
    one a build killed before its commit left (the old pages of a transaction never committed; the file holds them).

    Any connection that reads the file rolls a hot journal back; a server that opens
    its pinned copy immutable would not, and would read half-written pages. Without
    write access the journal is left (SQLite then refuses to read the file).
    """
    journal = journal_path(path)
    try:
        if journal is None or not journal.exists() or not path.is_file():
            return
    except OSError:
        return
    try:
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # rolls a hot journal back, removing it
            # A journal still there is not hot. Removed while this holds the write lock: no writer makes a new one.
            conn.execute("BEGIN IMMEDIATE")
            try:
                journal.unlink(missing_ok=True)
            finally:
                conn.execute("ROLLBACK")
    except (sqlite3.Error, OSError):
        pass


@contextmanager
def pinning(source: Path) -> Iterator[None]:
    """The block (a server linking or copying ``source``) runs while no build writes ``source`` in place, on a
    settled file. Where the lock cannot be taken (a directory we may not write to), no build can write in place."""
    with ExitStack() as stack:
        with suppress(LockError):
            stack.enter_context(in_place_lock(source))
        settled(source)
        yield
