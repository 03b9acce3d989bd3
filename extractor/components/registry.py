"""Trial registry identifiers: NCT, ISRCTN, EudraCT and the other registries of registry.yaml."""

from collections.abc import Iterator
from functools import cache

from extractor.patterns import load_rules
from extractor.prefilter import Prefilter
from extractor.sentence import Sentence
from schemas import RegistryId


@cache
def _prefilter() -> Prefilter:
    return Prefilter(rule.regex for rule in load_rules("registry.yaml"))


def extract_registry_ids(sentence: Sentence) -> Iterator[RegistryId]:
    """Every registry identifier printed in the sentence, spaces removed."""
    if not _prefilter().may_match(sentence.text):
        return
    for rule in load_rules("registry.yaml"):
        for match in rule.regex.finditer(sentence.text):
            identifier = rule.rule.fields["prefix"] + match.group(1).replace(" ", "")
            yield RegistryId(
                registry=rule.rule.fields["registry"],
                identifier=identifier,
                provenance=[sentence.provenance(rule.id, rule.confidence)],
            )
