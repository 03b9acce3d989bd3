"""Word lists as data files, loaded on demand with importlib.resources."""

from functools import cache
from importlib import resources
from typing import Any

import yaml

# PyYAML's safe loader with libyaml's parser when PyYAML has it: the same data (the constructor is
# the safe one either way; tests/test_rule_files.py compares every packaged file), read ten times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """The data of a packaged YAML file's text, as yaml.safe_load gives it."""
    return yaml.load(text, Loader=SAFE_LOADER)


@cache
def load_yaml(name: str) -> Any:
    """Parse a packaged lexicon file (e.g. 'drugs.yaml')."""
    return parse_yaml(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def load_tsv(name: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a packaged TSV lexicon, skipping blank lines and '#' comments."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return tuple(
        tuple(cell.strip() for cell in line.split("\t"))
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )
