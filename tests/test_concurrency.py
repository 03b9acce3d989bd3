"""Curators at once: builds and adds of one database or corpus wait for each other and lose nothing;
a build killed with SIGKILL leaves no process behind."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publish.locking import LockBusy, LockError, lock_path, locked
from tests.conftest import PAPERS, ROOT

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
HA01 = PAPERS / "ha01_cortes_ponatinib_cml.txt"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _evidence(*args: object, session: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "publish.cli", *map(str, args)], cwd=ROOT, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=session)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def _wait_until_holding(target: Path, process: subprocess.Popen[str]) -> None:
    """Until ``process`` holds the lock of ``target`` (it writes its pid there once it does)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if lock_path(target).read_text().strip() == str(process.pid):
                return
        except FileNotFoundError:  # not taken yet, or just let go
            pass
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError(f"{process.pid} never took the lock of {target}")


def _stems(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
        return [row[0] for row in connection.execute("select stem from papers order by stem")]


def test_a_held_lock_is_waited_for_or_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    with locked(db) as path:
        assert path == tmp_path / ".evidence.db.lock" and path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(LockBusy, match="in use by another build or add"), locked(db, wait=False):
            pass
        refused = _finish(_evidence("build", db, D01, "--no-wait"))
        assert refused[0] == 1 and not db.exists()
        assert refused[2] == (f"Error: {db}: in use by another build or add (pid {os.getpid()}, lock {path}); "
                              "not waiting\n")
        waiting = _evidence("build", db, D01)
        assert waiting.stderr is not None
        assert waiting.stderr.readline() == f"waiting for {path} held by pid {os.getpid()}\n"
        time.sleep(0.5)
        assert waiting.poll() is None and not db.exists()
    code, out, err = _finish(waiting)
    assert (code, err) == (0, "")
    assert out.startswith(f"{db}: 1 papers extracted, ")
    assert _stems(db) == [D01.stem]


def test_a_lock_that_cannot_be_taken_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(LockError, match=r"/file/\.evidence\.db\.lock: cannot take the lock \("), \
            locked(tmp_path / "file" / "evidence.db"):
        pass


def test_two_builds_at_once_run_one_after_the_other(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    first = _evidence("build", db, D01)
    _wait_until_holding(db, first)
    second = _evidence("build", db, D01, D05)
    assert _finish(first)[0] == 0
    code, out, err = _finish(second)
    # The second started from the database the first left: D01 unchanged, not extracted again.
    assert code == 0 and err in ("", f"waiting for {lock_path(db)} held by pid {first.pid}\n")
    assert out.startswith(f"{db}: 1 papers extracted,") and out.endswith(", 1 unchanged\n")
    assert _stems(db) == sorted([D01.stem, D05.stem])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.db"]


def test_two_adds_at_once_keep_both_papers(tmp_path: Path) -> None:
    corpus, db = tmp_path / "corpus", tmp_path / "evidence.db"
    adds = [_evidence("add", paper, "--corpus", corpus, "--db", db, "--corrections", tmp_path / "none")
            for paper in (D01, D05)]
    results = [_finish(add) for add in adds]
    assert [code for code, _, _ in results] == [0, 0]
    assert [out.splitlines()[0] for _, out, _ in results] == [f"{D01}: added as papers/{D01.name}",
                                                              f"{D05}: added as papers/{D05.name}"]
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert sorted(entry["file"] for entry in manifest["papers"]) == [f"papers/{D01.name}", f"papers/{D05.name}"]
    assert _stems(db) == sorted([D01.stem, D05.stem])


def test_an_add_during_a_build_survives_it(tmp_path: Path) -> None:
    corpus, db = tmp_path / "corpus", tmp_path / "evidence.db"
    (corpus / "papers").mkdir(parents=True)
    (corpus / "papers" / D01.name).write_bytes(D01.read_bytes())
    build = _evidence("build", db, corpus / "papers", "--corrections", tmp_path / "none")
    _wait_until_holding(db, build)
    add = _evidence("add", HA01, "--corpus", corpus, "--db", db, "--corrections", tmp_path / "none")
    assert _finish(build)[0] == 0
    code, out, err = _finish(add)
    # The add's own build came after the build, whether or not it had to wait for it.
    assert code == 0 and err in ("", f"waiting for {lock_path(db)} held by pid {build.pid}\n")
    added, built = out.splitlines()
    assert added == f"{HA01}: added as papers/{HA01.name}" and built.startswith(f"{db}: 1 papers extracted, ")
    assert _stems(db) == sorted([D01.stem, HA01.stem])
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert [entry["file"] for entry in manifest["papers"]] == [f"papers/{HA01.name}"]


def _session(sid: int) -> list[str]:
    """The command lines of the live processes of session ``sid`` (from /proc: zombies are gone)."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, _, session = stat.read_text().rpartition(")")[2].split()[:4]
            if int(session) == sid and state != "Z":
                left.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, ValueError):  # gone meanwhile
            continue
    return left


def test_killing_a_build_leaves_no_process_behind(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    for source in sorted(PAPERS.glob("*.nxml"))[:12]:
        (papers / source.name).write_bytes(source.read_bytes())
    build = _evidence("build", tmp_path / "evidence.db", papers, "--workers", "2", session=True)
    try:
        # The build, its forkserver and resource tracker, and two workers forked from the forkserver.
        deadline = time.monotonic() + 60
        while len(_session(build.pid)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_session(build.pid)) >= 5, _session(build.pid)
        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _session(build.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session(build.pid) == []
        assert not (tmp_path / "evidence.db").exists()
    finally:
        if _session(build.pid):
            os.killpg(build.pid, signal.SIGKILL)  # what this test started, should it fail


def test_a_build_written_in_place_waits_for_a_reader_of_the_file(tmp_path: Path) -> None:
    import threading

    from publish.database import build_database

    db = tmp_path / "evidence.db"
    build_database(db, [PAPERS / "d01_borthakur_phase1_haematologica2011.txt"])
    # A reader in the middle of a read (a sqlite3 shell, a Datasette opened on the file) for longer than sqlite3's
    # default 5 s wait: the in-place commit waits for it rather than failing.
    reader = sqlite3.connect(db, check_same_thread=False)
    reader.execute("BEGIN")
    assert reader.execute("select count(*) from papers").fetchone() == (1,)
    done = threading.Timer(6.0, reader.rollback)
    done.start()
    try:
        result = build_database(db, [PAPERS / "d01_borthakur_phase1_haematologica2011.txt",
                                     PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"])
    finally:
        done.join()
    assert result.papers == 1
    assert reader.execute("select count(*) from papers").fetchone() == (2,)
    reader.close()
