#!/usr/bin/env python3
"""Check gold evidence summaries (see FORMAT.md) against the papers they annotate.

Usage:  python check_gold.py PAPERS_DIR GOLD_DIR

For every GOLD_DIR/<stem>.json the paper is PAPERS_DIR/<stem>.txt or
PAPERS_DIR/<stem>.nxml; gold files without a paper are skipped with a notice.
Each gold file must

  1. parse as JSON and carry the fields of FORMAT.md with allowed values;
  2. have every `quote` occur verbatim in the paper text, whitespace collapsed.
     For .nxml (JATS) the text is the XML text content with inline tags
     (italic, sup, xref, ...) removed and block tags (p, title, td, ...)
     turned into a space, so a table row quotes as its cells joined by spaces;
  3. have every number of a fact (n, of, percent, dose, value, hr, ci_low,
     ci_high, p) occur in that fact's quote ("0·87" reads as 0.87, "1,114" as
     1114, "Fifty-one" as 51), and every trial id, population value and arm n
     occur somewhere in the paper.

Prints one line per problem and a summary; exits 1 if any check failed.
"""
import html
import json
import re
import sys
from pathlib import Path

INLINE_TAGS = ("italic|bold|sup|sub|xref|sc|underline|monospace|named-content|"
               "styled-content|ext-link|uri|email|inline-formula|roman|sans-serif|mml:[a-z]+")
PHASES = {"1", "1/2", "2", "3", "2/3", "4", None}
DESIGNS = {"single-arm", "randomized", "non-randomized comparison", None}
POPULATION = {"n_enrolled", "n_evaluable", "age_median", "age_min", "age_max"}
UNITS = {"mg", "mg/m2", "g/m2", "mg/kg", "ug/kg", "ug", "g", "IU", "U/m2", "mg/day", None}
FREQS = {"once daily", "twice daily", "three times daily", "weekly", "every 2 weeks",
         "every 3 weeks", "every 4 weeks", "continuous infusion", "single dose", None}
ANALYSIS_SETS = {"primary", "per_protocol", "subgroup", "updated", None}  # optional key (FORMAT.md)
VOCAB = {  # field -> allowed values, per fact list
    "drugs": {"unit": UNITS, "frequency": FREQS, "route": {"oral", "IV", "SC", "IT", None}},
    "responses": {"outcome": {"CR", "CRi", "CRp", "CRh", "CRc", "MLFS", "PR", "ORR", "NR",
                              "MRD-negative"}, "analysis_set": ANALYSIS_SETS},
    "time_to_event": {"endpoint": {"OS", "EFS", "DFS", "RFS", "PFS", "CIR", "DOR"},
                      "measure": {"median", "rate"}, "unit": {"months", "weeks", "days", "%"},
                      "analysis_set": ANALYSIS_SETS},
    "hazard_ratios": {"analysis_set": ANALYSIS_SETS, "effect": {"treatment", "prognostic", None},
                      "inverted": {True, False, None}}, "mtd": {"unit": UNITS, "frequency": FREQS}, "dlts": {},
    "adverse_events": {"grade": {"any", "1", "2", "1-2", "3", "4", "3-4", ">=3", "5"}},
    "mortality": {},
}
REQUIRED = {  # keys every fact of a list must have (values may be null)
    "drugs": ["drug", "dose", "unit", "frequency", "route", "quote"],
    "responses": ["arm", "outcome", "n", "of", "percent", "quote"],
    "time_to_event": ["arm", "endpoint", "measure", "value", "unit", "quote"],
    "hazard_ratios": ["endpoint", "hr", "ci_low", "ci_high", "ci_level", "p", "comparison", "quote"],
    "mtd": ["drug", "dose", "unit", "frequency", "quote"],
    "dlts": ["term", "quote"],
    "adverse_events": ["term", "grade", "n", "percent", "quote"],
    "mortality": ["window", "n", "of", "percent", "quote"],
}
NUMERIC = ("n", "of", "percent", "dose", "value", "hr", "ci_low", "ci_high")
WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
WORDS.update({w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)})


def paper_text(path):
    """Whitespace-collapsed text of a .txt paper or of a JATS .nxml paper."""
    return collapse(path.read_text(encoding="utf-8"), jats=path.suffix == ".nxml")


def collapse(raw, jats=False):
    """Collapse whitespace; for JATS drop inline tags and turn other tags into spaces."""
    if jats:
        raw = re.sub(r"<!DOCTYPE[^>]*>|<\?[^>]*\?>|<!--.*?-->", " ", raw, flags=re.S)
        raw = re.sub(r"</?(?:%s)\b[^>]*>" % INLINE_TAGS, "", raw)
        raw = html.unescape(re.sub(r"<[^>]+>", " ", raw))
    return re.sub(r"\s+", " ", raw).strip()


