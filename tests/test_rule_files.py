"""Every packaged rule file loads, validates and compiles; every lexicon parses."""

import json
from importlib import resources
from importlib.resources.abc import Traversable

import pytest
import yaml
from pydantic import ValidationError

from extractor.lexicons import load_tsv, load_yaml, parse_yaml
from extractor.patterns import RuleFile, expand, load_rules, rule_files


@pytest.mark.parametrize("name", rule_files())
def test_rule_file_loads(name: str) -> None:
    rules = load_rules(name)
    assert rules, f"{name} has no rules"
    ids = [rule.id for rule in rules]
    assert len(ids) == len(set(ids)), f"duplicate rule ids in {name}"


def test_rule_ids_unique_across_files() -> None:
    ids = [rule.id for name in rule_files() for rule in load_rules(name)]
    assert len(ids) == len(set(ids))


def test_unknown_rule_key_is_an_error() -> None:
    with pytest.raises(ValidationError):
        RuleFile.model_validate({"rules": [{"id": "x.y.v1", "pattern": "a", "confidence": 1,
                                            "description": "d", "colour": "red"}]})


def test_unknown_fragment_is_an_error() -> None:
    with pytest.raises(KeyError):
        expand("<<NO_SUCH_FRAGMENT>>")


def _lexicons() -> list[str]:
    package = resources.files("extractor.lexicons")
    return sorted(e.name for e in package.iterdir() if e.name.endswith((".yaml", ".tsv")))


@pytest.mark.parametrize("name", _lexicons())
def test_lexicon_parses(name: str) -> None:
    data = load_tsv(name) if name.endswith(".tsv") else load_yaml(name)
    assert data


def _yaml_files() -> list[Traversable]:
    return [entry for package in ("extractor.patterns", "extractor.lexicons")
            for entry in sorted(resources.files(package).iterdir(), key=lambda e: e.name) if entry.name.endswith(".yaml")]


@pytest.mark.parametrize("entry", _yaml_files(), ids=lambda e: e.name)
def test_yaml_files_read_as_yaml_safe_load_reads_them(entry: Traversable) -> None:
    text = entry.read_text(encoding="utf-8")
    expected = yaml.safe_load(text)
    found = parse_yaml(text)
    # Equal values of equal types throughout (1 == 1.0 == True would hide a difference).
    assert found == expected
    assert json.dumps(found, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert repr(found) == repr(expected)
