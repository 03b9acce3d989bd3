"""Drug mentions and their doses in a sentence: drug, dose, unit, route, frequency and schedule.

Shared by the regimen and dose-finding components. A sentence is read as drug
mentions (lexicons/drugs.tsv) and dose amounts (patterns/dosing.yaml); each drug
takes the first dose of its clause when only a few plain words stand between
them, plus alternative doses offered for other patients ("(1,000 mg/m2 in
patients >65 years)", "or 100 mg/m2"). Route, frequency and schedule come from
the words around each dose.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import cast

from extractor.lexicons import load_tsv, load_yaml
from extractor.numbers import parse_int, parse_number, unify_dashes
from extractor.patterns import CompiledRule, load_rules, longest_first
from extractor.per_paper import per_paper
from extractor.prefilter import lowers_ascii_alike
from schemas import Document
from schemas.vocab import DoseUnit, Frequency, Route

# Letters-only names this short are abbreviations only when printed with capitals ("AZA", "AraC"; not "Go", "aza").
_SHORT_NAME = 4
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014]+")
_WORD = re.compile(r"[A-Za-z0-9'\u03b1-\u03c9]+")  # Greek small letters too: "IFN-α"
# Footnote letters a table note may print glued before a drug name, and what stands before such a note.
_FOOTNOTE_LETTERS = frozenset("abcdefgh")
_FOOTNOTE_BEFORE = frozenset(".:;")
# A word that may be a footnote letter glued to a capitalised name ("aCisplatin"): texts without one skip that check.
_GLUED_FOOTNOTE = re.compile(r"(?<![A-Za-z0-9'])[a-h][A-Z]")
_BRACKET = re.compile(r"[()\[\]]")
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.\u00b7]\d+)?|[.\u00b7]\d+")
# A drug this many words before a dose that stands right before the next drug does not claim it.
_FAR_WORDS = 4
# The most words between a drug and a list of its alternative doses ("X at a dose of 45 or 90 mg/m2").
_LISTED_WORDS = 4
# How far past a dose its route, frequency and schedule may be printed.
_ATTRIBUTE_REACH = 120
# Rule id of a drug named without a dose; the component that keeps such a drug names its own rule.
NO_DOSE = "dose.none"
_CYCLE_FREQUENCIES: dict[int, Frequency] = {7: "weekly", 14: "every 2 weeks", 21: "every 3 weeks", 28: "every 4 weeks"}


@dataclass(frozen=True)
class DrugMention:
    """A drug name printed in a sentence, with its generic name."""

    start: int
    end: int
    printed: str
    drug: str
    supportive: bool
    # One of the drugs of a regimen acronym ("FCR"): a dose printed after the acronym is none of its drugs'.
    regimen: bool = False


@dataclass(frozen=True)
class DoseAmount:
    """A dose printed in a sentence: number (or range), unit, and the frequency a '/day' or '/week' gives."""

    start: int
    end: int
    dose: float
    dose_max: float | None
    unit: DoseUnit
    per: Frequency | None


@dataclass(frozen=True)
class Dosing:
    """A drug with one of its doses (dose None: the drug named without a dose)."""

    drug: DrugMention | None
    amount: DoseAmount | None
    route: Route | None
    frequency: Frequency | None
    schedule: str | None
    rule_id: str
    confidence: float

    @property
    def start(self) -> int:
        spans = [m.start for m in (self.drug, self.amount) if m is not None]
        return min(spans)


@cache
def rule(rule_id: str) -> CompiledRule:
    """One dosing rule by its id."""
    return next(r for r in load_rules("dosing.yaml") if r.id == rule_id)


def _key(text: str) -> str:
    return _SEPARATORS.sub(" ", text.lower()).strip()


def _phrase_pattern(phrase: str) -> str:
    """A lexicon phrase as a regex: flexible spaces and dashes; case-sensitive when it has capitals."""
    parts = [re.escape(p) for p in _SEPARATORS.split(phrase.strip())]
    body = r"[\s\-\u2010\u2011\u2012\u2013\u2014]+".join(parts)
    if phrase == phrase.lower():
        body = f"(?i:{body})"
    return rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    # Longest first; phrases of one length in a fixed order, so the pattern is the same in every process.
    ordered = sorted(set(phrases), key=longest_first)
    return re.compile("|".join(_phrase_pattern(p) for p in ordered))


@cache
def _drugs() -> tuple[dict[str, tuple[str, bool]], int, frozenset[str], frozenset[str]]:
    """Printed name key -> (generic name, supportive), the most words a name has, the first word of
    each name, and the longest word of each name (the word a text naming it must hold)."""
    names: dict[str, tuple[str, bool]] = {}
    for row in load_tsv("drugs.tsv"):
        names[_key(row[0])] = (row[1], len(row) > 2 and row[2] == "supportive")
    first_words = frozenset(name.split(" ")[0] for name in names)
    anchors = frozenset(max(name.split(" "), key=len) for name in names)
    return names, max(len(name.split()) for name in names), first_words, anchors


@cache
def _vocabulary(name: str, section: str) -> tuple[re.Pattern[str], dict[str, str | None]]:
    """A phrase lexicon (frequencies.yaml, routes.yaml): its regex and printed key -> value."""
    data = load_yaml(name)
    values: dict[str, str | None] = {}
    phrases: list[str] = []
    for value, printed in data[section].items():
        for phrase in printed:
            values[_key(phrase)] = value
            phrases.append(phrase)
    for phrase in data.get("unmapped", []):
        values[_key(phrase)] = None
        phrases.append(phrase)
    return _phrase_regex(phrases), values


@cache
def _units() -> tuple[dict[str, DoseUnit], dict[str, Frequency]]:
    data = load_yaml("units.yaml")
    units = {printed.replace(" ", ""): cast(DoseUnit, unit) for unit, forms in data["units"].items() for printed in forms}
    per: dict[str, Frequency] = dict.fromkeys(data["per_day"], "once daily")
    per.update(dict.fromkeys(data["per_week"], "weekly"))
    return units, per


def _unit_key(printed: str) -> str:
    """A printed unit as units.yaml lists it: lower case, no spaces, dots, carets or brackets, every
    dash '-' ("mg m−2" -> "mgm-2", "mg·kg−1" -> "mgkg-1", "mg/m(2)" -> "mg/m2")."""
    return unify_dashes(re.sub(r"[\s·⋅.^()]+", "", printed)).lower()


# A paper's own drug names: a code name printed as is (drug = its lower case), or (printed, drug)
# for an abbreviation the paper defines ("lenalidomide (LEN)").
PaperName = str | tuple[str, str]
# How far before a bracket a drug name defining an abbreviation may start.
_ABBREVIATION_REACH = 60


def paper_code_names(document: Document) -> frozenset[PaperName]:
    """Code names of investigational drugs the paper's title prints ("MDX-447", "ZK 304709"), and the
    drug abbreviations the paper defines ("lenalidomide (LEN)")."""
    return title_code_names(document.metadata.title or "") | paper_abbreviations(document)


@per_paper
def paper_abbreviations(document: Document) -> frozenset[tuple[str, str]]:
    """(abbreviation, drug) for each drug the paper names with an abbreviation in brackets after it.

    The abbreviation must start with the drug name's first letter, carry two capitals and be no
    name the lexicon already knows, no route and no frequency ("lenalidomide (LEN)" gives LEN;
    "rituximab (R)", "cytarabine (IV)" give nothing).
    """
    text = document.text
    definition = rule("dose.abbreviation.v1").regex
    found: dict[str, set[str]] = {}
    # Only the words right before a bracket are read for a drug name (the whole text is slow to scan).
    for bracket in re.finditer(r"\(", text):
        start = max(0, bracket.start() - _ABBREVIATION_REACH)
        mention = next((m for m in reversed(find_drugs(text[start : bracket.start()]))), None)
        if mention is None or text[start + mention.end : bracket.start()].strip():
            continue
        match = definition.match(text, start + mention.end)
        if match is None:
            continue
        abbreviation = match.group("abbr")
        if (abbreviation[0].lower() != mention.printed[0].lower() or sum(c.isupper() for c in abbreviation) < 2
                or find_drugs(abbreviation) or find_route(abbreviation)[0] or find_frequency(abbreviation)[0]):
            continue
        found.setdefault(abbreviation, set()).add(mention.drug)
    # An abbreviation the paper gives two drugs is no name of either.
    return frozenset((abbreviation, drugs.pop()) for abbreviation, drugs in found.items() if len(drugs) == 1)


# How far before a regimen acronym's bracket its drug list may start.
_REGIMEN_REACH = 400


@per_paper
def paper_regimens(document: Document) -> frozenset[tuple[str, str]]:
    """(acronym, drug) for each drug of a regimen the paper names by an acronym it defines: "fludarabine,
    cyclophosphamide, and rituximab (FCR)" gives (FCR, fludarabine), (FCR, cyclophosphamide), (FCR,
    rituximab); "ABVD (doxorubicin, bleomycin, vinblastine, and dacarbazine)" likewise.

    The list must hold two or more drugs joined only by ",", "and", "plus", "+", "/" or "-", and at
    least half of its names must start with a letter of the acronym (which carries two capitals and is
    no drug name), so a trial name after a list ("(CLL8)") is none. An acronym defined earlier counts as
    its drugs ("bortezomib plus MP (VMP)"). An acronym the paper defines with two drug lists is none.
    """
    text = document.text
    found: dict[str, set[str]] = {}
    clashes: set[str] = set()
    for bracket in re.finditer(r"\(", text):
        known = frozenset((acronym, drug) for acronym, drugs in found.items() for drug in drugs)
        after = rule("dose.regimen_acronym.after.v1").regex.match(text, bracket.start())
        if after is not None:
            start = max(0, bracket.start() - _REGIMEN_REACH)
            mentions = find_drugs(text[start : bracket.start()], known)
            listed = _regimen_list(text[start : bracket.start()], mentions, len(text[start : bracket.start()]))
            _define(after.group("abbr"), listed, found, clashes)
        before = rule("dose.regimen_acronym.before.v1").regex.search(text, max(0, bracket.start() - 25), bracket.end())
        if before is not None:
            close = text.find(")", bracket.end())
            inside = text[bracket.end() : close] if 0 < close - bracket.end() < _REGIMEN_REACH else ""
            mentions = find_drugs(inside, known)
            if mentions and not inside[: mentions[0].start].strip():
                _define(before.group("abbr"), _regimen_list(inside, mentions, len(inside.rstrip())), found, clashes)
    return frozenset((acronym, drug) for acronym, drugs in found.items() if acronym not in clashes for drug in drugs)


@per_paper
def standard_regimens(document: Document) -> frozenset[tuple[str, str]]:
    """(acronym, drug) for each drug of a standard regimen (lexicons/regimen_acronyms.yaml) the paper prints
    by its acronym without defining it ("randomised to receive CMF or epirubicin"); an acronym the paper
    defines (paper_regimens) keeps the paper's own drugs."""
    defined = {acronym for acronym, _ in paper_regimens(document)}
    regimens, regex = _standard_regimens()
    found: set[tuple[str, str]] = set()
    for match in regex.finditer(document.text):
        if match.group() not in defined:
            found |= {(match.group(), drug) for drug in regimens[match.group("acronym") or match.group("short")]}
    return frozenset(found)


