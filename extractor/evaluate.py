"""Score predicted evidence summaries against gold ones, as FORMAT.md "How two summaries are compared" says.

Matching is greedy and one-to-one per category: gold facts are taken in file
order and each takes the first still-unmatched predicted fact whose key matches.

* Numbers match when equal within 0.01; percentages (response, adverse-event and
  mortality ``percent``, and a time-to-event ``value`` whose measure is ``rate``)
  within 0.5. Two missing numbers are equal; a missing and a given one are not.
* "Counts agree": ``n``, ``of`` and ``percent`` are equal wherever both sides
  give them, and ``n`` or ``percent`` is given by both.
* Strings (drug, term, grade, endpoint) compare case-insensitively with
  whitespace collapsed; registry ids also ignore spaces. Dose units drop a
  trailing ``/day`` or ``/d`` (drugs and MTDs alike).
* Timepoints and mortality windows are normalised by lower-casing, collapsing
  whitespace and reading a plural time unit as singular ("2 Years" == "2 year");
  nothing else ("1-year" and "12 months" stay different from "1 year").
* Hazard ratios: ``hr``, plus ``ci_low`` and ``ci_high`` when the gold prints a CI,
  else ``hr`` plus the endpoint.

Metrics: precision = TP / (TP + FP), or 1.0 when nothing was predicted; recall =
TP / (TP + FN), or 1.0 when there is no gold fact; F1 the harmonic mean (0.0 when
both are 0). Micro averages pool the facts of every category; macro averages are
the mean P, R and F1 over the categories with at least one gold fact.
"""

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from extractor.parsers import SUFFIXES, parse_paper
from schemas.summary import EvidenceSummary

# The gold directory holds the dev split; its test/ folder the frozen test split (corpus/gold/README.md).
SPLITS = ("dev", "test")
TEST_FOLDER = "test"
CATEGORIES = (
    "trial_ids", "phase", "design", "population", "drugs", "responses", "time_to_event",
    "hazard_ratios", "mtd", "dlts", "adverse_events", "mortality",
)
NUMBER_TOLERANCE = 0.01
PERCENT_TOLERANCE = 0.5
# Slack for binary floats: 16.5 vs 16.0 must count as "within 0.5".
_EPSILON = 1e-9

Fact = dict[str, Any]
Matcher = Callable[[Fact, Fact], bool]


