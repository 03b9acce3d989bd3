"""Peak memory of a process tree (a command and the workers it starts), sampled from /proc (Linux).

getrusage cannot give it: the workers of a process pool started by a forkserver
are not the command's children, and RUSAGE_CHILDREN reports the largest single
process, not the sum. A sampler thread reads every process descending from the
root every ``interval`` seconds: the total is the sum of their PSS (proportional
set size: a page shared by the forkserver and its workers counts once, split
between them; summing RSS would count it in each), and each process's VmHWM (its
own peak RSS) gives the largest single process, short spikes between samples
included.
"""

import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass
class TreeMemory:
    """Peak memory of a process tree, in MB: all processes at once (PSS), and the largest single one (RSS)."""

    total_mb: float = 0.0
    largest_mb: float = 0.0
    processes: int = 0


def _status(pid: int) -> dict[str, str]:
    try:
        lines = (PROC / str(pid) / "status").read_text().splitlines()
    except OSError:  # the process ended between listing and reading
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _pss_kb(pid: int) -> float:
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return _kb(line.split(":", 1)[1])
    except OSError:  # ended, or a kernel without smaps_rollup: RSS instead
        pass
    return _kb(_status(pid).get("VmRSS"))


def _kb(value: str | None) -> float:
    return float(value.split()[0]) if value else 0.0


def _tree(root: int) -> list[int]:
    """root and every process descending from it."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            ppid = _status(int(entry.name)).get("PPid")
            if ppid:
                parents.setdefault(int(ppid), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


class TreeSampler:
    """Samples a process tree's memory in a thread until stopped."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.root, self.interval = root, interval
        self.peak = TreeMemory()
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        total = 0.0
        for pid in _tree(self.root):
            status = _status(pid)
            if not status:
                continue
            self.seen.add(pid)
            total += _pss_kb(pid)
            self.peak.largest_mb = max(self.peak.largest_mb, _kb(status.get("VmHWM")) / 1024)
        self.peak.total_mb = max(self.peak.total_mb, total / 1024)
        self.peak.processes = len(self.seen)


def run_measured(command: Sequence[str], **kwargs: object) -> tuple[float, TreeMemory, subprocess.CompletedProcess[str]]:
    """Run a command to completion: wall seconds, peak memory of its process tree, and its result."""
    start = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs) as proc:  # type: ignore[call-overload]
        with TreeSampler(proc.pid) as sampler:
            stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - start
    result = subprocess.CompletedProcess(list(command), proc.returncode, stdout, stderr)
    return seconds, sampler.peak, result
