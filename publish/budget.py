"""A per-file budget: wall-clock time and memory a file may take to read, parse and extract.

The parsers aim to be fast and lean; this is the safety net for the file that is
not (a pathological PDF, a regex that backtracks): it fails alone, with one line
naming the limit, and the batch goes on.

Time is a SIGALRM timer (only in a process's main thread, where Python delivers
signals). Memory is a cap on the process's address space (RLIMIT_AS) set to what
the process already maps plus ``MEMORY_LIMIT_MB``: an allocation past it raises
MemoryError instead of waking the kernel's out-of-memory killer.
"""

import resource
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

# Seconds one file may take to read, parse and extract.
TIME_LIMIT_S = 60
# Memory one file may take beyond what the reading process held before it, in MB (address space).
MEMORY_LIMIT_MB = 1024
# Seconds past the time limit after which a worker process stuck in one file leaves.
OVERDUE_GRACE_S = 30



@dataclass(frozen=True)
class Budget:
    """What one file may take: ``seconds`` of wall-clock time and ``megabytes`` of memory.

    A worker process whose file runs ``grace`` seconds past the limit (SIGALRM
    cannot stop native code that never returns to Python) leaves; the pool then
    reports the file as one whose worker died, and reads on.
    """

    seconds: float = TIME_LIMIT_S
    megabytes: int = MEMORY_LIMIT_MB
    grace: float = OVERDUE_GRACE_S

    @property
    def time_cause(self) -> str:
        """Why a file that ran out of time could not be read."""
        return f"exceeded the {self.seconds:g} s time limit per file"

    @property
    def memory_cause(self) -> str:
        """Why a file that ran out of memory could not be read."""
        return f"exceeded the memory limit of {self.megabytes} MB per file"


DEFAULT_BUDGET = Budget()


class TimeLimitExceeded(BaseException):
    """A file ran past its time limit. A BaseException, like KeyboardInterrupt, so that a parser's
    ``except Exception`` does not swallow it."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeLimitExceeded


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeLimitExceeded in the block after ``seconds``; no limit outside the main thread.

    A timer already running (a caller's own bound) is kept: when it is due first,
    it alone runs; else it is set again after the block with what is left of it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if outer_delay and outer_delay <= seconds:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay:
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)


def mapped_bytes() -> int | None:
    """The address space this process maps now (VmSize), or None where /proc does not tell."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def memory_limit(megabytes: int) -> Iterator[None]:
    """Cap this process's address space at what it maps now plus ``megabytes`` in the block; restored after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _cap(megabytes)
    if cap is None:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _cap(megabytes: int) -> int | None:
    mapped = mapped_bytes()
    if mapped is None:
        return None
    cap = mapped + megabytes * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    for limit in (soft, hard):
        if limit != resource.RLIM_INFINITY:
            cap = min(cap, limit)
    return cap
