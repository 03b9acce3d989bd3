"""Adverse-event vocabulary: printed terms to CTCAE-style terms, grade bands, arm labels."""

import re
from dataclasses import dataclass
from functools import cache

from extractor.lexicons import load_tsv, load_yaml
from extractor.numbers import roman_to_int, unify_dashes
from extractor.patterns import CompiledRule, load_rules
from schemas.vocab import GradeBand

# Footnote marks printed after a term or value ("Neutropenia*", "23 (9%)†").
_FOOTNOTES = re.compile(r"[*\u2020\u2021\u00a7\u00b6#?]+$")
_ABBREVIATION = re.compile(r"\b[A-Z]{2,}s?\b")
_PARENTHETICAL = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_EXCLUDING = re.compile(r"[(\[]\s*(excluding|except|other than)\s+([^()\[\]]+)[)\]]", re.IGNORECASE)
# "Treatment-emergent adverse events" are all adverse events on treatment; "treatment-related" ones are
# the share attributed to it, a term of their own (lexicons/ae_terms.tsv).
_ATTRIBUTION = re.compile(
    r"\b(?:treatment|drug|study[\s-]drug)[\s-]emergent\s+(?=(?:adverse|aes?\b|serious|toxicit))"
)
# "Total number of patients with at least one adverse event" is "any adverse event"; so is "Patients
# with (NCI-CTC toxicity) grade 3 or 4 AEs" once its grade is taken off.
_AT_LEAST_ONE = re.compile(
    r"^(?:(?:total\s+)?(?:number\s+of\s+)?(?:patients|subjects|participants)\s+with\s+"
    r"(?:(?:nci[\s-]*)?ctc(?:ae)?\s+(?:toxicity\s+)?)?(?:(?:at\s+least\s+(?:one|1)|any|>=\s*1|[\u2265\u2a7e]\s*1)\s+)?"
    r"|(?:at\s+least\s+(?:one|1)|any|>=\s*1|[\u2265\u2a7e]\s*1)\s+)(?=(?:(?:treatment|drug|study[\s-]drug)[\s-](?:emergent|related)\s+)?(?:adverse|ae|serious|toxicit))"
)
_RELATED = re.compile(r"(?:treatment|drug|study[\s-]drug)[\s-]related\b")
_DIRECTIONS = {
    "increased": "increased", "increase": "increased", "elevated": "increased", "elevation": "increased",
    "elevations": "increased", "raised": "increased", "high": "increased", "rise": "increased",
    "decreased": "decreased", "decrease": "decreased", "low": "decreased", "reduced": "decreased",
    "reduction": "decreased", "decline": "decreased",
}
# Prepositions joining a direction to its analyte: "elevation of ALT", "reduction in ejection fraction".
_LAB_PREPOSITIONS = frozenset({"in", "of"})
# Words naming the organ of a laboratory row ("Liver AST", "Renal creatinine").
_ORGAN_PREFIXES = frozenset({"liver", "hepatic", "renal", "kidney", "blood", "serum"})
_BANDS: dict[tuple[int, int], GradeBand] = {
    (1, 1): "1", (2, 2): "2", (3, 3): "3", (4, 4): "4", (5, 5): "5",
    (1, 2): "1-2", (3, 4): "3-4", (3, 5): ">=3", (1, 4): "any", (1, 5): "any",
}


@dataclass(frozen=True)
class Term:
    """A normalised adverse-event term; ``known`` when the lexicons name it."""

    term: str
    known: bool


@dataclass(frozen=True)
class GradeSpan:
    """A grade expression found in a text, with its band (None when it is no band, e.g. grade 0)."""

    start: int
    end: int
    band: GradeBand | None


@cache
def rules(prefix: str) -> tuple[CompiledRule, ...]:
    """The toxicity rules whose id starts with the prefix, in file order."""
    return tuple(rule for rule in load_rules("toxicity.yaml") if rule.id.startswith(prefix))


@cache
def rule(rule_id: str) -> CompiledRule:
    """One toxicity rule by its id."""
    return next(r for r in load_rules("toxicity.yaml") if r.id == rule_id)


