"""Write a file whole or not at all: a temporary copy beside it, renamed over it only when complete."""

import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# Bytes of a target's name kept in the names of its temporary and lock files: with the dot, pid,
# mkstemp's random part and suffix they stay well under the 255 bytes a file name may have.
NAME_BYTES = 160


def short_name(name: str) -> str:
    """``name``, or for a name over NAME_BYTES bytes its start and a hash of the whole: the same name each time."""
    raw = os.fsencode(name)
    if len(raw) <= NAME_BYTES:
        return name
    return os.fsdecode(raw[:NAME_BYTES - 17]) + "~" + hashlib.sha256(raw).hexdigest()[:16]


def temp_prefix(target: Path) -> str:
    """How the temporary files of ``target`` start: '.evidence.db.' (the writer's pid follows)."""
    return f".{short_name(target.name)}."


@contextmanager
def replacing(target: Path, *, seed: bool) -> Iterator[Path]:
    """Yield a temporary file beside ``target`` that replaces it (``os.replace``) when the block ends normally.

    ``seed`` starts the temporary file as a copy of ``target`` (an incremental
    update). If the block raises, or the process is killed, ``target`` is left
    byte for byte as it was; the temporary file is removed, or, after a kill,
    removed by the next writer once its process is gone.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    # The pid in the name tells a later writer whether the file's writer is still running.
    fd, name = tempfile.mkstemp(prefix=f"{temp_prefix(target)}{os.getpid()}.", suffix=TEMP_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        if seed:
            shutil.copyfile(target, tmp)
        yield tmp
        # mkstemp makes the file private; the new file gets the old one's mode, else rw-r--r--.
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        _fsync(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete temporary files of ``target`` whose writer is no longer running (a killed build); return them."""
    removed = []
    for path in target.parent.glob(glob.escape(temp_prefix(target)) + "*" + TEMP_SUFFIX):
        pid = path.name[len(temp_prefix(target)):].split(".", 1)[0]
        if pid.isdigit() and not pid_running(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def pid_running(pid: int) -> bool:
    """True if a process with this id exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
