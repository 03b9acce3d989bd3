"""Over two hundred malformed inputs: each gives one clear error line naming the file,
no traceback, no hang, no network access, and the database and corpus already there untouched."""

import os
import random
import resource
import socket
import subprocess
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.errors import PaperError
from extractor.parsers import MAX_BYTES, parse_paper
from publish.budget import time_limit as time_bound  # fails, rather than hangs, past the bound
from publish.cli import cli
from tests.conftest import CORPUS, PAPERS
from tests.test_parse_pdf import BLANK_PAGE, BROKEN, CATALOG, ONE_PAGE, minimal_pdf

SUFFIXES = (".pdf", ".xml", ".nxml", ".html", ".txt")
REAL_PDF = (CORPUS / "pdf" / "bmcanesthesiol_2015_haloperidol_dexamethasone_ponv_dose_response_rct.pdf").read_bytes()
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
          b"<article><body><p>&lol3;</p></body></article>")
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY xxe SYSTEM "%s">]>'
            b'<article><body><p>&xxe;</p></body></article>')
PDF_ID = b"/ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] "
# Encryption dictionaries of each standard handler revision, and a certificate (public-key) one.
ENCRYPTIONS = {
    "rc4-40": b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    "rc4-128": b"<< /Filter /Standard /V 2 /R 3 /Length 128 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32
               + b"> /P -3904 >>",
    "aes-128": b"<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen"
               b" /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <" + b"11" * 32 + b"> /U <" + b"22" * 32
               + b"> /P -3904 >>",
    "aes-256": b"<< /Filter /Standard /V 5 /R 6 /Length 256 /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen"
               b" /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <" + b"11" * 48 + b"> /U <" + b"22" * 48
               + b"> /OE <" + b"33" * 32 + b"> /UE <" + b"44" * 32 + b"> /Perms <" + b"55" * 16 + b"> /P -3904 >>",
    "public-key": b"<< /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s4 /V 4 /R 4 /Recipients [<3082>] >>",
}
SECONDS_PER_FILE = 5.0
# Inputs a parser still fails on with something other than a PaperError: reported to the parsers'
# owners. Build, add and extract report them as one line anyway (publish.processing.unexpected_error).
KNOWN_PARSER_BUGS: dict[str, str] = {}


def _pdf_cases() -> dict[str, bytes]:
    files = {f"truncated-{i:02d}.pdf": REAL_PDF[: int(len(REAL_PDF) * fraction)]
             for i, fraction in enumerate([0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])}
    files.update({f"broken-{name}": data for name, (data, _) in BROKEN.items()})
    for name, encrypt in ENCRYPTIONS.items():
        files[f"encrypted-{name}.pdf"] = minimal_pdf([CATALOG, ONE_PAGE, BLANK_PAGE, encrypt],
                                                     b"/Encrypt 4 0 R " + PDF_ID)
    files["pdf-header-only.pdf"] = b"%PDF-1.7\n"
    files["pdf-no-xref.pdf"] = minimal_pdf([b"<< /Type /Catalog /Pages 2 0 R >>"]).split(b"xref")[0]
    files["pdf-pages-are-their-own-kid.pdf"] = minimal_pdf([CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"])
    files["pdf-count-lies.pdf"] = minimal_pdf([CATALOG, b"<< /Type /Pages /Kids [] /Count 999999999 >>"])
    files["pdf-javascript-no-text.pdf"] = minimal_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.launchURL('http://127.0.0.1:9/')) >> >>",
        ONE_PAGE, BLANK_PAGE])
    return files


def _xml_cases() -> dict[str, bytes]:
    files = {}
    for suffix in (".xml", ".nxml"):
        files[f"laughs{suffix}"] = LAUGHS
        for i, target in enumerate([b"file:///etc/passwd", b"http://127.0.0.1:9/x", b"https://example.org/x.dtd"]):
            files[f"external-{i}{suffix}"] = EXTERNAL % target
        files[f"external-dtd{suffix}"] = b'<!DOCTYPE article SYSTEM "http://127.0.0.1:9/jats.dtd"><article/>'
        files[f"parameter-entity{suffix}"] = (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY % p SYSTEM '
                                              b'"http://127.0.0.1:9/x.dtd"> %p;]><article/>')
        files[f"unclosed{suffix}"] = b"<article><body><p>Forty-three patients were enrolled"
        files[f"mismatched{suffix}"] = b"<article><body><p>text</sec></body></article>"
        files[f"not-xml{suffix}"] = b"Forty-three patients were enrolled; 37 were evaluable."
        files[f"no-article{suffix}"] = b"<?xml version='1.0'?><root><meta/></root>"
        files[f"binary-in-xml{suffix}"] = b"<article><body><p>\x00\x01\x02</p></body></article>"
        files[f"deep{suffix}"] = b"<article><body>" + b"<sec>" * 100_000 + b"x" + b"</sec>" * 100_000 + b"</body></article>"
        files[f"unknown-encoding{suffix}"] = b'<?xml version="1.0" encoding="bogus-9"?><article><body><p>x</p></body></article>'
        files[f"html-root{suffix}"] = b"<html><body><p>Forty patients were enrolled.</p></body></html>"
    return files


