"""Section headings to SectionLabel via the alias lexicon, shared by every parser."""

import re
from functools import cache, lru_cache
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from extractor.lexicons import load_yaml
from extractor.patterns import load_rules
from schemas.vocab import SectionLabel

LEXICON = "sections.yaml"
LAYOUT_RULES = "layout.yaml"
SECTION_LABELS: tuple[str, ...] = get_args(SectionLabel)
# Labels of the paper's body proper (IMRaD).
BODY_LABELS: frozenset[str] = frozenset({"introduction", "methods", "results", "discussion"})

# Separators read as a space when comparing headings ("Conflict-of-interest", "Study design/treatment").
_SEPARATORS = str.maketrans({c: " " for c in "-\u2010\u2011\u2012\u2013\u2014/_"})


class SectionLexicon(BaseModel):
    """The section lexicon file, validated when loaded (unknown keys are an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aliases: dict[SectionLabel, list[str]] = Field(description="Heading aliases per section label.")
    sec_types: dict[str, SectionLabel] = Field(description="JATS sec-type values per section label.")
    abstract_subheadings: list[list[str]] = Field(
        description="Sub-headings that stay inside a structured abstract, grouped by step in printing order."
    )
    furniture: list[str] = Field(description="Web-page furniture lines that are neither content nor headings.")
    back_openers: list[str] = Field(description="Opening words of unheaded back-matter paragraphs.")

    @model_validator(mode="after")
    def _aliases_unique(self) -> "SectionLexicon":
        seen: dict[str, str] = {}
        for label, names in self.aliases.items():
            for name in names:
                key = normalise_heading(name)
                if key in seen:
                    raise ValueError(f"heading alias {name!r} listed under {seen[key]!r} and {label!r}")
                seen[key] = label
        return self


@cache
def lexicon() -> SectionLexicon:
    """The validated section lexicon."""
    return SectionLexicon.model_validate(load_yaml(LEXICON))


@cache
def layout_regex(rule_id: str) -> re.Pattern[str]:
    """A compiled page-layout rule of patterns/layout.yaml, by id."""
    regex = _layout_regexes().get(rule_id)
    if regex is None:
        raise KeyError(f"no layout rule {rule_id!r} in {LAYOUT_RULES}")
    return regex


@cache
def _layout_regexes() -> dict[str, re.Pattern[str]]:
    regexes: dict[str, re.Pattern[str]] = {}
    for rule in load_rules(LAYOUT_RULES):
        regexes.setdefault(rule.id, rule.regex)  # the first rule of an id, as a search in file order finds
    return regexes


# Parsers ask about every line of a paper, and papers repeat their headings and running lines.
@lru_cache(maxsize=4096)
def normalise_heading(text: str) -> str:
    """Heading text as the lexicon spells it: lower case, unnumbered, no trailing colon."""
    text = layout_regex("layout.heading_number.v1").sub("", text.strip())
    text = text.replace("&", " and ").replace("\u2019", "'").translate(_SEPARATORS)
    text = " ".join(text.lower().split())
    return text.rstrip(" :.;")


@cache
def _alias_map() -> dict[str, SectionLabel]:
    return {normalise_heading(name): label for label, names in lexicon().aliases.items() for name in names}


@cache
def _normalised(kind: str) -> frozenset[str]:
    return frozenset(normalise_heading(name) for name in getattr(lexicon(), kind))


@cache
def _subheading_steps() -> dict[str, int]:
    return {normalise_heading(name): step for step, names in enumerate(lexicon().abstract_subheadings) for name in names}


def label_for_heading(text: str) -> SectionLabel | None:
    """Section label of a heading such as 'Patients and methods', or None if it is not an alias."""
    return _alias_map().get(normalise_heading(text))


def label_for_sec_type(value: str | None) -> SectionLabel | None:
    """Section label of a JATS sec-type ('methods', 'materials|methods'), or None."""
    if not value:
        return None
    types = lexicon().sec_types
    key = value.strip().lower()
    if key in types:
        return types[key]
    # Compound values list alternatives ("results|discussion"): the first known one decides.
    for part in key.split("|"):
        if part.strip() in types:
            return types[part.strip()]
    return None


def abstract_step(text: str) -> int | None:
    """Step of a structured-abstract sub-heading (0 background, 1 methods, 2 results, ...), or None."""
    return _subheading_steps().get(normalise_heading(text))


def is_abstract_subheading(text: str) -> bool:
    """True for a structured-abstract sub-heading ('Purpose', 'Design and methods', 'Conclusions')."""
    return abstract_step(text) is not None


def is_furniture(line: str) -> bool:
    """True for a line of web-page furniture ('Close modal', 'View large')."""
    return normalise_heading(line) in _normalised("furniture")


def is_back_opener(paragraph: str) -> bool:
    """True when an unheaded paragraph opens like journal back matter ('This work was supported by')."""
    start = " ".join(paragraph.lower().split()[:12])
    return any(start.startswith(opener) for opener in lexicon().back_openers)
