"""Draw the frozen test split of new gold papers, seeded, before any rule is written against them.

Usage:  python bench/split_gold.py STAGING_GOLD_DIR [--seed 12] [--share 3]

Papers are drawn per stratum (full texts ``PMC*``, phase 1 abstracts ``p<NN>_*``,
haematology abstracts ``h<x><NN>_*``): ceil(n / share) of each stratum go to the test
split. Prints the test stems, one a line; the draw depends only on the seed and the
sorted stems of the staging folder, so anyone can re-run it and get the same split.
"""

import argparse
import math
import random
import re
from pathlib import Path

STRATA = (("full text", re.compile(r"PMC\d+$")), ("phase 1 abstract", re.compile(r"p\d\d_")),
          ("haematology abstract", re.compile(r"h[a-z]\d\d_")))


def stratum(stem: str) -> str:
    return next((name for name, pattern in STRATA if pattern.match(stem)), "other")


def draw(stems: list[str], seed: int, share: int) -> list[str]:
    """The test stems: ceil(n / share) drawn from each stratum with one seeded generator."""
    rng = random.Random(seed)
    test: list[str] = []
    for name in sorted({stratum(s) for s in stems}):
        members = sorted(s for s in stems if stratum(s) == name)
        test += rng.sample(members, math.ceil(len(members) / share))
    return sorted(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("staging", type=Path)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--share", type=int, default=3, help="one paper in SHARE goes to the test split")
    args = parser.parse_args()
    stems = sorted(p.stem for p in args.staging.glob("*.json"))
    for stem in draw(stems, args.seed, args.share):
        print(stem)


if __name__ == "__main__":
    main()
