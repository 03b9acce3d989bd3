"""Patterns built from word lists are the same text in every process, whatever the hash seed.

Alternatives of one length used to follow set order, which changes with PYTHONHASHSEED: the
pattern text then differed between processes (a cache keyed by it never hit, and two processes
could in principle prefer different alternatives)."""

import subprocess
import sys

PROBE = """
import hashlib
from extractor.components import dosing, endpoints
from extractor import effects, numbers
texts = [
    numbers.number_words_regex(),
    dosing._vocabulary("routes.yaml", "routes")[0].pattern,
    dosing._vocabulary("frequencies.yaml", "frequencies")[0].pattern,
    dosing._standard_regimens()[1].pattern,
    dosing._stems()[0].pattern,
    *(p.pattern for p in effects.word_patterns().values()),
    endpoints._lexicon().listed.pattern,
    endpoints._lexicon().regex.pattern,
]
print(hashlib.sha256("\\n".join(texts).encode()).hexdigest())
"""


def _digest(seed: str) -> str:
    env = {"PYTHONHASHSEED": seed, "PATH": ""}
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env,
                          cwd=".").stdout.strip()


def test_word_list_patterns_do_not_depend_on_the_hash_seed() -> None:
    assert _digest("1") == _digest("2") == _digest("3")