@cache
def _terms() -> dict[str, str]:
    return {printed: term for printed, term in load_tsv("ae_terms.tsv")}


@cache
def _always_canonical() -> frozenset[str]:
    return frozenset(load_yaml("ae_canonical.yaml")["always"])


@cache
def _lab_tests() -> dict[str, tuple[str, str]]:
    return {printed: (analyte, direction) for printed, analyte, direction in load_tsv("ae_lab_tests.tsv")}


@cache
def _spelling() -> tuple[tuple[str, str], ...]:
    return tuple((gb, us) for gb, us in load_yaml("us_spelling.yaml")["replacements"])


def us_spelling(text: str) -> str:
    """British medical spelling to US ('haemorrhage' -> 'hemorrhage'); text is lower case."""
    for british, american in _spelling():
        text = text.replace(british, american)
    return text


def clean_text(text: str) -> str:
    """Lower case, one kind of dash, single spaces, no spaces around a slash, Greek letters
    spelled out ("γ-glutamyltransferase" -> "gamma-glutamyltransferase"), no footnote marks."""
    text = " ".join(unify_dashes(text).split()).lower()
    text = _SPACED_SLASH.sub("/", text)
    for letter, name in _GREEK.items():
        text = text.replace(letter, name)
    return _FOOTNOTES.sub("", text).strip(" :;,.")


_SPACED_SLASH = re.compile(r"(?<=\w)\s+/\s+(?=\w)")
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa"}


def normalise_term(printed: str) -> Term | None:
    """The record term for a printed term; None when nothing is left once grades are removed."""
    text = rule("toxicity.term.anc_qualifier.v1").regex.sub(lambda m: f" with {m.group('what')}", unify_dashes(printed))
    qualifier = ""
    excluding = _EXCLUDING.search(text)
    if excluding:
        qualifier = f" {excluding.group(1).lower()} {us_spelling(clean_text(excluding.group(2)))}"
        text = text[: excluding.start()] + text[excluding.end():]
    text = _PARENTHETICAL.sub("", remove_grades(text))
    text = us_spelling(clean_text(text))
    text = _ATTRIBUTION.sub("", text)
    attributed = rule("toxicity.term.attributed_aggregate.v1").regex.match(text)
    if attributed:
        # "AEs drug related or possibly drug related" -> "treatment-related aes".
        text = f"treatment-related {attributed.group('agg') or attributed.group('agg2')}"
    if rule("toxicity.term.aggregate_leading_to.v1").regex.match(text):
        return Term("adverse event leading to discontinuation", True)
    text = re.sub(r"^(?:any|all)\s+(?=(?:toxicit|adverse|ae|event|serious))", "any ", text)
    # "Patients with >=1 AE" is any adverse event; ">=1 drug-related AE" a treatment-related one.
    text = _AT_LEAST_ONE.sub(lambda m: "" if _RELATED.match(text, m.end()) else "any ", text)
    if not text:
        return None
    text = _injection_site(text)
    found = lookup(text) or _slashed(text)
    if found is None:
        return Term(text + qualifier, False)
    if found != text and _keeps_printed(text, printed, found):
        # A kept term is written singular when the lexicon knows it so ("infusion reactions").
        return Term(_singular(text) + qualifier, True)
    return Term(found + qualifier, True)


def _singular(text: str) -> str:
    """A kept plural written singular when the lexicon knows the singular ("second primary malignancies")."""
    for plural, singular in (("ies", "y"), ("s", "")):
        if text.endswith(plural) and text[: -len(plural)] + singular in _terms():
            return text[: -len(plural)] + singular
    return text


def _injection_site(text: str) -> str:
    """'pain in injection area' -> 'injection site pain', as CTCAE names local reactions."""
    match = rule("toxicity.term.injection_site.v1").regex.fullmatch(text)
    return f"injection site {match.group('what')}" if match else text


