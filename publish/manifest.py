"""The corpus manifest: one entry per paper file added, with its hash, identifiers and source.

corpus/manifest.json lists what `evidence add` put into the corpus. The same file
added twice is recognised by its content hash; the same article in another
format (PDF and JATS, say) is recognised by its DOI, PMID or PMCID and recorded
as another source of one article.
"""

import datetime
import hashlib
import shutil
from pathlib import Path

from pydantic import Field, ValidationError

from extractor.parsers import paper_id_for, parse_bytes, read_paper_bytes
from extractor.pipeline import extract_records
from publish.articles import article_keys
from publish.atomic import replacing
from publish.names import safe_file_name, safe_path
from schemas import Document, RegistryId, StrictModel

MANIFEST = "manifest.json"
# Where each format goes inside the corpus.
FOLDERS = {"pdf": "pdf", "text": "papers", "jats": "papers", "html": "papers"}


class ManifestEntry(StrictModel):
    """One paper file of the corpus."""

    paper_id: str = Field(description="Paper id (sha256 prefix of the file's bytes), as in the database.")
    sha256: str = Field(description="sha256 of the file's bytes.")
    file: str = Field(description="Path of the file inside the corpus directory.")
    format: str = Field(description="text, jats, html or pdf.")
    article: str = Field(description="paper_id of the first file of the same article: files of one article share it.")
    title: str | None = Field(default=None, description="Title found in the paper.")
    doi: str | None = Field(default=None, description="DOI found in the paper.")
    pmid: str | None = Field(default=None, description="PubMed id found in the paper.")
    pmcid: str | None = Field(default=None, description="PubMed Central id found in the paper.")
    registry_ids: list[str] = Field(default_factory=list, description="Trial registry ids the paper states.")
    added: str = Field(description="Date the file was added (YYYY-MM-DD).")
    source: str = Field(description="Where the file was added from.")


class Manifest(StrictModel):
    """corpus/manifest.json."""

    papers: list[ManifestEntry] = Field(default_factory=list, description="Entries in the order they were added.")


class ManifestError(Exception):
    """A manifest that cannot be read; the message is one line naming the file."""


def load_manifest(corpus: Path) -> Manifest:
    """The corpus manifest (empty when there is none yet); ManifestError when it cannot be read."""
    path = corpus / MANIFEST
    if not path.exists():
        return Manifest()
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except (ValidationError, OSError) as exc:
        cause = " ".join(str(exc).split())[:300]
        raise ManifestError(f"{path}: invalid manifest ({cause})") from exc


def save_manifest(corpus: Path, manifest: Manifest) -> None:
    """Write the manifest whole or not at all."""
    with replacing(corpus / MANIFEST, seed=False) as tmp:
        tmp.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")


def _same_article(entry: ManifestEntry, document: Document) -> bool:
    meta = document.metadata
    return bool(article_keys(entry.doi, entry.pmid, entry.pmcid) & article_keys(meta.doi, meta.pmid, meta.pmcid))


def add_paper(corpus: Path, manifest: Manifest, path: Path) -> tuple[ManifestEntry, str]:
    """Copy one paper into the corpus and record it; returns its entry and what happened, in words.

    Raises PaperError for a file that cannot be read (nothing is copied then).
    """
    data = read_paper_bytes(path)
    paper_id = paper_id_for(data)
    for entry in manifest.papers:
        if entry.paper_id == paper_id:
            return entry, f"already in the corpus as {entry.file}"
    document = parse_bytes(path, data)
    folder = corpus / FOLDERS[document.format]
    # The copy's name is safe text (a name that is not UTF-8 or holds a newline, escaped): the manifest
    # and the database can hold it, and a build of the corpus reads it like any other.
    name = Path(safe_file_name(path.name))
    target = folder / name
    if target.exists() and target.resolve() != path.resolve() and paper_id_for(target.read_bytes()) != paper_id:
        target = folder / f"{name.stem}-{paper_id[:8]}{name.suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        # Whole or not at all: an interrupted add leaves no half-copied paper in the corpus.
        with replacing(target, seed=False) as tmp:
            shutil.copyfile(path, tmp)
    same = next((e for e in manifest.papers if _same_article(e, document)), None)
    ids = sorted({r.identifier for r in extract_records(document) if isinstance(r, RegistryId)})
    meta = document.metadata
    entry = ManifestEntry(
        paper_id=paper_id, sha256=hashlib.sha256(data).hexdigest(), file=str(target.relative_to(corpus)),
        format=document.format, article=same.article if same else paper_id, title=meta.title, doi=meta.doi,
        pmid=meta.pmid, pmcid=meta.pmcid, registry_ids=ids, added=datetime.date.today().isoformat(),
        source=safe_path(path),
    )
    manifest.papers.append(entry)
    note = f"added as {entry.file}" + (f" (same article as {same.file}, another source)" if same else "")
    return entry, note
