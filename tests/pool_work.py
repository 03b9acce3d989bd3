"""Work functions for worker-pool tests: importable by name in a worker process."""

import os
import signal
import time
from pathlib import Path

from extractor.parsers import paper_id_for
from publish.processing import PaperResult, process_file


def die_on_crash(path: Path, unchanged: frozenset[str]) -> PaperResult:
    """process_file, except that a file named crash* kills the worker process reading it."""
    if path.name.startswith("crash"):
        os._exit(3)
    return process_file(path, unchanged)


def worker_pid(path: Path, unchanged: frozenset[str]) -> PaperResult:
    """Which process read the file (in ``cause``), without reading it."""
    return PaperResult(str(path), cause=str(os.getpid()))


def exit_now(code: int) -> None:
    """Kill the worker process running it."""
    os._exit(code)


def slow_or_hungry(path: Path, unchanged: frozenset[str]) -> PaperResult:
    """A file named slow* sleeps for a minute, one named hungry* asks for 64 GB (calloc: no page is
    touched, so without a cap nothing is really used); others are only hashed (quick, whatever the load)."""
    if path.name.startswith("slow"):
        time.sleep(60)
    if path.name.startswith("hungry"):
        hoard = bytes(64 * 1024**3)
        return PaperResult(str(path), cause=f"allocated {len(hoard)} bytes")
    return process_file(path, frozenset({paper_id_for(path.read_bytes())}))


def stuck_in_native_code(path: Path, unchanged: frozenset[str]) -> PaperResult:
    """A file that blocks SIGALRM for longer than the time limit and its grace (as native code that never
    returns to Python would), then returns."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(30)
    return PaperResult(str(path))
