"""Killing `evidence build` midway leaves the previous database whole; the next build clears what it left."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from publish.atomic import remove_stale_temps
from tests.conftest import PAPERS, ROOT

EVIDENCE = Path(sys.executable).parent / "evidence"
D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"


def _many_papers(directory: Path, copies: int) -> None:
    """Distinct copies of the bundled JATS papers (a comment makes each file's bytes new)."""
    for source in sorted(PAPERS.glob("*.nxml")):
        data = source.read_bytes()
        for i in range(copies):
            (directory / f"{source.stem}_{i:03d}.nxml").write_bytes(data + f"<!-- copy {i} -->\n".encode())


def _build(db: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EVIDENCE), "build", str(db), *map(str, paths)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_kill_mid_build_keeps_the_previous_database(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    first = _build(db, D05)
    assert first.returncode == 0, first.stderr
    before = db.read_bytes()

    batch = tmp_path / "batch"
    batch.mkdir()
    _many_papers(batch, copies=15)
    build = subprocess.Popen([str(EVIDENCE), "build", str(db), str(batch)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill once the new file holds papers beyond the copy of the old database: midway through writing.
    deadline = time.monotonic() + 60
    temps: list[Path] = []
    while time.monotonic() < deadline:
        temps = list(tmp_path.glob(".evidence.db.*.tmp"))
        if temps and temps[0].stat().st_size > len(before) + 200_000:
            break
        time.sleep(0.01)
    assert build.poll() is None, "the build finished before it could be killed"
    assert temps and f".{build.pid}." in temps[0].name
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=30)

    assert db.read_bytes() == before
    with sqlite3.connect(db) as connection:
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
        assert connection.execute("select stem from papers").fetchall() == [(D05.stem,)]
    assert temps[0].exists()  # what the killed build left; only the next build may remove it
    assert (tmp_path / ".evidence.db.lock").read_text() == f"{build.pid}\n"  # a file, no longer a lock

    # The kernel released the killed build's lock: the next build does not wait for it.
    again = _build(db, D01)
    assert again.returncode == 0 and "waiting" not in again.stderr, again.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("select stem from papers").fetchall() == [(D01.stem,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch", "evidence.db"]


def test_only_temporary_files_of_finished_writers_are_removed(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, alive = tmp_path / f".evidence.db.{finished.stdout.strip()}.x.tmp", tmp_path / f".evidence.db.{os.getpid()}.y.tmp"
    other = tmp_path / f".other.db.{finished.stdout.strip()}.z.tmp"
    for path in (dead, alive, other):
        path.write_bytes(b"half a database")
    assert remove_stale_temps(tmp_path / "evidence.db") == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name])
