"""Datasette over a built database, in-process: tables, full-text search, links, metadata, read-only."""

from pathlib import Path

import pytest
from datasette.app import Datasette

from extractor.parsers import parse_paper
from publish.metadata import build_metadata
from publish.serve import SETTINGS, datasette_args, make_datasette
from publish.tables import evidence_specs
from schemas import Provenance, RegistryId
from tests.conftest import PAPERS

D01 = PAPERS / "d01_borthakur_phase1_haematologica2011.txt"
D05 = PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"
JATS = PAPERS / "PMC5787508.nxml"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from publish.database import build_database

    path = tmp_path_factory.mktemp("serve") / "evidence.db"
    build_database(path, [D01, D05, JATS])
    return path


async def test_table_json_lists_the_papers(ds: Datasette) -> None:
    response = await ds.client.get("/evidence/papers.json?_shape=array")
    assert response.status_code == 200
    papers = response.json()
    assert sorted(p["stem"] for p in papers) == sorted([D01.stem, D05.stem, JATS.stem])
    # The default sort from the metadata: by stem.
    assert [p["stem"] for p in papers] == sorted(p["stem"] for p in papers)


async def test_full_text_search_over_sections(ds: Datasette) -> None:
    response = await ds.client.get("/evidence/sections.json?_search=sorafenib&_shape=array")
    assert response.status_code == 200
    rows = response.json()
    assert {r["paper_id"] for r in rows} >= {parse_paper(D01).paper_id, parse_paper(D05).paper_id}
    assert all("sorafenib" in (r["text"] + (r["title"] or "")).lower() for r in rows)


async def test_a_papers_registry_ids_link_back_to_it(ds: Datasette) -> None:
    document = parse_paper(D05)
    response = await ds.client.get(f"/evidence/registry_ids.json?paper_id={document.paper_id}&_shape=array")
    rows = response.json()
    assert [r["identifier"] for r in rows] == ["NCT02728050"]
    assert document.text[rows[0]["start"] : rows[0]["end"]] == rows[0]["quote"]
    # The foreign key is declared, so Datasette labels the link with the paper's title (or stem).
    labelled = await ds.client.get(f"/evidence/registry_ids.json?paper_id={document.paper_id}&_labels=on&_shape=array")
    assert labelled.json()[0]["paper_id"] == {
        "value": document.paper_id, "label": document.metadata.title or document.stem,
    }
    page = await ds.client.get(f"/evidence/papers/{document.paper_id}")
    assert page.status_code == 200
    assert "registry_ids" in page.text  # links to the paper's rows in every table that points to it


async def test_column_descriptions_come_from_the_schemas(ds: Datasette) -> None:
    metadata = (await ds.client.get("/-/metadata.json")).json()
    tables = metadata["databases"]["evidence"]["tables"]
    assert metadata["title"] == "trial-evidence"
    registry = RegistryId.model_fields["identifier"].description
    assert tables["registry_ids"]["columns"]["identifier"] == registry
    assert tables["provenance"]["columns"]["quote"] == Provenance.model_fields["quote"].description
    assert tables["papers"]["label_column"] == "label"
    for spec in evidence_specs().values():
        described = tables[spec.name]["columns"]
        assert set(described) == set(spec.column_names())
        assert all(described.values()), spec.name
        assert {"section", "rule_id"} <= set(tables[spec.name]["facets"])
    assert "outcome" in tables["responses"]["facets"] and "endpoint" in tables["hazard_ratios"]["facets"]
    page = await ds.client.get("/evidence/registry_ids")
    assert registry in page.text  # shown on the table page


async def test_facets_run_on_every_evidence_table(ds: Datasette) -> None:
    for spec in evidence_specs().values():
        response = await ds.client.get(f"/evidence/{spec.name}.json")
        assert response.status_code == 200, spec.name
        assert set(response.json()["facet_results"]) == set(build_metadata()["databases"]["evidence"][
            "tables"][spec.name]["facets"]), spec.name


async def test_a_large_table_gets_no_default_facets_and_its_facets_are_indexed(db_path: Path) -> None:
    from sqlite_utils import Database

    from publish.metadata import FACET_MAX_ROWS, facet_columns

    tables = build_metadata("evidence", {"adverse_events": FACET_MAX_ROWS + 1, "responses": 3})["databases"][
        "evidence"]["tables"]
    assert "facets" not in tables["adverse_events"]
    assert f"{FACET_MAX_ROWS + 1:,} rows: facets (term, grade" in tables["adverse_events"]["description"]
    assert "outcome" in tables["responses"]["facets"]
    db = Database(db_path)
    indexed = {table: {tuple(i.columns) for i in db.table(table).indexes} for table in facet_columns()}
    # Each facet column leads an index (followed by the table's page order).
    assert all(any(index[0] == column for index in indexed[table])
               for table, columns in facet_columns().items() for column in columns)
    # No suggested facets: on a large table they cost a query per column on every page.
    datasette = make_datasette(db_path)
    await datasette.invoke_startup()
    page = (await datasette.client.get("/evidence/adverse_events.json")).json()
    assert datasette.setting("suggest_facets") is False
    assert page["suggested_facets"] == [] and page["facet_results"]


async def test_serve_turns_default_facets_off_by_the_tables_own_row_counts(
    db_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlite_utils import Database

    import publish.metadata

    rows = Database(db_path).table("adverse_events").count
    assert rows > Database(db_path).table("mtds").count
    monkeypatch.setattr(publish.metadata, "FACET_MAX_ROWS", rows - 1)
    datasette = make_datasette(db_path)
    await datasette.invoke_startup()
    large = (await datasette.client.get("/evidence/adverse_events.json")).json()
    small = (await datasette.client.get("/evidence/mtds.json")).json()
    assert large["facet_results"] == {}
    assert f"{rows:,} rows: facets" in datasette.table_metadata("evidence", "adverse_events")["description"]
    assert set(small["facet_results"]) >= {"section", "rule_id"}


async def test_writes_are_refused(ds: Datasette, db_path: Path) -> None:
    before = db_path.read_bytes()
    assert ds.databases["evidence"].is_mutable is False
    assert (await ds.client.post("/evidence", data={"sql": "delete from papers"})).status_code == 405
    response = await ds.client.get("/evidence.json?sql=delete+from+papers")
    assert response.status_code == 400
    assert "SELECT" in response.json()["error"]
    count = await ds.client.get("/evidence.json?sql=select+count(*)+as+n+from+papers&_shape=array")
    assert count.json() == [{"n": 3}]
    assert db_path.read_bytes() == before


async def test_sql_time_limit_is_set(ds: Datasette) -> None:
    settings = (await ds.client.get("/-/settings.json")).json()
    assert settings["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"]


def test_serve_arguments_open_the_file_immutable(db_path: Path) -> None:
    args = datasette_args(db_path, "meta.json", "127.0.0.1", 8123)
    assert args[:2] == ["-i", str(db_path)]
    assert args[args.index("--metadata") + 1] == "meta.json"
    assert args[args.index("--port") + 1] == "8123"
    assert "sql_time_limit_ms" in args


async def test_unknown_route_is_a_404_not_a_500(ds: Datasette) -> None:
    response = await ds.client.get("/evidence/papers/-/insert")
    assert response.status_code == 404


async def test_every_table_page_renders_as_html(ds: Datasette) -> None:
    tables = (await ds.client.get("/evidence.json")).json()["tables"]
    for table in tables:
        if table["hidden"]:
            continue
        response = await ds.client.get(f"/evidence/{table['name']}")
        assert response.status_code == 200, table["name"]
