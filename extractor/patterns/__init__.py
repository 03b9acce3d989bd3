"""Rule files (YAML): regex rules with ids, validated when loaded.

A rule file holds ``rules:``, a list of rules, each ``{id, pattern, confidence,
description}`` plus optional ``flags`` and ``fields`` (constant values the rule
sets). Patterns may use ``<<NAME>>`` placeholders for the shared fragments of
``fragments.yaml`` (numbers, percents, ranges ...), so each shape is written once.
"""

import re
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.lexicons import parse_yaml
from extractor.prefilter import Prefilter

_PLACEHOLDER = re.compile(r"<<([A-Z_]+)>>")
_FLAGS = {"IGNORECASE": re.IGNORECASE, "MULTILINE": re.MULTILINE, "DOTALL": re.DOTALL}


class Rule(BaseModel):
    """One regex rule of a pattern file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z_]+(\.[a-z0-9_]+)+\.v\d+$", description="Rule id, e.g. 'registry.nct.v1'.")
    pattern: str = Field(description="Regex, with <<FRAGMENT>> placeholders.")
    confidence: float = Field(ge=0, le=1, description="Confidence given to values the rule produces.")
    description: str = Field(description="What the rule matches, in words.")
    flags: list[Literal["IGNORECASE", "MULTILINE", "DOTALL"]] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict, description="Constant values the rule sets.")


class RuleFile(BaseModel):
    """A whole pattern file."""

    model_config = ConfigDict(extra="forbid")

    rules: list[Rule]


class CompiledRule:
    """A rule with its regex compiled, fragments expanded."""

    def __init__(self, rule: Rule, regex: re.Pattern[str]) -> None:
        self.rule = rule
        self.regex = regex
        self._prefilter: Prefilter | None = None

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def confidence(self) -> float:
        return self.rule.confidence

    def finditer(self, text: str) -> list[re.Match[str]]:
        return list(self.regex.finditer(text))

    def may_match(self, text: str) -> bool:
        """False only when the regex cannot match anywhere in the text (a literal it needs is missing)."""
        if self._prefilter is None:
            self._prefilter = Prefilter([self.regex])
        return self._prefilter.may_match(text)

    def search(self, text: str) -> re.Match[str] | None:
        """regex.search(text), skipped when the text lacks a literal every match needs."""
        return self.regex.search(text) if self.may_match(text) else None


def _read(name: str) -> Any:
    return parse_yaml(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def fragments() -> dict[str, str]:
    """Shared regex fragments, themselves expanded (a fragment may use earlier ones)."""
    raw: dict[str, str] = _read("fragments.yaml")["fragments"]
    expanded: dict[str, str] = {}
    for name, pattern in raw.items():
        expanded[name] = expand(pattern, expanded)
    return expanded


def expand(pattern: str, table: dict[str, str] | None = None) -> str:
    """Replace <<NAME>> placeholders with their fragments."""
    table = fragments() if table is None else table

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in table:
            raise KeyError(f"unknown pattern fragment <<{name}>>")
        return f"(?:{table[name]})"

    return _PLACEHOLDER.sub(sub, pattern)


@cache
def load_rules(name: str) -> tuple[CompiledRule, ...]:
    """Load, validate and compile a pattern file such as 'registry.yaml'."""
    rule_file = RuleFile.model_validate(_read(name))
    compiled = []
    for rule in rule_file.rules:
        flags = 0
        for flag in rule.flags:
            flags |= _FLAGS[flag]
        compiled.append(CompiledRule(rule, re.compile(expand(rule.pattern), flags)))
    return tuple(compiled)


def rule_files() -> list[str]:
    """Names of every packaged rule file (all YAML files but the fragments)."""
    return sorted(
        entry.name
        for entry in resources.files(__package__).iterdir()
        if entry.name.endswith(".yaml") and entry.name != "fragments.yaml"
    )


def longest_first(word: str) -> tuple[int, str]:
    """Sort key for the alternatives of a regex: longest first (so a longer name wins where a shorter one
    also matches), words of one length in a fixed order (so the pattern is the same in every process)."""
    return -len(word), word