# Acronyms this long may carry a schedule number ("FOLFOX4"); shorter ones may not.
_NUMBERED = 4


@cache
def _standard_regimens() -> tuple[dict[str, tuple[str, ...]], re.Pattern[str]]:
    """The standard regimens' drugs by acronym, and one pattern finding any of them as printed: with a
    modified-regimen "m" or, for acronyms of four or more characters, a schedule number ("mFOLFOX6",
    "FOLFOX4", "R-CHOP-14"; a short one with a number is a name, "PCV13", "VMP2")."""
    data = load_yaml("regimen_acronyms.yaml")
    regimens = {str(acronym): tuple(str(drug) for drug in drugs) for acronym, drugs in data["regimens"].items()}
    long = "|".join(re.escape(a) for a in sorted(regimens, key=longest_first) if len(a) >= _NUMBERED)
    short = "|".join(re.escape(a) for a in sorted(regimens, key=longest_first) if len(a) < _NUMBERED)
    return regimens, re.compile(rf"(?<![\w\-])m?(?:(?P<acronym>{long})(?:-\s?\d{{1,2}}|\d{{1,2}})?|"
                                rf"(?P<short>{short}))(?![\w\-])")


def _regimen_list(text: str, mentions: list[DrugMention], end: int) -> list[DrugMention]:
    """The drug names that end the text at ``end`` (the bracket), each joined to the next by a regimen joint."""
    listed: list[DrugMention] = []
    stop = end
    joint = rule("dose.regimen_acronym.joint.v1").regex
    for mention in reversed(mentions):
        gap = text[mention.end : stop]
        if (not listed and gap.strip()) or (listed and not joint.match(gap)):
            break
        listed.insert(0, mention)
        stop = mention.start
    return listed


