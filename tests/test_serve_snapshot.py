"""`evidence serve` answers from one version of the database: a rebuild while serving is reported, never mixed in."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from publish.database import build_database
from publish.serve import make_datasette, newer_database_notice
from publish.snapshot import COPY_PREFIX, remove_stale_snapshots, served_snapshot, take_snapshot
from tests.conftest import PAPERS

D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"
COUNT = "/evidence.json?sql=select+count(*)+as+n+from+papers&_shape=array"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("built") / "evidence.db"
    build_database(path, [D05, JATS])
    return path


@pytest.fixture
def db_path(built: Path, tmp_path: Path) -> Path:
    path = tmp_path / "evidence.db"
    shutil.copyfile(built, path)
    return path


def _rebuild_with_one_paper_less(db_path: Path) -> None:
    """What `evidence build` does: a new file written beside the old one, renamed over it."""
    new = db_path.with_name(".evidence.db.new")
    shutil.copyfile(db_path, new)
    db = Database(new)
    db.execute("delete from papers where rowid = (select min(rowid) from papers)")
    db.conn.commit()
    db.close()
    os.replace(new, db_path)


async def _counts(ds: object, n: int) -> list[int]:
    responses = await asyncio.gather(*(ds.client.get(COUNT) for _ in range(n)))  # type: ignore[attr-defined]
    return [r.json()[0]["n"] for r in responses]


async def test_a_rebuild_while_serving_is_not_served_and_is_reported(db_path: Path) -> None:
    ds = make_datasette(db_path)
    await ds.invoke_startup()
    assert await _counts(ds, 1) == [2]
    before = (await ds.client.get("/-/evidence-version.json")).json()
    assert before["newer_available"] is False and before["database"] == "evidence" and before["snapshot"] == "hard link"
    assert before["serving"] == before["current"]

    _rebuild_with_one_paper_less(db_path)
    assert Database(db_path).table("papers").count == 1
    # Concurrent requests run on every SQL thread, most opening their connection only now: all answer the old count.
    assert await _counts(ds, 24) == [2] * 24
    after = (await ds.client.get("/-/evidence-version.json")).json()
    assert after["newer_available"] is True
    assert after["serving"] == before["serving"] and after["current"]["inode"] != after["serving"]["inode"]
    page = await ds.client.get("/evidence/papers")
    assert page.status_code == 200 and "A newer evidence.db has been built" in page.text
    assert "Stop and start <code>evidence serve</code> again" in page.text  # says what to do
    # The URLs keep the file's name, whatever the snapshot's path.
    served = ds.get_database()
    assert served.name == "evidence" and Path(served.path).parent.name.startswith(".evidence.db.serve-")


def test_the_snapshot_is_a_link_beside_the_file_and_goes_when_released(db_path: Path) -> None:
    snapshot = take_snapshot(db_path)
    try:
        assert snapshot.linked and snapshot.path.name == db_path.name
        assert snapshot.path.parent.parent == db_path.parent.resolve()
        assert snapshot.path.parent.name.startswith(f".evidence.db.serve-{os.getpid()}-")
        assert snapshot.path.stat().st_ino == db_path.stat().st_ino
        assert served_snapshot(snapshot.path) is snapshot
        lines: list[str] = []
        stop = snapshot.watch(lambda: lines.append(newer_database_notice(snapshot)), interval=0.05)
        _rebuild_with_one_paper_less(db_path)
        for _ in range(100):
            if lines:
                break
            asyncio.run(asyncio.sleep(0.02))
        stop()
        assert lines == [f"{db_path.resolve()}: a newer database has been built; still serving the version opened at "
                         "start (restart evidence serve to serve the new one)"]
        assert Database(snapshot.path).table("papers").count == 2  # the old version, intact
    finally:
        snapshot.release()
    assert not snapshot.path.parent.exists() and served_snapshot(snapshot.path) is None
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["evidence.db"]


def test_a_database_with_a_long_name_is_still_linked(db_path: Path, tmp_path: Path) -> None:
    long = tmp_path / ("e" * 250 + ".db")
    os.link(db_path, long)
    snapshot = take_snapshot(long)
    try:
        assert snapshot.linked and snapshot.path.name == long.name
        assert snapshot.path.parent.parent == tmp_path.resolve()
    finally:
        snapshot.release()
    assert not snapshot.path.parent.exists()


def test_a_copy_in_the_temp_dir_when_linking_fails(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*_args: object) -> None:
        raise OSError("links not supported")

    monkeypatch.setattr(os, "link", no_links)
    snapshot = take_snapshot(db_path)
    try:
        assert not snapshot.linked and snapshot.path.parent.name.startswith(f"{COPY_PREFIX}{os.getpid()}-")
        assert snapshot.path.read_bytes() == db_path.read_bytes()
        assert not snapshot.newer_available()
        _rebuild_with_one_paper_less(db_path)
        assert snapshot.newer_available()
    finally:
        snapshot.release()
    assert not snapshot.path.parent.exists()
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["evidence.db"]


def test_snapshots_of_killed_servers_are_removed_at_the_next_start(db_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = db_path.parent / f".evidence.db.serve-{dead_pid}-abc123"
    stale.mkdir()
    os.link(db_path, stale / "evidence.db")
    live = db_path.parent / f".evidence.db.serve-{os.getpid()}-live"
    live.mkdir()
    assert remove_stale_snapshots(db_path.resolve()) == [stale]
    assert not stale.exists() and live.exists()  # a running server's snapshot is left alone
    live.rmdir()


def test_serve_removes_its_snapshot_on_sigterm(db_path: Path, tmp_path: Path) -> None:
    import signal
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = f"from publish.serve import serve; serve({str(db_path)!r}, port={port})"
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(root)})
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        snapshots = [p for p in db_path.parent.iterdir() if ".serve-" in p.name]
        assert len(snapshots) == 1 and snapshots[0].name.startswith(f".evidence.db.serve-{server.pid}-")
        _rebuild_with_one_paper_less(db_path)
        time.sleep(3)  # the watcher looks every 2 s
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert "a newer database has been built" in stderr.decode()
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["evidence.db"]


def test_a_build_while_a_snapshot_links_the_file_writes_a_new_file(db_path: Path) -> None:
    snapshot = take_snapshot(db_path)
    try:
        inode = db_path.stat().st_ino
        # One paper added: written into the file itself, were it not linked (publish.in_place).
        assert build_database(db_path, [D05, JATS, PAPERS / "d01_borthakur_phase1_haematologica2011.txt"]).papers == 1
        assert db_path.stat().st_ino != inode
        assert Database(snapshot.path).table("papers").count == 2  # the version served, intact
        assert Database(db_path).table("papers").count == 3
    finally:
        snapshot.release()


def test_a_snapshot_after_a_build_killed_during_its_commit_serves_the_old_version(db_path: Path) -> None:
    # What a build killed while committing leaves: new pages in the file, the old ones in a hot journal.
    script = ("import os, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('pragma cache_size = 2')\n"
              "c.execute(\"update sections set text = upper(text) || ' torn'\")\nos._exit(0)\n")
    before = db_path.read_bytes()
    subprocess.run([sys.executable, "-c", script, str(db_path)], check=True)
    journal = Path(f"{db_path}-journal")
    assert journal.exists() and db_path.read_bytes() != before
    snapshot = take_snapshot(db_path)
    try:
        assert not journal.exists()
        assert snapshot.path.read_bytes() == before
        texts = Database(f"file:{snapshot.path}?immutable=1").execute("select text from sections").fetchall()
        assert texts and not any(text.endswith(" torn") for (text,) in texts)
    finally:
        snapshot.release()
