"""Every packaged rule file loads, validates and compiles; every lexicon parses."""

from importlib import resources

import pytest
from pydantic import ValidationError

from extractor.lexicons import load_tsv, load_yaml
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
