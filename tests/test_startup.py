"""What an `evidence build` process loads: a build with nothing to read loads no NLP, statistics or web stack."""

import subprocess
import sys
from pathlib import Path

from publish.database import build_database
from publish.unchanged import inputs_digest
from tests.conftest import PAPERS, ROOT

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
HEAVY = ("pandas", "spacy", "scipy", "statsmodels", "datasette")
PROBE = """
import sys
from publish.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as exit:
    assert not exit.code, exit.code
print(" ".join(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def _loaded_by_build(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), "build", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=True)
    return done.stdout.split("\n")[-2].split()


def test_a_build_with_nothing_changed_loads_no_heavy_module(tmp_path: Path) -> None:
    db = tmp_path / "evidence.db"
    build_database(db, [D01], derived_inputs=inputs_digest([]))  # as the command builds it without corrections
    assert _loaded_by_build(str(db), str(D01), "--corrections", str(tmp_path / "none")) == []


def test_pandas_still_imports_after_the_database_code() -> None:
    done = subprocess.run([sys.executable, "-c", "import publish.database, sys; assert 'pandas' not in sys.modules; "
                           "import pandas, sqlite_utils; print(pandas.DataFrame({'a': [1]}).shape)"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 1)"
