"""The `evidence` command: parse, extract, summarise, evaluate, build and serve."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from extractor.errors import PaperError
from schemas import Document, EvidenceRecord


def _expand(paths: tuple[str, ...]) -> list[Path]:
    """Files named, with directories expanded to the paper files inside them (sorted); '-' is stdin."""
    from publish.database import paper_files

    files: list[Path] = []
    for raw in paths:
        files.extend([Path("-")] if raw == "-" else paper_files([raw]))
    return files


def _parse(path: Path) -> Document:
    from extractor.parsers import parse_bytes, parse_paper

    if str(path) == "-":
        data = sys.stdin.buffer.read()
        if not data.strip():
            raise PaperError("<stdin>", "input is empty")
        return parse_bytes(Path("stdin.txt"), data)
    return parse_paper(path)


def _papers(paths: tuple[str, ...]) -> Iterator[tuple[Path, Document | None]]:
    """(path, Document) for each paper; bad input is reported on stderr as one line."""
    for path in _expand(paths):
        try:
            yield path, _parse(path)
        except PaperError as exc:
            click.echo(f"error: {exc}", err=True)
            yield path, None


def _extract(document: Document) -> list[EvidenceRecord]:
    from extractor.pipeline import extract_records

    return extract_records(document)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trial-evidence")
def cli() -> None:
    """Turn clinical trial papers into structured, checkable evidence."""


@cli.command()
@click.argument("paper", type=click.Path(allow_dash=True))
def parse(paper: str) -> None:
    """Parse PAPER (.txt, .nxml/.xml JATS; '-' reads plain text from stdin) and print
    its Document as JSON: canonical text, sections, tables, metadata.

    Example:

        evidence parse corpus/papers/PMC3669518.nxml
    """
    try:
        document = _parse(Path(paper))
    except PaperError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(document.model_dump_json(indent=2))


@cli.command()
@click.argument("papers", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--nl", is_flag=True, help="Newline-delimited JSON: one record per line.")
def extract(papers: tuple[str, ...], nl: bool) -> None:
    """Extract evidence records from PAPERS (files or directories) and print them as JSON.

    Example:

        evidence extract corpus/papers/d05_sorafenib_clagm_bloodadv2023.txt --nl
    """
    failed = False
    records: list[dict[str, object]] = []
    for _, document in _papers(papers):
        if document is None:
            failed = True
            continue
        for record in _extract(document):
            data = record.model_dump(mode="json")
            if nl:
                click.echo(json.dumps(data, ensure_ascii=False))
            else:
                records.append(data)
    if not nl:
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("papers", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Directory to write one <paper stem>.json summary per paper into.")
def summary(papers: tuple[str, ...], output: str) -> None:
    """Write the evidence summary (corpus/gold/FORMAT.md) of each of PAPERS to OUTPUT/<stem>.json.

    Example:

        evidence summary corpus/papers -o summaries/
    """
    from extractor.summary import build_summary

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    for _, document in _papers(papers):
        if document is None:
            failed = True
            continue
        result = build_summary(document, _extract(document))
        target = out / f"{document.stem}.json"
        target.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
        click.echo(str(target))
    if failed:
        sys.exit(1)


@cli.command(name="eval")
@click.option("--gold", "gold", required=True, type=click.Path(exists=True, file_okay=False),
              help="Directory of gold <stem>.json summaries.")
@click.option("--papers", "papers", required=True, type=click.Path(exists=True, file_okay=False),
              help="Directory holding the papers the gold files name.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the full report as JSON here.")
def evaluate(gold: str, papers: str, json_path: str | None) -> None:
    """Score extraction against gold summaries: precision, recall and F1 per category,
    micro and macro averages, as corpus/gold/FORMAT.md defines them.

    Example:

        evidence eval --gold corpus/gold --papers corpus/papers --json eval.json
    """
    from extractor.evaluate import evaluate_corpus, format_table

    report = evaluate_corpus(Path(gold), Path(papers))
    click.echo(format_table(report))
    if json_path:
        Path(json_path).write_text(report.to_json(), encoding="utf-8")


@cli.command()
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def build(db: str, paths: tuple[str, ...]) -> None:
    """Parse and extract PATHS (paper files or directories) and write the SQLite database DB.

    The new database is written beside DB and replaces it only when complete: a
    failed or interrupted build leaves the previous database as it was. Papers that
    cannot be read are reported one line each; the others are still written.

    Example:

        evidence build evidence.db corpus/papers
    """
    from publish.database import BuildError, build_database

    try:
        result = build_database(Path(db), [Path(p) for p in paths],
                                on_error=lambda error: click.echo(f"error: {error}", err=True))
    except BuildError as error:
        raise click.ClickException(str(error)) from None
    click.echo(result.describe())
    if result.errors:
        sys.exit(1)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Host to bind to.")
@click.option("-p", "--port", default=8001, show_default=True, type=int, help="Port to serve on.")
@click.pass_context
def serve(ctx: click.Context, db: str, host: str, port: int) -> None:
    """Serve DB read-only (immutable) with Datasette and the project's metadata.
    Extra options are passed on to `datasette serve`.

    Example:

        evidence serve evidence.db --port 8001
    """
    from publish.serve import serve as run

    click.echo(f"Serving {db} at http://{host}:{port}/")
    run(Path(db), host=host, port=port, extra_args=list(ctx.args))
