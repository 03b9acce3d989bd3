"""One writer at a time: an advisory lock (flock) on a sidecar file beside what is written.

Two `evidence build`s of one database, or two `evidence add`s into one corpus,
would each read the old state and the last to finish would drop what the other
wrote. Each therefore holds ``.<name>.lock`` beside the database (or the corpus
manifest) from reading the old state to replacing it; the second waits, then
reads the state the first left. The lock file records the holder's pid for the
"waiting for" line; the kernel releases the lock when its holder exits, however
it exits, so a killed build never leaves a stale lock (only the file, which the
next holder reuses). The holder removes the file before it lets go; a waiter
that then gets the lock of a removed file tries again on the file now there.
"""

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from publish.atomic import short_name
from publish.names import safe_path

LOCK_SUFFIX = ".lock"


class LockError(Exception):
    """The lock could not be taken (a directory we may not write to); the message is one line."""


class LockBusy(LockError):
    """Another process holds the lock and we were asked not to wait; the message is one line."""


def lock_path(target: Path) -> Path:
    """The sidecar lock file of ``target``: '.evidence.db.lock' beside 'evidence.db'."""
    return target.parent / f".{short_name(target.name)}{LOCK_SUFFIX}"


@contextmanager
def locked(target: Path, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the lock of ``target`` in the block; yield the lock file's path.

    When another process holds it: with ``wait``, tell ``on_wait`` one line
    ("waiting for <lock> held by pid N") and wait for it; else raise LockBusy.
    """
    path = lock_path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire(path, target, wait, on_wait)
    except OSError as exc:
        raise LockError(f"{safe_path(path)}: cannot take the lock ({exc.strerror or exc})") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        path.unlink(missing_ok=True)  # while still holding it: nobody can lock this file any more
        os.close(fd)  # releases the lock


def _acquire(path: Path, target: Path, wait: bool, on_wait: Callable[[str], None] | None) -> int:
    """An open descriptor of ``path`` holding its lock, the file still being ``path``."""
    told = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                if not wait:
                    raise LockBusy(f"{safe_path(target)}: in use by another build or add (pid {holder}, lock "
                                   f"{safe_path(path)}); not waiting") from None
                if on_wait is not None and not told:
                    on_wait(f"waiting for {safe_path(path)} held by pid {holder}")
                    told = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the holder removed the file we waited on: lock the one there now


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), path.stat()
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _holder(fd: int) -> str:
    """The pid the holder wrote, or '?' while it has not written it yet."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return text if text.isdigit() else "?"
