"""The `evidence` command, run in-process through click's CliRunner on real corpus files."""

import json
import os
from pathlib import Path

from click.testing import CliRunner

from publish.cli import cli
from tests.conftest import GOLD, PAPERS

D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help_with_an_example() -> None:
    for name in cli.commands:
        code, out, _ = run(name, "--help")
        assert code == 0
        assert "Example:" in out and f"evidence {name}" in out, name


def test_parse_prints_the_document() -> None:
    code, out, _ = run("parse", str(D05))
    assert code == 0
    document = json.loads(out)
    assert document["stem"] == D05.stem
    assert document["format"] == "text"
    assert "NCT02728050" in document["text"]


def test_parse_reads_stdin() -> None:
    code, out, _ = run("parse", "-", input="This trial was registered as NCT01254890.\n")
    assert code == 0
    assert json.loads(out)["text"].startswith("This trial")


def test_extract_json_and_nl() -> None:
    code, out, _ = run("extract", str(D05))
    assert code == 0
    records = json.loads(out)
    ids = [r for r in records if r["kind"] == "registry_id"]
    assert [r["identifier"] for r in ids] == ["NCT02728050"]
    quote = ids[0]["provenance"][0]["quote"]
    assert "NCT02728050" in quote
    code, out, _ = run("extract", "--nl", str(D05))
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == len(records)


def test_summary_writes_one_file_per_paper(tmp_path: Path) -> None:
    code, _, _ = run("summary", str(D05), str(PAPERS / "PMC5787508.nxml"), "-o", str(tmp_path))
    assert code == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["PMC5787508.json", f"{D05.stem}.json"]
    summary = json.loads((tmp_path / f"{D05.stem}.json").read_text())
    assert summary["paper"] == D05.stem
    assert summary["trial_ids"] == ["NCT02728050"]
    assert summary["phase"] == "1/2"


def test_bad_input_is_one_line_and_the_batch_goes_on(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    junk = tmp_path / "junk.nxml"
    junk.write_bytes(b"\x00\xff\xfe garbage <<<")
    code, out, err = run("extract", "--nl", str(empty), str(junk), str(D05))
    assert code == 1
    errors = err.strip().splitlines()
    assert len(errors) == 2
    assert str(empty) in errors[0] and str(junk) in errors[1]
    assert "Traceback" not in err
    assert any(json.loads(line)["kind"] == "registry_id" for line in out.splitlines())


def test_eval_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    report = tmp_path / "eval.json"
    code, out, _ = run("eval", "--gold", str(GOLD), "--papers", str(PAPERS), "--json", str(report))
    assert code == 0
    for category in ("trial_ids", "population", "responses", "micro", "macro"):
        assert category in out
    data = json.loads(report.read_text())
    assert data


def test_awkward_file_names_are_one_line_of_utf8_in_build_and_parse(tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    latin1 = Path(os.fsdecode(os.fsencode(papers) + b"/caf\xe9.txt"))
    latin1.write_bytes(D05.read_bytes())
    (papers / "bad\nname.txt").write_text("")
    db = tmp_path / "evidence.db"
    code, out, err = run("build", str(db), str(papers), "--corrections", str(tmp_path / "none"))
    assert (code, err) == (1, f"error: {papers}/bad\\nname.txt: file is empty\n")
    assert out.startswith(f"{db}: 1 papers extracted, ") and out.endswith(", 1 could not be read\n")
    code, out, _ = run("parse", str(latin1))
    assert code == 0 and json.loads(out)["source_path"] == f"{papers}/caf\\xe9.txt"
    code, _, err = run("parse", str(papers / "bad\nname.txt"))
    assert (code, err) == (1, f"Error: {papers}/bad\\nname.txt: file is empty\n")
