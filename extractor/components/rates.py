"""Printed patient counts (n, of, %) with their arms, in prose and table rows: shared by response and mortality."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache

from extractor.numbers import parse_int, parse_number
from extractor.patterns import CompiledRule, load_rules
from extractor.sentence import Sentence

OPEN, CLOSE = "\u27e6", "\u27e7"
# Words that are never an arm label on their own (cue words the label regexes can reach).
_NOT_ARMS = frozenset({
    "the", "an", "and", "or", "of", "in", "with", "for", "on", "among", "both", "all", "patients", "patient",
    "rate", "rates", "was", "were", "is", "are", "had", "respectively", "overall", "total", "vs", "versus", "than",
    "p", "hr", "ci", "median", "n", "no", "number", "group", "arm", "arms", "cohort",
})
# A credible interval is 'CrI' as printed: 'CRi' (a response) is no statistic.
_STAT_HEADER = re.compile(
    r"^\s*(?:(?:adjusted\s+|unadjusted\s+)?(?:HR|OR|RR|hazard|odds|risk ratio|relative risk|difference)\b.*|"
    r"(?:\d+\s*%\s*)?(?:CI|(?-i:CrI)|confidence interval)\b.*|P(?:[\s\-]?values?)?[*\u2020\u2021a-d]?)\s*$",
    re.IGNORECASE,
)
_NOT_ARM_HEADER = re.compile(
    r"^\s*(?:n|no\.?|number|%|n\s*\(\s*%\s*\)|no\.?\s*\(\s*%\s*\)|value|variable|parameter|characteristic|"
    r"response|outcome|total|all patients|overall|all|any grade|grade.*)\s*$",
    re.IGNORECASE,
)
_PCT_HINT = re.compile(r"\(\s*%\s*\)|,\s*%\s*$|^\s*%\s*$|%\s*$", re.IGNORECASE)
_N_HINT = re.compile(r"^\s*(?:n|no\.?|number(?: of patients)?)\s*$", re.IGNORECASE)
_CELL_N_PCT = re.compile(
    r"^(?P<n>\d+)[*\u2020\u2021\u00a7\u00b6]?\s*[(\[]\s*(?P<lt><)?\s*(?P<pct>\d+(?:[.\u00b7]\d+)?)\s*(?P<sign>%)?\s*[)\]]$"
)
_CELL_N_OF = re.compile(r"^(?P<n>\d+)\s*/\s*(?P<of>\d+)(?:\s*\(\s*(?P<pct>\d+(?:[.\u00b7]\d+)?)\s*%?\s*\))?$")
# '47.06% (8/17)': a rate with the count and denominator after it.
_CELL_PCT_N_OF = re.compile(r"^(?P<pct>\d+(?:[.\u00b7]\d+)?)\s*%?\s*\(\s*(?P<n>\d+)\s*/\s*(?P<of>\d+)\s*\)$")
# A confidence interval printed after a count in square brackets: '13 (27.7) [15.6–42.6]'.
_CELL_CI = re.compile(r"\s*\[\s*\d+(?:[.\u00b7]\d+)?\s*%?\s*(?:[\u2010-\u2014\-]|to|,)\s*\d+(?:[.\u00b7]\d+)?\s*%?\s*\]$")
_CELL_PLAIN = re.compile(r"^(?P<num>\d+(?:[.\u00b7]\d+)?)\s*(?P<sign>%)?[*\u2020\u2021\u00a7\u00b6]?$")
_TRAILING_VALUE = re.compile(
    r"\s+([<>\u2264\u2265]?\d[\d.,\u00b7]*[*\u2020\u2021\u00a7\u00b6]?%?(?:\s*[(\[][^()\[\]]*[)\]])?|NA|NR|[-\u2013\u2014]{1,2})\s*$"
)
# A value followed within a few words by its own outcome ('and 1 (3%) with PR') is not compared.
_OWNED_LATER = re.compile(r"^(?:\s+[^\s\u27e6\u27e7.;,()]+){0,4}?\s+\u27e6[OW]\d+\u27e7")
_FOOTNOTE = re.compile(r"[*\u2020\u2021\u00a7\u00b6]+$")


@dataclass(frozen=True)
class Count:
    """Patients with an outcome: n of a denominator, and the percent, each as printed."""

    n: int | None = None
    of: int | None = None
    percent: float | None = None


@dataclass(frozen=True)
class Token:
    """A masked stretch of a sentence: outcome (O), value (V), bare number (N), window (W/B)."""

    kind: str
    start: int
    end: int
    label: str = ""
    counts: tuple[Count, ...] = ()
    shape: str = "single"
    parts: tuple[str, ...] = ()
    joiner: str = ""
    rule_id: str = ""
    confidence: float = 1.0


@dataclass
class Masked:
    """A sentence with its tokens replaced by markers ⟦O1⟧, so rules see shapes, not words."""

    source: str
    tokens: list[Token]
    text: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        pieces, pos, spans = [], 0, []
        for i, token in enumerate(self.tokens):
            pieces.append(self.source[pos : token.start])
            start = sum(len(p) for p in pieces)
            marker = f"{OPEN}{token.kind}{i}{CLOSE}"
            pieces.append(marker)
            spans.append((start, start + len(marker)))
            pos = token.end
        pieces.append(self.source[pos:])
        self.text = "".join(pieces)
        self.spans = spans

    def before(self, index: int) -> str:
        return self.text[: self.spans[index][0]]

    def after(self, index: int) -> str:
        return self.text[self.spans[index][1] :]


@cache
def rules_with(name: str, role: str) -> tuple[CompiledRule, ...]:
    """Rules of a pattern file that play one role (fields.role)."""
    return tuple(rule for rule in load_rules(name) if rule.rule.fields.get("role") == role)


def non_overlapping(tokens: Iterable[Token]) -> list[Token]:
    """Longest tokens first at each place; a token overlapping a kept one is dropped."""
    kept: list[Token] = []
    for token in sorted(tokens, key=lambda t: (t.start, -(t.end - t.start))):
        if not kept or token.start >= kept[-1].end:
            kept.append(token)
    return kept


def value_tokens(text: str) -> list[Token]:
    """Printed counts (V) and bare whole numbers (N) of a sentence, longest reading first."""
    found: list[Token] = []
    # 'in Arm 1 and 20% in Arm 2': a number naming an arm is no count; hidden (same length) from the value rules.
    scan = text
    for rule in rules_with("rates.yaml", "arm_label_number"):
        scan = rule.regex.sub(lambda m: m.group("kind") + "#" * len(m.group("label")), scan)
    for rule in rules_with("rates.yaml", "value"):
        for match in rule.regex.finditer(scan):
            counts = _counts(match.groupdict())
            if counts:
                shape = rule.rule.fields.get("shape", "single")
                found.append(Token("V", match.start(), match.end(), counts=counts, shape=shape,
                                   rule_id=rule.id, confidence=rule.confidence))
    values = non_overlapping(found)
    bare = []
    for rule in rules_with("rates.yaml", "count"):
        for match in rule.regex.finditer(scan):
            n = parse_int(match.group("n"))
            if n is not None and not any(v.start < match.end() and match.start() < v.end for v in values):
                bare.append(Token("N", match.start(), match.end(), counts=(Count(n=n),), rule_id=rule.id,
                                  confidence=rule.confidence))
    return non_overlapping([*values, *bare])


def _counts(groups: dict[str, str | None]) -> tuple[Count, ...]:
    n = parse_int(groups["n"]) if groups.get("n") else None
    of = parse_int(groups["of"]) if groups.get("of") else None
    pct = parse_number(groups["pct"]) if groups.get("pct") else None
    if groups.get("lt"):
        pct = None
    if (n is not None and of is not None and (n > of or of == 0)) or (pct is not None and pct > 100):
        return ()
    if groups.get("pct2"):
        pct2 = parse_number(groups["pct2"])
        if pct2 is None or pct2 > 100:
            return ()
        return Count(percent=pct), Count(percent=pct2)
    if n is None and pct is None:
        return ()
    return (Count(n=n, of=of, percent=pct),)


def mask(text: str, tokens: Iterable[Token]) -> Masked:
    """The sentence with the tokens (which must not overlap) masked."""
    return Masked(text, sorted(tokens, key=lambda t: t.start))


def kind_labels(kind: str, names: list[str]) -> list[str]:
    """Arm labels of a plural kind word and its names: "in arms A and B" gives "arm A" and "arm B"."""
    return [f"{kind[:-1]} {name}" for name in names]


def clean_arm(label: str | None) -> str | None:
    """An arm label as printed, without counts, units and filler; None when it is not a label."""
    if not label:
        return None
    text = re.sub(r"\(?\s*\b[nN]\s*=\s*\d+\s*\)?|\(\s*%\s*\)|\bn\s*\(\s*%\s*\)|\(\s*n\s*\)", " ", label)
    text = re.sub(r"\s(?:group|arm|cohort)\s*$", " ", " " + text.strip())
    text = " ".join(_FOOTNOTE.sub("", text.strip()).split()).strip(" ,:;")
    words = text.lower().split()
    if not words or all(w in _NOT_ARMS for w in words) or words[0] in {"the", "and", "or"} or _NOT_ARM_HEADER.match(text):
        return None
    if re.fullmatch(r"[A-Z][a-z\-]+", text):
        text = text.lower()
    return text


def arm_near(masked: Masked, index: int, weak: bool = True) -> str | None:
    """The arm label printed right after or right before a value, if any; ``weak`` admits bare labels."""
    # Bare numbers are part of a label ('in the EPI 120 arm'): the arm rules read them unmasked.
    after, before = _unmask_numbers(masked, masked.after(index)), _unmask_numbers(masked, masked.before(index))
    for rule in rules_with("rates.yaml", "arm_after"):
        if rule.rule.fields.get("weak") and not weak:
            continue
        match = rule.regex.search(after)
        if match and (arm := clean_arm(match.group("arm"))):
            return arm
    for rule in rules_with("rates.yaml", "arm_before"):
        if rule.rule.fields.get("weak") and not weak:
            continue
        match = rule.regex.search(before)
        if match and (arm := clean_arm(match.group("arm"))):
            return arm
    return None


_RESPECTIVE = re.compile(
    r"\brespectively\b|\b(?:in|for)\s+the\s+[A-Za-z][\w+\-/]*(?:\s+[A-Za-z][\w+\-/]*)?\s+and\s+(?:the\s+)?"
    r"[A-Za-z][\w+\-/]*(?:\s+[A-Za-z][\w+\-/]*)?\s+(?:arms|groups)\b"
    # "73.1% (19/26) and 57.1% (8/14) in each arm": the numbers follow the arms as named.
    r"|\bin\s+(?:each|the\s+respective)\s+(?:arms?|groups?)\b")
_BARE_NUMBER = re.compile(f"{OPEN}N(\\d+){CLOSE}")


def _unmask_numbers(masked: Masked, text: str) -> str:
    """A stretch of the masked sentence with its bare-number markers read back as printed."""
    if f"{OPEN}N" not in text:
        return text
    return _BARE_NUMBER.sub(lambda m: masked.source[masked.tokens[int(m[1])].start : masked.tokens[int(m[1])].end], text)


def chain(masked: Masked, first: int, end: int, used: set[int]) -> list[int]:
    """Values after masked position ``end`` compared with value ``first`` ('71% vs 66%')."""
    found: list[int] = []
    # "65% and 58% for the DA60 and DA90 arms" names the arms in the order of its numbers, as "respectively" does.
    respectively = _RESPECTIVE.search(masked.text) is not None
    previous, pos, compared = first, end, False
    while True:
        index = None
        for rule in rules_with("rates.yaml", "chain"):
            match = rule.regex.search(masked.text[pos:])
            if match is None:
                continue
            candidate = int(match.group("v"))
            needs_arms = rule.rule.fields.get("needs_arms")
            if needs_arms and compared:
                # '8% vs 4% (HR 2.1) and 11% vs 6%': after a comparison, 'and' starts the next comparison.
                continue
            compared = compared or not needs_arms
            trusted = respectively and needs_arms != "always"
            if needs_arms and not trusted and not (arm_near(masked, previous) and arm_near(masked, candidate)):
                continue
            index = candidate
            break
        if index is None or index in used or masked.tokens[index].shape != "single" or _OWNED_LATER.match(masked.after(index)):
            return found
        found.append(index)
        previous, pos = index, masked.spans[index][1]


def value_items(masked: Masked, value: Token, v_index: int, anchor: int, used: set[int]) -> list[tuple[Count, str | None]]:
    """The counts a value token gives, each with its arm: a list's counts, or the value and the
    values chained after it ("48 [17%] ... vs 29 [11%]"); a lone value may take a weaker arm cue."""
    if value.shape == "list":
        return [(count, None) for count in value.counts]
    items = [(value.counts[0], arm_near(masked, v_index))]
    for index in chain(masked, v_index, max(masked.spans[anchor][1], masked.spans[v_index][1]), used):
        used.add(index)
        items.append((masked.tokens[index].counts[0], arm_near(masked, index)))
    if len(items) == 1:
        items = [(value.counts[0], arm_near(masked, v_index, weak=False))]
    return items


def arm_order(text: str) -> list[str] | None:
    """Two arm labels a sentence names in order ('in the X arm than in the Y arm')."""
    for rule in rules_with("rates.yaml", "arm_order"):
        match = rule.regex.search(text)
        if match:
            if kind := match.groupdict().get("kind"):
                arms = kind_labels(kind, [match.group("arm"), match.group("arm2")])
            else:
                arms = [clean_arm(match.group("arm")), clean_arm(match.group("arm2"))]
            if all(arms) and arms[0] != arms[1]:
                return [a for a in arms if a]
    return None


def sentence_arm(text: str) -> str | None:
    """The arm label a sentence opens with ('In the X arm,', 'In arm B,', 'Best response to X was:') when
    the rest of the sentence names or compares no other arm, or None."""
    blocker = rules_with("rates.yaml", "sentence_arm_blocker")[0]
    for rule in rules_with("rates.yaml", "sentence_arm"):
        match = rule.regex.match(text)
        if match is None or blocker.regex.search(text, match.end()):
            continue
        if match["kind"]:
            return f"{match['kind'].lower()} {match['name']}"
        return clean_arm(match["arm"] or match["arm2"])
    return None


def is_hypothetical(masked: Masked, indexes: Iterable[int]) -> bool:
    """True when design words ('threshold of', 'if the true') come right before a token, or a
    threshold ('or higher') right after it."""
    rules = rules_with("rates.yaml", "hypothetical")
    after = rules_with("rates.yaml", "hypothetical_after")
    return any(rule.regex.search(masked.before(i)[-40:]) for i in indexes for rule in rules) or any(
        rule.regex.match(masked.after(i)) for i in indexes if masked.tokens[i].kind in "VN" for rule in after)


def is_design_statement(sentence: Sentence) -> bool:
    """True for a methods sentence stating the plan ('if the true CR rate was 70%'), not a result."""
    if sentence.section != "methods":
        return False
    return any(rule.search(sentence.text) for rule in rules_with("rates.yaml", "methods_design"))


def previous_sentence(sentence: Sentence) -> str:
    """The sentence before this one in the same paragraph, or ''."""
    text = sentence.doc.text[max(0, sentence.start - 800) : sentence.start]
    text = text[text.rfind("\n") + 1 :].strip()
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(\[])", text)
    return parts[-1] if parts else ""


def resolve_arms(groups: list[list[tuple[Count, str | None]]], order: list[str] | None,
                 ) -> list[list[tuple[Count, str | None]]]:
    """Arms of numbers compared within a sentence, or None for all where any is unclear."""
    resolved = []
    for group in groups:
        arms = [arm for _, arm in group]
        if len(group) == 1 or (all(arms) and len(set(arms)) == len(arms)):
            resolved.append(group)
        elif order is not None and len(order) == len(group) and (all(
            a is None or a == o for a, o in zip(arms, order, strict=True)
        ) or _last_named_first(arms, order)):
            resolved.append([(count, arm) for (count, _), arm in zip(group, order, strict=True)])
        else:
            resolved.append([(count, None) for count, _ in group])
    return resolved


def _last_named_first(arms: list[str | None], order: list[str]) -> bool:
    """True when only the first value has an arm, the last of the sentence's order, or only the last
    value the first of it: the arm named right before a bracket of compared values ("higher in the PE
    arm than in the FEC arm (76.55% vs. 56.95%)") was read as the first value's, or the first of a
    list after them ("45% and 30% for FCR and FC, respectively") as the last value's; the values
    follow the order."""
    if len(order) < 2:
        return False
    return ((arms[0] == order[-1] and all(a is None for a in arms[1:]))
            or (arms[-1] == order[0] and all(a is None for a in arms[:-1])))


def order_from(groups: list[list[tuple[Count, str | None]]]) -> list[str] | None:
    """Arm order set by the first group whose arms are all named."""
    for group in groups:
        arms = [arm for _, arm in group]
        if len(arms) > 1 and all(arms) and len(set(arms)) == len(arms):
            return [a for a in arms if a]
    return None


@dataclass(frozen=True)
class RowValue:
    """One value cell of a table row with the arm its column header names."""

    arm: str | None
    count: Count


def table_row(sentence: Sentence, label_ok: Callable[[str], bool]) -> tuple[str, list[RowValue]] | None:
    """Label and values of a table row whose label passes ``label_ok``; None otherwise."""
    if sentence.row is None or sentence.table is None:
        return None
    cells = [c for c in sentence.row.cells if c.text.strip()]
    if len(cells) >= 2 and not _TRAILING_VALUE.search(" " + cells[0].text):
        label = cells[0].text
        raw = [(c.text.strip(), c.column if c.column is not None else i) for i, c in enumerate(sentence.row.cells)][1:]
        raw = [(text, col) for text, col in raw if text]
        headers = header_columns(sentence)
    else:
        label, values = _split_row(sentence.text)
        raw = [(v, None) for v in values]
        headers = {}
    label = _FOOTNOTE.sub("", label.strip()).strip()
    if not raw or not label_ok(label):
        return None
    label_pct = bool(re.search(r",\s*%\s*$|\(\s*%\s*\)\s*$|\brate\s*\(?%\)?\s*$", label))
    # 'PR (cases) 50 49': a label that says its numbers are patients makes plain numbers counts.
    label_n = bool(re.search(r"\(\s*(?:n|no\.?|cases|patients)\s*\)\s*$", label, re.IGNORECASE))
    any_pct = "%" in sentence.header or label_pct or "%" in section_row_label(sentence)
    out: list[RowValue] = []
    # (index in out, the header texts above a count column's bottom one) of the last 'No.' column's
    # count: the '%' column right after it under the same headers is the same count's percent.
    last_n: tuple[int, list[str]] | None = None
    for text, col in raw:
        texts = headers.get(col, []) if col is not None else []
        if any(_STAT_HEADER.match(t) for t in texts):
            last_n = None
            continue
        col_pct = label_pct or any(_PCT_HINT.search(t) and not re.search(r"\bn\b|\bno\.", t, re.IGNORECASE) for t in texts)
        col_n = label_n or any(_N_HINT.match(t) for t in texts)
        count = parse_cell(text, any_pct=any_pct, plain_pct=col_pct, plain_n=col_n)
        if count is None:
            last_n = None
            continue
        if (last_n is not None and count.n is None and count.of is None and len(texts) > 1
                and texts[:-1] == last_n[1] and _PCT_HINT.match(texts[-1])):
            # 'Simvastatin (n=134): No. | %' over '2 | 1.5': one count, n and percent.
            index = last_n[0]
            out[index] = replace(out[index], count=replace(out[index].count, percent=count.percent))
            last_n = None
            continue
        arm = next((a for t in texts if (a := clean_arm(t))), None)
        out.append(RowValue(arm, count))
        bottom_n = len(texts) > 1 and _N_HINT.match(texts[-1]) is not None
        last_n = (len(out) - 1, texts[:-1]) if bottom_n and count.percent is None else None
    # Arms named by two or more columns, each once; a 'Total' column stays the whole population (None).
    named = [v.arm for v in out if v.arm]
    if len(named) < 2 or len(set(named)) < len(named):
        out = [replace(v, arm=None) for v in out]
    return label, out


@dataclass(frozen=True)
class HeadedCell:
    """A non-empty cell of a table row with what the header cells above its column say."""

    text: str
    headers: tuple[str, ...]
    statistic: bool
    percent: bool
    count: bool


def headed_cells(sentence: Sentence) -> list[HeadedCell]:
    """The filled cells of a table row with the header texts above each (top first); [] for a
    row without cells, such as a table printed as text lines."""
    if sentence.row is None or sentence.table is None:
        return []
    headers = header_columns(sentence)
    out = []
    for i, cell in enumerate(sentence.row.cells):
        if not cell.text.strip():
            continue
        texts = tuple(headers.get(cell.column if cell.column is not None else i, []))
        out.append(HeadedCell(
            text=cell.text.strip(), headers=texts,
            statistic=any(_STAT_HEADER.match(t) for t in texts),
            percent=any(_PCT_HINT.search(t) and not re.search(r"\bn\b|\bno\.", t, re.IGNORECASE) for t in texts),
            count=any(_N_HINT.match(t) for t in texts),
        ))
    return out


def section_row_label(sentence: Sentence) -> str:
    """The nearest row above this one that only labels a block of rows ("Best overall response, n (%)"), or ''."""
    if sentence.table is None or sentence.row is None:
        return ""
    label = ""
    for row in sentence.table.rows:
        if row is sentence.row:
            return label
        filled = [c.text.strip() for c in row.cells if c.text.strip()]
        if not row.header and len(filled) == 1:
            label = filled[0]
    return ""


def parse_cell(text: str, any_pct: bool, plain_pct: bool, plain_n: bool) -> Count | None:
    """A table cell as a count: '6 (16)', '5 (2%)', '16/25 (64)', '47.1% (8/17)', '64' under a % header;
    a bracketed confidence interval after the count ('13 (27.7) [15.6–42.6]') is left out."""
    text = _CELL_CI.sub("", " ".join(text.split()))
    if match := _CELL_N_PCT.match(text):
        if not (match["sign"] or any_pct):
            return None
        n = int(match["n"])
        pct = None if match["lt"] else parse_number(match["pct"])
        return Count(n=n, percent=pct) if n > 0 else None
    if match := _CELL_N_OF.match(text):
        n, of = int(match["n"]), int(match["of"])
        pct = parse_number(match["pct"]) if match["pct"] else None
        return Count(n=n, of=of, percent=pct) if 0 < n <= of else None
    if (match := _CELL_PCT_N_OF.match(text)) and (pct := parse_number(match["pct"])) is not None:
        n, of = int(match["n"]), int(match["of"])
        # The percent must be the count's share of the denominator, or the cell is no such rate.
        return Count(n=n, of=of, percent=pct) if 0 < n <= of and abs(pct - 100 * n / of) < 1.5 else None
    if match := _CELL_PLAIN.match(text):
        value = parse_number(match["num"])
        if value is None or value == 0:
            return None
        if match["sign"] or plain_pct:
            return Count(percent=value) if value <= 100 else None
        if plain_n and value == int(value):
            return Count(n=int(value))
    return None


def header_columns(sentence: Sentence) -> dict[int, list[str]]:
    """Grid column -> texts of the header cells above it, top row first."""
    assert sentence.table is not None
    columns: dict[int, list[str]] = {}
    for row in sentence.table.rows:
        if not row.header:
            continue
        pos = 0
        for cell in row.cells:
            start = cell.column if cell.column is not None else pos
            for col in range(start, start + cell.colspan):
                if cell.text.strip():
                    columns.setdefault(col, []).append(cell.text.strip())
            pos = start + cell.colspan
    return columns


def _split_row(text: str) -> tuple[str, list[str]]:
    """A row printed as one line: its label and its trailing value groups."""
    values: list[str] = []
    while match := _TRAILING_VALUE.search(text):
        values.insert(0, match.group(1))
        text = text[: match.start()]
    return text, values
