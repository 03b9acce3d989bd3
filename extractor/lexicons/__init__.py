"""Word lists as data files, loaded on demand with importlib.resources."""

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load_yaml(name: str) -> Any:
    """Parse a packaged lexicon file (e.g. 'drugs.yaml')."""
    return yaml.safe_load(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def load_tsv(name: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a packaged TSV lexicon, skipping blank lines and '#' comments."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return tuple(
        tuple(cell.strip() for cell in line.split("\t"))
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )
