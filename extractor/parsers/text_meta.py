"""Bibliographic identifiers printed in the front matter of a plain-text paper."""

from collections.abc import Sequence

from extractor.parsers.sections import layout_regex, normalise_heading
from extractor.parsers.text_tables import Line
from schemas import DocumentMetadata
from schemas.vocab import SectionLabel

# Front matter: lines before the body; identifiers printed later (references) are other papers'.
FRONT_LABELS = frozenset({"title", "other", "abstract"})
# Headings of repository pages whose next line holds the journal name.
JOURNAL_FIELDS = frozenset({"journal title"})
# Year lines of the front matter after a PubMed citation: a labelled year, the journal citation, the copyright.
TEXT_YEAR_RULES = ("layout.publication_year.v1", "layout.journal_citation_year.v1", "layout.published_year.v1",
                   "layout.copyright_year.v1")


def text_metadata(
    lines: Sequence[Line], kinds: Sequence[str], labels: Sequence[SectionLabel | None]
) -> DocumentMetadata:
    """Title, DOI, PMID, PMCID, journal and year from the front-matter lines."""
    meta: dict[str, str | int | None] = {}
    front = _front_lines(kinds, labels)
    for i in front:
        text = lines[i].text
        if labels[i] == "title":
            meta.setdefault("title", text)
        for rule_id, key in (("layout.doi.v1", "doi"), ("layout.pmcid.v1", "pmcid"), ("layout.pmid.v1", "pmid")):
            match = layout_regex(rule_id).search(text)
            if match:
                meta.setdefault(key, match.group(key))
        citation = layout_regex("layout.pubmed_citation.v1").match(text)
        if citation:
            meta.setdefault("journal", citation.group("journal").strip())
            meta.setdefault("year", int(citation.group("year")))
        for rule_id in TEXT_YEAR_RULES:
            year = layout_regex(rule_id).search(text)
            if year:
                meta.setdefault("year", int(year.group("year")))
        if kinds[i] == "heading" and normalise_heading(text) in JOURNAL_FIELDS:
            value = next((j for j in front if j > i), None)
            if value is not None and kinds[value] in ("short", "heading", "labelled") and labels[value] == labels[i]:
                meta.setdefault("journal", lines[value].text)
    return DocumentMetadata.model_validate(meta)


def _front_lines(kinds: Sequence[str], labels: Sequence[SectionLabel | None]) -> list[int]:
    """Content lines outside the body: everything labelled title/other/abstract before the references."""
    front: list[int] = []
    for i, label in enumerate(labels):
        if label == "references":
            break
        if label in FRONT_LABELS and kinds[i] not in ("blank", "table"):
            front.append(i)
    return front
