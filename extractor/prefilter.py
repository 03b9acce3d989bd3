"""Conservative prefilters: the literal words a regex cannot match without, to skip text quickly.

A component that can only give a record when one of its rules matches may first
ask whether the text holds any literal those rules require; when it holds none,
no rule can match and the component has nothing to do. The literals are worked
out from the parsed regexes (never written by hand), so a prefilter stays exact
when a rule file changes: a rule that requires no literal disables the prefilter.
"""

import re
from collections.abc import Callable, Iterable
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from extractor import regex_cache

# A required literal: the string, and whether the regex compares it ignoring case.
Literal = tuple[str, bool]
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
# The only non-ASCII characters that match an ASCII character ignoring case, or lower-case to one
# (dotted capital I, dotless i, long s, Kelvin sign); tests/test_prefilter.py checks every code point.
ASCII_CASE_LOOKALIKES = "\u0130\u0131\u017f\u212a"
_LOOKALIKE = re.compile(f"[{ASCII_CASE_LOOKALIKES}]")


def required_literals(regex: re.Pattern[str]) -> frozenset[Literal] | None:
    """Literals one of which every match of the regex contains, each with its case rule; None if unknown.

    Worked out once per pattern and kept with the compiled patterns (extractor.regex_cache)."""
    return regex_cache.remembered("required_literals", regex.pattern, regex.flags, lambda: _required(regex))


def _required(regex: re.Pattern[str]) -> frozenset[Literal] | None:
    parsed = sre_parse.parse(regex.pattern, regex.flags)
    return _sequence(list(parsed), bool(parsed.state.flags & re.IGNORECASE))


def _sequence(items: list[tuple[Any, Any]], ignore_case: bool) -> frozenset[Literal] | None:
    """Every item of a sequence must match, so any item's requirement is the sequence's: keep the most selective."""
    candidates: list[frozenset[Literal]] = []
    run: list[str] = []
    for op, av in items:
        char = _literal_char(op, av)
        if char is not None:
            run.append(char)
            continue
        if run:
            candidates.append(frozenset({("".join(run), ignore_case)}))
            run = []
        needed = _char_set(op, av, ignore_case) or _item(op, av, ignore_case)
        if needed is not None:
            candidates.append(needed)
    if run:
        candidates.append(frozenset({("".join(run), ignore_case)}))
    if not candidates:
        return None
    return max(candidates, key=lambda found: (min(len(s) for s, _ in found), -len(found)))


def _literal_char(op: Any, av: Any) -> str | None:
    if op is sre.LITERAL:
        return chr(av)
    if op is sre.IN and len(av) == 1 and av[0][0] is sre.LITERAL:
        return chr(av[0][1])
    return None


def _char_set(op: Any, av: Any, ignore_case: bool) -> frozenset[Literal] | None:
    """The characters of a class made of single characters only ("[.!?]"); None for any other class."""
    if op is not sre.IN or not all(kind is sre.LITERAL for kind, _ in av):
        return None
    return frozenset((chr(code), ignore_case) for _, code in av)


def _item(op: Any, av: Any, ignore_case: bool) -> frozenset[Literal] | None:
    if op is sre.SUBPATTERN:
        _, add_flags, del_flags, pattern = av
        inner = (ignore_case or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
        return _sequence(list(pattern), inner)
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(av), ignore_case)
    if op is sre.BRANCH:
        found: set[Literal] = set()
        for branch in av[1]:
            needed = _sequence(list(branch), ignore_case)
            if needed is None:
                return None
            found |= needed
        return frozenset(found)
    if op in _REPEATS and av[0] >= 1:
        return _sequence(list(av[2]), ignore_case)
    # Classes, anchors, lookarounds, back-references, optional repeats: nothing certain.
    return None


def literals_pattern(literals: Iterable[Literal]) -> str:
    """A regex matching wherever any of the literals occurs, each compared as its case rule says."""
    exact = [s for s, ignore_case in literals if not ignore_case]
    folded = [s for s, ignore_case in literals if ignore_case]
    parts = ([literal_pattern(exact)] if exact else []) + ([f"(?i:{literal_pattern(folded)})"] if folded else [])
    return "|".join(parts)


def literal_pattern(literals: Iterable[str], escape: Callable[[str], str] = re.escape) -> str:
    """An alternation of the literals as a trie ('e(?:arly|vent)'): the same strings, searched much faster.

    Where several literals match at one place, the longest is tried first. ``escape``
    gives each character's pattern (re.escape: the character itself).
    """
    trie: dict[str, Any] = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_pattern(trie, escape)


def _trie_pattern(node: dict[str, Any], escape: Callable[[str], str]) -> str:
    ends = "" in node
    branches = [escape(char) + _trie_pattern(child, escape) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


# Texts lately lowered by a prefilter, by id, each kept with its lower case (None: not lowers_ascii_alike).
# Every component asks prefilters about each sentence of a passage, whose text is one str object
# (Sentence.text is cached): it is lowered once. The text is kept with its entry, so an id is not reused.
_LOWERED: dict[int, tuple[str, str | None]] = {}
_MAX_LOWERED = 256


def ascii_lowered(text: str) -> str | None:
    """text.lower() when lowers_ascii_alike(text), else None; a str object asked about lately answered at once."""
    entry = _LOWERED.get(id(text))
    if entry is not None and entry[0] is text:
        return entry[1]
    if len(_LOWERED) >= _MAX_LOWERED:
        _LOWERED.clear()
    lowered = text.lower() if lowers_ascii_alike(text) else None
    _LOWERED[id(text)] = (text, lowered)
    return lowered


def lowers_ascii_alike(text: str) -> bool:
    """True when str.lower maps the text's ASCII characters to ASCII and no other character to any:
    its ASCII words lower-cased are then exactly the ASCII words of text.lower()."""
    return text.isascii() or _LOOKALIKE.search(text) is None


class Prefilter:
    """Says quickly whether any of some regexes could match a text (False only when none can)."""

    def __init__(self, regexes: Iterable[re.Pattern[str]]) -> None:
        literals: set[Literal] = set()
        self.active = False
        for regex in regexes:
            needed = required_literals(regex)
            if needed is None:
                return
            literals |= needed
        self.active = bool(literals)
        self.exact = tuple(sorted(s for s, ignore_case in literals if not ignore_case))
        folded = sorted(s for s, ignore_case in literals if ignore_case)
        self.folded = re.compile(f"(?i:{literal_pattern(folded)})") if folded else None
        # ASCII letters match one another ignoring case exactly when their lower cases are equal, and
        # no other character matches one but the lookalikes: on text without those, ASCII literals are
        # found with str.lower and `in`, far faster than the regex.
        self.folded_ascii = tuple(s.lower() for s in folded) if all(s.isascii() for s in folded) else None

    def may_match(self, text: str) -> bool:
        """False only when no regex of the prefilter can match anywhere in the text."""
        if not self.active:
            return True
        for literal in self.exact:
            if literal in text:
                return True
        if self.folded is None:
            return False
        if self.folded_ascii is not None:
            lowered = ascii_lowered(text)
            if lowered is not None:
                return any(literal in lowered for literal in self.folded_ascii)
        return self.folded.search(text) is not None