def _define(acronym: str, listed: list[DrugMention], found: dict[str, set[str]], clashes: set[str]) -> None:
    """Record a regimen acronym for the drugs listed with it, when it passes paper_regimens' checks."""
    drugs = {m.drug for m in listed if not m.supportive}
    letters = acronym.lower()
    initials = sum(m.printed[:1].lower() in letters for m in listed)
    if (len(drugs) < 2 or sum(c.isupper() for c in acronym) < 2 or 2 * initials < len(listed)
            or _lexicon_drugs(acronym) or find_route(acronym)[0] or find_frequency(acronym)[0]):
        return
    if acronym in found and found[acronym] != drugs:
        clashes.add(acronym)
    found.setdefault(acronym, set()).update(drugs)


@lru_cache(maxsize=64)
def title_code_names(title: str) -> frozenset[str]:
    """The code-name-shaped words of a title that are no registry or cooperative-group id."""
    data = load_yaml("code_names.yaml")
    not_drugs = {str(p).upper() for p in data["not_drugs"]}
    found = set()
    for match in re.finditer(data["pattern"], title):
        prefix = re.match(r"[A-Z]+", match.group("code"))
        if prefix is None or prefix.group().upper() in not_drugs:
            continue
        if (re.search(data["trial_name_before"], title[: match.start()], re.IGNORECASE)
                and re.match(data["trial_name_after"], title[match.end() :], re.IGNORECASE)):
            continue
        found.add(match.group("code"))
    return frozenset(found)


