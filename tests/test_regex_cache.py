"""Compiled regexes kept between processes (extractor/regex_cache.py): made from the file without parsing, the same
patterns and the same records as compiled afresh; a bad file is no cache."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PAPERS, ROOT

D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"

# Imports the parsers and the pipeline, compiles a pattern of its own and reads one paper (which saves the cache); prints the
# pattern's groups, a match, how many text patterns were parsed (the cache keeps no bytes pattern), and the paper's
# records.
SCRIPT = r"""
import json, re, sys
from pathlib import Path
from re import _parser

import extractor  # the cache is in use from here on

parsed = []
parse = _parser.parse
_parser.parse = lambda pattern, *args: (isinstance(pattern, str) and parsed.append(pattern)) or parse(pattern, *args)
from publish.processing import process_file
import extractor.pipeline

own = re.compile(r"(?P<drug>[a-z]+)mab\s+(?P<dose>\d+)\s*mg", re.IGNORECASE)
result = process_file(Path(sys.argv[1]))
print(json.dumps({"groups": dict(own.groupindex), "match": own.search("given Pembrolizumab 200 mg").groupdict(),
                  "parsed": len(parsed), "records": [r.model_dump(mode="json") for r in result.records]}))
"""


def _run(cache: str) -> dict:
    # One hash seed: a few patterns (the standard tokenize module's among them) list a set's words in set order.
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(D05)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "TRIAL_EVIDENCE_CACHE": cache, "PYTHONHASHSEED": "0"}, timeout=300, check=True)
    return json.loads(done.stdout)


def test_a_second_process_makes_the_patterns_from_the_file_and_reads_the_same_records(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, second, none = _run(str(cache)), _run(str(cache)), _run("")
    assert [p.name for p in cache.iterdir()] == [next(cache.iterdir()).name] and next(cache.iterdir()).suffix == ".marshal"
    assert first["parsed"] > 100 and none["parsed"] > 100  # the rules' patterns, parsed
    assert second["parsed"] == 0  # every pattern, the paper's rules and the script's own, made from the file
    assert second["groups"] == none["groups"] == {"drug": 1, "dose": 2}
    assert second["match"] == none["match"] == {"drug": "Pembrolizu", "dose": "200"}
    assert second["records"] == first["records"] == none["records"] and none["records"]


def test_a_file_that_is_not_a_cache_is_ignored_and_rewritten(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(str(cache))
    path = next(cache.iterdir())
    path.write_bytes(b"not a marshal file")
    again = _run(str(cache))
    assert again["parsed"] > 100 and again["records"]
    assert _run(str(cache))["parsed"] == 0  # written anew
