"""What a person sees: headless Chromium opens a paper page with highlighted evidence, the forest plot, and a wide
table page (its table scrolls in its own box, its column descriptions folded).

Chromium comes from Debian's `chromium` package (`make test` installs it when absent
and apt-get is available); the test is skipped, saying why, when it is not there.
"""

import html
import json
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from publish.database import build_database
from tests.conftest import PAPERS, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Opens ?page in a 1000 px wide frame and writes how wide the page's content is and whether the column
# descriptions are open: what a reader's window would scroll.
WIDTH_PROBE = """<!DOCTYPE html><html><body><p id="out">waiting</p>
<iframe id="f" style="width:1000px;height:800px;border:0"></iframe><script>
const f = document.getElementById("f");
f.onload = () => { const d = f.contentDocument; const box = d.querySelector("details.column-descriptions-box");
  document.getElementById("out").textContent = JSON.stringify({width: d.documentElement.scrollWidth,
    client: d.documentElement.clientWidth, open: box ? box.open : null,
    wrapper: d.querySelector(".table-wrapper") ? d.querySelector(".table-wrapper").scrollWidth : 0}); };
f.src = new URLSearchParams(location.search).get("page");
</script></body></html>"""

# Drives the site in a frame as a reader would: from the index page click "Pool estimates", pick the PFS endpoint
# from its facet, untick the first study pooled and submit; then writes what each page showed.
QUESTION_PROBE = """<!DOCTYPE html><html><body><p id="out">waiting</p>
<iframe id="f" style="width:1100px;height:800px;border:0"></iframe><script>
const f = document.getElementById("f"); const seen = []; let step = 0;
const k = (d) => { const el = d.getElementById("k"); return el ? el.textContent : null; };
f.onload = () => { const d = f.contentDocument; step += 1;
  seen.push({url: f.contentWindow.location.pathname + f.contentWindow.location.search, k: k(d),
             svg: d.querySelectorAll("#forest svg").length});
  if (step === 1) { [...d.querySelectorAll("a")].find((a) => a.textContent === "Pool estimates").click(); }
  else if (step === 2) { d.querySelector("#facet-endpoint a[href$='endpoint=PFS']").click(); }
  else if (step === 3) { d.querySelector("#studies-form input[name=keep]").click();
                         d.querySelector("#studies-form button[type=submit]").click(); }
  else { document.getElementById("out").textContent = JSON.stringify(seen); } };
f.src = "/";
</script></body></html>"""

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("browser") / "evidence.db"
    build_database(db, [PAPERS])
    probe = tmp_path_factory.mktemp("probe")
    (probe / "width.html").write_text(WIDTH_PROBE, encoding="utf-8")
    (probe / "question.html").write_text(QUESTION_PROBE, encoding="utf-8")
    port = _free_port()
    evidence = Path(sys.executable).parent / "evidence"
    # --static serves the probe page from the site's own origin, so it may measure a page in an iframe.
    process = subprocess.Popen([str(evidence), "serve", str(db), "--port", str(port), "--static", f"probe:{probe}"],
                               cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base, db
    finally:
        process.terminate()
        process.wait(timeout=10)


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
                          capture_output=True, text=True, timeout=120)


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and raw scanlines of an 8-bit RGB(A) PNG, with the standard library only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, chunks = 8, 0, 0, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


def test_paper_page_shows_the_highlighted_quote(server: tuple[str, Path], tmp_path: Path) -> None:
    base, db = server
    row = next(sqlite_utils.Database(db).query("select * from hazard_ratios where hr = 1.37"))
    url = f"{base}/-/paper/{row['paper_id']}?start={row['start']}&end={row['end']}"
    dom = _chromium(["--dump-dom", url], tmp_path / "profile").stdout
    assert "<mark id=\"evidence\">" in dom
    assert "1·37" in dom.split("<mark id=\"evidence\">", 1)[1].split("</mark>", 1)[0]
    assert "hazard_ratios (" in dom


def test_forest_plot_page_renders_an_image(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    dom = _chromium(["--dump-dom", f"{base}/-/pool?endpoint=OS"], tmp_path / "profile").stdout
    assert "<svg" in dom and "Pooled (DL)" in dom and "DerSimonian" in dom
    shot = tmp_path / "forest.png"
    _chromium([f"--screenshot={shot}", "--window-size=1100,900", f"{base}/-/pool?endpoint=OS"], tmp_path / "p2")
    width, height, raw = _png_pixels(shot)
    assert (width, height) == (1100, 900)
    assert len(set(raw[: min(len(raw), 2_000_000)])) > 20, "the screenshot is blank"


def test_a_wide_table_scrolls_in_its_box_and_its_descriptions_are_folded(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    dom = _chromium(["--dump-dom", "--virtual-time-budget=20000", f"{base}/probe/width.html?page=/evidence/adverse_events"],
                    tmp_path / "profile").stdout
    measured = json.loads(html.unescape(dom.split('<p id="out">', 1)[1].split("</p>", 1)[0]))
    assert measured["wrapper"] > measured["client"]  # the table is wider than the window ...
    assert measured["width"] <= measured["client"]  # ... but only its box scrolls, not the page
    assert measured["open"] is False


def test_a_question_from_the_index_page_to_a_pool_without_one_study(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    dom = _chromium(["--dump-dom", "--virtual-time-budget=30000", f"{base}/probe/question.html"],
                    tmp_path / "profile").stdout
    seen = json.loads(html.unescape(dom.split('<p id="out">', 1)[1].split("</p>", 1)[0]))
    index, first_pool, pfs, unticked = seen
    assert index["url"] == "/" and first_pool["url"] == "/-/pool?endpoint=OS"
    assert pfs["url"] == "/-/pool?endpoint=PFS" and pfs["svg"] == 1
    before, after = (int(page["k"].removeprefix("k = ")) for page in (pfs, unticked))
    assert after == before - 1 >= 2
    assert unticked["url"].startswith("/-/pool?endpoint=PFS&exclude=") and unticked["svg"] == 1
