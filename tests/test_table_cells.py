"""Table and row pages render each row's cells in one piece, as the same HTML Datasette's own template writes."""

import re
import shutil
from pathlib import Path

import pytest
from datasette.app import Datasette
from datasette.utils import to_css_class
from jinja2 import Environment
from markupsafe import Markup

from publish.database import build_database
from publish.metadata import build_metadata
from publish.plugins.table_cells import table_cells
from publish.serve import SETTINGS, make_datasette, plugins_dir, table_counts, template_dir
from tests.conftest import PAPERS

FILES = [PAPERS / "d05_sorafenib_clagm_bloodadv2023.txt", PAPERS / "PMC5787508.nxml"]

# The row loop of Datasette 0.65's _table.html, as it is written there.
DATASETTE_ROW = """            <tr>
                {% for cell in row %}
                    <td class="col-{{ cell.column|to_css_class }} type-{{ cell.value_type }}">{{ cell.value }}</td>
                {% endfor %}
            </tr>"""


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cells") / "evidence.db"
    build_database(path, FILES)
    return path


def test_the_cells_are_written_as_datasettes_loop_writes_them() -> None:
    env = Environment(autoescape=True)
    env.filters["to_css_class"] = to_css_class
    row = [{"column": "id", "value_type": "pk", "value": Markup('<a href="/evidence/t/1">1</a>')},
           {"column": "quote", "value_type": "str", "value": 'grade <3> & "4" \u2265 5'},
           {"column": "a column", "value_type": "none", "value": Markup("&nbsp;")},
           {"column": "_x", "value_type": "int", "value": "12"},
           {"column": "<b>", "value_type": "float", "value": "0.5"}]
    expected = env.from_string(DATASETTE_ROW).render(row=row)
    env.filters["table_cells"] = table_cells
    ours = env.from_string("            <tr>\n                {{ row|table_cells }}\n            </tr>")
    assert ours.render(row=row) == expected
    assert "&lt;3&gt; &amp; &#34;4&#34;" in expected and '<a href="/evidence/t/1">' in expected


async def datasette_own_table_template(db_path: Path, templates: Path) -> Datasette:
    """The project's server with every template of its own but _table.html (so Datasette's is used)."""
    shutil.copytree(template_dir(), templates, ignore=shutil.ignore_patterns("_table.html", "__*"))
    ds = Datasette(immutables=[str(db_path)], metadata=build_metadata("evidence", table_counts(db_path)),
                   settings=dict(SETTINGS), template_dir=str(templates), plugins_dir=plugins_dir())
    await ds.invoke_startup()
    return ds


def without_timing(html: str) -> str:
    return re.sub(r"Queries took [0-9.]+ms", "", html)


async def test_table_and_row_pages_are_the_html_datasettes_template_writes(db_path: Path, tmp_path: Path) -> None:
    ours = make_datasette(db_path)
    await ours.invoke_startup()
    theirs = await datasette_own_table_template(db_path, tmp_path / "templates")
    row_id = (await ours.client.get("/evidence/adverse_events.json?_shape=array&_size=1")).json()[0]["id"]
    for url in ["/evidence/adverse_events", "/evidence/responses?_sort=outcome", "/evidence/papers",
                "/evidence/passages?_size=20", f"/evidence/adverse_events/{row_id}", "/evidence/meta_hazard_ratios"]:
        mine, stock = await ours.client.get(url), await theirs.client.get(url)
        assert mine.status_code == stock.status_code == 200, url
        assert "<td class=" in mine.text, url
        assert without_timing(mine.text) == without_timing(stock.text), url