@dataclass
class Counts:
    """True positives, false positives and false negatives, with the metrics they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Counts") -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def as_dict(self) -> dict[str, float]:
        return {"gold": self.gold, "predicted": self.predicted, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class Mismatch:
    """A gold fact nobody predicted (miss) or a predicted fact matching no gold (false positive)."""

    paper: str
    category: str
    fact: Fact
    quote: str | None


@dataclass
class PaperResult:
    """Scores of one paper; ``error`` says why it could not be read, if it could not."""

    paper: str
    categories: dict[str, Counts]
    misses: list[Mismatch] = field(default_factory=list)
    false_positives: list[Mismatch] = field(default_factory=list)
    error: str | None = None


@dataclass
class EvalReport:
    """Scores over a corpus: per category, micro and macro averages, per paper."""

    papers: list[PaperResult]
    categories: dict[str, Counts] = field(init=False)

    def __post_init__(self) -> None:
        self.categories = {c: Counts() for c in CATEGORIES}
        for paper in self.papers:
            for category, counts in paper.categories.items():
                self.categories[category].add(counts)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for counts in self.categories.values():
            total.add(counts)
        return total

    @property
    def macro(self) -> dict[str, float]:
        scored = [c for c in self.categories.values() if c.gold]
        if not scored:
            return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
        return {metric: sum(getattr(c, metric) for c in scored) / len(scored)
                for metric in ("precision", "recall", "f1")}

    @property
    def misses(self) -> list[Mismatch]:
        return [m for p in self.papers for m in p.misses]

    @property
    def false_positives(self) -> list[Mismatch]:
        return [m for p in self.papers for m in p.false_positives]

    def to_json(self) -> str:
        """The whole report as JSON: categories, averages, papers, misses and false positives."""
        data = {
            "categories": {c: counts.as_dict() for c, counts in self.categories.items()},
            "micro": self.micro.as_dict(),
            "macro": self.macro,
            "papers": [{"paper": p.paper, "error": p.error,
                        "categories": {c: counts.as_dict() for c, counts in p.categories.items()}}
                       for p in self.papers],
            "misses": [asdict(m) for m in self.misses],
            "false_positives": [asdict(m) for m in self.false_positives],
        }
        return json.dumps(data, indent=2, ensure_ascii=False)


def _numbers_equal(a: float | None, b: float | None, tolerance: float = NUMBER_TOLERANCE) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance + _EPSILON


def _text(value: str | None) -> str | None:
    return None if value is None else " ".join(value.lower().split())


def normalise_timepoint(value: str | None) -> str | None:
    """Lower-case, collapse whitespace, and read 'years'/'months'/'weeks'/'days' as singular."""
    text = _text(value)
    return None if text is None else re.sub(r"\b(year|month|week|day)s\b", r"\1", text)


def normalise_unit(unit: str | None) -> str | None:
    """A dose unit without a trailing '/day' or '/d': 'mg/day' -> 'mg'."""
    return None if unit is None else re.sub(r"/(?:day|d)$", "", unit.strip())


def counts_agree(gold: Fact, pred: Fact) -> bool:
    """n, of and percent equal wherever both give them; n or percent given by both."""
    shared = [k for k in ("n", "of", "percent") if gold.get(k) is not None and pred.get(k) is not None]
    if not {"n", "percent"} & set(shared):
        return False
    tolerance = {"n": NUMBER_TOLERANCE, "of": NUMBER_TOLERANCE, "percent": PERCENT_TOLERANCE}
    return all(_numbers_equal(gold[k], pred[k], tolerance[k]) for k in shared)


def _same_dose(gold: Fact, pred: Fact) -> bool:
    return (_text(gold["drug"]) == _text(pred["drug"]) and _numbers_equal(gold["dose"], pred["dose"])
            and normalise_unit(gold["unit"]) == normalise_unit(pred["unit"]))


def _same_time_to_event(gold: Fact, pred: Fact) -> bool:
    rate = gold["measure"] == "rate"
    tolerance = PERCENT_TOLERANCE if rate else NUMBER_TOLERANCE
    return (gold["endpoint"] == pred["endpoint"] and gold["measure"] == pred["measure"]
            and _numbers_equal(gold["value"], pred["value"], tolerance)
            and (not rate or normalise_timepoint(gold.get("timepoint")) == normalise_timepoint(pred.get("timepoint"))))


def _same_hazard_ratio(gold: Fact, pred: Fact) -> bool:
    if not _numbers_equal(gold["hr"], pred["hr"]):
        return False
    if gold["ci_low"] is not None and gold["ci_high"] is not None:
        return _numbers_equal(gold["ci_low"], pred["ci_low"]) and _numbers_equal(gold["ci_high"], pred["ci_high"])
    return _text(gold["endpoint"]) == _text(pred["endpoint"])


def _same_value(gold: Fact, pred: Fact) -> bool:
    return gold["value"] == pred["value"]


MATCHERS: dict[str, Matcher] = {
    "trial_ids": lambda g, p: g["value"].replace(" ", "").upper() == p["value"].replace(" ", "").upper(),
    "phase": _same_value,
    "design": _same_value,
    "population": lambda g, p: g["field"] == p["field"] and _numbers_equal(g["value"], p["value"]),
    "drugs": _same_dose,
    "responses": lambda g, p: g["outcome"] == p["outcome"] and counts_agree(g, p),
    "time_to_event": _same_time_to_event,
    "hazard_ratios": _same_hazard_ratio,
    "mtd": _same_dose,
    "dlts": lambda g, p: _text(g["term"]) == _text(p["term"]),
    "adverse_events": lambda g, p: (_text(g["term"]) == _text(p["term"]) and g["grade"] == p["grade"]
                                    and counts_agree(g, p)),
    "mortality": lambda g, p: normalise_timepoint(g["window"]) == normalise_timepoint(p["window"]) and counts_agree(g, p),
}


def facts(summary: EvidenceSummary, category: str) -> list[Fact]:
    """The facts of one category of a summary, each a dict of its fields (quote included)."""
    if category == "trial_ids":
        return [{"value": v, "quote": None} for v in dict.fromkeys(summary.trial_ids)]
    if category in ("phase", "design"):
        value = getattr(summary, category)
        return [] if value is None else [{"value": value, "quote": None}]
    if category == "population":
        population = summary.population.model_dump()
        quote = population.pop("quote")
        return [{"field": k, "value": v, "quote": quote} for k, v in population.items() if v is not None]
    if category == "drugs":
        return [{"arm": arm.label, **drug.model_dump()} for arm in summary.arms for drug in arm.drugs]
    return [item.model_dump() for item in getattr(summary, category)]


def match(gold: list[Fact], predicted: list[Fact], same: Matcher) -> tuple[Counts, list[Fact], list[Fact]]:
    """Greedy one-to-one matching: counts, unmatched gold facts and unmatched predictions."""
    free = list(range(len(predicted)))
    misses = []
    for fact in gold:
        hit = next((i for i in free if same(fact, predicted[i])), None)
        if hit is None:
            misses.append(fact)
        else:
            free.remove(hit)
    extra = [predicted[i] for i in free]
    return Counts(tp=len(gold) - len(misses), fp=len(extra), fn=len(misses)), misses, extra


def _mismatch(paper: str, category: str, fact: Fact) -> Mismatch:
    return Mismatch(paper, category, {k: v for k, v in fact.items() if k != "quote"}, fact.get("quote"))


def score_summary(gold: EvidenceSummary, predicted: EvidenceSummary | None, error: str | None = None) -> PaperResult:
    """Score one paper's predicted summary (None when the paper could not be read) against its gold."""
    result = PaperResult(paper=gold.paper, categories={}, error=error)
    for category in CATEGORIES:
        pred = facts(predicted, category) if predicted is not None else []
        counts, misses, extra = match(facts(gold, category), pred, MATCHERS[category])
        result.categories[category] = counts
        result.misses += [_mismatch(gold.paper, category, f) for f in misses]
        result.false_positives += [_mismatch(gold.paper, category, f) for f in extra]
    return result


