"""Listing the paper files of a build: sorted, hidden files left out, each file once however it is reached."""

from pathlib import Path

import pytest

import publish.database
from publish.database import paper_files


def test_each_file_once_however_it_is_reached(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    for name in ("b.txt", "a.nxml", ".hidden.txt", "notes.md"):
        (papers / name).write_text("x")
    (papers / "c.txt").symlink_to(papers / "a.nxml")  # another name of a.nxml: listed once, as a.nxml
    (tmp_path / "elsewhere.txt").write_text("y")
    (papers / "d.txt").symlink_to(tmp_path / "elsewhere.txt")
    alias = tmp_path / "alias"
    alias.symlink_to(papers, target_is_directory=True)  # the same directory by another path
    files = paper_files([papers, alias, papers / "b.txt", tmp_path / "elsewhere.txt"])
    assert files == [papers / "a.nxml", papers / "b.txt", papers / "d.txt"]


def test_a_directory_is_resolved_once_not_each_file_in_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    for i in range(50):
        (papers / f"{i:02d}.txt").write_text(str(i))
    (papers / "link.txt").symlink_to(papers / "07.txt")
    resolved: list[str] = []
    resolve = publish.database._resolved

    def counting(path: str | Path) -> str:
        resolved.append(str(path))
        return resolve(path)

    monkeypatch.setattr(publish.database, "_resolved", counting)
    files = paper_files([papers])
    assert len(files) == 50 and papers / "link.txt" not in files
    # The directory, and the one link (resolved in full to know which file it names).
    assert sorted(resolved) == [str(papers), str(papers / "link.txt")]