def _text_and_html_cases() -> dict[str, bytes]:
    files = {}
    for i, data in enumerate([b"\xff\xfe\x00\x00", b"caf\xe9 au lait: CR 6 (16%)\n", b"\xc3\x28 broken utf-8",
                              b"ok text then \x80\x81\x82", "Ωmega".encode("utf-16-le"), b"\x00" * 1024,
                              b"\xef\xbb\xbf\xff\xff", b"line\r\nline\r\n\xa0\xa0", b"\xef\xbb\xbf",
                              bytes(range(1, 32)) * 100, b"Forty\x00patients\x00were\x00enrolled\x00in\x00the\x00trial.",
                              ("Forty-three patients were enrolled; 37 were evaluable.\n" * 3).encode("utf-16"),
                              ("Results\nForty-three patients were enrolled; median âge 61.\n" * 3).encode("latin-1")]):
        files[f"non-utf8-{i:02d}.txt"] = data
    for suffix in (*SUFFIXES, ".htm"):
        files[f"empty{suffix}"] = b""
        files[f"blank{suffix}"] = b" \n\t \r\n "
    for i, data in enumerate([b"<html><head><script>x</script></head></html>", b"<<<<>>>>", b"<html>\x00\x00</html>",
                              b"<div><div><div>", b"<!DOCTYPE html><title>t</title>",
                              b'<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>']):
        files[f"html-{i}.html"] = data
    files["deep-nesting.html"] = (b"<html><body>" + b"<div>" * 5000 + b"Forty patients were enrolled in the trial."
                                  + b"</div>" * 5000 + b"</body></html>")
    for name in ("word.docx", "slides.pptx", "noext"):
        files[name] = b"PK\x03\x04 not a paper"
    return files


def malformed_files(root: Path) -> list[Path]:
    """Write the malformed inputs under root and return their paths (at least 200)."""
    rng = random.Random(20261122)
    files: dict[str, bytes] = {}
    for i in range(30):
        for suffix in SUFFIXES:
            files[f"random-{i:02d}{suffix}"] = rng.randbytes(rng.choice([1, 16, 512, 4096, 65536]))
    files.update(_pdf_cases())
    files.update(_xml_cases())
    files.update(_text_and_html_cases())
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