def _slashed(text: str) -> str | None:
    """Terms joined by a slash, each known ('ostealgia/myosalgia' -> 'bone pain/myalgia'), or None."""
    parts = text.split("/")
    if len(parts) < 2:
        return None
    # Laboratory parts stay as printed ("AST/ALT"): only the term lexicon's rows are joined.
    found = [_terms().get(part.strip()) or _terms().get(part.strip()[:-1]) for part in parts]
    if not all(found):
        return None
    return "/".join(f for f in found if f)


def _keeps_printed(text: str, printed: str, found: str) -> bool:
    """Whether a printed term is written as printed rather than as the lexicon's synonym.

    Readers keep a paper's own multi-word clinical term ("palmar-plantar erythrodysesthesia",
    "cardiac failure", "decreased appetite"); the lexicon spells out what is not yet a term:
    one-word organ headings ("Cardiac"), abbreviations ("chronic GVHD", "serious AEs"),
    laboratory shorthand ("Liver AST", "ALT elevation") and aggregates ("any adverse event").
    """
    if len(text.split()) < 2 or is_aggregate(found) or _lab_term(text) is not None:
        return False
    if text in _always_canonical() or (text.endswith("s") and text[:-1] in _always_canonical()):
        return False
    return not _ABBREVIATION.search(printed)


def lookup(text: str) -> str | None:
    """The lexicon term for a cleaned, US-spelled printed term, or None."""
    terms = _terms()
    if text in terms:
        return terms[text]
    if text.endswith("s") and text[:-1] in terms:
        return terms[text[:-1]]
    if text.endswith("ies") and text[:-3] + "y" in terms:
        # "hepatic toxicities", "neuropathies".
        return terms[text[:-3] + "y"]
    return _lab_term(text)


def _lab_term(text: str) -> str | None:
    words = text.replace(" level", "").split()
    direction = next((_DIRECTIONS[w] for w in words if w in _DIRECTIONS), None)
    rest = [w for w in words if w not in _DIRECTIONS and not (direction and w in _LAB_PREPOSITIONS)]
    while len(rest) > 1 and rest[0] in _ORGAN_PREFIXES:
        if " ".join(rest) in _lab_tests():
            break
        rest = rest[1:]
    lab = _lab_tests().get(" ".join(rest))
    if lab is None:
        return None
    analyte, default = lab
    return f"{analyte} {direction or default}"


def known_suffix(phrase: str, max_words: int = 6) -> tuple[Term, int] | None:
    """The longest known term ending the phrase, and the offset where it starts in the phrase."""
    words = list(re.finditer(r"[^\s,;:]+", phrase))
    for size in range(min(max_words, len(words)), 0, -1):
        start = words[-size].start()
        candidate = " ".join(phrase[start:].split())
        if _PARENTHETICAL.search(candidate) or remove_grades(candidate) != candidate:
            continue
        term = normalise_term(candidate)
        if term is not None and term.known:
            return term, start
    return None


# Words after which a term has ended ("grade 3 rash and ...", "grade 4 sepsis requiring ...").
_TERM_END = frozenset({"and", "or", "in", "with", "requiring", "that", "which", "after", "during", "on", "leading",
                       "resulting", "while", "whereas", "was", "were", "but", "at", "of", "due", "following", "for"})


# Terms naming adverse events in general (of any kind), not one event.
_AGGREGATE = ("any ", "serious ", "treatment-related adverse event", "treatment-related serious adverse event")


def is_aggregate(term: str) -> bool:
    """True for a term of adverse events in general: "any adverse event", "serious adverse event",
    "treatment-related adverse event"."""
    return term.startswith(_AGGREGATE)


def known_prefix(phrase: str, max_words: int = 6, bounded: bool = False, skip: int = 2) -> Term | None:
    """The longest known term within the first words of a phrase (parentheticals dropped), after at
    most ``skip`` leading words; with ``bounded``, only a term the phrase ends after ("erythema", not
    "erythema multiforme")."""
    words = _PARENTHETICAL.sub("", phrase).split()
    for first in range(min(skip + 1, len(words))):
        for size in range(min(max_words, len(words) - first), 0, -1):
            term = normalise_term(" ".join(words[first : first + size]))
            if term is None or not term.known:
                continue
            after = words[first + size].lower() if first + size < len(words) else None
            if bounded and after is not None and not (after in _TERM_END or not after[:1].isalpha()):
                return None
            return term
    return None


