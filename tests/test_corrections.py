"""Curators' corrections: recorded in reviewed files, applied at every build, never lost, orphans reported."""

import json
from pathlib import Path

import sqlite_utils
import yaml
from click.testing import CliRunner

from extractor.parsers import parse_paper
from publish.cli import cli
from tests.conftest import PAPERS

D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"


def _build(db: Path, corrections: Path, *papers: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(db), *map(str, papers), "--corrections", str(corrections)])
    return result.exit_code, result.stderr


def _mortality(db: Path) -> dict:
    rows = list(sqlite_utils.Database(db).table("mortality").rows)
    assert len(rows) == 1
    return rows[0]


def test_correct_confirm_reject_and_add_survive_rebuilds(tmp_path: Path) -> None:
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    assert _build(db, corrections, D05)[0] == 0
    row = _mortality(db)
    assert (row["window"], row["percent"], row["curation"]) == ("4 weeks", 2.0, None)

    result = CliRunner().invoke(cli, ["correct", str(db), row["id"], "--action", "correct", "--set", "of=81",
                                      "--who", "A. Curator", "--why", "81 patients enrolled", "--corrections",
                                      str(corrections)])
    assert result.exit_code == 0, result.output
    written = corrections / "d05_sorafenib_clagm_bloodadv2023.yaml"
    assert result.stdout.strip() == str(written)
    content = yaml.safe_load(written.read_text())
    assert content["paper"] == "d05_sorafenib_clagm_bloodadv2023"
    assert content["corrections"][0]["set"] == {"of": 81} and content["corrections"][0]["who"] == "A. Curator"

    content["corrections"].append({
        "action": "add", "table": "responses", "who": "A. Curator", "when": "2026-11-22", "why": "missed",
        "values": {"outcome": "MRD-negative", "of": 41, "percent": 83,
                   "quote": "Among 41 patients treated at RP2D, a measurable residual disease–negative complete "
                            "remission (MRD CR) rate of 83% was obtained."}})
    written.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
    content = yaml.safe_load(written.read_text())
    assert isinstance(content["corrections"][1]["when"], str)

    for _ in range(2):  # applied at every build, the second one incremental
        code, err = _build(db, corrections, D05)
        assert code == 0, err
        row = _mortality(db)
        assert row["curation"] == "corrected" and json.loads(row["corrected_values"]) == {"of": 81}
        assert row["percent"] == 2.0 and row["quote"] == "Four-week mortality was 2%."
        added = list(sqlite_utils.Database(db).table("responses").rows_where("curation = 'added'"))
        assert len(added) == 1 and added[0]["percent"] == 83 and added[0]["rule_id"] == "curator"
        statuses = [r["status"] for r in sqlite_utils.Database(db).table("corrections").rows]
        assert statuses == ["applied", "applied"]


def test_a_correction_that_no_longer_matches_is_reported_not_dropped(tmp_path: Path) -> None:
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    corrections.mkdir()
    (corrections / "d05_sorafenib_clagm_bloodadv2023.yaml").write_text(yaml.safe_dump({
        "paper": "d05_sorafenib_clagm_bloodadv2023",
        "corrections": [{"action": "reject", "table": "mortality", "record_id": "0000000000000000",
                         "match": {"window": "30 days"}, "who": "A. Curator", "when": "2026-11-22",
                         "why": "an extractor change renamed it"}],
    }))
    code, err = _build(db, corrections, D05)
    assert code == 0
    assert "warning:" in err and "reject on mortality no longer applies" in err
    (row,) = sqlite_utils.Database(db).table("corrections").rows
    assert row["status"] == "orphaned" and row["why"] == "an extractor change renamed it"
    assert _mortality(db)["curation"] is None


def test_an_invalid_corrections_file_is_one_line_and_the_database_is_kept(tmp_path: Path) -> None:
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    assert _build(db, corrections, D05)[0] == 0
    before = db.read_bytes()
    corrections.mkdir()
    (corrections / "bad.yaml").write_text("paper: x\ncorrections:\n  - action: explode\n")
    result = CliRunner().invoke(cli, ["build", str(db), str(D05), "--corrections", str(corrections)])
    assert result.exit_code == 1
    assert "bad.yaml: invalid corrections file" in result.output and "Traceback" not in result.output
    assert db.read_bytes() == before


MRD_QUOTE = ("Among 41 patients treated at RP2D, a measurable residual disease–negative complete remission "
             "(MRD CR) rate of 83% was obtained.")