def find_drugs(text: str, codes: frozenset[PaperName] = frozenset()) -> list[DrugMention]:
    """Drug names of a text, left to right, longest name first; "5-azacytidine (AZA)" is one mention.

    ``codes`` are the paper's own names (paper_code_names), found as printed.
    """
    found = _lexicon_drugs(text)
    found += [m for m in _stem_drugs(text) if not any(o.start < m.end and m.start < o.end for o in found)]
    # A name standing for several drugs is a regimen acronym (paper_regimens): one mention per drug.
    meanings = Counter(name[0] for name in codes if not isinstance(name, str))
    for name in sorted(codes, key=str):
        printed, drug = (name, name.lower()) if isinstance(name, str) else name
        regimen = meanings[printed] > 1
        for match in re.finditer(rf"(?<![\w\-]){re.escape(printed)}(?![\w\-])", text):
            if any(m.start < match.end() and match.start() < m.end
                   and not (regimen and m.printed == printed) for m in found):
                continue
            if regimen and _defining(text, match, found):
                continue
            previous = max((m for m in found if m.end <= match.start()), key=lambda m: m.end, default=None)
            if previous is not None and previous.drug == drug and re.fullmatch(r"\s*\(\s*", text[previous.end : match.start()]):
                # "lenalidomide (LEN)" is one mention, as for the lexicon's abbreviations.
                closing = re.match(r"\s*\)", text[match.end() :])
                if closing:
                    found.remove(previous)
                    found.append(replace(previous, end=match.end() + closing.end()))
                    continue
            found.append(DrugMention(match.start(), match.end(), printed, drug, False, regimen))
    return sorted(found, key=lambda m: m.start)


def _defining(text: str, match: re.Match[str], found: list[DrugMention]) -> bool:
    """True for a regimen acronym printed where the paper defines it: in brackets right after a drug
    name ("... and rituximab (FCR)") or right before a bracket opening with one ("ABVD (doxorubicin, ...")."""
    before = re.search(r"\(\s*$", text[: match.start()])
    if before is not None and any(m.end <= before.start() and not text[m.end : before.start()].strip() for m in found):
        return True
    after = re.match(r"\s*\(\s*", text[match.end() :])
    return after is not None and any(m.start == match.end() + after.end() for m in found)


@cache
def _stems() -> tuple[re.Pattern[str], frozenset[str]]:
    data = load_yaml("drug_stems.yaml")
    stems = "|".join(sorted(data["stems"], key=longest_first))
    return re.compile(rf"\b[A-Za-z][a-z]{{2,}}(?:{stems})\b"), frozenset(data["not_drugs"])


def _stem_drugs(text: str) -> list[DrugMention]:
    """Words shaped like an antineoplastic INN the lexicon does not list ("milatuzumab")."""
    regex, not_drugs = _stems()
    return [DrugMention(m.start(), m.end(), m.group(), m.group().lower(), False)
            for m in regex.finditer(text) if m.group().lower() not in not_drugs]


def _lexicon_drugs(text: str) -> list[DrugMention]:
    names, longest, first_words, anchors = _drugs()
    # A printed name's key is its words lower-cased and joined by spaces: a text without any name's
    # longest word names no drug, and a name can only start at a name's first word.
    glued = _GLUED_FOOTNOTE.search(text) is not None
    if lowers_ascii_alike(text):
        seen = set(_WORD.findall(text.lower()))
        if glued:  # "aCisplatin" may name cisplatin
            seen |= {w[1:] for w in seen if w[0] in _FOOTNOTE_LETTERS}
        if anchors.isdisjoint(seen):
            return []
    # Names are looked up word by word (a regex of every name is slow): words joined by spaces or dashes.
    words = [_unglued(text, word, first_words) for word in _WORD.finditer(text)] if glued else list(_WORD.finditer(text))
    found: list[DrugMention] = []
    i = 0
    while i < len(words):
        if words[i].group().lower() not in first_words:
            i += 1
            continue
        mention = _name_at(text, words, i, names, longest)
        if mention is None:
            i += 1
            continue
        i += len(_WORD.findall(mention.printed))
        if found and found[-1].drug == mention.drug and re.fullmatch(r"\s*\(\s*", text[found[-1].end : mention.start]):
            closing = re.match(r"\s*\)", text[mention.end :])
            if closing:
                mention = replace(found.pop(), end=mention.end + closing.end())
            elif re.match(r"\s*[;,\u00ae\u2122]", text[mention.end :]):
                # "docetaxel (Taxotere; Aventis, Bridgewater, NJ)": the brand opening the maker's aside
                # is the same drug, no second mention (the aside is skipped when linking the dose).
                continue
        found.append(mention)
    return found


def _unglued(text: str, word: re.Match[str], first_words: frozenset[str]) -> re.Match[str]:
    """The word without a footnote letter glued before a capitalised drug name opening a table note
    ("Notes: aCisplatin 75 mg/m2 ... bGM-CSF was given ..."): the name's own word; else the word."""
    printed = word.group()
    if not (len(printed) > 2 and printed[0] in _FOOTNOTE_LETTERS and printed[1].isupper()
            and printed[1:].lower() in first_words):
        return word
    before = text[max(0, word.start() - 8) : word.start()].rstrip()
    if before[-1:] in _FOOTNOTE_BEFORE or not text[: word.start()].strip():
        return _WORD.match(text, word.start() + 1) or word
    return word


def _name_at(text: str, words: list[re.Match[str]], i: int,
             names: dict[str, tuple[str, bool]], longest: int) -> DrugMention | None:
    """The longest drug name starting at word i, or None."""
    last = i
    while last + 1 < len(words) and last + 1 - i < longest and _SEPARATORS.fullmatch(
            text[words[last].end() : words[last + 1].start()]):
        last += 1
    for j in range(last, i - 1, -1):
        printed = text[words[i].start() : words[j].end()]
        entry = names.get(_key(printed))
        if entry is None:
            continue
        letters = printed.replace(" ", "")
        if len(letters) <= _SHORT_NAME and letters.isalpha() and sum(c.isupper() for c in letters) < 2:
            return None
        return DrugMention(words[i].start(), words[j].end(), printed, entry[0], entry[1])
    return None