def find_paper(papers_dir: Path, stem: str) -> Path | None:
    """The paper file ``<stem>.<suffix>`` for any supported suffix, if there is one."""
    found = (papers_dir / f"{stem}{suffix}" for suffix in SUFFIXES)
    return next((p for p in found if p.is_file()), None)


def predict(path: Path) -> EvidenceSummary:
    """Parse, extract and summarise one paper."""
    # Imported here so scoring alone needs neither spaCy nor the parsers.
    from extractor.pipeline import extract_records
    from extractor.summary import build_summary

    document = parse_paper(path)
    return build_summary(document, extract_records(document))


class GoldError(ValueError):
    """A gold file that is not an evidence summary of FORMAT.md."""


def load_gold(path: Path) -> EvidenceSummary:
    """One gold summary; a file that does not parse or validate raises GoldError naming it."""
    try:
        return EvidenceSummary.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()
        detail = f"{first[1].strip()}: {first[2].strip()}" if len(first) > 2 else (first[0] if first else "")
        raise GoldError(f"{path}: not a valid gold summary ({detail})") from None


def evaluate_corpus(gold_dir: str | Path, papers_dir: str | Path) -> EvalReport:
    """Score the system on every ``<stem>.json`` of gold_dir, reading ``<stem>.*`` from papers_dir.

    A paper that is missing or fails to parse or extract scores as all misses, with
    the cause in its ``error``.
    """
    gold_dir, papers_dir = Path(gold_dir), Path(papers_dir)
    results = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        gold = load_gold(gold_path)
        paper = find_paper(papers_dir, gold_path.stem)
        predicted, error = None, None
        if paper is None:
            error = f"no paper {gold_path.stem}.* with a supported suffix in {papers_dir}"
        else:
            try:
                predicted = predict(paper)
            # The report must cover every paper; one broken paper is reported, not fatal.
            except Exception as exc:
                error = f"{paper.name}: {type(exc).__name__}: {exc}"
        results.append(score_summary(gold, predicted, error))
    return EvalReport(papers=results)


def split_gold_dir(gold_root: str | Path, split: str) -> Path:
    """The folder of one split's gold files: dev is the gold folder itself, test its ``test/`` folder."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: one of {', '.join(SPLITS)}")
    root = Path(gold_root)
    return root if split == "dev" else root / TEST_FOLDER


def evaluate_splits(gold_root: str | Path, papers_dir: str | Path, splits: Iterable[str] = SPLITS) -> dict[str, EvalReport]:
    """One report per split that has gold files, in the order asked."""
    reports = {}
    for split in splits:
        folder = split_gold_dir(gold_root, split)
        if folder.is_dir() and any(folder.glob("*.json")):
            reports[split] = evaluate_corpus(folder, papers_dir)
    return reports


def format_table(report: EvalReport) -> str:
    """Plain-text table: one row per category, then micro and macro averages, then unreadable papers."""
    header = f"{'category':<15}{'gold':>6}{'pred':>6}{'TP':>6}{'P':>7}{'R':>7}{'F1':>7}"
    lines = [header, "-" * len(header)]
    for category, c in report.categories.items():
        lines.append(f"{category:<15}{c.gold:>6}{c.predicted:>6}{c.tp:>6}"
                     f"{c.precision:>7.3f}{c.recall:>7.3f}{c.f1:>7.3f}")
    lines.append("-" * len(header))
    m = report.micro
    lines.append(f"{'micro':<15}{m.gold:>6}{m.predicted:>6}{m.tp:>6}{m.precision:>7.3f}{m.recall:>7.3f}{m.f1:>7.3f}")
    macro = report.macro
    lines.append(f"{'macro':<15}{'':>18}{macro['precision']:>7.3f}{macro['recall']:>7.3f}{macro['f1']:>7.3f}")
    lines += [f"not scored: {p.paper}: {p.error}" for p in _failed(report.papers)]
    return "\n".join(lines)


def _failed(papers: Iterable[PaperResult]) -> list[PaperResult]:
    return [p for p in papers if p.error is not None]
