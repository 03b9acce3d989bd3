"""The `evidence` command: parse, extract, summarise, evaluate, build and serve."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from extractor.errors import PaperError
from schemas import Document, EvidenceRecord


def _say_error(error: object) -> None:
    """One 'error: ...' line on stderr; the message as safe text (publish/names.py), so it stays one line."""
    from publish.names import safe_text

    click.echo(f"error: {safe_text(str(error))}", err=True)


def _expand(paths: tuple[str, ...]) -> list[Path]:
    """Files named, with directories expanded to the paper files inside them (sorted); '-' is stdin."""
    from publish.database import paper_files

    files: list[Path] = []
    for raw in paths:
        files.extend([Path("-")] if raw == "-" else paper_files([raw]))
    return files


def _parse(path: Path) -> Document:
    from extractor.parsers import parse_bytes, parse_paper
    from publish.names import safe_document

    if str(path) == "-":
        data = sys.stdin.buffer.read()
        if not data.strip():
            raise PaperError("<stdin>", "input is empty")
        return parse_bytes(Path("stdin.txt"), data)
    return safe_document(parse_paper(path))


def _papers(paths: tuple[str, ...]) -> Iterator[tuple[Path, Document | None]]:
    """(path, Document) for each paper; bad input is reported on stderr as one line."""
    from publish.processing import unexpected_error

    for path in _expand(paths):
        try:
            document = _parse(path)
        except Exception as exc:  # a parser bug on one file is reported like bad input; the batch goes on
            _say_error(exc if isinstance(exc, PaperError) else unexpected_error(path, exc))
            document = None
        yield path, document


def _extract(document: Document) -> list[EvidenceRecord]:
    from extractor.pipeline import extract_records

    return extract_records(document)


def _workers(ctx: click.Context, param: click.Parameter, value: int) -> int:
    from publish.processing import default_workers

    if value < 0:
        raise click.BadParameter("must be 0 (one per core) or more", ctx=ctx, param=param)
    return value or default_workers()


WORKERS_HELP = "Parse and extract in N processes (0: one per core)."


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
    from publish.names import safe_text
    from publish.processing import unexpected_error

    try:
        document = _parse(Path(paper))
    except Exception as exc:  # a parser bug on this file is one line too
        error = exc if isinstance(exc, PaperError) else unexpected_error(paper, exc)
        raise click.ClickException(safe_text(str(error))) from None
    click.echo(document.model_dump_json(indent=2))


@cli.command()
@click.argument("papers", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--nl", is_flag=True, help="Newline-delimited JSON: one record per line.")
@click.option("-o", "--out", type=click.Path(file_okay=False), metavar="DIR",
              help="Write partitions (part-*.jsonl.gz: papers and records) into DIR for `evidence build --partitions`.")
@click.option("-w", "--workers", default=1, show_default=True, metavar="N", callback=_workers,
              help="With --out: " + WORKERS_HELP)
@click.option("--partition-size", default=500, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="With --out: papers per partition file.")
@click.option("--dask", "scheduler", metavar="ADDRESS",
              help="With --out: run on a Dask cluster (a scheduler address, or 'local' for a local cluster).")
@click.option("--resume", is_flag=True,
              help="With --out: write only the partitions an interrupted run with the same PAPERS and "
                   "--partition-size left undone.")
def extract(papers: tuple[str, ...], nl: bool, out: str | None, workers: int, partition_size: int,
            scheduler: str | None, resume: bool) -> None:
    """Extract evidence records from PAPERS (files or directories) and print them as JSON.

    With --out, write them as partitions instead, in --workers processes or on a
    Dask cluster, for `evidence build DB --partitions DIR` to load.

    Example:

        evidence extract corpus/papers/d05_sorafenib_clagm_bloodadv2023.txt --nl

        evidence extract corpus/papers --out extracted/ --workers 2
    """
    if out is not None:
        _extract_partitions(papers, Path(out), workers, partition_size, scheduler, resume)
        return
    if scheduler is not None or resume:
        raise click.UsageError(f"{'--dask' if scheduler is not None else '--resume'} needs --out DIR")
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


def _extract_partitions(papers: tuple[str, ...], out: Path, workers: int, size: int, scheduler: str | None,
                        resume: bool) -> None:
    from publish.partitions import PartitionError, write_partitions

    files = _expand(papers)
    if Path("-") in files:
        raise click.UsageError("--out reads files, not stdin")
    try:
        if scheduler is not None:
            from publish.distributed import extract_on_dask

            summaries = extract_on_dask(files, out, scheduler=scheduler, partition_size=size, resume=resume)
        else:
            summaries = write_partitions(files, out, workers=workers, partition_size=size, resume=resume)
    except PartitionError as error:
        raise click.ClickException(str(error)) from None
    papers_done = sum(s.papers for s in summaries)
    failed = [cause for s in summaries for cause in s.causes]
    already = -(-len(files) // size) - len(summaries)
    for cause in failed:
        _say_error(cause)
    click.echo(f"{out}: {papers_done} papers extracted into {len(summaries)} partitions"
               + (f", {already} partitions already there" if already else "")
               + (f", {len(failed)} could not be read" if failed else ""))
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
    from publish.names import safe_path

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
        click.echo(safe_path(target))
    if failed:
        sys.exit(1)


@cli.command(name="eval")
@click.option("--gold", "gold", required=True, type=click.Path(exists=True, file_okay=False),
              help="Directory of gold <stem>.json summaries (the dev split); its test/ folder is the test split.")
@click.option("--papers", "papers", required=True, type=click.Path(exists=True, file_okay=False),
              help="Directory holding the papers the gold files name.")
@click.option("--split", "split", type=click.Choice(["dev", "test", "both"]), default="both", show_default=True,
              help="Which split to score: dev (the gold folder), test (its test/ folder) or both, one table each.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the full report as JSON here (with --split both: an object keyed by split).")
def evaluate(gold: str, papers: str, split: str, json_path: str | None) -> None:
    """Score extraction against gold summaries: precision, recall and F1 per category,
    micro and macro averages, as corpus/gold/FORMAT.md defines them, for the dev and
    the frozen test split separately.

    Example:

        evidence eval --gold corpus/gold --papers corpus/papers --split test --json eval.json
    """
    from extractor.evaluate import SPLITS, GoldError, evaluate_splits, format_table

    try:
        reports = evaluate_splits(gold, papers, SPLITS if split == "both" else (split,))
    except GoldError as error:
        raise click.ClickException(str(error)) from None
    if not reports:
        raise click.ClickException(f"{gold}: no gold files for split {split}")
    for name, report in reports.items():
        click.echo(f"{name} split: {len(report.papers)} papers")
        click.echo(format_table(report) + "\n")
    if json_path:
        if split == "both":
            text = json.dumps({name: json.loads(report.to_json()) for name, report in reports.items()},
                              indent=2, ensure_ascii=False)
        else:
            text = reports[split].to_json()
        Path(json_path).write_text(text, encoding="utf-8")


@cli.command()
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--corrections", "corrections_dir", default="corpus/corrections", show_default=True,
              type=click.Path(file_okay=False), help="Directory of reviewed corrections files applied to the build.")
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of keeping unchanged papers.")
@click.option("--rehash", is_flag=True,
              help="Read and hash every file, even one whose size, mtime and inode are unchanged since it was read.")
@click.option("-w", "--workers", default=1, show_default=True, metavar="N", callback=_workers,
              help=WORKERS_HELP[:-1] + "; with --partitions, make their database rows in N processes.")
@click.option("--partitions", multiple=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Load papers extracted earlier by `evidence extract --out DIR` (repeatable).")
@click.option("--no-wait", "no_wait", is_flag=True,
              help="Refuse, rather than wait, when another build or add is writing DB.")
def build(db: str, paths: tuple[str, ...], corrections_dir: str, full: bool, rehash: bool, workers: int,
          partitions: tuple[str, ...], no_wait: bool) -> None:
    """Parse and extract PATHS (paper files or directories) into the SQLite database DB.

    Incremental: papers DB already holds (same bytes, same extractor version) are
    kept, new or changed ones extracted, papers no longer under PATHS (or in the
    --partitions) removed. A file whose size, mtime and inode are those it had
    when read is not read again (--rehash reads every file). Corrections from
    --corrections are applied afresh; the meta-analysis tables are recomputed
    when a paper, the corrections or the code changed. The
    new database is written beside DB and replaces it only when complete: a failed
    or interrupted build leaves the previous database as it was. Unreadable papers
    are reported one line each; the others are still written.

    One build or add writes DB at a time: another one waits for it (saying so on
    stderr), then starts from the database it left. Each file gets 60 s and
    1024 MB; a file past either is reported and the build goes on.

    Example:

        evidence build evidence.db corpus/papers corpus/pdf --workers 2

        evidence build evidence.db --partitions extracted/
    """
    if not paths and not partitions:
        raise click.UsageError("give PATHS to read, or --partitions DIR to load")
    _build(Path(db), list(paths), corrections_dir, full=full, keep_others=False, workers=workers,
           partitions=list(partitions), wait=not no_wait, rehash=rehash)


def _build(db: Path, paths: list[str], corrections_dir: str | None, *, full: bool, keep_others: bool,
           workers: int = 1, partitions: list[str] | None = None, wait: bool = True, rehash: bool = False) -> None:
    from publish.corrections import CorrectionError, apply_corrections, load_corrections
    from publish.database import BuildError, BuildSummary, build_database, paper_files
    from publish.names import safe_text
    from publish.unchanged import inputs_digest

    try:
        corrections = load_corrections(corrections_dir)
    except CorrectionError as error:
        raise click.ClickException(str(error)) from None

    def after_write(database: object, summary: BuildSummary) -> None:
        summary.warnings.extend(apply_corrections(database, corrections))  # type: ignore[arg-type]

    # Counted for the progress bar only: a build lists the files itself.
    files = paper_files(paths) if sys.stderr.isatty() else []
    with _progress(files) as advance:
        try:
            result = build_database(db, paths, on_error=_say_error, full=full, keep_others=keep_others,
                                    progress=advance, after_write=after_write, workers=workers,
                                    partitions=partitions or (), wait=wait, on_wait=_say_waiting, rehash=rehash,
                                    derived_inputs=inputs_digest(f.model_dump_json() for _, f in corrections))
        except BuildError as error:
            raise click.ClickException(safe_text(str(error))) from None
    for warning in result.warnings:
        click.echo(f"warning: {safe_text(warning)}", err=True)
    click.echo(result.describe())
    if result.errors:
        sys.exit(1)


def _say_waiting(line: str) -> None:
    click.echo(line, err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--corpus", "corpus_dir", default="corpus", show_default=True, type=click.Path(file_okay=False),
              help="Corpus directory: papers go to papers/ (PDFs to pdf/), entries to manifest.json.")
@click.option("--db", "db", default="evidence.db", show_default=True, type=click.Path(dir_okay=False),
              help="Database to update with the added papers.")
@click.option("--corrections", "corrections_dir", default="corpus/corrections", show_default=True,
              type=click.Path(file_okay=False), help="Directory of reviewed corrections files applied to the build.")
@click.option("--no-wait", "no_wait", is_flag=True,
              help="Refuse, rather than wait, when another add is writing the corpus or a build the database.")
def add(paths: tuple[str, ...], corpus_dir: str, db: str, corrections_dir: str, no_wait: bool) -> None:
    """Add paper files to the corpus (copied, with a manifest entry) and update the database.

    The same file added again is recognised by its content hash and not copied
    twice; the same article in another format (same DOI, PMID or PMCID) is
    recorded as another source of one article. Curators may add at once: one add
    writes the manifest at a time and the next waits, then adds to what the first
    wrote; the database is updated the same way. A file name that is not UTF-8 or
    holds control characters is copied under an escaped name ('caf\\xe9.txt'
    becomes 'caf_xe9.txt').

    Example:

        evidence add ~/Downloads/trial.pdf --db evidence.db
    """
    from publish.locking import LockError, locked
    from publish.manifest import MANIFEST, ManifestError

    corpus = Path(corpus_dir)
    try:
        with locked(corpus / MANIFEST, wait=not no_wait, on_wait=_say_waiting):
            added, failed = _add_to_corpus(corpus, paths)
    except (ManifestError, LockError) as error:
        raise click.ClickException(str(error)) from None
    if added:
        _build(Path(db), added, corrections_dir, full=False, keep_others=True, wait=not no_wait)
    if failed:
        sys.exit(1)


def _add_to_corpus(corpus: Path, paths: tuple[str, ...]) -> tuple[list[str], bool]:
    """Copy paper files into the corpus and record them in its manifest (the caller holds its lock):
    the corpus paths added, and whether any file failed."""
    from publish.budget import DEFAULT_BUDGET as BUDGET
    from publish.budget import TimeLimitExceeded, memory_limit, time_limit
    from publish.database import paper_files
    from publish.manifest import add_paper, load_manifest, save_manifest
    from publish.names import safe_path
    from publish.processing import unexpected_error

    # Loaded under the lock: another add that finished while this one waited is in it.
    manifest = load_manifest(corpus)
    known = len(manifest.papers)
    added: list[str] = []
    failed = False
    for path in paper_files(paths):
        error: Exception
        try:
            with memory_limit(BUDGET.megabytes), time_limit(BUDGET.seconds):  # as a build reads a file
                entry, note = add_paper(corpus, manifest, path)
        except TimeLimitExceeded:
            error = PaperError(path, BUDGET.time_cause)
        except MemoryError:
            error = PaperError(path, BUDGET.memory_cause)
        except Exception as exc:  # bad input, or a parser bug on it: one line, and the other files go on
            error = exc if isinstance(exc, PaperError) else unexpected_error(path, exc)
        else:
            click.echo(f"{safe_path(path)}: {note}")
            added.append(str(corpus / entry.file))
            continue
        _say_error(error)
        failed = True
    if len(manifest.papers) > known:
        save_manifest(corpus, manifest)
    return added, failed


@contextmanager
def _progress(files: list[Path]) -> Iterator[Callable[[Path], None]]:
    """A progress bar on a terminal; nothing when stderr is a pipe or a file."""
    if not sys.stderr.isatty() or len(files) < 2:
        yield lambda path: None
        return
    with click.progressbar(length=len(files), label="Reading papers", file=sys.stderr) as bar:
        yield lambda path: bar.update(1)


@cli.command()
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
@click.argument("target", metavar="RECORD_ID|PAPER")
@click.option("--action", type=click.Choice(["confirm", "correct", "reject", "add"]), required=True,
              help="What the curator decided: about an extracted record, or add a missed one to PAPER.")
@click.option("--set", "changes", multiple=True, metavar="FIELD=VALUE",
              help="correct: a corrected value; add: a field of the missed record (repeat; numbers read as numbers).")
@click.option("--table", help="add: the evidence table of the missed record, e.g. responses.")
@click.option("--quote", help="add: the sentence stating it, verbatim from the paper.")
@click.option("--who", required=True, help="Who decides.")
@click.option("--why", required=True, help="Why, e.g. what the paper says.")
@click.option("--corrections", "corrections_dir", default="corpus/corrections", show_default=True,
              type=click.Path(file_okay=False), help="Directory of reviewed corrections files.")
def correct(db: str, target: str, action: str, changes: tuple[str, ...], table: str | None, quote: str | None,
            who: str, why: str, corrections_dir: str) -> None:
    """Record a curator's decision in corpus/corrections/<paper stem>.yaml; the next
    `evidence build` applies it. RECORD_ID is an evidence row's id (confirm, correct,
    reject); with --action add, PAPER is the paper's stem or paper_id.

    Example:

        evidence correct evidence.db 9b7f75e1ba3c70ee --action correct --set percent=16 --who "A. Curator" --why "Table 2: 16%"

        evidence correct evidence.db d05 --action add --table responses --set outcome=CR --quote "..." --who A --why missed
    """
    import datetime
    import sqlite3

    from pydantic import ValidationError
    from sqlite_utils import Database

    from publish.corrections import CorrectionError, add_correction, decision
    from schemas.corrections import Correction

    values = dict(_field_value(c) for c in changes)
    if action == "add":
        values["quote"] = quote
    try:
        stem, fields = decision(Database(db), target, action, values, table=table)
        correction = Correction(**fields, who=who, when=datetime.date.today(), why=why)
        click.echo(str(add_correction(Path(corrections_dir), stem, correction)))
    except CorrectionError as error:
        raise click.ClickException(f"{db}: {error}") from None
    except (ValidationError, sqlite3.Error) as error:  # sqlite3: DB is not an evidence database
        raise click.ClickException(f"{db}: {' '.join(str(error).split())[:300]}") from None


def _field_value(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r} is not FIELD=VALUE")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


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


if __name__ == "__main__":
    cli()
