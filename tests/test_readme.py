"""The README documents every CLI command and every database table."""

from publish.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    for name in cli.commands:
        assert f"`evidence {name}" in README, f"evidence {name} is not documented in README.md"


def test_make_targets_in_the_readme() -> None:
    assert "make demo" in README and "make test" in README


def test_every_database_table_is_in_the_readme(tmp_path) -> None:
    import sqlite_utils

    from publish.database import build_database
    from tests.conftest import PAPERS

    db_path = tmp_path / "evidence.db"
    build_database(db_path, [PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"])
    db = sqlite_utils.Database(db_path)
    for table in db.table_names():
        if "_fts" in table:
            continue
        assert f"`{table}`" in README, f"table {table} is not documented in README.md"
