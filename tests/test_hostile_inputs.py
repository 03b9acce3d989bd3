"""Over a thousand generated hostile inputs (tests/hostile_inputs.py), each read under the per-file limits:
one error line naming the file or a correct result, within 10 s and 500 MB, never a crash."""

import json
import os
import resource
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from publish.cli import cli
from tests.hostile_inputs import ROOT, generate

SECONDS_PER_FILE = 10.0
MEGABYTES_PER_FILE = 500.0
# The child reading every input may not grow past this (address space, spaCy's included): a
# regression then fails this test with a MemoryError line rather than taking the machine down.
ADDRESS_SPACE_CAP = 4 << 30


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return generate(tmp_path_factory.mktemp("hostile"))


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


@pytest.fixture(scope="module")
def outcomes(inputs: list[Path]) -> tuple[float, list[dict[str, Any]]]:
    """Each input read in one child process: (its resident MB before the first input, one outcome per input)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "tests.hostile_inputs", str(inputs[0].parent)],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=1200, preexec_fn=_cap_memory)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr[-2000:]
    return lines[0]["baseline_mb"], lines[1:]


def test_there_are_over_a_thousand_distinct_inputs(inputs: list[Path]) -> None:
    assert len(inputs) >= 1000
    assert len({p.read_bytes() for p in inputs}) > 950
    kinds = Counter(p.name.split("-")[0] for p in inputs)
    assert {"random", "cut", "mutant", "span", "run", "line", "table", "pdf"} <= set(kinds)


def test_every_input_is_read_or_refused_in_one_line(outcomes: tuple[float, list[dict[str, Any]]],
                                                     inputs: list[Path]) -> None:
    _, rows = outcomes
    assert [r["file"] for r in rows] == sorted(p.name for p in inputs)
    crashes = {r["file"]: r["crash"] for r in rows if "crash" in r}
    assert not crashes
    for row in rows:
        if "error" in row:
            assert row["error"].startswith(str(inputs[0].parent / row["file"]) + ": "), row
            assert "\n" not in row["error"] and len(row["error"]) < 500, row
    # The generated inputs are not all refused: mutants and slow shapes that are still papers are read.
    assert sum("records" in r for r in rows) > 200


def test_every_input_keeps_to_the_time_limit(outcomes: tuple[float, list[dict[str, Any]]]) -> None:
    _, rows = outcomes
    slow = {r["file"]: r["seconds"] for r in rows if r["seconds"] > SECONDS_PER_FILE}
    assert not slow


def test_every_input_keeps_to_the_memory_limit(outcomes: tuple[float, list[dict[str, Any]]]) -> None:
    baseline, rows = outcomes
    assert 50 < baseline < 1000  # the child's own resident size with the pipeline loaded, not pytest's
    hungry = {r["file"]: r["peak_mb"] for r in rows if r["peak_mb"] > MEGABYTES_PER_FILE}
    assert not hungry
    assert max(r["peak_mb"] for r in rows) > 20  # the measure sees the big inputs


def test_quotes_of_records_read_from_hostile_inputs_are_exact(outcomes: tuple[float, list[dict[str, Any]]]) -> None:
    _, rows = outcomes
    assert not [r["file"] for r in rows if r.get("bad_quotes")]


def test_a_build_over_the_slow_shapes_writes_the_papers_and_reports_the_rest(inputs: list[Path], tmp_path: Path) -> None:
    shapes = [p for p in inputs if p.name.split("-")[0] in ("span", "run", "line", "table", "pdf")]
    db = tmp_path / "evidence.db"
    result = CliRunner().invoke(cli, ["build", str(db), *map(str, shapes)])
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    named = Counter(next(str(p) for p in shapes if line.startswith(f"error: {p}: ")) for line in errors)
    assert all(count == 1 for count in named.values())
    written = int(result.stdout.split(": ")[1].split(" papers extracted")[0])
    assert written + len(named) == len(shapes)
    assert written > 0
