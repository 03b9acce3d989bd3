"""Endpoint mentions (lexicons/endpoints.yaml) and table columns, shared by survival and hazard ratios."""

import re
from dataclasses import dataclass
from functools import cache

from extractor.lexicons import load_yaml
from extractor.numbers import unify_dashes
from extractor.patterns import load_rules, longest_first
from extractor.prefilter import Prefilter, literal_pattern
from extractor.sentence import Sentence
from schemas import Table, TableCell, TableRow
from schemas.vocab import Endpoint

# A mention's kind: an endpoint of the vocabulary, another time-to-event outcome, or neither.
ENDPOINT, OTHER_TTE, NOT_TTE = "endpoint", "other_time_to_event", "not_time_to_event"


@dataclass(frozen=True)
class Mention:
    """An outcome named in a text: ``endpoint`` is None unless it is one of the vocabulary."""

    start: int
    end: int
    endpoint: Endpoint | None
    kind: str

    @property
    def time_to_event(self) -> bool:
        return self.kind != NOT_TTE


@dataclass(frozen=True)
class _Lexicon:
    regex: re.Pattern[str]
    listed: re.Pattern[str]  # regex as one alternation of the names, longest first (what it must match)
    phrases: dict[str, tuple[Endpoint | None, str]]
    abbreviations: dict[str, tuple[Endpoint | None, str]]


def _phrase_key(text: str) -> str:
    return re.sub(r"[\s\-]+", " ", text.lower()).strip()


@cache
def _lexicon() -> _Lexicon:
    data = load_yaml("endpoints.yaml")
    phrases: dict[str, tuple[Endpoint | None, str]] = {}
    abbreviations: dict[str, tuple[Endpoint | None, str]] = {}
    for endpoint, names in data["endpoints"].items():
        phrases.update({_phrase_key(p): (endpoint, ENDPOINT) for p in names["phrases"]})
        abbreviations.update({a: (endpoint, ENDPOINT) for a in names["abbreviations"]})
    for kind in (OTHER_TTE, NOT_TTE):
        phrases.update({_phrase_key(p): (None, kind) for p in data[kind]["phrases"]})
        abbreviations.update({a: (None, kind) for a in data[kind].get("abbreviations", [])})
    # Longest names first so 'event-free survival' wins over 'survival' at one position.
    alternatives = [
        r"(?i:" + r"[\s\-]+".join(map(re.escape, key.split())) + r")" for key in sorted(phrases, key=longest_first)
    ]
    alternatives += [re.escape(a) for a in sorted(abbreviations, key=longest_first)]
    listed = re.compile(r"(?<![\w\-])(?:" + "|".join(alternatives) + r")(?![\w\-])")
    # The same search with the names as tries ('event(?:...)'), several times faster: the matches
    # at one position are prefixes of the longest, which a trie tries first (as the list does), and
    # every name is a phrase before it is an abbreviation (tests/test_prefilter.py compares them).
    phrase_trie = literal_pattern(phrases, escape=lambda char: r"[\s\-]+" if char == " " else re.escape(char))
    regex = re.compile(rf"(?<![\w\-])(?:(?i:{phrase_trie})(?![\w\-])|(?:{literal_pattern(abbreviations)})(?![\w\-]))")
    return _Lexicon(regex, listed, phrases, abbreviations)


@cache
def _prefilter() -> Prefilter:
    return Prefilter([_lexicon().listed])


def may_mention_endpoint(text: str) -> bool:
    """False only when the text names no outcome of the lexicon (a quick test before endpoint_mentions)."""
    return _prefilter().may_match(unify_dashes(text))


