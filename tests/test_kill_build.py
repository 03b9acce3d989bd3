"""Killing `evidence build` midway leaves the previous database whole; the next build clears what it left."""

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publish.atomic import remove_stale_temps
from publish.database import build_database
from publish.manifest import load_manifest
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


def _add(corpus: Path, db: Path, *papers: Path) -> list[str]:
    return [str(EVIDENCE), "add", *map(str, papers), "--corpus", str(corpus), "--db", str(db),
            "--corrections", str(corpus / "corrections")]


@pytest.mark.parametrize("delay", [0.5, 2.0, 3.5, 5.0])
def test_kill_mid_add_leaves_corpus_and_database_consistent(tmp_path: Path, delay: float) -> None:
    corpus, db = tmp_path / "corpus", tmp_path / "evidence.db"
    first = subprocess.run(_add(corpus, db, D05), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    batch = tmp_path / "batch"
    batch.mkdir()
    for source in sorted(PAPERS.glob("h*.txt"))[:10]:
        (batch / source.name).write_bytes(source.read_bytes())
    add = subprocess.Popen(_add(corpus, db, *sorted(batch.iterdir())), cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    os.kill(add.pid, signal.SIGKILL)
    add.wait(timeout=30)

    # Whatever the moment: the manifest reads, every entry's file is whole, no half-copied file
    # sits in the corpus, and the database is a whole database.
    manifest = load_manifest(corpus)
    for entry in manifest.papers:
        assert hashlib.sha256((corpus / entry.file).read_bytes()).hexdigest() == entry.sha256
    sources = {p.read_bytes() for p in [D05, *batch.iterdir()]}
    for path in (corpus / "papers").iterdir():
        assert path.read_bytes() in sources, path
    with sqlite3.connect(db) as connection:
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
        stems = {row[0] for row in connection.execute("select stem from papers")}
    assert D05.stem in stems

    # Adding the batch again completes what the killed add began: every paper in manifest and database.
    again = subprocess.run(_add(corpus, db, *sorted(batch.iterdir())), capture_output=True, text=True, cwd=ROOT,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "waiting" not in again.stderr
    files = {entry.file for entry in load_manifest(corpus).papers}
    assert len(files) == 1 + len(list(batch.iterdir()))
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from papers").fetchone()[0] == len(files)


def test_a_build_written_in_place_killed_before_its_commit_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    build_database(db, [D05])  # as the script below builds: no corrections
    before, inode = db.read_bytes(), db.stat().st_ino
    # One paper added, held after everything is written into the transaction, before its commit.
    script = ("import time\nfrom publish.database import build_database\n"
              "def hold(db, summary):\n    print('written', flush=True)\n    time.sleep(60)\n"
              f"build_database({str(db)!r}, [{str(D05)!r}, {str(D01)!r}], after_write=hold)\n")
    build = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert build.stdout is not None and build.stdout.readline() == "written\n"
    assert not list(tmp_path.glob(".evidence.db.*.tmp"))  # written in place, not into a copy
    os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=30)

    assert db.read_bytes() == before and db.stat().st_ino == inode
    with sqlite3.connect(db) as connection:
        assert connection.execute("select stem from papers").fetchall() == [(D05.stem,)]
    again = _build(db, D05, D01)
    assert again.returncode == 0 and "waiting" not in again.stderr, again.stderr
    with sqlite3.connect(db) as connection:
        assert sorted(connection.execute("select stem from papers").fetchall()) == [(D01.stem,), (D05.stem,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.db"]
