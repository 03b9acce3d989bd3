"""A PDF's bibliographic metadata: identifiers from its text, title and year from its first page and info dictionary."""

import re
from collections.abc import Mapping, Sequence

from extractor.parsers.sections import layout_regex
from schemas import DocumentMetadata

# Year rules tried in order on the first page: the paper's own citation line, its publication date, its copyright.
FRONT_YEAR_RULES = ("layout.journal_citation_year.v1", "layout.published_year.v1", "layout.copyright_year.v1")
# A Title entry is believed when this many of its first letters and digits open a stretch of the first page.
TITLE_CHECK_CHARS = 40
MIN_TITLE_CHARS = 20
NOT_LETTERS = re.compile(r"[\W_]+")


def pdf_metadata(text: str, first_page: Sequence[str] = (), info: Mapping[str, str] | None = None) -> DocumentMetadata:
    """DOI and PMCID printed in the text; the title of the info dictionary when the first page prints it; the year
    of the first page's citation, publication or copyright line, else of the citation in the Subject entry.

    The first page alone is searched for a year, so a year of the references is never taken. The file's
    CreationDate is not used: it dates the file, which may be made years after (or before) publication.
    """
    info = info or {}
    doi = layout_regex("layout.doi.v1").search(text)
    pmcid = layout_regex("layout.pmcid.v1").search(text)
    front = " ".join(line for line in first_page if line)
    return DocumentMetadata(doi=doi.group(0).rstrip(".") if doi else None, pmcid=pmcid.group(0) if pmcid else None,
                            title=printed_title(info.get("Title", ""), front), year=front_year(front, info))


def printed_title(title: str, front: str) -> str | None:
    """The info dictionary's Title when the first page prints it (a Title naming a Word file or a template is not)."""
    title = " ".join(title.split())
    key = NOT_LETTERS.sub("", title).casefold()[:TITLE_CHECK_CHARS]
    if len(title) < MIN_TITLE_CHARS or " " not in title or len(key) < MIN_TITLE_CHARS:
        return None
    return title if key in NOT_LETTERS.sub("", front).casefold() else None


def front_year(front: str, info: Mapping[str, str]) -> int | None:
    """The publication year printed on the first page, else the one in the Subject entry's citation."""
    for rule_id in FRONT_YEAR_RULES:
        match = layout_regex(rule_id).search(front)
        if match:
            return int(match.group("year"))
    subject = layout_regex("layout.pdf_subject_year.v1").search(info.get("Subject", ""))
    return int(subject.group("year")) if subject else None