def endpoint_mentions(text: str) -> list[Mention]:
    """Outcomes named in the text, left to right; 'overall survival (OS)' is one mention."""
    lexicon = _lexicon()
    mentions: list[Mention] = []
    # "progression‐free" with a Unicode hyphen is the same name; one dash for one dash keeps the offsets.
    text = unify_dashes(text)
    for match in lexicon.regex.finditer(text):
        endpoint, kind = lexicon.abbreviations.get(match.group()) or lexicon.phrases[_phrase_key(match.group())]
        if endpoint == "OS" and match.group().lower() == "survival" and _unlisted_free().search(text, 0, match.start()):
            # 'SRE-free survival', 'symptom-free survival': an outcome the lexicon does not name, not OS.
            endpoint, kind = None, OTHER_TTE
        if mentions and _is_bracketed_alias(text, mentions[-1], match.start(), endpoint):
            last = mentions[-1]
            # "overall survival (OS; 89% vs 81%; P = .001)": a bracket that goes on to the values
            # ends the mention at its alias, so the values stay the endpoint's.
            close = re.match(r"[^)\];%]*[)\]]", text[match.end() :])
            end = match.end() + (close.end() if close else 0)
            mentions[-1] = Mention(last.start, end, last.endpoint, last.kind)
            continue
        mentions.append(Mention(match.start(), match.end(), endpoint, kind))
    # "overall and event-free survival were 75% and 63%": 'overall' names overall survival.
    taken = [(m.start, m.end) for m in mentions]
    elliptical = [Mention(m.start(), m.end(), "OS", ENDPOINT) for m in _elliptical_overall().finditer(text)
                  if not any(start < m.end() and m.start() < end for start, end in taken)]
    return sorted(mentions + elliptical, key=lambda m: m.start) if elliptical else mentions


def _is_bracketed_alias(text: str, previous: Mention, start: int, endpoint: Endpoint | None) -> bool:
    return previous.endpoint == endpoint and re.fullmatch(r"\s*[(\[]\s*", text[previous.end : start]) is not None


def mention_at(text: str) -> Mention | None:
    """The first outcome named in a short text such as a table row label."""
    mentions = endpoint_mentions(text)
    return mentions[0] if mentions else None


def cell_column(row: TableRow, index: int, cell: TableCell) -> int:
    """Grid column of a cell: the parser's column when filled, else its index in the row."""
    return cell.column if cell.column is not None else index


def column_headers(table: Table) -> dict[int, str]:
    """Text of the header rows above each grid column (a spanning cell heads every column it spans)."""
    headers: dict[int, list[str]] = {}
    for row in table.rows:
        if not row.header:
            continue
        for index, cell in enumerate(row.cells):
            first = cell_column(row, index, cell)
            for column in range(first, first + cell.colspan):
                if cell.text.strip():
                    headers.setdefault(column, []).append(cell.text.strip())
    return {column: " ".join(texts) for column, texts in headers.items()}


def row_cells(row: TableRow) -> list[tuple[int, TableCell]]:
    """Cells of a row with their grid columns."""
    return [(cell_column(row, i, cell), cell) for i, cell in enumerate(row.cells)]


def row_label(row: TableRow) -> str:
    """Text of the row's first cell (its label)."""
    return row.cells[0].text.strip() if row.cells else ""


def row_outcome(sentence: Sentence) -> Mention | None:
    """The outcome a table row reports: named in its label, or in the group row above it.

    Tables print an endpoint as a row of its own ('Overall survival') with its
    statistics in indented rows below ('Median, months', 'Events, n (%)').
    """
    table, row = sentence.table, sentence.row
    if table is None or row is None:
        return None
    mention = mention_at(row_label(row))
    if mention is not None or not _stat_label().search(row_label(row)):
        return mention
    index = next((i for i, r in enumerate(table.rows) if r is row or (r.start, r.end) == (row.start, row.end)), None)
    if index is None:
        return None
    for above in reversed(table.rows[:index]):
        if above.header:
            return None
        if sum(1 for cell in above.cells if cell.text.strip()) == 1:
            return mention_at(row_label(above))
        if mention_at(row_label(above)) is not None:
            return None
    return None


@cache
def _elliptical_overall() -> re.Pattern[str]:
    return next(r.regex for r in load_rules("survival.yaml") if r.rule.fields.get("role") == "elliptical_overall")


@cache
def _unlisted_free() -> re.Pattern[str]:
    return next(r.regex for r in load_rules("survival.yaml") if r.rule.fields.get("role") == "unlisted_free")


@cache
def _stat_label() -> re.Pattern[str]:
    return next(r.regex for r in load_rules("survival.yaml") if r.rule.fields.get("role") == "table_stat_label")


def next_row(sentence: Sentence) -> TableRow | None:
    """The table row printed right below the sentence's row."""
    table, row = sentence.table, sentence.row
    if table is None or row is None:
        return None
    for i, candidate in enumerate(table.rows[:-1]):
        if (candidate.start, candidate.end) == (row.start, row.end):
            return table.rows[i + 1]
    return None
