"""Serve a trial-evidence database with Datasette: a pinned immutable snapshot, generated metadata, SQL limits."""

import json
import signal
import sqlite3
import sys
import tempfile
import weakref
from collections.abc import Sequence
from contextlib import closing, suppress
from importlib.resources import files
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.cli import serve as datasette_serve

from publish.metadata import build_metadata, facet_columns
from publish.snapshot import Snapshot, take_snapshot

# Arbitrary SQL is allowed on a public read-only copy, so every query gets a short budget.
# suggest_facets off: suggestions run a query per column on every table page, seconds on a large table.
SETTINGS: dict[str, Any] = {"sql_time_limit_ms": 3000, "facet_time_limit_ms": 500, "suggest_facets": False}


def _plain_error_pages() -> None:
    """Turn off Datasette 0.65's rich traceback printing in its error handler.

    It calls rich's print_exception outside an except block, which raises in
    rich >= 14 and turns every 404 for an unknown route into a 500. rich comes
    with spaCy (through typer), so it cannot simply be left uninstalled.

    Imported here, after datasette.app: imported first, the module would be
    half-initialised when Datasette registers its default plugins, so the
    default error handler would never be registered and every 400 and 404
    would become a 500.
    """
    import datasette.handle_exception

    datasette.handle_exception.rich = None  # type: ignore[attr-defined]


def database_name(db_path: str | Path) -> str:
    """The name Datasette serves a database file under: its file name without extension."""
    return Path(db_path).stem


def plugins_dir() -> str:
    """Directory of the project's own Datasette plugins (publish/plugins)."""
    return str(files("publish.plugins"))


def template_dir() -> str:
    """Directory of the package's Datasette templates (publish/templates)."""
    return str(files("publish.templates"))


def table_counts(db_path: Path) -> dict[str, int]:
    """Rows of each table that has default facets (read-only; an unreadable file gives none, Datasette reports it)."""
    try:
        with closing(sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)) as conn:
            present = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
            return {name: conn.execute(f"select count(*) from [{name}]").fetchone()[0]
                    for name in facet_columns() if name in present}
    except sqlite3.Error:
        return {}


def make_datasette(db_path: str | Path) -> Datasette:
    """A Datasette instance over a snapshot of ``db_path`` (see publish.snapshot), opened immutable,
    with the generated metadata and settings.

    The snapshot is removed when the instance is garbage-collected or the process exits.
    Used by tests through ``ds.client``; call ``await ds.invoke_startup()`` first.
    """
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such database file")
    _plain_error_pages()
    snapshot = take_snapshot(path)
    datasette = Datasette(
        immutables=[str(snapshot.path)],
        metadata=build_metadata(database_name(path), table_counts(snapshot.path)),
        settings=dict(SETTINGS),
        template_dir=template_dir(),
        plugins_dir=plugins_dir(),
    )
    weakref.finalize(datasette, snapshot.release)
    return datasette


def newer_database_notice(snapshot: Snapshot) -> str:
    """The line `evidence serve` prints on stderr once the file it serves has been rebuilt."""
    return (f"{snapshot.source}: a newer database has been built; still serving the version opened at start "
            f"(restart evidence serve to serve the new one)")


def datasette_args(db_path: str | Path, metadata_path: str | Path, host: str, port: int) -> list[str]:
    """Command-line arguments for ``datasette serve`` before any extra flags the user adds."""
    args = ["-i", str(db_path), "--metadata", str(metadata_path), "--template-dir", template_dir(),
            "--plugins-dir", plugins_dir(),
            "--host", host, "--port", str(port)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, str(value)]
    return args


def _exit_on_sigterm() -> None:
    """Make SIGTERM end the process by SystemExit, so the snapshot is removed on the way out.

    uvicorn re-raises the signal it caught once it has shut down; with the default
    handler that kills the process before any ``finally`` runs.
    """

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    with suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, leave)


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001, extra_args: Sequence[str] = ()) -> None:
    """Run Datasette on a snapshot of ``db_path`` until interrupted.

    The file's current version is pinned (publish.snapshot) and opened immutable,
    with metadata generated from the schemas, a SQL time limit and size limits.
    A rebuild of ``db_path`` while serving is not served; one line on stderr (and
    ``/-/evidence-version.json``) says a newer database is available. ``extra_args``
    are Datasette's own ``serve`` flags (e.g. ``["--cors", "--setting",
    "sql_time_limit_ms", "5000"]``); they come last, so they override the defaults.
    Datasette's own usage errors propagate as click exceptions.
    """
    path = Path(db_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such database file")
    _plain_error_pages()
    _exit_on_sigterm()
    snapshot = take_snapshot(path)
    stop_watching = snapshot.watch(lambda: print(newer_database_notice(snapshot), file=sys.stderr, flush=True))
    try:
        with tempfile.TemporaryDirectory(prefix="trial-evidence-") as tmp:
            metadata_path = Path(tmp) / "metadata.json"
            metadata = build_metadata(database_name(path), table_counts(snapshot.path))
            metadata_path.write_text(json.dumps(metadata, indent=2), encoding="utf-8")
            args = [*datasette_args(snapshot.path, metadata_path, host, port), *extra_args]
            datasette_serve.main(args=args, prog_name="evidence serve", standalone_mode=False)
    finally:
        stop_watching()
        snapshot.release()