@dataclass(frozen=True)
class DoseLevels:
    """Doses of an escalation printed as a list or a range ("75, 100 or 150 mg/m2", "15 to 285 mg"), one unit."""

    start: int
    end: int
    levels: tuple[float, ...]
    amount: DoseAmount


def find_dose_levels(text: str) -> list[DoseLevels]:
    """Dose lists and dose ranges of a text, each with its unit (from the amount that closes it)."""
    return list(_dose_levels(text))


@lru_cache(maxsize=256)
def _dose_levels(text: str) -> tuple[DoseLevels, ...]:
    # Asked once per dose of a sentence (_listed_doses): remembered per text, so a sentence of many
    # doses costs what it holds, not its doses squared.
    amounts = find_amounts(text)
    found: list[DoseLevels] = []
    listed: set[int] = set()
    for match in rule("dose.levels.v1").regex.finditer(text):
        numbers = list(_NUMBER.finditer(match.group("levels")))
        last = match.start("levels") + numbers[-1].start()
        amount = next((a for a in amounts if a.start == last), None)
        levels = tuple(v for v in (parse_number(n.group()) for n in numbers) if v is not None)
        if amount is not None and len(levels) >= 2:
            found.append(DoseLevels(match.start(), amount.end, levels, amount))
            listed.add(amount.start)
    for amount in amounts:
        if amount.dose_max is not None and amount.start not in listed:
            found.append(DoseLevels(amount.start, amount.end, (amount.dose, amount.dose_max), amount))
    return tuple(sorted(found, key=lambda level: level.start))


# Units counted in units, whose doses run to thousands; "10.000" before one is a European thousands separator.
_UNIT_COUNTS = frozenset({"IU", "U/m2"})
_DOT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")


def find_amounts(text: str) -> list[DoseAmount]:
    """Dose amounts of a text whose unit is a dose unit, left to right."""
    return list(_amounts(text))


@lru_cache(maxsize=256)
def _amounts(text: str) -> tuple[DoseAmount, ...]:
    units, per_forms = _units()
    found = []
    # "20/27 mg/m2": the first number is blanked so that the second reads as a dose, then given its unit.
    pairs = list(rule("dose.amount.slash_pair.v1").regex.finditer(text))
    for pair in reversed(pairs):
        text = text[: pair.start()] + " " * (pair.end() - pair.start()) + text[pair.end() :]
    for match in rule("dose.amount.v1").regex.finditer(text):
        unit = units.get(_unit_key(match.group("unit")))
        dose = parse_number(match.group("dose"))
        if unit is None or not dose:
            # No unit of a dose, or a dose of nothing ("0 mg" of a placebo column).
            continue
        if unit in _UNIT_COUNTS and _DOT_THOUSANDS.fullmatch(match.group("dose")):
            # "10.000 IU" is ten thousand units, written the European way: no unit dose has three decimals.
            dose = float(match.group("dose").replace(".", ""))
        high = parse_number(match.group("dose_max")) if match.group("dose_max") else None
        per = per_forms.get(_unit_key(match.group("per") or ""))
        amount = DoseAmount(match.start(), match.end(), dose, high, unit, per)
        pair = next((p for p in pairs if p.end() == match.start()), None)
        first = parse_number(pair.group("first")) if pair is not None else None
        if pair is not None and first and high is None:
            found.append(replace(amount, start=pair.start(), end=pair.start("first") + len(pair.group("first")),
                                 dose=first))
        found.append(amount)
    return tuple(found)


def slash_first(text: str, amount: DoseAmount) -> bool:
    """True for the first dose of a slash pair ("20" of "carfilzomib 20/27 mg/m2"): a step-up dose, not the
    dose a maximum tolerated dose names."""
    return any(pair.start() == amount.start for pair in rule("dose.amount.slash_pair.v1").regex.finditer(text))


def find_route(text: str) -> tuple[bool, Route | None]:
    """(found, route) of the first route phrase of the text; found with None for alternatives."""
    regex, values = _vocabulary("routes.yaml", "routes")
    match = regex.search(text)
    if match is None:
        return False, None
    return True, cast(Route | None, values[_key(match.group(0))])


def find_frequency(text: str) -> tuple[bool, Frequency | None]:
    """(found, frequency) of the first frequency phrase of the text."""
    regex, values = _vocabulary("frequencies.yaml", "frequencies")
    match = regex.search(text)
    if match is None:
        return False, None
    return True, cast(Frequency | None, values[_key(match.group(0))])


def find_schedule(text: str) -> str | None:
    """The first schedule printed in the text ("days 1–21", "for 7 days"), as printed."""
    found = []
    for rule_id in ("dose.schedule.days.v1", "dose.schedule.weeks.v1", "dose.schedule.for_days.v1"):
        match = rule(rule_id).regex.search(text)
        if match:
            found.append((match.start(), match.group("schedule")))
    return " ".join(min(found)[1].split()) if found else None