def numbers(text):
    """Every number written in text, as floats: digits and English number words."""
    text = text.replace("·", ".")
    found = {float(m) for m in re.findall(r"\d+(?:\.\d+)?|\.\d+", text)}
    found |= {float(m.replace(",", "")) for m in re.findall(r"\d{1,3}(?:,\d{3})+", text)}
    value = None  # running value of a spelled-out number: "Two hundred one", "Forty-two"
    for word in re.findall(r"[a-z]+|[^a-z\s-]", text.lower()) + [""]:
        if word in WORDS:
            found.add(WORDS[word])
            value = (value or 0) + WORDS[word]
        elif word == "hundred" and value:
            value *= 100
        elif word == "and" and value:
            continue
        elif value is not None:
            found.add(value)
            value = None
    return found


def has(value, nums):
    return any(abs(value - x) < 1e-6 for x in nums)


def check(gold_path, text):
    """Problems found in one gold file, as strings."""
    try:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        return ["does not parse: %s" % err]
    problems = []
    keys = ["paper", "source", "trial_ids", "phase", "design", "population", "arms"] + \
        [k for k in REQUIRED if k != "drugs"]
    problems += ["missing field %r" % k for k in keys if k not in gold]
    if problems:
        return problems
    if gold["paper"] != gold_path.stem:
        problems.append("paper is %r, file stem is %r" % (gold["paper"], gold_path.stem))
    if gold["phase"] not in PHASES or gold["design"] not in DESIGNS:
        problems.append("bad phase %r or design %r" % (gold["phase"], gold["design"]))
    squeezed = text.replace(" ", "")
    problems += ["trial id %r not in paper" % t for t in gold["trial_ids"] if t not in squeezed]
    population = dict(gold["population"])
    quote = population.pop("quote", None)  # optional evidence for the population numbers
    if quote is not None and collapse(quote) not in text:
        problems.append("population quote not in paper: %r" % quote)
    problems += ["unknown population field %r" % k for k in population if k not in POPULATION]
    checks = [("population." + k, v) for k, v in population.items()]
    checks += [("arm %r n" % a.get("label"), a.get("n")) for a in gold["arms"]]
    paper_nums = numbers(text)
    for name, value in checks:
        if value is not None and not isinstance(value, (int, float)):
            problems.append("%s = %r is not a number" % (name, value))
        elif value is not None and not has(value, paper_nums):
            problems.append("%s = %r not in paper" % (name, value))
    facts = [("drugs", d) for arm in gold["arms"] for d in arm.get("drugs", [])]
    facts += [(cat, f) for cat in REQUIRED if cat != "drugs" for f in gold[cat]]
    for cat, fact in facts:
        where = "%s %s" % (cat, json.dumps({k: v for k, v in fact.items() if k != "quote"}))
        missing = [k for k in REQUIRED[cat] if k not in fact]
        if cat == "time_to_event" and fact.get("measure") == "rate" and "timepoint" not in fact:
            missing.append("timepoint")
        if missing:
            problems.append("%s: missing %s" % (where, ", ".join(missing)))
        problems += ["%s: bad %s" % (where, k) for k, allowed in VOCAB[cat].items()
                     if fact.get(k) not in allowed]
        quote = fact.get("quote") or ""
        if not quote.strip() or collapse(quote) not in text:
            problems.append("%s: quote not in paper: %r" % (where, quote))
            continue
        quote_nums = numbers(quote)
        problems += ["%s: %s is not a number" % (where, k) for k in NUMERIC
                     if fact.get(k) is not None and not isinstance(fact[k], (int, float))]
        values = [(k, fact[k]) for k in NUMERIC if isinstance(fact.get(k), (int, float))]
        p_value = re.sub(r"[^\d.]", "", str(fact.get("p") or "").replace("·", "."))
        if fact.get("p") and not re.fullmatch(r"\d*\.?\d+", p_value):
            problems.append("%s: p %r is not a printed P value" % (where, fact["p"]))
        elif fact.get("p"):
            values.append(("p", float(p_value)))
        problems += ["%s: %s=%r not in quote" % (where, k, v) for k, v in values
                     if not has(v, quote_nums)]
    return problems


def main(papers_dir, gold_dir):
    if not Path(gold_dir).is_dir() or not Path(papers_dir).is_dir():
        sys.exit("not a directory: %s or %s" % (papers_dir, gold_dir))
    failed = checked = 0
    for gold_path in sorted(Path(gold_dir).glob("*.json")):
        papers = [Path(papers_dir, gold_path.stem + ext) for ext in (".txt", ".nxml")]
        paper = next((p for p in papers if p.exists()), None)
        if paper is None:
            print("SKIP %s: no paper %s.txt or .nxml in %s" % (gold_path.name, gold_path.stem, papers_dir))
            continue
        checked += 1
        try:
            problems = check(gold_path, paper_text(paper))
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            problems = ["malformed gold file (%s: %s)" % (type(err).__name__, err)]
        failed += bool(problems)
        for problem in problems:
            print("FAIL %s: %s" % (gold_path.name, problem))
    print("%d gold files checked, %d failed" % (checked, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