def known_items(text: str) -> Term | None:
    """A list item naming one known term, or known terms joined by 'and' ('diarrhoea and dehydration')."""
    text = re.sub(r"^(?:an?|the)\s+", "", clean_text(text))
    whole = normalise_term(text)
    if whole is not None and whole.known:
        return whole
    parts = [normalise_term(p) for p in re.split(r"\s+and\s+", text)]
    if len(parts) > 1 and all(p is not None and p.known for p in parts):
        return Term(" and ".join(p.term for p in parts if p is not None), True)
    return None


def grade_spans(text: str) -> list[GradeSpan]:
    """Grade expressions of the text, left to right; an earlier rule wins an overlap."""
    found: list[GradeSpan] = []
    for grade_rule in rules("toxicity.grade."):
        for match in grade_rule.regex.finditer(text):
            if any(s.start < match.end() and match.start() < s.end for s in found):
                continue
            found.append(GradeSpan(match.start(), match.end(), _band(match, grade_rule)))
    return sorted(found, key=lambda s: s.start)


def grade_band(text: str) -> GradeBand | None:
    """The band of the first grade expression of the text that is a band."""
    return next((s.band for s in grade_spans(text) if s.band is not None), None)


def remove_grades(text: str) -> str:
    """The text without its grade expressions ('Any grade 3–5 toxicity' -> 'Any toxicity')."""
    for span in reversed(grade_spans(text)):
        text = text[: span.start] + text[span.end :]
    return " ".join(text.split())


def _band(match: re.Match[str], grade_rule: CompiledRule) -> GradeBand | None:
    fields = grade_rule.rule.fields
    if "band" in fields:
        return fields["band"]
    groups = match.groupdict()
    low = _grade_number(next((v for k, v in groups.items() if k.startswith("lo") and v), None))
    high = _grade_number(groups.get("hi")) if groups.get("hi") else low
    if low is None or high is None:
        return None
    if fields.get("op") == "at_least":
        return {1: "any", 3: ">=3", 5: "5"}.get(low)
    if fields.get("op") == "above":
        return {0: "any", 2: ">=3", 3: ">=3"}.get(low)
    return _BANDS.get((low, high))


def _grade_number(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) if text.isdigit() else roman_to_int(text)


def clean_arm(text: str) -> str | None:
    """An arm label from a header or sentence: no size, no 'group'/'arm'; a capitalised word lower-cased."""
    text = " ".join(unify_dashes(text).split())
    # A footnote mark after the arm size: "Topotecan (n =29)a".
    text = re.sub(r"(?<=[)\]])\s?[a-f*\u2020\u2021\u00a7]{1,2}$", "", text)
    match = rule("toxicity.arm.header_label.v1").regex.match(text)
    if match:
        text = match.group("arm")
    text = _PARENTHETICAL.sub("", text)
    # A count-unit header after the label: "Group 1 TE (60) N (%)", "Arm A n (%)".
    text = re.sub(r"\s+(?:n|no\.?)\s*(?:\(\s*%\s*\))?\s*$", "", text.strip(), flags=re.IGNORECASE)
    text = re.sub(r"\s*\b(?:group|arm|cohort|treatment)s?$", "", text.strip(), flags=re.IGNORECASE)
    text = _FOOTNOTES.sub("", " ".join(text.split())).strip(" :;,.")
    if not text:
        return None
    lettered = re.fullmatch(r"(arm|group|cohort)\s+([A-Z0-9])", text, flags=re.IGNORECASE)
    if lettered:
        return f"{lettered.group(1).lower()} {lettered.group(2).upper()}"
    # "Sunitinib" in a header and "sunitinib" in prose name the same arm; "EOC" stays as printed.
    if re.fullmatch(r"[A-Z][a-z\-]+(?: [a-z\-]+)*", text):
        text = text.lower()
    return text
