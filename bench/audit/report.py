"""Precision per category from an audited sample (bench/audit/wild_sweep.py's JSONL with verdicts).

Usage:  python bench/audit/report.py bench/audit/wild_audit.jsonl

An audit may mark facts ``label_only`` (the fourth audit does): the only fault the auditor names, or
would name, is the arm or subgroup label, which FORMAT.md does not score. Such an audit prints two
precisions per category: by FORMAT.md's keys (label-only faults count as right) and strict (they
count as wrong, whatever the auditor wrote).
"""

import argparse
import json
from collections import Counter
from pathlib import Path

from extractor.evaluate import CATEGORIES


def precision_table(items: list[dict]) -> str:
    """One row per category: facts audited, judged right, precision (and the strict one); then all together."""
    labelled = any("label_only" in item for item in items)
    right, strict, judged = Counter(), Counter(), Counter()
    for item in items:
        if item.get("verdict") in ("right", "wrong"):
            judged[item["category"]] += 1
            label_only = item.get("label_only", False)
            right[item["category"]] += item["verdict"] == "right" or label_only
            strict[item["category"]] += item["verdict"] == "right" and not label_only
    head = f"{'category':<15}{'audited':>8}{'right':>7}{'P':>7}"
    lines = [head + (f"{'strict':>8}{'P':>7}" if labelled else "")]
    for category in [*CATEGORIES, "all"]:
        n = sum(judged.values()) if category == "all" else judged[category]
        r = sum(right.values()) if category == "all" else right[category]
        s = sum(strict.values()) if category == "all" else strict[category]
        if n:
            lines.append(f"{category:<15}{n:>8}{r:>7}{r / n:>7.3f}" + (f"{s:>8}{s / n:>7.3f}" if labelled else ""))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audit", type=Path)
    items = [json.loads(line) for line in parser.parse_args().audit.read_text(encoding="utf-8").splitlines() if line]
    print(precision_table(items))


if __name__ == "__main__":
    main()