def cycle_frequency(text: str) -> Frequency | None:
    """The frequency of a drug given once per cycle, from the cycle length printed in the text."""
    match = rule("dose.cycle.length.v1").regex.search(text)
    if match is None:
        return None
    if match.group("n3"):
        days = 7 * int(match.group("n3"))
    else:
        count = parse_int(match.group("n") or match.group("n2"))
        unit = (match.group("unit") or match.group("unit2")).lower()
        if count is None:
            return None
        days = count * (7 if unit.startswith("week") else 1)
    return _CYCLE_FREQUENCIES.get(days)


def paren_depths(text: str) -> list[int]:
    """Bracket depth at every character of the text (an opening bracket counts as inside)."""
    depths: list[int] = []
    depth = 0
    for match in _BRACKET.finditer(text):
        # Characters between brackets share the depth: filled a run at a time.
        depths.extend([depth] * (match.start() - len(depths)))
        char = match.group()
        if char in "([":
            depth += 1
        depths.append(depth)
        if char in ")]":
            depth = max(depth - 1, 0)
    depths.extend([depth] * (len(text) - len(depths)))
    return depths


def clause_end(text: str, start: int, depths: list[int], limit: int) -> int:
    """Where the clause that starts at ``start`` ends: a ';' at its depth, its closing bracket, or limit."""
    depth = depths[start] if start < len(depths) else 0
    for i in range(start, min(limit, len(text))):
        if depths[i] < depth or (text[i] in ")]" and depths[i] == depth and depth > 0):
            return i
        if text[i] == ";" and depths[i] == depth:
            return i
    return min(limit, len(text))


@lru_cache(maxsize=512)
def parse_dosings(text: str, codes: frozenset[PaperName] = frozenset()) -> tuple[Dosing, ...]:
    """Every drug of the text with its doses; a dose no drug claims is returned with drug None.

    Memoised: the regimen and dose-finding components both read every sentence.
    """
    drugs = find_drugs(text, codes)
    amounts = find_amounts(text)
    if not drugs and not amounts:
        return ()
    depths = paren_depths(text)
    claimed: set[int] = set()
    dosings: list[Dosing] = []
    for i, drug in enumerate(drugs):
        if drug.regimen:
            # A regimen acronym names its drugs, not their doses: a dose after it is another drug's.
            dosings.append(Dosing(drug, None, None, None, None, NO_DOSE, 0.0))
            continue
        limit = drugs[i + 1].start if i + 1 < len(drugs) else len(text)
        end = clause_end(text, drug.end, depths, limit)
        found = _drug_doses(text, drug, [a for a in amounts if drug.end <= a.start and a.end <= end], end)
        if found and i and found[0].amount is not None and slash_first(text, found[0].amount) and rule(
                "dose.gap.joined_drug.v1").regex.fullmatch(text[drugs[i - 1].end : drug.start]):
            # "irinotecan and cisplatin 60/30 mg/m2": a slash pair after two joined drugs may be one dose of
            # each, not a step-up of the last; neither drug takes it.
            found = []
        if not found:
            unclaimed = [a for a in amounts if a.start not in claimed]
            found = [_dosing(text, drug, before, before.end, end, rule_id)
                     for before, rule_id in _doses_before(text, drug, unclaimed, drugs[i - 1].end if i else 0)]
        claimed.update(d.amount.start for d in found if d.amount is not None)
        dosings.extend(found or [Dosing(drug, None, None, None, None, NO_DOSE, 0.0)])
    for amount in amounts:
        if amount.start not in claimed:
            end = clause_end(text, amount.end, depths, len(text))
            dosings.append(_dosing(text, None, amount, amount.start, end, "dose.amount.v1"))
    return tuple(sorted(dosings, key=lambda d: d.start))


