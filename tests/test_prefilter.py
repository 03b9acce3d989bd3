"""The literal prefilters: worked out from the regexes, never wrong about a text a rule matches."""

import re
import string
from pathlib import Path

import pytest

from extractor.components.endpoints import _lexicon
from extractor.components.response import _terms
from extractor.parsers import parse_paper
from extractor.patterns import load_rules, rule_files
from extractor.prefilter import ASCII_CASE_LOOKALIKES, Prefilter, ascii_lowered, literal_pattern, required_literals

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "papers"


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"(?<![\dA-Z])NCT\s?(\d{8})\b", 0, {("NCT", False)}),
        (r"(?i:eudract|eu\s?ctr)[^.;()]{0,25}?", 0, {("dract", True), ("ctr", True)}),
        (r"median\s+age", re.IGNORECASE, {("median", True)}),
        (r"[.!?]\d{1,3}$", 0, {(".", False), ("!", False), ("?", False)}),
        (r"(?:grade|G)?\s*\d", 0, None),
        (r"\d+\s*(?:patients|subjects)", 0, {("patients", False), ("subjects", False)}),
    ],
)
def test_required_literals(pattern: str, flags: int, expected: set[tuple[str, bool]] | None) -> None:
    found = required_literals(re.compile(pattern, flags))
    assert (set(found) if found is not None else None) == expected


def test_trie_pattern_matches_the_same_strings() -> None:
    words = ["prior", "prior ", "previous", "a", "ab", "b.c"]
    regex = re.compile(f"^(?:{literal_pattern(words)})$")
    assert all(regex.match(w) for w in words)
    assert not any(regex.match(w) for w in ["pr", "prio", "abc", "bxc", ""])


def _sentences() -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPUS.iterdir()):
        document = parse_paper(path)
        texts += [line for line in document.text.split("\n") if line.strip()]
    return texts


def test_no_rule_matches_a_line_its_prefilter_rejects() -> None:
    lines = _sentences()
    variants = [line.upper() for line in lines[:200]] + [line.replace("s", "\u017f") for line in lines[:200]]
    for name in rule_files():
        for rule in load_rules(name):
            prefilter = Prefilter([rule.regex])
            for text in lines + variants:
                if rule.regex.search(text):
                    assert prefilter.may_match(text), (rule.id, text)


def test_the_ascii_case_lookalikes_are_complete() -> None:
    chars = "".join(chr(c) for c in range(128, 0x110000) if not 0xD800 <= c < 0xE000)
    found: set[str] = set()
    for letter in string.ascii_letters:
        found |= set(re.findall(re.escape(letter), chars, re.IGNORECASE))
    found |= {c for c in chars if any(x.isascii() for x in c.lower())}
    assert found == set(ASCII_CASE_LOOKALIKES)


def test_ascii_lowered_is_lower_case_when_ascii_alike_and_reused_per_string() -> None:
    text = "Median OS was 6.2 Months"
    assert ascii_lowered(text) == text.lower()
    assert ascii_lowered(text) is ascii_lowered(text)
    assert ascii_lowered("KELVIN \u212a") is None
    # An equal string that is another object is lowered afresh, never mistaken for a cached one.
    other = "".join(["Median OS was 6.2 ", "Months"])
    assert ascii_lowered(other) == other.lower()


def test_no_response_term_matches_a_line_its_prefilter_rejects() -> None:
    lines = _sentences()
    for term in _terms():
        assert term.prefilter.active, term.regex.pattern
        for text in lines + [line.upper() for line in lines[:200]]:
            if term.regex.search(text):
                assert term.prefilter.may_match(text), (term.regex.pattern, text)


def test_a_rule_searches_as_its_regex_does() -> None:
    lines = _sentences()[:400]
    for name in rule_files():
        for rule in load_rules(name):
            for text in lines:
                found, expected = rule.search(text), rule.regex.search(text)
                assert (found.span() if found else None) == (expected.span() if expected else None), (rule.id, text)


def test_the_endpoint_trie_finds_what_the_list_of_names_finds() -> None:
    lexicon = _lexicon()
    lines = _sentences()
    # Names in other cases, joined by hyphens or runs of spaces, and cut short by a following word.
    variants = [transform(line) for line in lines for transform in (
        str.upper, str.lower, lambda s: s.replace(" ", "-"), lambda s: s.replace(" ", "  "),
        lambda s: s.replace(" survival", " survival-x"))]
    spans = [[m.span() for m in lexicon.listed.finditer(text)] for text in lines + variants]
    assert sum(map(len, spans)) > 500
    assert [[m.span() for m in lexicon.regex.finditer(text)] for text in lines + variants] == spans
    made_up = "event-free survival, event free survival-free, EFS, efs, OS-free, disease free-patients, CR rate"
    assert [m.group() for m in lexicon.regex.finditer(made_up)] == [m.group() for m in lexicon.listed.finditer(made_up)]


def test_a_trie_takes_a_pattern_per_character() -> None:
    regex = re.compile(literal_pattern(["event free", "event free survival"], escape=lambda c: r"[\s\-]+" if c == " "
                                       else re.escape(c)))
    assert regex.fullmatch("event - free  survival") and regex.fullmatch("event-free")
    assert regex.match("event free survival").group() == "event free survival"  # the longest first
