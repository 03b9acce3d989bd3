"""Vary a synthetic copy's text the way a real collection varies: its numbers, drugs, adverse events and trial ids.

``bench/synth.py --vary`` passes each text, JATS or HTML copy through ``vary`` (PDF text sits in
compressed streams and is left as it is). With one generator seeded by the copy's number, in the
text outside markup (tags, entities and comments are left alone):

* every number except a year (19xx, 20xx) gets new digits of the same shape: as many digits before
  and after the point, no leading zero ("96.5" may become "43.1");
* every trial registry id (NCT + 8 digits) becomes another, the same one throughout the copy;
* every drug of ``extractor/lexicons/drugs.tsv`` and every adverse-event term of ``ae_terms.tsv`` named
  in the copy is swapped for another of the same list, the same swap throughout the copy, its first
  letter's case kept.

So vocabulary, numbers and trials grow with the corpus as in real papers, while each copy keeps its
source's layout, sections and tables (and so the cost of reading it).
"""

import random
import re
from collections.abc import Callable
from functools import cache

from extractor.lexicons import load_tsv

MARKUP = re.compile(rb"(<!--.*?-->|<[^>]*>|&#?\w+;)", re.S)
NUMBER = re.compile(rb"(?<![\w.#&])(\d+)(?:\.(\d+))?(?![\w])")
YEAR = re.compile(rb"(?:19|20)\d\d")
REGISTRY = re.compile(rb"\bNCT\d{8}\b")


@cache
def _names(lexicon: str) -> tuple[str, ...]:
    """The names of a TSV lexicon's first column, 5 letters or more (short ones are often other words)."""
    return tuple(sorted({row[0].lower() for row in load_tsv(lexicon) if row and len(row[0]) >= 5
                         and re.fullmatch(r"[A-Za-z][A-Za-z \-]+", row[0])}))


@cache
def _word_pattern(lexicon: str) -> re.Pattern[bytes]:
    names = sorted(_names(lexicon), key=len, reverse=True)
    return re.compile(rb"(?<![\w\-])(" + b"|".join(re.escape(n.encode()) for n in names) + rb")(?![\w\-])", re.I)


def _digits(rng: random.Random, count: int, lead: bool) -> bytes:
    first = str(rng.randint(1, 9)) if lead and count > 1 else str(rng.randint(0, 9))
    return (first + "".join(str(rng.randint(0, 9)) for _ in range(count - 1))).encode()


def _swapper(lexicon: str, rng: random.Random) -> Callable[[re.Match[bytes]], bytes]:
    names, chosen = _names(lexicon), {}

    def swap(match: re.Match[bytes]) -> bytes:
        word = match.group(1)
        key = word.lower()
        if key not in chosen:
            chosen[key] = rng.choice(names).encode()
        new = chosen[key]
        return new[:1].upper() + new[1:] if word[:1].isupper() else new

    return swap


def vary(data: bytes, k: int) -> bytes:
    """Copy k's bytes with its numbers, registry ids, drugs and adverse-event terms varied (markup untouched)."""
    rng = random.Random(k)
    registries: dict[bytes, bytes] = {}
    drugs, events = _swapper("drugs.tsv", rng), _swapper("ae_terms.tsv", rng)

    def number(match: re.Match[bytes]) -> bytes:
        whole, decimals = match.group(1), match.group(2)
        if decimals is None and YEAR.fullmatch(whole):
            return whole
        new = _digits(rng, len(whole), lead=len(whole) > 1)
        return new + (b"." + _digits(rng, len(decimals), lead=False) if decimals is not None else b"")

    def registry(match: re.Match[bytes]) -> bytes:
        return registries.setdefault(match.group(0), b"NCT" + _digits(rng, 8, lead=False))

    def text(piece: bytes) -> bytes:
        piece = REGISTRY.sub(registry, piece)
        piece = _word_pattern("drugs.tsv").sub(drugs, piece)
        piece = _word_pattern("ae_terms.tsv").sub(events, piece)
        # Registry ids are whole words of letters and digits: NUMBER's look-behind leaves their digits alone.
        return NUMBER.sub(number, piece)

    return b"".join(part if i % 2 else text(part) for i, part in enumerate(MARKUP.split(data)))
