"""Table permission rules are looked up once per table (publish/plugins/permission_cache.py), and still hold."""

from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette

from publish.database import build_database
from publish.plugins.permission_cache import cached_rules
from publish.serve import plugins_dir
from tests.conftest import PAPERS


def test_rules_are_computed_once_per_table() -> None:
    calls: list[tuple[str, str]] = []

    def rules(database: str, table: str) -> list[Any]:
        calls.append((database, table))
        return [{"id": "curator"}] if table == "papers" else []

    lookup = cached_rules(rules)
    answers = [lookup("evidence", t) for t in ("papers", "responses", "papers", "papers", "responses")]
    assert answers == [[{"id": "curator"}], [], [{"id": "curator"}], [{"id": "curator"}], []]
    assert calls == [("evidence", "papers"), ("evidence", "responses")]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("perm") / "evidence.db"
    build_database(path, [PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt"])
    return path


async def test_a_table_denied_by_metadata_stays_denied(db_path: Path) -> None:
    ds = Datasette(immutables=[str(db_path)], plugins_dir=plugins_dir(),
                   metadata={"databases": {"evidence": {"tables": {"responses": {"allow": False}}}}})
    await ds.invoke_startup()
    assert getattr(ds, "_evidence_rules_cached", False)
    for _ in range(2):  # the second answer comes from the cache
        assert (await ds.client.get("/evidence/responses.json")).status_code == 403
        assert (await ds.client.get("/evidence/papers.json")).status_code == 200