def _drug_doses(text: str, drug: DrugMention, amounts: list[DoseAmount], end: int) -> list[Dosing]:
    if not amounts:
        return []
    first = amounts[0]
    listed = _listed_doses(text, first)
    # Bare numbers listed before the dose ("45 or 90 mg/m2") are its alternatives, not words of the gap,
    # when they stand a few words after the drug ("daunorubicin at 45 or 90 mg/m2"); further off they are
    # a list the sentence gives something else ("X was evaluated in a dose-ranging study of 10, 20 or 40 mg").
    if listed and len(text[drug.end : listed[0].start].split()) > _LISTED_WORDS:
        listed = []
    gap = text[drug.end : min([first.start] + [a.start for a in listed])]
    # A bracketed aside naming the maker or an abbreviation ("Sorafenib (Bayer, West Haven, CT, USA) was
    # given orally at a dose of 800 mg") stands outside the words that link a drug to its dose.
    aside = rule("dose.gap.aside.v1").regex.match(gap)
    if aside and _combination_acronym(gap) and rule("dose.gap.combination_acronym.v1").regex.search(
            text[max(0, drug.start - 12) : drug.start]):
        # "carfilzomib plus dexamethasone (Kd) 20/70 mg/m2": the aside names the combination, whose dose
        # printed after it is not the last drug's alone.
        return []
    gap = gap[aside.end() :] if aside else gap
    if re.match(r"\s*\(", gap) and ")" not in gap:
        # Inside the drug's own bracket a ';' parts its details ("fluorouracil (120 h intravenous
        # infusion; 800 mg/m2 daily)"), it ends no clause.
        gap = gap.replace(";", ",")
    # The days of a schedule ("on days 1, 2, 8, 9, 15, and 16 (starting dose of 20/27 mg/m2)") are no list of
    # dose levels: they are read as one word.
    gap = rule("dose.schedule.days.v1").regex.sub("days", gap)
    if rule("dose.gap.broken.v1").regex.search(gap) or not rule("dose.gap.linked.v1").regex.match(gap):
        return []
    if (end < len(text) and rule("dose.gap.before_drug.v1").regex.match(text[first.end : end])
            and (rule("dose.gap.next_drug.v1").regex.search(gap) or len(gap.split()) >= _FAR_WORDS)):
        # The dose stands right before the next drug: it is that drug's ("... and 1–2 mg/kg propofol",
        # "capecitabine chemotherapy was given ..., consisting of 50 mg/m2 intravenous epirubicin").
        return []
    # The first dose's words run to the next dose the drug keeps (an "or" alternative, a later dose).
    chained = _alternatives(text, first, amounts[1:], end)
    alternatives = [amount for amount, _ in chained]
    stop = alternatives[0].start if alternatives else end
    main = _dosing(text, drug, first, drug.end, stop, "dose.amount.v1")
    found = [main]
    bracketed = _bracketed_alternative(text, first, amounts[1:])
    if bracketed is not None:
        # The bracketed dose shares the route, frequency and schedule printed around the first.
        paren = rule("dose.alternative.paren.v1")
        found.append(replace(main, amount=bracketed, rule_id=paren.id, confidence=paren.confidence))
    for j, alternative in enumerate(alternatives):
        next_stop = alternatives[j + 1].start if j + 1 < len(alternatives) else end
        found.append(_dosing(text, drug, alternative, alternative.start, next_stop, chained[j][1]))
    return _with_listed(main, listed) + found[1:]


def _combination_acronym(gap: str) -> bool:
    """True when the gap after a drug opens with a bracketed abbreviation that may name a combination
    ("(Kd)", "(VRd)"): no more small letters than capitals, so no brand name ("(Zoladex)")."""
    match = rule("dose.gap.combination_acronym_aside.v1").regex.match(gap)
    if match is None:
        return False
    abbr = match.group("abbr")
    return sum(c.islower() for c in abbr) <= sum(c.isupper() for c in abbr)


def _listed_doses(text: str, amount: DoseAmount) -> list[DoseAmount]:
    """The bare numbers of an "or"/"and" list printed right before a dose and sharing its unit ("45 or
    90 mg/m2": 45 mg/m2), each as an amount at the number; none when the list is no such list."""
    for group in find_dose_levels(text):
        if group.amount.start != amount.start or group.start >= amount.start or amount.dose_max is not None:
            continue
        numbers = list(_NUMBER.finditer(text, group.start, amount.start))
        if (not numbers or not rule("dose.alternative.list.v1").regex.match(text[numbers[-1].end() : amount.start])
                or rule("dose.alternative.list_before.v1").regex.search(text[max(0, group.start - 20) : group.start])
                or rule("dose.alternative.list_respectively.v1").regex.match(text[amount.end : amount.end + 60])):
            return []
        return [replace(amount, start=number.start(), end=number.end(), dose=value)
                for number in numbers if (value := parse_number(number.group())) and value != amount.dose]
    return []


def _with_listed(dosing: Dosing, listed: list[DoseAmount]) -> list[Dosing]:
    """A dosing and one more for each listed alternative dose, with the same route, frequency and schedule."""
    source = rule("dose.alternative.list.v1")
    return [replace(dosing, amount=amount, rule_id=source.id, confidence=source.confidence) for amount in listed] + [dosing]


def _alternatives(text: str, first: DoseAmount, rest: list[DoseAmount], end: int) -> list[tuple[DoseAmount, str]]:
    """The "or" alternatives and later doses chained to the first dose: "60 or 90 mg/m2", "1.5 g/m2 ...
    or 100 mg/m2", "1600 mg on days 1 and 8 of cycle 1 followed by 800 mg ... or 400 mg"; a dose after
    another drug's dose ("(300 mg or 400 IU/day)" of the next, unknown drug) is none, and so is a dose
    printed right before the next drug ("followed by 200 mg/m2 of cisplatin"), ``end`` its start."""
    found: list[tuple[DoseAmount, str]] = []
    previous = first
    for amount in rest:
        if end < len(text) and rule("dose.gap.before_drug.v1").regex.match(text[amount.end : end]):
            break
        gap = text[previous.end : amount.start]
        linked = next((rule_id for rule_id in ("dose.alternative.or.v1", "dose.alternative.sequence.v1",
                                               "dose.alternative.slash.v1")
                       if rule(rule_id).regex.search(gap)), None)
        if linked is None and rule("dose.alternative.and.v1").regex.search(gap) and rule(
                "dose.alternative.and_after.v1").regex.match(text[amount.end : amount.end + 40]):
            linked = "dose.alternative.and.v1"
        if linked is not None:
            found.append((amount, linked))
            previous = amount
        elif amount is not rest[0] or not rule("dose.alternative.paren.v1").regex.match(text[first.end : amount.start]):
            break
    return found