def hostile_readable_files(root: Path) -> list[Path]:
    """Inputs that point outside themselves (XInclude, stylesheets, remote images, a deflate bomb) but may parse."""
    bomb = zlib.compress(b"BT /F1 12 Tf (" + b"A" * 50_000_000 + b") Tj ET", 9)
    files = {
        "xinclude.xml": b'<article xmlns:xi="http://www.w3.org/2001/XInclude"><body><p>Forty patients were enrolled.'
                        b'</p><xi:include href="file:///etc/passwd" parse="text"/></body></article>',
        "stylesheet.xml": b'<?xml version="1.0"?><?xml-stylesheet href="http://127.0.0.1:9/s.xsl"?>'
                          b"<article><body><p>Forty patients were enrolled.</p></body></article>",
        "remote.html": b'<html><head><link rel=stylesheet href="http://127.0.0.1:9/s.css"><meta http-equiv="refresh"'
                       b' content="0;url=http://127.0.0.1:9/"></head><body><h2>Results</h2><p>Forty patients were'
                       b' enrolled.</p><img src="http://127.0.0.1:9/i.png"><iframe src="http://127.0.0.1:9/"></iframe>'
                       b"</body></html>",
        "entity-in-html.html": b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                               b"<html><body><p>&x;</p></body></html>",
        "deflate-bomb.pdf": minimal_pdf([
            CATALOG, ONE_PAGE, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"]),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return [root / name for name in files]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return malformed_files(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args[1:] or kwargs}")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _error_lines(stderr: str) -> Counter[str]:
    """How many 'error: <file>: <cause>' lines name each file."""
    return Counter(line.removeprefix("error: ").split(": ")[0] for line in stderr.splitlines()
                   if line.startswith("error: "))


def test_there_are_at_least_two_hundred(bad_files: list[Path]) -> None:
    assert len(bad_files) >= 200
    assert len({p.name for p in bad_files}) == len(bad_files)


def test_each_file_is_refused_quickly_with_one_line_naming_it(bad_files: list[Path]) -> None:
    for path in bad_files:
        if path.name in KNOWN_PARSER_BUGS:
            continue
        start = time.perf_counter()
        with time_bound(SECONDS_PER_FILE), pytest.raises(PaperError) as error:
            parse_paper(path)
        assert time.perf_counter() - start < SECONDS_PER_FILE, path
        message = str(error.value)
        assert message.startswith(f"{path}: ") and "\n" not in message and len(message) < 500, message


def test_a_build_of_bad_files_leaves_the_database_as_it_was(bad_files: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(db), str(PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt")]).exit_code == 0
    before = db.read_bytes()
    start = time.perf_counter()
    with time_bound(60):
        result = runner.invoke(cli, ["build", str(db), *map(str, bad_files)])
    assert time.perf_counter() - start < SECONDS_PER_FILE * 4
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _error_lines(result.stderr) == Counter({str(p): 1 for p in bad_files})
    assert result.stderr.splitlines()[-1].endswith("no paper could be read; database left unchanged")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.db"]


def test_a_bad_file_in_a_batch_is_one_line_and_the_good_papers_are_written(bad_files: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    good = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
    batch = [p for p in bad_files if p.suffix in (".html", ".pdf")][:60]
    batch += [p for p in bad_files if p.name in KNOWN_PARSER_BUGS]
    result = CliRunner().invoke(cli, ["build", str(db), *map(str, batch), str(good)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert _error_lines(result.stderr) == Counter({str(p): 1 for p in batch})
    assert result.stdout.startswith(f"{db}: 1 papers extracted")


def test_adding_bad_files_changes_neither_corpus_nor_database(bad_files: list[Path], tmp_path: Path) -> None:
    corpus, db = tmp_path / "corpus", tmp_path / "evidence.db"
    runner = CliRunner()
    args = ["--corpus", str(corpus), "--db", str(db), "--corrections", str(tmp_path / "corrections")]
    assert runner.invoke(cli, ["add", str(PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"), *args]).exit_code == 0
    before = {p: p.read_bytes() for p in [db, *corpus.rglob("*")] if p.is_file()}
    with time_bound(60):
        result = runner.invoke(cli, ["add", *map(str, bad_files), *args])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert _error_lines(result.stderr) == Counter({str(p): 1 for p in bad_files})
    assert {p: p.read_bytes() for p in [db, *corpus.rglob("*")] if p.is_file()} == before


def test_extract_reports_every_bad_file_and_goes_on(bad_files: list[Path]) -> None:
    good = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
    batch = [*bad_files[:40], *(p for p in bad_files if p.name in KNOWN_PARSER_BUGS)]
    result = CliRunner().invoke(cli, ["extract", "--nl", *map(str, batch), str(good)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert _error_lines(result.stderr) == Counter({str(p): 1 for p in batch})
    assert "NCT02728050" in result.stdout


def test_files_pointing_elsewhere_are_read_without_fetching_anything(tmp_path: Path) -> None:
    for path in hostile_readable_files(tmp_path):
        start = time.perf_counter()
        try:
            with time_bound(SECONDS_PER_FILE):
                text = parse_paper(path).text
        except PaperError as error:
            assert str(error).startswith(f"{path}: ") and "\n" not in str(error)
            continue
        assert time.perf_counter() - start < SECONDS_PER_FILE, path
        assert "root:" not in text and len(text) < 1_000_000, path


def test_a_files_error_does_not_depend_on_the_file_read_before_it(bad_files: list[Path]) -> None:
    pdfs = [p for p in bad_files if p.suffix == ".pdf" and p.is_file() and "encrypted" not in p.name]
    encrypted = next(p for p in bad_files if p.name.startswith("encrypted-"))
    plain = next(p for p in bad_files if p.name == "empty.txt")
    for path in pdfs:
        causes = []
        for before in (plain, encrypted):
            with pytest.raises(PaperError):
                parse_paper(before)
            with pytest.raises(PaperError) as error:
                parse_paper(path)
            causes.append(error.value.cause)
        assert causes[0] == causes[1], path


def _limit_memory() -> None:
    # /dev/zero would be read until memory runs out: a small limit makes that a quick MemoryError.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("kind", ["named pipe", "/dev/zero"])
def test_pipes_and_devices_are_refused_not_read(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "paper.txt"
    if kind == "named pipe":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero", path)
    evidence = Path(sys.executable).parent / "evidence"
    try:
        result = subprocess.run([str(evidence), "parse", str(path)], capture_output=True, text=True,
                                timeout=3, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{kind}: still reading after 3 s") from None
    assert result.returncode == 1 and result.stderr.startswith(f"Error: {path}: "), result.stderr[-300:]
    assert "unexpected MemoryError" not in result.stderr  # refused, not read until memory ran out
