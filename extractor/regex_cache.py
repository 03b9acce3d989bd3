"""Compiled regular expressions kept on disk between processes, so a new process does not parse them again.

Every process that extracts (a build reading the one paper added, each worker of a
pool) compiles the rules' thousand-odd regexes anew, and ``re`` parses each in
pure Python: about 0.4 s CPU before the first paper. What a pattern compiles to
(the arguments ``re`` hands to ``_sre.compile``: the code words, the number of
groups and their names) depends only on the pattern, its flags and the Python
build, so ``install`` keeps them in a file keyed by the Python build and makes a
pattern found there without parsing it. ``remembered`` keeps, the same way, what
other code works out from a parsed pattern (extractor.prefilter's literals).

``save``, called once the process has read its first paper, writes what the
process has used so far when it had to compile anything, and the process
records nothing after: the file holds the patterns of the imports, the spaCy
pipeline and one paper's rules, not the patterns made from each paper's own
words (those would grow it without end).

The cache is opted into: it is used only when ``$TRIAL_EVIDENCE_CACHE`` names a
directory (a long batch of short processes, such as incremental builds, gains from
it; it stands in for ``re``'s private compiler, so it is off unless asked). It is only
ever a shortcut: an unreadable, unwritable or foreign file, or a Python whose
``re`` works otherwise, compiles as usual, and ``_sre.compile`` validates the
code it is given.
"""

import _sre  # type: ignore[import-not-found]
import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any, TypeVar, cast

ENVIRONMENT = "TRIAL_EVIDENCE_CACHE"

V = TypeVar("V")
Arguments = tuple[str, int, list[int], int, dict[str, int], tuple[str | None, ...]]
CompiledKey = tuple[str, int]
ValueKey = tuple[str, str, int]

_ORIGINAL = _compiler.compile


class _State:
    """The file's entries, those this process used, and whether it compiled any not in the file."""

    def __init__(self, path: Path, compiled: dict[CompiledKey, Arguments], values: dict[ValueKey, Any]) -> None:
        self.path = path
        self.compiled = compiled
        self.values = values
        self.used_compiled: set[CompiledKey] = set()
        self.used_values: set[ValueKey] = set()
        self.new = False
        self.recording = True

    def note(self, entries: dict[Any, Any], used: set[Any], key: Any, value: Any, fresh: bool) -> None:
        """Note that the process used ``key`` (of ``entries``); a ``fresh`` value is one the file lacked."""
        if not self.recording:
            return
        if fresh:
            entries[key] = value
            self.new = True
        used.add(key)


_state: _State | None = None


def cache_dir() -> Path | None:
    """Where the file is kept, or None when the cache is off (the default: it is opted into)."""
    chosen = os.environ.get(ENVIRONMENT)
    return Path(chosen) if chosen else None


def cache_file(directory: Path) -> Path:
    """The file for this Python build: what ``re`` compiles to is that build's."""
    build = f"{sys.version}|{sys.implementation.cache_tag}|{_sre.MAGIC}|{_sre.CODESIZE}"
    return directory / f"regex-{hashlib.sha256(build.encode()).hexdigest()[:12]}.marshal"


def _supported() -> bool:
    """True when ``re`` compiles as this module expects (CPython's ``_compiler.compile`` over ``_sre.compile``)."""
    return all(hasattr(module, name) for module, name in
               ((_compiler, "compile"), (_compiler, "_code"), (_parser, "parse"), (_sre, "compile")))


def install() -> None:
    """Read the file (if any) and have ``re`` compile through it from now on; idempotent."""
    global _state
    if _state is not None or not _supported():
        return
    directory = cache_dir()
    if directory is None:
        return
    path = cache_file(directory)
    try:
        compiled, values = marshal.loads(path.read_bytes())
        if not isinstance(compiled, dict) or not isinstance(values, dict):
            raise TypeError(path)
    except (OSError, EOFError, ValueError, TypeError):
        compiled, values = {}, {}  # no file yet, or not one this module wrote: written anew
    _state = _State(path, compiled, values)
    _compiler.compile = _compile


def remembered(what: str, pattern: str, flags: int, work_out: Callable[[], V]) -> V:
    """``work_out()``: a value that depends only on a pattern and its flags (and on ``what`` it is), from the file
    when it holds it. The value must be one marshal keeps (numbers, strings, tuples, frozensets, None ...)."""
    state = _state
    if state is None:
        return work_out()
    key = (what, pattern, int(flags))
    fresh = key not in state.values
    value = work_out() if fresh else cast(V, state.values[key])
    state.note(state.values, state.used_values, key, value, fresh)
    return value


def save() -> None:
    """The first time it is called, write what the process used when it compiled anything the file lacked
    (atomically: a temporary file renamed over it); after that, do nothing and record nothing."""
    state = _state
    if state is None or not state.recording:
        return
    state.recording = False
    if not state.new:
        return
    compiled = {key: state.compiled[key] for key in state.used_compiled if key in state.compiled}
    values = {key: state.values[key] for key in state.used_values if key in state.values}
    try:
        state.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{state.path.name}.", dir=state.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                marshal.dump((compiled, values), out)
            os.replace(name, state.path)
        except BaseException:
            os.unlink(name)
            raise
    except (OSError, ValueError):
        pass  # a cache that cannot be written is no cache


def _compile(pattern: Any, flags: int = 0) -> Any:
    """re's compile (re._compiler.compile), from the file's arguments when it holds the pattern."""
    state = _state
    if state is None or not isinstance(pattern, str) or flags & _compiler.SRE_FLAG_DEBUG:
        return _ORIGINAL(pattern, flags)
    key = (pattern, int(flags))
    known = state.compiled.get(key)
    if known is not None:
        try:
            compiled = _sre.compile(*known)
        except Exception:  # not what this Python makes: compiled afresh below
            known = None
    fresh = known is None
    if known is None:
        known = _arguments(pattern, int(flags))
        compiled = _sre.compile(*known)
    state.note(state.compiled, state.used_compiled, key, known, fresh)
    return compiled


def _arguments(pattern: str, flags: int) -> Arguments:
    """What re._compiler.compile hands to _sre.compile for a pattern (as plain ints, which marshal keeps)."""
    parsed = _parser.parse(pattern, flags)
    code = [int(word) for word in _compiler._code(parsed, flags)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return pattern, int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex, tuple(indexgroup)
