"""Work functions for worker-pool tests: importable by name in a worker process."""

import os
from pathlib import Path

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
