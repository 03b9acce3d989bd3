"""Shared fixtures: the bundled corpus and documents made from a sentence."""

from pathlib import Path

import pytest
from datasette.app import Datasette

from extractor.parsers import paper_id_for
from schemas import Document, Section
from schemas.vocab import SectionLabel

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PAPERS = CORPUS / "papers"
GOLD = CORPUS / "gold"


def database_rows(db_path: Path) -> dict[str, list[str]]:
    """Every table of the schema in a built database, rows sorted: two builds compare equal when their rows do."""
    from sqlite_utils import Database

    from publish.tables import all_specs

    db = Database(db_path)
    try:
        return {spec.name: sorted(map(repr, db.execute(f"select * from [{spec.name}]").fetchall()))
                for spec in all_specs()}
    finally:
        db.close()


def document_from_text(text: str, section: SectionLabel = "results") -> Document:
    """A one-section Document holding the text, for sentence-level tests."""
    return Document(
        paper_id=paper_id_for(text.encode()),
        source_path="<test>",
        stem="test",
        format="text",
        text=text,
        sections=[Section(label=section, title=None, start=0, end=len(text))],
    )


@pytest.fixture(scope="session")
def corpus_papers() -> list[Path]:
    """Every bundled paper file."""
    return sorted(p for p in PAPERS.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.fixture
async def ds(db_path: Path) -> Datasette:
    """Datasette over the module's ``db_path`` database (each test module defines that fixture), started."""
    from publish.serve import make_datasette

    datasette = make_datasette(db_path)
    await datasette.invoke_startup()
    return datasette
