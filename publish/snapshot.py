"""A private snapshot of a database file for `evidence serve`: one version served while builds replace the file.

Datasette opens an immutable file once per thread. `evidence build` replaces the
file with ``os.replace``, so without a snapshot a thread opened before the build
would answer from the old file and one opened after from the new one. A hard link
beside the file (or, where linking fails, a copy in the temp directory) pins the
version served; it is removed when serving ends, or by the next server once the
process that made it is gone. A small build writes into the file itself
(publish.in_place) only while no snapshot links to it, and never while one is
being taken.
"""

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publish.atomic import pid_running, short_name
from publish.in_place import pinning

MARK = ".serve-"
# A copy (when linking fails) is retried when the file changes while it is copied.
COPY_ATTEMPTS = 3


@dataclass(frozen=True)
class FileVersion:
    """What identifies one version of a file: a replaced file gets a new inode."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> "FileVersion | None":
        try:
            info = path.stat()
        except OSError:
            return None
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass
class Snapshot:
    """The file served (``path``) in place of ``source``, and the version of ``source`` it holds."""

    source: Path
    path: Path
    version: FileVersion
    linked: bool
    _released: bool = field(default=False, repr=False)

    def newer_available(self) -> bool:
        """True once ``source`` is another file than the one served (rebuilt, or removed and rebuilt)."""
        current = FileVersion.of(self.source)
        return current is not None and current != self.version

    def release(self) -> None:
        """Remove the snapshot's file and its private directory (idempotent)."""
        if self._released:
            return
        self._released = True
        _SERVED.pop(str(self.path), None)
        shutil.rmtree(self.path.parent, ignore_errors=True)

    def watch(self, on_newer: Callable[[], None], interval: float = 2.0) -> Callable[[], None]:
        """Call ``on_newer`` once, from a daemon thread, when a newer source appears; return a function that stops it."""
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(interval):
                if self.newer_available():
                    on_newer()
                    return

        threading.Thread(target=run, name=f"watch {self.source.name}", daemon=True).start()
        return stop.set


# Snapshot path -> snapshot, so Datasette plugins can tell what a served database is a snapshot of.
_SERVED: dict[str, Snapshot] = {}


def served_snapshot(path: str | Path | None) -> Snapshot | None:
    """The live snapshot served from ``path`` (a Datasette database's path), if it is one."""
    return _SERVED.get(str(path)) if path is not None else None


def _prefix(source: Path) -> str:
    # short_name: a snapshot directory beside a 250-byte database name still fits the file system's 255 bytes.
    return f".{short_name(source.name)}{MARK}"


# Copies in the temp dir, of any source: a dead server's copy is stale whatever it was a copy of.
COPY_PREFIX = f"trial-evidence{MARK}"


def take_snapshot(source: Path) -> Snapshot:
    """Pin the current version of ``source``: a hard link in a private directory beside it, else a copy in the temp dir.

    The snapshot keeps the file's name, so Datasette serves it under the same database name. It is taken while
    no build writes into the file in place, once a build killed during its commit is rolled back
    (publish.in_place.pinning); a file linked here is never written in place after.
    """
    source = source.resolve()
    remove_stale_snapshots(source)
    with pinning(source):
        snapshot = _link(source) or _copy(source)
    _SERVED[str(snapshot.path)] = snapshot
    return snapshot


def _link(source: Path) -> Snapshot | None:
    try:
        directory = Path(tempfile.mkdtemp(prefix=f"{_prefix(source)}{os.getpid()}-", dir=source.parent))
    except OSError:
        return None
    path = directory / source.name
    try:
        os.link(source, path)
    except OSError:
        shutil.rmtree(directory, ignore_errors=True)
        return None
    version = FileVersion.of(path)
    assert version is not None
    return Snapshot(source, path, version, linked=True)


def _copy(source: Path) -> Snapshot:
    directory = Path(tempfile.mkdtemp(prefix=f"{COPY_PREFIX}{os.getpid()}-"))
    path = directory / source.name
    try:
        for _ in range(COPY_ATTEMPTS):
            before = FileVersion.of(source)
            shutil.copyfile(source, path)
            if before is not None and FileVersion.of(source) == before:
                return Snapshot(source, path, before, linked=False)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    shutil.rmtree(directory, ignore_errors=True)
    raise OSError(f"{source}: changed while it was copied, {COPY_ATTEMPTS} times")


def remove_stale_snapshots(source: Path) -> list[Path]:
    """Delete snapshot directories of ``source`` (beside it and in the temp dir) whose server is no longer running."""
    removed = []
    places = ((source.parent, _prefix(source)), (Path(tempfile.gettempdir()), COPY_PREFIX))
    for parent, prefix in places:
        try:
            candidates = [p for p in parent.iterdir() if p.name.startswith(prefix) and p.is_dir()]
        except OSError:
            continue
        for directory in candidates:
            pid = directory.name[len(prefix):].split("-", 1)[0]
            if pid.isdecimal() and not pid_running(int(pid)):
                shutil.rmtree(directory, ignore_errors=True)
                removed.append(directory)
    return removed
    return True
