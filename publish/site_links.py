"""Links every page of the served site carries, and what the paper viewer shows of each evidence record."""

import re
from dataclasses import dataclass
from typing import Any

from publish.tables import RECORD_INTERNAL_FIELDS, evidence_specs, model_columns
from schemas import RECORD_MODELS

# A paper id as the build makes it (publish links only to these; anything else is left as text).
PAPER_ID = re.compile(r"[0-9a-f]{16}")
POOL_PATH = "/-/pool?endpoint=OS"


@dataclass(frozen=True)
class Link:
    """One link of a page header: its text and where it goes."""

    label: str
    href: str


def site_links(database: str) -> list[Link]:
    """The links of every page's header: the database, the pooled estimates and the paper search."""
    return [Link(database, f"/{database}"), Link("Pool estimates", POOL_PATH),
            Link("Search papers", f"/{database}/search")]


def paper_viewer_path(paper_id: str, start: int | None = None, end: int | None = None) -> str:
    """The viewer of a paper, with a span marked when start and end are given."""
    if start is None or end is None:
        return f"/-/paper/{paper_id}"
    return f"/-/paper/{paper_id}?start={start}&end={end}#evidence"


def cell_paper_id(value: Any) -> str | None:
    """The paper id of a row's paper_id cell: a plain id on row pages, {'value', 'label'} on table pages where
    Datasette expands the foreign key to its label; None when it is not a paper id."""
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) and PAPER_ID.fullmatch(value) else None


def value_columns() -> dict[str, list[str]]:
    """Evidence table -> its record's own value columns (no ids, provenance or curation), in model order."""
    return {evidence_specs()[kind].name: [c.name for c in model_columns(model, exclude=RECORD_INTERNAL_FIELDS)]
            for kind, model in RECORD_MODELS.items()}
