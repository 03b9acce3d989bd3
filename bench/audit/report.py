"""Precision per category from an audited sample (bench/audit/wild_sweep.py's JSONL with verdicts).

Usage:  python bench/audit/report.py bench/audit/wild_audit.jsonl
"""

import argparse
import json
from collections import Counter
from pathlib import Path

from extractor.evaluate import CATEGORIES


def precision_table(items: list[dict]) -> str:
    """One row per category: facts audited, judged right, precision; then all together."""
    right, judged = Counter(), Counter()
    for item in items:
        if item.get("verdict") in ("right", "wrong"):
            judged[item["category"]] += 1
            right[item["category"]] += item["verdict"] == "right"
    lines = [f"{'category':<15}{'audited':>8}{'right':>7}{'P':>7}"]
    for category in [*CATEGORIES, "all"]:
        n = sum(judged.values()) if category == "all" else judged[category]
        r = sum(right.values()) if category == "all" else right[category]
        if n:
            lines.append(f"{category:<15}{n:>8}{r:>7}{r / n:>7.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audit", type=Path)
    items = [json.loads(line) for line in parser.parse_args().audit.read_text(encoding="utf-8").splitlines() if line]
    print(precision_table(items))


if __name__ == "__main__":
    main()
