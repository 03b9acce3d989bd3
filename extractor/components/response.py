"""Response rates (CR, CRi, CRp, CRh, CRc, MLFS, PR, ORR, NR, MRD-negative) as n / N / %."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any, cast

from extractor.components.rates import (
    Count,
    HeadedCell,
    Masked,
    Token,
    arm_near,
    arm_order,
    clean_arm,
    headed_cells,
    is_design_statement,
    is_hypothetical,
    mask,
    non_overlapping,
    order_from,
    parse_cell,
    previous_sentence,
    resolve_arms,
    rules_with,
    section_row_label,
    sentence_arm,
    table_row,
    value_items,
    value_tokens,
)
from extractor.lexicons import load_yaml
from extractor.per_paper import per_paper
from extractor.prefilter import Prefilter
from extractor.sentence import Sentence
from schemas import Document, Response
from schemas.vocab import ResponseOutcome

RULES = "response.yaml"
# Characters around an outcome mention searched for a cue that it is no count ("time to response"):
# the longest cue is under 30 characters, so this window finds every one a whole-text search finds.
CUE_WINDOW = 200
_ABBREVIATION_IN_BRACKETS = re.compile(r"^\s*[(\[]\s*(?:i\.\s?e\.,?\s*)?$")
_CLOSING = re.compile(r"^\s*[)\]]")
# "The ORR and DCR ... were ..., respectively": the outcome coordinated with a non-outcome.
_COORDINATED_OTHER = re.compile(
    r"\s+(?:rates?\s+)?and\s+(?:the\s+)?[A-Za-z][\w\-]*(?:\s+rates?)?\s+(?:[^\u27e6\u27e7.;]{0,60}?\s)?(?:were|are)\b"
    r"[^.;]*\brespectively\b")
_COORDINATED_OUTCOME = re.compile(r"\u27e6O\d+\u27e7\s*(?:,|and|or)\s*$")
# "for overall and major response rates of 95.3% and 86.0%, respectively": a word coordinated before the
# outcome names a second outcome the values are paired with in order.
_COORDINATED_WORD_BEFORE = re.compile(r"(?<![\u27e6\u27e7\w])(?P<first>[A-Za-z][\w\-]*)\s+and\s+(?:[A-Za-z][\w\-]*\s+)?$")
# The words that make the outcome after them the overall response ("overall and major response rates").
_OVERALL_WORDS = frozenset({"overall", "objective", "total"})
_RESPECTIVELY = re.compile(r"^[^.;]*\brespectively\b")


@dataclass(frozen=True)
class Found:
    """One response number of a sentence before it becomes a record."""

    outcome: str
    count: Count
    arm: str | None
    rule_id: str
    confidence: float


@dataclass(frozen=True)
class Term:
    """A lexicon term: the outcome it names and its compiled regex."""

    outcome: str
    regex: re.Pattern[str]
    # A sentence names a few of the forty-odd terms: one whose literals it lacks is skipped unread.
    prefilter: Prefilter


@cache
def _lexicon() -> dict[str, Any]:
    return cast(dict[str, Any], load_yaml("response_outcomes.yaml"))


@cache
def _terms() -> tuple[Term, ...]:
    lexicon = _lexicon()
    terms = []
    for outcome, entry in [*lexicon["outcomes"].items(), *lexicon["components"].items()]:
        regexes = [re.compile(rf"(?<![\w\-])(?:{phrase})(?![\w])", re.IGNORECASE) for phrase in entry.get("phrases", [])]
        regexes += [re.compile(rf"(?<![\w])(?:{re.escape(abbreviation)})(?![\w])")
                    for abbreviation in entry.get("abbreviations", [])]
        terms += [Term(outcome, regex, Prefilter([regex])) for regex in regexes]
    return tuple(terms)


@cache
def _terms_prefilter() -> Prefilter:
    return Prefilter(term.regex for term in _terms())


@cache
def _other_responses() -> tuple[tuple[re.Pattern[str], Prefilter], ...]:
    """Responses of another kind ('pathologic complete response', 'VGPR or better'): no outcome inside."""
    regexes = [re.compile(rf"(?<![\w\-])(?:{p})(?![\w])", re.IGNORECASE) for p in _lexicon()["other_responses"]]
    return tuple((regex, Prefilter([regex])) for regex in regexes)


def outcome_tokens(text: str) -> list[Token]:
    """Outcome mentions of a text that may be counts of responders (not 'time to CR')."""
    tokens = outcome_mentions(text)
    lexicon = _lexicon()
    before = re.compile(lexicon["not_a_count_before"], re.IGNORECASE)
    after = re.compile(lexicon["not_a_count_after"], re.IGNORECASE)
    # Searched in a window ending at the mention (the cues are a few words long): a search of the
    # whole text before each mention costs the square of a sentence's length.
    return [t for t in tokens if not before.search(text, max(0, t.start - CUE_WINDOW), t.start)
            and not after.search(text[t.end : t.end + CUE_WINDOW])]


def outcome_mentions(text: str) -> list[Token]:
    """Outcome mentions of a text: composites joined, bracketed abbreviations folded in."""
    other = [m.span() for regex, prefilter in _other_responses() if prefilter.may_match(text) for m in regex.finditer(text)]
    found = [
        Token("O", m.start(), m.end(), label=term.outcome, parts=(term.outcome,))
        for term in _terms()
        if term.prefilter.may_match(text)
        for m in term.regex.finditer(text)
        if not any(s < m.end() and m.start() < e for s, e in other)
        # "14% a complete hematologic response and 17% no response": in a sentence grading responses of
        # another kind (cytogenetic, molecular), "no response" is of that kind too.
        and not (other and term.outcome == "NR" and m.group().lower().startswith("no "))
    ]
    tokens = non_overlapping(found)
    tokens = _fold_brackets(text, tokens)
    tokens = _join_composites(text, tokens)
    return _fold_brackets(text, tokens)


def _fold_brackets(text: str, tokens: list[Token]) -> list[Token]:
    """'complete remission (CR)' is one mention; the bracketed abbreviation names it."""
    out: list[Token] = []
    for token in tokens:
        if out and _ABBREVIATION_IN_BRACKETS.match(text[out[-1].end : token.start]):
            closing = _CLOSING.match(text[token.end :])
            if closing:
                out[-1] = replace(token, start=out[-1].start, end=token.end + closing.end())
                continue
        out.append(token)
    return out


def _join_composites(text: str, tokens: list[Token]) -> list[Token]:
    """'CR/CRi', 'CR + CRi', 'CR or CRp': one number for a composite outcome."""
    lexicon = _lexicon()
    joiner = re.compile(rf"^(?:{lexicon['composite_joiners']})$", re.IGNORECASE)
    out: list[Token] = []
    for token in tokens:
        between = text[out[-1].end : token.start] if out else ""
        if out and joiner.match(between):
            parts = (*out[-1].parts, *token.parts)
            label = next((name for name, allowed in lexicon["composite_parts"].items() if set(parts) <= set(allowed)), None)
            if label is not None:
                out[-1] = replace(out[-1], end=token.end, label=label, parts=parts, joiner=between.strip())
                continue
        out.append(token)
    return out


def _promote_overall(text: str, tokens: list[Token]) -> list[Token]:
    """AML 'overall response rate' with a CR/CRi breakdown and no PR means CR + CRi (CRc)."""
    rule = _lexicon()["overall_means_composite"]
    parts = {p for t in tokens for p in t.parts}
    if not parts & set(rule["when_sentence_has"]) or parts & set(rule["unless_sentence_has"]):
        return tokens
    term = re.compile(rule["term"], re.IGNORECASE)
    return [replace(t, label="CRc") if t.label == "ORR" and term.search(text[t.start : t.end]) else t for t in tokens]


def extract_responses(sentence: Sentence) -> Iterator[Response]:
    """Response numbers stated in a prose sentence or a table row of a response table."""
    if is_antiemetic_trial(sentence.doc):
        # An antiemetic trial's "complete response" is a day without emesis, no tumour response.
        return
    if sentence.table is not None:
        found = _from_table(sentence)
    elif is_design_statement(sentence) or any(r.regex.search(sentence.text) for r in rules_with(RULES, "reclassified")):
        found = []
    else:
        found = _from_prose(sentence)
    redefined = redefined_abbreviations(sentence.doc.text) if found else frozenset()
    if found and sentence.table is None and all(item.arm is None for item in found):
        # "In the MEL200 arm, ...", "Best response to MEL100 was: ...": the arm the sentence opens with.
        arm = sentence_arm(sentence.text)
        found = [replace(item, arm=arm) for item in found] if arm else found
    seen: set[tuple[object, ...]] = set()
    for item in found:
        key = (item.outcome, item.count, item.arm)
        if item.outcome == "CRu" or key in seen:
            continue
        if item.outcome in redefined and not _SPELLED_OUT[item.outcome].search(sentence.text):
            # "cardiac rehabilitation (CR)", "progesterone receptor (PR)": the paper's CR is no response.
            continue
        seen.add(key)
        yield Response(
            arm=item.arm, outcome=cast(ResponseOutcome, item.outcome), n=item.count.n, of=item.count.of,
            percent=item.count.percent, provenance=[sentence.provenance(item.rule_id, item.confidence)],
        )


@per_paper
def is_antiemetic_trial(document: Document) -> bool:
    """True for a trial of antiemetics: its title (else its opening lines) or its abstract says so."""
    words = _lexicon()["antiemetic_trial"]
    if re.search(words["title"], document.metadata.title or document.text[:300], re.IGNORECASE):
        return True
    abstract = next((s for s in document.sections if s.label == "abstract"), None)
    return abstract is not None and re.search(
        words["abstract"], document.text[abstract.start : abstract.end], re.IGNORECASE) is not None


_SPELLED_OUT = {
    "CR": re.compile(r"\bcomplete\s+(?:remission|response)", re.IGNORECASE),
    "PR": re.compile(r"\bpartial\s+(?:remission|response)", re.IGNORECASE),
    "NR": re.compile(r"\bno\s+response|\bnon[\s\-]?respon", re.IGNORECASE),
    "ORR": re.compile(r"\b(?:overall|objective)\s+respon", re.IGNORECASE),
}
_DEFINED = re.compile(r"\(\s*(?P<abbr>CR|PR|NR|ORR)s?\s*\)")
_WORDS_BEFORE = re.compile(r"(?:[A-Za-z][\w\-]*\s+){0,3}[A-Za-z][\w\-]*\s*$")
_RESPONSE_WORDS = re.compile(r"respon|remission|complete|partial|overall|objective|progress", re.IGNORECASE)


@lru_cache(maxsize=8)
def redefined_abbreviations(text: str) -> frozenset[str]:
    """Outcome abbreviations a paper defines as something else ("cardiac rehabilitation (CR)")."""
    other, response = set(), set()
    for match in _DEFINED.finditer(text):
        long = _WORDS_BEFORE.search(text[max(0, match.start() - 80) : match.start()])
        if long is None:
            continue
        words = long.group().split()
        abbr = match.group("abbr")
        if _RESPONSE_WORDS.search(" ".join(words)):
            response.add(abbr)
        elif "".join(w[0] for w in words[-len(abbr):]).upper() == abbr:
            other.add(abbr)
    # A breast-cancer paper defines "progesterone receptor (PR)" and "partial response (PR)": ambiguous, kept.
    return frozenset(abbr for abbr in other - response if not _SPELLED_OUT[abbr].search(text))


def _from_table(sentence: Sentence) -> list[Found]:
    # A block label inside the table ("Pre-operative RECIST response") can make a table of
    # surgical findings a response table for the rows under it.
    header = f"{sentence.header} {section_row_label(sentence)}"
    if not any(r.regex.search(header) for r in rules_with(RULES, "table_caption")):
        return []
    if any(r.regex.search(header) for r in rules_with(RULES, "table_caption_excluded")):
        return []
    rule = rules_with(RULES, "table_row")[0]
    outcome: list[str] = []

    def label_ok(label: str) -> bool:
        # A footnote mark before the unit suffix ('Overall response rate*, %') is left out too.
        name = _table_label_outcome(_FOOTNOTE_MARKS.sub("", rule.regex.sub("", label)).strip())
        if name is not None:
            outcome.append(name)
        return name is not None

    row = table_row(sentence, label_ok)
    if row is None:
        return [] if outcome else _from_outcome_columns(sentence, rule.regex)
    return [Found(outcome[0], v.count, v.arm, rule.id, rule.confidence) for v in row[1]]


def _from_outcome_columns(sentence: Sentence, unit_suffix: re.Pattern[str]) -> list[Found]:
    """A row of a table whose columns are outcomes ('Group | n | CR | PR | Response rate') and whose
    label is an arm or a subgroup ('Trial 17 1 7 ... 47.06% (8/17)', 'Premenopausal 14 (100.0) 6 (46.2)')."""
    cells = headed_cells(sentence)
    if len(cells) < 2 or _column_outcome(cells[0], sentence.doc.text, unit_suffix) is not None:
        return []
    rule = rules_with(RULES, "table_column")[0]
    label_parts: list[str] = []
    of: int | None = None
    columns: list[tuple[str, str | None, HeadedCell]] = []
    for cell in cells:
        found = _column_outcome(cell, sentence.doc.text, unit_suffix) if not cell.statistic else None
        if found is not None:
            columns.append((*found, cell))
        elif cell.count and _WHOLE_NUMBER.match(cell.text):
            of = int(cell.text)
        elif not columns and of is None and not cell.statistic:
            # The cells left of the first count are the row's label, digits too ('1-3' lymph nodes).
            label_parts.append(cell.text)
    label = _FOOTNOTE_MARKS.sub("", " ".join(label_parts)).strip()
    if not columns or not label or outcome_tokens(label):
        return []
    any_pct = "%" in sentence.header
    out = []
    for name, header_arm, cell in columns:
        count = parse_cell(cell.text, any_pct=any_pct, plain_pct=cell.percent, plain_n=False)
        if count is None and of is not None and _WHOLE_NUMBER.match(cell.text) and 0 < int(cell.text) <= of:
            # A plain number under an outcome column of a row that prints its patients is a count of them.
            count = Count(n=int(cell.text), of=of)
        if count is None or (count.of is not None and of is not None and count.of != of):
            continue
        # A subgroup row under a block label ('ER status' / 'Positive') is named with both.
        block = clean_arm(section_row_label(sentence))
        arm = ", ".join(a for a in (header_arm, block, clean_arm(label)) if a) or None
        out.append(Found(name, count, arm, rule.id, rule.confidence))
    return out


_WHOLE_NUMBER = re.compile(r"^\d+$")
_RATE_WORD = re.compile(r"(?<=[A-Za-z])\s+rates?$", re.IGNORECASE)
_FOOTNOTE_MARKS = re.compile(r"[*\u2020\u2021\u00a7\u00b6]+")


def _column_outcome(cell: HeadedCell, text: str, unit_suffix: re.Pattern[str]) -> tuple[str, str | None] | None:
    """The outcome the header of a cell's column names, with the arm printed before it in the
    same header cell ('DE (n = 31) OR (%)'), or None."""
    found = []
    for header in cell.headers:
        stripped = unit_suffix.sub("", _FOOTNOTE_MARKS.sub("", header)).strip()
        tokens = _header_tokens(stripped, text)
        if tokens and tokens[-1].end != len(stripped) and _RATE_WORD.search(stripped):
            # 'CR rate (%)' names the outcome as 'CR' does ('Response rate' is an outcome whole).
            stripped = _RATE_WORD.sub("", stripped)
            tokens = _header_tokens(stripped, text)
        if not tokens:
            continue
        if len(tokens) > 1 or tokens[0].end != len(stripped):
            return None
        prefix = stripped[: tokens[0].start]
        if rules_with(RULES, "table_column")[0].regex.search(prefix):
            return None
        found.append((tokens[0].label, clean_arm(prefix)))
    return found[0] if len(found) == 1 else None


def _header_tokens(header: str, text: str) -> list[Token]:
    """Outcome mentions of a header, the abbreviations the paper defines as responses included."""
    tokens = _promote_overall(header, outcome_tokens(header))
    if tokens:
        return tokens
    defined = defined_response_abbreviations(text)
    return [Token("O", m.start(), m.end(), label=defined[m["abbr"]], parts=(defined[m["abbr"]],))
            for m in _ABBREVIATION_WORD.finditer(header) if m["abbr"] in defined]


_ABBREVIATION_WORD = re.compile(r"(?<![\w\-])(?P<abbr>[A-Z][A-Za-z]{1,5})(?![\w\-])")
_DEFINITION = re.compile(r"\(\s*(?P<abbr>[A-Z][A-Za-z]{1,5})\s*\)")


@lru_cache(maxsize=8)
def defined_response_abbreviations(text: str) -> dict[str, str]:
    """Abbreviations a paper defines for an outcome the lexicon spells out ('objective response (OR)'):
    abbreviation -> outcome; one the paper also defines otherwise ('odds ratio (OR)') is left out."""
    known = {a for section in ("outcomes", "components") for entry in _lexicon()[section].values()
             for a in entry.get("abbreviations", [])}
    response: dict[str, str] = {}
    other: set[str] = set()
    for match in _DEFINITION.finditer(text):
        abbr = match["abbr"]
        if abbr in known:
            continue
        before = text[max(0, match.start() - 80) : match.start()].rstrip()
        tokens = outcome_mentions(before)
        long = before[tokens[-1].start :] if tokens and tokens[-1].end == len(before) else ""
        initials = "".join(w[0] for w in re.split(r"[\s\-]+", long) if w).upper()
        if long and initials == abbr.upper():
            response[abbr] = tokens[-1].label
        else:
            other.add(abbr)
    return {abbr: outcome for abbr, outcome in response.items() if abbr not in other}


def _table_label_outcome(label: str) -> str | None:
    """The outcome a row label names on its own ('Complete response', 'ORR (CR+CRi)', 'Cri')."""
    tokens = outcome_tokens(label)
    if len(tokens) == 1 and tokens[0].start == 0 and tokens[0].end == len(label):
        return _promote_overall(label, tokens)[0].label
    # Typesetting lower-cases abbreviations in row labels ('Cri' for CRi).
    lexicon = _lexicon()
    abbreviations = {
        a.lower(): outcome
        for section in ("outcomes", "components")
        for outcome, entry in lexicon[section].items()
        for a in entry.get("abbreviations", [])
    }
    if label.lower() in abbreviations:
        return abbreviations[label.lower()]
    return next((outcome for outcome, phrases in lexicon["table_labels"].items()
                 if any(re.fullmatch(p, label, re.IGNORECASE) for p in phrases)), None)


@dataclass
class Group:
    """Values of one outcome compared within a sentence (one per arm), or a single value."""

    outcome: str
    items: list[tuple[Count, str | None]]
    rule_id: str
    confidence: float
    position: int
    bare: bool = False


def _from_prose(sentence: Sentence) -> list[Found]:
    text = sentence.text
    if not _terms_prefilter().may_match(text):
        return []
    outcomes = _promote_overall(text, outcome_tokens(text))
    if not outcomes:
        return []
    outcomes = _with_companions(text, outcomes)
    values = [v for v in value_tokens(text) if not any(o.start < v.end and v.start < o.end for o in outcomes)]
    masked = mask(text, [*outcomes, *values])
    groups: list[Group] = []
    used: set[int] = set()
    _label_lists(masked, groups, used)
    _arm_value_lists(masked, groups, used)
    _pairs(masked, groups, used)
    _shapes(masked, groups, used)
    _breakdowns(masked, groups, used)
    order = order_from([g.items for g in groups]) or arm_order(masked.text)
    if order is None and re.search(r"\b(?:respectively|corresponding)\b", text):
        order = arm_order(previous_sentence(sentence))
    for group, items in zip(groups, resolve_arms([g.items for g in groups], order), strict=True):
        group.items = items
    _bare_counts_by_side(masked, groups, order)
    return [Found(g.outcome, count, arm, g.rule_id, g.confidence) for g in groups for count, arm in g.items]


_MARKER = re.compile(r"\u27e6[OV](\d+)\u27e7")
_LIST_ITEM = re.compile(r"\s*(?:,\s*)?(?:\band\s+)?([^,]+?)\s*(?=,|\band\b|$)")


def _label_lists(masked: Masked, groups: list[Group], used: set[int]) -> None:
    """'Rates of CR, nonresponse, and death were 46%, 34%, and 20% for A, versus 39%, 17%, and 44% for B':
    the values in the order of the labels, once per arm; labels naming no outcome are skipped."""
    list_labels = _lexicon()["list_labels"]
    for rule in rules_with(RULES, "label_list"):
        for match in rule.regex.finditer(masked.text):
            labels = [_list_label(masked, item, list_labels) for item in _LIST_ITEM.findall(match["labels"])]
            sides = [(match["values"], clean_arm(match["arm"] or match["arm_single"]))]
            if match["values2"] is not None:
                sides.append((match["values2"], clean_arm(match["arm2"])))
            indexes = [[int(i) for i in _MARKER.findall(values)] for values, _ in sides]
            # At least one label is an outcome mention: a list-only word ("non-response") never stands alone.
            if (not _MARKER.search(match["labels"]) or not any(labels) or any(len(ix) != len(labels) for ix in indexes)
                    or (len(sides) > 1 and not all(arm for _, arm in sides))):
                continue
            if not _take_singles(masked, used, [i for ix in indexes for i in ix]):
                continue
            for (_, arm), ix in zip(sides, indexes, strict=True):
                for label, index in zip(labels, ix, strict=True):
                    if label is not None:
                        count = masked.tokens[index].counts[0]
                        groups.append(Group(label, [(count, arm)], rule.id, rule.confidence, masked.spans[index][0]))


def _arm_value_lists(masked: Masked, groups: list[Group], used: set[int]) -> None:
    """'complete remission rates (CAP, 15.2%; ChOP, 29.6%; FAMP, 40.1%)': each arm's value; a first value
    printed without its arm is the subject's ('CAP induced lower overall remission rates (58.2%; ChOP, ...')."""
    item_rule = rules_with(RULES, "arm_value_item")[0]
    subject_rule = rules_with(RULES, "arm_value_subject")[0]
    for rule in rules_with(RULES, "arm_value_list"):
        for match in rule.regex.finditer(masked.text):
            o_index = int(match["o"])
            items = [(clean_arm(item["arm"]), int(item["v"])) for item in item_rule.regex.finditer(match["items"])]
            if items and items[0][0] is None:
                subject = subject_rule.regex.search(masked.before(o_index))
                items[0] = (clean_arm(subject["arm"]) if subject else None, items[0][1])
            arms = [arm for arm, _ in items]
            if not all(arms) or len(set(arms)) != len(arms):
                continue
            if not _take_singles(masked, used, [index for _, index in items]):
                continue
            label = masked.tokens[o_index].label
            for arm, index in items:
                count = masked.tokens[index].counts[0]
                groups.append(Group(label, [(count, arm)], rule.id, rule.confidence, masked.spans[index][0]))


def _list_label(masked: Masked, item: str, list_labels: dict[str, list[str]]) -> str | None:
    """The outcome a label of a list of rates names: an outcome mention, or a word named only in lists."""
    marker = _MARKER.fullmatch(item.strip())
    if marker is not None:
        return masked.tokens[int(marker[1])].label or None
    return next((outcome for outcome, phrases in list_labels.items()
                 if any(re.fullmatch(p, item.strip(), re.IGNORECASE) for p in phrases)), None)


@cache
def _companions() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((outcome, re.compile(phrase, re.IGNORECASE))
                 for outcome, phrases in _lexicon()["companion_outcomes"].items() for phrase in phrases)


def _with_companions(text: str, outcomes: list[Token]) -> list[Token]:
    """The outcomes of a sentence that already names one, with those named only beside another ('66 (52%)
    were refractory' after '45 achieved CR')."""
    found = [Token("O", m.start(), m.end(), label=outcome, parts=(outcome,))
             for outcome, regex in _companions() for m in regex.finditer(text)
             if not any(t.start < m.end() and m.start() < t.end for t in outcomes)]
    return sorted([*outcomes, *found], key=lambda t: t.start) if found else outcomes


def _pairs(masked: Masked, groups: list[Group], used: set[int]) -> None:
    """Two outcomes with one number each: 'CR/CRi ... 78%/9%', 'CR and CRi were 60% and 9%, respectively';
    one outcome with a number for each of two arms named before them ('similar in Arm A and Arm B (85% and 88%)')."""
    for rule in rules_with(RULES, "slash_pair"):
        for match in rule.regex.finditer(masked.text):
            outcome = masked.tokens[int(match["o"])]
            if outcome.joiner != "/" or len(outcome.parts) != 2:
                continue
            for v_group, arm_group in (("v", "arm"), ("v2", "arm2")):
                if match[v_group] is None or int(match[v_group]) in used:
                    continue
                index = int(match[v_group])
                value = masked.tokens[index]
                if value.shape != "pair":
                    continue
                used.add(index)
                arm = arm_near(masked, index) if match[arm_group] else None
                for part, count in zip(outcome.parts, value.counts, strict=True):
                    groups.append(Group(part, [(count, arm)], rule.id, rule.confidence, masked.spans[index][0]))
    for rule in rules_with(RULES, "coordinated_compared"):
        for match in rule.regex.finditer(masked.text):
            indexes = [int(match[g]) for g in ("v", "v2", "v3", "v4")]
            if not _take_singles(masked, used, indexes):
                continue
            for o_group, pair in (("o", indexes[:2]), ("o2", indexes[2:])):
                label = masked.tokens[int(match[o_group])].label
                items: list[tuple[Count, str | None]] = [(masked.tokens[i].counts[0], None) for i in pair]
                groups.append(Group(label, items, rule.id, rule.confidence, masked.spans[pair[0]][0]))
    for rule in rules_with(RULES, "arms_pair"):
        for match in rule.regex.finditer(masked.text):
            indexes = [int(match["v"]), int(match["v2"])]
            if not _take_singles(masked, used, indexes):
                continue
            arms = [clean_arm(match["arm"]), clean_arm(match["arm2"])]
            items = [(masked.tokens[i].counts[0], arm) for i, arm in zip(indexes, arms, strict=True)]
            label = masked.tokens[int(match["o"])].label
            groups.append(Group(label, items, rule.id, rule.confidence, masked.spans[indexes[0]][0]))
    for rule in rules_with(RULES, "respectively_pair"):
        for match in rule.regex.finditer(masked.text):
            indexes = [int(match["v"]), int(match["v2"])]
            if not _take_singles(masked, used, indexes):
                continue
            for o_group, index in zip(("o", "o2"), indexes, strict=True):
                label = masked.tokens[int(match[o_group])].label
                count = masked.tokens[index].counts[0]
                groups.append(Group(label, [(count, None)], rule.id, rule.confidence, masked.spans[index][0]))


def _shapes(masked: Masked, groups: list[Group], used: set[int]) -> None:
    """One outcome with one value, then the values compared with it."""
    for rule in rules_with(RULES, "shape"):
        bare = bool(rule.rule.fields.get("bare"))
        value_shape = rule.rule.fields.get("value_shape")
        # Counts printed before their outcome, compared with the counts right after the first.
        anchor_first = bool(rule.rule.fields.get("chain_from_value"))
        # A shape read only after a lead ("Responses were: ... (n = 2), ..."): searched before the outcome.
        lead = _lead(rule.rule.fields.get("lead"))
        for match in rule.regex.finditer(masked.text):
            o_index, v_index = int(match["o"]), int(match["v"])
            if lead is not None and not lead.search(masked.text, 0, match.start("o")):
                continue
            value = masked.tokens[v_index]
            if v_index in used or value.shape == "pair" or is_hypothetical(masked, (o_index, v_index)):
                continue
            if value_shape is not None and value.shape != value_shape:
                continue
            if _COORDINATED_OUTCOME.search(masked.before(o_index)):
                # "overall and complete remission rate (72% vs 51%; 7% vs 0%)": the values are of two outcomes.
                continue
            if bare and _in_breakdown(masked, v_index):
                continue
            used.add(v_index)
            items = value_items(masked, value, v_index, v_index if anchor_first else o_index, used)
            coordinated = _COORDINATED_WORD_BEFORE.search(masked.before(o_index))
            if len(items) > 1 and _COORDINATED_OTHER.match(masked.after(o_index)):
                # "The ORR and DCR ... were 8 of 17 and 10 of 17, respectively": the first is the outcome's.
                items = items[:1]
            elif len(items) > 1 and coordinated and _RESPECTIVELY.match(masked.after(o_index)):
                # "overall and major response rates of 95.3% and 86.0%, respectively": the first is the overall
                # response's; "OR and CR rates were 87% and 39%, respectively": the second is CR's.
                overall = coordinated.group("first").lower() in _OVERALL_WORDS
                items = items[:1] if overall else items[1:2] if len(items) == 2 else []
                if not items:
                    continue
            label = masked.tokens[o_index].label
            groups.append(Group(label, items, rule.id, rule.confidence * value.confidence, masked.spans[v_index][0], bare))


@cache
def _lead(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern, re.IGNORECASE) if pattern else None


_SUBGROUP_PATIENTS = re.compile(r"\bpatients\s+(?:with|who|harbou?ring|carrying|in\s+the)\b", re.IGNORECASE)


def _in_breakdown(masked: Masked, index: int) -> bool:
    """A bare count inside '(7 of 12 [58%] patients including 3 CR and 4 CRi)' splits a subgroup."""
    before = masked.before(index)
    opened = max(before.rfind("("), before.rfind("["))
    if opened < 0 or opened < max(before.rfind(")"), before.rfind("]"), before.rfind(";")):
        # "11 (44%) patients responded, including 3 complete responses": the whole study's responders,
        # unless the responders are a subgroup ("7 of 12 patients with FLT3-ITD responded, including 3 CR").
        return bool(re.search(r"\bincluding\b", before)) and _SUBGROUP_PATIENTS.search(before) is not None
    return bool(re.search(r"\bincluding\b", before[opened + 1 :]))


def _breakdowns(masked: Masked, groups: list[Group], used: set[int]) -> None:
    """Subgroups of one outcome: 'higher in X patients (4 of 6 [67%])', 'including 14 (93%) of 15 with X'."""
    for trigger_role, item_role in (("subgroup", "subgroup_item"), ("including", "including_item")):
        for trigger in rules_with(RULES, trigger_role):
            match = trigger.regex.search(masked.text)
            if match is None:
                continue
            label = masked.tokens[int(match["o"])].label
            for item_rule in rules_with(RULES, item_role):
                for item in item_rule.regex.finditer(masked.text, match.start()):
                    index = int(item["v"])
                    count = masked.tokens[index].counts[0]
                    if index in used or masked.tokens[index].shape != "single" or count.of is None:
                        continue
                    used.add(index)
                    arm = " ".join(item["arm"].split())
                    groups.append(Group(label, [(count, arm)], item_rule.id, item_rule.confidence, masked.spans[index][0]))
    subject = min(groups, key=lambda g: g.position).outcome if groups else None
    for rule in rules_with(RULES, "between"):
        match = rule.regex.search(masked.text)
        if match is None or subject is None:
            continue
        indexes = [int(match["v"]), int(match["v2"])]
        if not _take_singles(masked, used, indexes):
            continue
        items = [(masked.tokens[i].counts[0], arm_near(masked, i)) for i in indexes]
        groups.append(Group(subject, items, rule.id, rule.confidence, masked.spans[indexes[0]][0]))


def _take_singles(masked: Masked, used: set[int], indexes: list[int]) -> bool:
    """Take the value tokens at ``indexes`` for one group when each is a single number not yet taken."""
    if any(i in used or masked.tokens[i].shape != "single" for i in indexes):
        return False
    used.update(indexes)
    return True


def _bare_counts_by_side(masked: Masked, groups: list[Group], order: list[str] | None) -> None:
    """'(1 CR and 26 PRs vs. 1 CR and 39 PRs, respectively)': the arm is the side of the 'vs.'."""
    if order is None or len(order) != 2 or not re.search(r"\brespectively\b", masked.text):
        return
    separators = [m.start() for m in re.finditer(r"\b(?:vs\.?|versus)\s", masked.text)]
    bare = [g for g in groups if g.bare and len(g.items) == 1]
    if len(separators) != 1 or len(bare) < 2:
        return
    sides = [0 if g.position < separators[0] else 1 for g in bare]
    if set(sides) != {0, 1}:
        return
    for group, side in zip(bare, sides, strict=True):
        group.items = [(group.items[0][0], order[side])]
