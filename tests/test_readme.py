"""The README documents every CLI command and every database table."""

from publish.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    for name in cli.commands:
        assert f"`evidence {name}" in README, f"evidence {name} is not documented in README.md"


def test_make_targets_in_the_readme() -> None:
    assert "make demo" in README and "make test" in README
