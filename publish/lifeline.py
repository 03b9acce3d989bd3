"""Worker processes that die with the build that started them, even when it is killed with SIGKILL.

A pool worker holds both ends of its work queue's pipe, so it never sees the
parent go: without help it waits for work for ever, and the multiprocessing
resource tracker, whose pipe it also holds, stays with it. Each worker therefore
watches the build's process and leaves (``os._exit``) once it is gone; the
forkserver leaves by itself when the build's end of its pipe closes, and the
resource tracker once the last worker has left.
"""

import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable

# How often a worker looks whether the build is still there, in seconds.
POLL_S = 0.5
# Exit status of a worker that left because its build was gone, or because a file overran its
# time limit so far that the SIGALRM could not stop it (stuck in native code).
ORPHANED_EXIT = 70
OVERDUE_EXIT = 71
_PR_SET_PDEATHSIG = 1


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def die_with_parent(build_pid: int, overdue: Callable[[], bool] = lambda: False) -> None:
    """Make this process leave when process ``build_pid`` is gone, or when ``overdue()`` says so.

    A daemon thread polls every POLL_S seconds; where the build is this process's
    direct parent, the kernel also sends SIGKILL at once (PR_SET_PDEATHSIG).
    """
    if os.getppid() == build_pid:
        _kill_me_with_parent()
    start_parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(POLL_S)
            try:
                if not alive(build_pid) or os.getppid() != start_parent:
                    os._exit(ORPHANED_EXIT)
                if overdue():
                    os._exit(OVERDUE_EXIT)
            except MemoryError:  # a file hit the memory cap just now: look again next time
                continue

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _kill_me_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watching thread alone
        pass