def _correct(db: Path, corrections: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["correct", str(db), *args, "--who", "A. Curator", "--why", "read the paper",
                                      "--corrections", str(corrections)])
    return result.exit_code, result.output


def test_a_missed_record_is_added_from_the_command_line(tmp_path: Path) -> None:
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    assert _build(db, corrections, D05)[0] == 0
    quote = "a phase 1/2 trial of 81 adults aged ≤60 years with newly diagnosed AML"
    code, out = _correct(db, corrections, D05.stem, "--action", "add", "--table", "population",
                         "--set", "field=age_max", "--set", "value=60", "--quote", quote)
    assert code == 0, out
    (added,) = yaml.safe_load((corrections / f"{D05.stem}.yaml").read_text())["corrections"]
    assert added["values"] == {"field": "age_max", "value": 60, "quote": quote}
    assert _build(db, corrections, D05)[0] == 0
    database = sqlite_utils.Database(db)
    (row,) = database.table("population").rows_where("curation = 'added'")
    assert (row["field"], row["value"], row["rule_id"], row["section"]) == ("age_max", 60.0, "curator", "abstract")
    assert parse_paper(D05).text[row["start"]:row["end"]] == quote
    (span,) = database.table("provenance").rows_where("record_id = ?", [row["id"]])
    assert span["quote"] == quote and span["record_table"] == "population"


def test_decisions_that_cannot_apply_are_refused_in_one_line(tmp_path: Path) -> None:
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    assert _build(db, corrections, D05)[0] == 0
    row_id = _mortality(db)["id"]
    refusals = {
        "no evidence record with id 'ffff'": ["ffff", "--action", "reject"],
        "unknown field 'deaths' of mortality": [row_id, "--action", "correct", "--set", "deaths=3"],
        "percent='two' is not valid": [row_id, "--action", "correct", "--set", "percent=two"],
        "outcome='cured' is not valid": [D05.stem, "--action", "add", "--table", "responses", "--set", "outcome=cured",
                                         "--quote", MRD_QUOTE],
        "its quote is not in the paper's text": [D05.stem, "--action", "add", "--table", "responses",
                                                 "--set", "outcome=CR", "--quote", "Everyone was cured."],
        "no paper with stem or paper_id 'nope'": ["nope", "--action", "add", "--table", "responses", "--quote", "x"],
    }
    for cause, args in refusals.items():
        code, out = _correct(db, corrections, *args)
        assert code == 1 and cause in out and len(out.strip().splitlines()) == 1, out
    assert not corrections.exists()


def test_an_added_record_that_extraction_now_finds_confirms_it(tmp_path: Path) -> None:
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    assert _build(db, corrections, D05)[0] == 0
    (extracted,) = sqlite_utils.Database(db).table("responses").rows
    assert _correct(db, corrections, D05.stem, "--action", "add", "--table", "responses", "--set",
                    "outcome=MRD-negative", "--set", "percent=83", "--quote", MRD_QUOTE)[0] == 0
    assert _build(db, corrections, D05)[0] == 0
    (row,) = sqlite_utils.Database(db).table("responses").rows
    assert (row["id"], row["curation"], row["rule_id"]) == (extracted["id"], "confirmed", extracted["rule_id"])


def test_a_match_that_fits_several_records_is_orphaned(tmp_path: Path) -> None:
    db, corrections = tmp_path / "evidence.db", tmp_path / "corrections"
    corrections.mkdir()
    (corrections / f"{D05.stem}.yaml").write_text(yaml.safe_dump({"paper": D05.stem, "corrections": [
        {"action": "reject", "table": "population", "match": {"field": "n_enrolled"}, "who": "A", "when": "2026-11-22",
         "why": "too vague"},
        {"action": "confirm", "table": "population", "match": {"field": ["n_enrolled"]}, "who": "A",
         "when": "2026-11-22", "why": "a list where a value belongs"},
    ]}))
    code, err = _build(db, corrections, D05)
    assert code == 0, err
    assert "its match fits several records" in err and "no extracted record matches" in err
    rows = list(sqlite_utils.Database(db).table("corrections").rows)
    assert [(r["id"], r["status"]) for r in rows] == [(f"{D05.stem}.yaml#0", "orphaned"), (f"{D05.stem}.yaml#1", "orphaned")]
    assert {r["curation"] for r in sqlite_utils.Database(db).table("population").rows} == {None}
