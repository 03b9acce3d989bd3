"""Text in, evidence records out: parsers, the spaCy pipeline and its rule components.

``__version__`` is the release plus a digest of the extractor itself (its code, rules and
lexicons: every file of this package), e.g. ``0.1.0+3f2a9c1e0b``. Records and papers carry
it, and an incremental `evidence build` re-extracts every paper read by another version, so
a rule edit reaches every paper without ``--full``.
"""

import hashlib
from pathlib import Path

RELEASE = "0.1.0"
# What makes up the extractor: code and the data files its rules are made of.
DIGESTED_SUFFIXES = frozenset({".py", ".yaml", ".yml", ".tsv", ".jsonl", ".json", ".txt"})


def digest(root: Path | None = None) -> str:
    """sha256 over the files of the package at ``root`` (this one by default), relative path and bytes, in
    path order; 10 hex digits."""
    root = root or Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in DIGESTED_SUFFIXES
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


__version__ = f"{RELEASE}+{digest()}"

# From here on, this process makes the regexes it compiles from the file of compiled patterns
# when it holds them (extractor/regex_cache.py): the parsers' and rules' modules compile theirs on import.
from extractor import regex_cache  # noqa: E402

regex_cache.install()
