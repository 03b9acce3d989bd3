"""Numbers as printed in papers: middle-dot decimals, thousands separators, words, Roman grades."""

import re

from extractor.lexicons import load_yaml
from extractor.patterns import longest_first

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


def unify_dashes(text: str) -> str:
    """Unicode hyphens, dashes and minus signs as '-', one character for one (offsets are kept)."""
    return text.translate(_DASHES)


def normalise_number_text(text: str) -> str:
    """Middle dots to decimal points, unicode dashes and minus signs to '-'."""
    return unify_dashes(text.replace("\u00b7", ".").replace("\u2027", "."))


_SPACES = re.compile(r"[ \u2005-\u200a\u202f]")


def parse_number(text: str) -> float | None:
    """A printed number ('0·76', '1,250', '.61', '−2.5') as a float, or None."""
    # Thousands printed with a space of any width ("15\u2005822", "1 250") are one number.
    cleaned = _SPACES.sub("", normalise_number_text(text).strip())
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")
    if not re.fullmatch(r"-?(\d+(\.\d+)?|\.\d+)", cleaned):
        return words_to_int(text)
    return float(cleaned)


def parse_int(text: str) -> int | None:
    """A printed whole number (digits or words), or None when it is not whole."""
    value = parse_number(text)
    if value is None or value != int(value):
        return None
    return int(value)


def words_to_int(text: str) -> int | None:
    """'Forty-three' -> 43, 'Eight hundred and six' -> 806; None when not a number phrase."""
    lexicon = load_yaml("number_words.yaml")
    words = [w for w in re.split(r"[\s\-]+", unify_dashes(text).strip().lower()) if w and w != "and"]
    if not words:
        return None
    total, current = 0, 0
    for word in words:
        if word in lexicon["units"]:
            current += lexicon["units"][word]
        elif word in lexicon["tens"]:
            current += lexicon["tens"][word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
    return total + current


def number_words_regex() -> str:
    """A regex alternation of number words, longest first, for use inside patterns."""
    lexicon = load_yaml("number_words.yaml")
    names = sorted([*lexicon["units"], *lexicon["tens"], *lexicon["scales"]], key=longest_first)
    return "|".join(names)


def roman_to_int(text: str) -> int | None:
    """Roman numerals of CTCAE grades ('II' -> 2), or None."""
    return _ROMAN.get(text.strip().lower())
