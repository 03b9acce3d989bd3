"""Over two hundred malformed inputs: each gives one clear error line naming the file,
no traceback, no hang, no network access, and the database already built is untouched."""

import os
import random
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.errors import PaperError
from extractor.parsers import MAX_BYTES, parse_paper
from publish.cli import cli
from tests.conftest import CORPUS, PAPERS
from tests.test_parse_pdf import BROKEN, minimal_pdf

SUFFIXES = (".pdf", ".xml", ".nxml", ".html", ".txt")
REAL_PDF = (CORPUS / "pdf" / "bmcanesthesiol_2015_haloperidol_dexamethasone_ponv_dose_response_rct.pdf").read_bytes()
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
          b"<article><body><p>&lol3;</p></body></article>")
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY xxe SYSTEM "%s">]>'
            b'<article><body><p>&xxe;</p></body></article>')
SECONDS_PER_FILE = 5.0


def malformed_files(root: Path) -> list[Path]:
    """Write the malformed inputs under root and return their paths (at least 200)."""
    rng = random.Random(20261122)
    files: dict[str, bytes] = {}
    for i in range(30):
        for suffix in SUFFIXES:
            files[f"random-{i:02d}{suffix}"] = rng.randbytes(rng.choice([1, 16, 512, 4096, 65536]))
    for i, fraction in enumerate([0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]):
        files[f"truncated-{i:02d}.pdf"] = REAL_PDF[: int(len(REAL_PDF) * fraction)]
    for name, (data, _) in BROKEN.items():
        files[f"broken-{name}"] = data
    files["pdf-header-only.pdf"] = b"%PDF-1.7\n"
    files["pdf-no-xref.pdf"] = minimal_pdf([b"<< /Type /Catalog /Pages 2 0 R >>"]).split(b"xref")[0]
    for suffix in (".xml", ".nxml"):
        files[f"laughs{suffix}"] = LAUGHS
        for i, target in enumerate([b"file:///etc/passwd", b"http://127.0.0.1:9/x", b"https://example.org/x.dtd"]):
            files[f"external-{i}{suffix}"] = EXTERNAL % target
        files[f"external-dtd{suffix}"] = b'<!DOCTYPE article SYSTEM "http://127.0.0.1:9/jats.dtd"><article/>'
        files[f"unclosed{suffix}"] = b"<article><body><p>Forty-three patients were enrolled"
        files[f"mismatched{suffix}"] = b"<article><body><p>text</sec></body></article>"
        files[f"not-xml{suffix}"] = b"Forty-three patients were enrolled; 37 were evaluable."
        files[f"no-article{suffix}"] = b"<?xml version='1.0'?><root><meta/></root>"
        files[f"binary-in-xml{suffix}"] = b"<article><body><p>\x00\x01\x02</p></body></article>"
    for i, data in enumerate([b"\xff\xfe\x00\x00", b"caf\xe9 au lait: CR 6 (16%)\n", b"\xc3\x28 broken utf-8",
                              b"ok text then \x80\x81\x82", "Ωmega".encode("utf-16-le"), b"\x00" * 1024,
                              b"\xef\xbb\xbf\xff\xff", b"line\r\nline\r\n\xa0\xa0"]):
        files[f"non-utf8-{i}.txt"] = data
    for suffix in (*SUFFIXES, ".htm"):
        files[f"empty{suffix}"] = b""
        files[f"blank{suffix}"] = b" \n\t \r\n "
    for i, data in enumerate([b"<html><head><script>x</script></head></html>", b"<<<<>>>>", b"<html>\x00\x00</html>",
                              b"<div><div><div>", b"<!DOCTYPE html><title>t</title>"]):
        files[f"html-{i}.html"] = data
    for name in ("word.docx", "slides.pptx", "noext"):
        files[name] = b"PK\x03\x04 not a paper"
    paths = []
    for name, data in files.items():
        path = root / name
        path.write_bytes(data)
        paths.append(path)
    huge = root / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk used
    paths.append(huge)
    for name in ("directory.pdf", "directory.nxml"):
        (root / name).mkdir()
        paths.append(root / name)
    loop = root / "loop.txt"
    os.symlink(loop, loop)
    paths.append(loop)
    paths.append(root / "missing.txt")
    return paths


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return malformed_files(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_there_are_at_least_two_hundred(bad_files: list[Path]) -> None:
    assert len(bad_files) >= 200


def test_each_file_is_refused_quickly_with_one_line_naming_it(bad_files: list[Path]) -> None:
    for path in bad_files:
        start = time.perf_counter()
        with pytest.raises(PaperError) as error:
            parse_paper(path)
        assert time.perf_counter() - start < SECONDS_PER_FILE, path
        message = str(error.value)
        assert message.startswith(f"{path}: ") and "\n" not in message and len(message) < 500, message


def test_a_build_of_bad_files_leaves_the_database_as_it_was(bad_files: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(db), str(PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt")]).exit_code == 0
    before = db.read_bytes()
    result = runner.invoke(cli, ["build", str(db), *map(str, bad_files)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    named = {line.split(": ")[1] for line in errors}
    assert {str(p) for p in bad_files} <= named
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.db"]


def test_extract_reports_every_bad_file_and_goes_on(bad_files: list[Path]) -> None:
    good = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
    result = CliRunner().invoke(cli, ["extract", "--nl", *map(str, bad_files[:40]), str(good)])
    assert result.exit_code == 1
    assert len([line for line in result.stderr.splitlines() if line.startswith("error: ")]) == 40
    assert "NCT02728050" in result.stdout
