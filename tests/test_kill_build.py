"""Killing `evidence build` midway leaves the previous database whole."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import PAPERS, ROOT

EVIDENCE = Path(sys.executable).parent / "evidence"


def _many_papers(directory: Path, copies: int) -> None:
    """Distinct copies of the bundled JATS papers (a comment makes each file's bytes new)."""
    for source in sorted(PAPERS.glob("*.nxml")):
        data = source.read_bytes()
        for i in range(copies):
            (directory / f"{source.stem}_{i:03d}.nxml").write_bytes(data + f"<!-- copy {i} -->\n".encode())


def test_kill_mid_build_keeps_the_previous_database(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    first = subprocess.run([str(EVIDENCE), "build", str(db), str(PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt")],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    before = db.read_bytes()

    batch = tmp_path / "batch"
    batch.mkdir()
    _many_papers(batch, copies=15)
    build = subprocess.Popen([str(EVIDENCE), "build", str(db), str(batch)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".evidence.db.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # let it write a few papers into the new file
    assert build.poll() is None, "the build finished before it could be killed"
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=30)

    assert db.read_bytes() == before
    with sqlite3.connect(db) as connection:
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
        assert connection.execute("select stem from papers").fetchall() == [("d05_sorafenib_clagm_bloodadv2023",)]

    again = subprocess.run([str(EVIDENCE), "build", str(db), str(PAPERS / "d01_borthakur_phase1_haematologica2011.txt")],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("select stem from papers").fetchall() == [("d01_borthakur_phase1_haematologica2011",)]