def _bracketed_alternative(text: str, first: DoseAmount, rest: list[DoseAmount]) -> DoseAmount | None:
    if not rest or not rule("dose.alternative.paren.v1").regex.match(text[first.end : rest[0].start]):
        return None
    reason = rule("dose.alternative.paren_reason.v1").regex.match(text[rest[0].end :])
    return rest[0] if reason else None


def _doses_before(text: str, drug: DrugMention, amounts: list[DoseAmount], floor: int) -> list[tuple[DoseAmount, str]]:
    """Doses printed right before the drug ("400 mg sorafenib"), with an alternative before them ("60 mg/m2 or
    90 mg/m2 of", "60 or 90 mg/m2 of")."""
    before = [a for a in amounts if floor <= a.start and a.end <= drug.start]
    if not before or not rule("dose.gap.before_drug.v1").regex.match(text[before[-1].end : drug.start]):
        return []
    found = [(before[-1], "dose.gap.before_drug.v1")]
    if len(before) > 1 and re.fullmatch(r"\s*or\s+", text[before[-2].end : before[-1].start]):
        found.insert(0, (before[-2], "dose.alternative.or.v1"))
    else:
        found[:0] = [(amount, "dose.alternative.list.v1") for amount in _listed_doses(text, before[-1])
                     if amount.start >= floor]
    return found


def _dosing(text: str, drug: DrugMention | None, amount: DoseAmount, start: int, end: int, rule_id: str) -> Dosing:
    """A dose with the route, frequency and schedule printed between ``start`` and ``end``."""
    end = _adjective_start(text, end)
    # A dose listed after this one ("75 mg/m2 docetaxel and 400 mg daily celecoxib") has its own words.
    listed = rule("dose.next_listed.v1").regex.search(text, amount.end, min(end, amount.end + _ATTRIBUTE_REACH))
    words = text[start : listed.start() if listed else min(end, amount.end + _ATTRIBUTE_REACH)]
    found_route, route = (False, None)
    if drug is not None:
        adjective = _adjective_start(text, drug.start)
        found_route, route = find_route(text[adjective : drug.start]) if adjective < drug.start else (False, None)
    if not found_route:
        found_route, route = find_route(words)
    found_frequency, frequency = find_frequency(words)
    if not found_frequency and amount.per is not None:
        frequency = amount.per
    schedule = find_schedule(words)
    if frequency is None and not found_frequency and schedule is not None and re.fullmatch(r"day\s+1", schedule):
        frequency = cycle_frequency(text)
    matched = rule(rule_id)
    return Dosing(drug, amount, route, frequency, schedule, rule_id, matched.confidence)


def _adjective_start(text: str, position: int) -> int:
    """Where a route printed right before ``position`` starts ("intravenous epirubicin"), else position."""
    window_start = max(0, position - 40)
    regex, _ = _vocabulary("routes.yaml", "routes")
    for match in regex.finditer(text, window_start, position):
        if not text[match.end() : position].strip():
            return match.start()
    return position


def context_drug(text: str, document: Document) -> str | None:
    """The drug a dose printed without one belongs to: the one drug the sentence names, else the study drug."""
    named = {m.drug for m in find_drugs(text, paper_code_names(document)) if not m.supportive}
    if len(named) == 1:
        return named.pop()
    return study_drug(document) if not named else None


def study_drug(document: Document) -> str | None:
    """The one drug the paper's title names, taken as the study drug; of several (or with no title
    drug), the one drug the paper's dose-escalation and MTD sentences name most; None on a tie."""
    drugs = _title_drugs(document)
    return next(iter(drugs)) if len(drugs) == 1 else _escalated_drug(document)


def _title_drugs(document: Document) -> frozenset[str]:
    title = document.metadata.title or ""
    mentions = [m for m in find_drugs(title, title_code_names(title)) if not m.supportive]
    # "Temsirolimus (CCI-779)": a name bracketed right after another is that drug's other name, no second drug.
    return frozenset(m.drug for i, m in enumerate(mentions)
                     if not (i and re.fullmatch(r"\s*\(\s*", title[mentions[i - 1].end : m.start])
                             and re.match(r"\s*\)", title[m.end :])))


@per_paper
def _escalated_drug(document: Document) -> str | None:
    """Of the title's drugs (any drug when the title names none), the one the escalation sentences
    name most often (None on a tie)."""
    drugs = _title_drugs(document)
    counts = dict.fromkeys(drugs, 0)
    codes = paper_code_names(document)
    escalation = rule("dose.escalation_sentence.v1").regex
    for sentence in re.split(r"(?<=[.!?])\s+", document.text):
        if not escalation.search(sentence):
            continue
        for drug in {m.drug for m in find_drugs(sentence, codes) if not m.supportive}:
            if drug in counts or not drugs:
                counts[drug] = counts.get(drug, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]
