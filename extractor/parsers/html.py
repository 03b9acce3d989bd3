"""Journal article pages and PubMed Central HTML -> schemas.Document, with lxml (never regexes over HTML).

Headings (h1-h6) start sections, labelled through the same heading lexicon as the
other parsers; ``<table>`` elements become rows of cells; scripts, styles,
navigation, headers, footers and forms are dropped; a references heading or a
reference-list element is labelled "references" so it gives no evidence.
"""

import re
from pathlib import Path

import lxml.html
from lxml import etree

from extractor.errors import PaperError
from extractor.limits import check_markup
from extractor.parsers.jats_text import TextBuilder, local_name
from extractor.parsers.sections import is_abstract_subheading, label_for_heading
from schemas import Document, DocumentMetadata, Table
from schemas.vocab import SectionLabel

# Page furniture: never part of the article.
DROPPED = frozenset({
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript", "button", "svg", "iframe",
    "select", "template", "menu", "head", "input", "textarea", "object", "embed", "canvas", "video", "audio",
})
DROPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary", "menu", "dialog"})
# Inline elements: their text joins the paragraph with no added space.
HTML_INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd", "mark", "q", "s",
    "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "del", "ins", "label",
})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# A link to a reference-list entry: "#ref12", "#B12", "#CR5", "#bib3", "#R7", and PMC's
# article-prefixed ids ("#pone.0213111.ref001", "#jcm-09-01234-b12").
REFERENCE_TARGET = re.compile(r"^#(?:[\w.-]*[._-])?(?:ref|bib|cr|b|r|c|en)[-_]?\d+$", re.IGNORECASE)
# A table caption a site prints as a heading or caption block before the table (PMC's
# "obj_head", Springer's table title): "Table 2. Grade 3 or 4 adverse events."
TABLE_CAPTION = re.compile(r"^\s*Table\s+(?:\d{1,2}|[IVX]{1,4})[A-Za-z]?\b", re.IGNORECASE)
CAPTION_CLASS = re.compile(r"caption|obj_head|table-title|table__title", re.IGNORECASE)
REFERENCE_LIST = re.compile(r"ref-?list|references|bibliography", re.IGNORECASE)
META_FIELDS = {
    "citation_title": "title", "dc.title": "title", "citation_doi": "doi", "dc.identifier": "doi",
    "citation_pmid": "pmid", "citation_pmcid": "pmcid", "citation_journal_title": "journal",
}


def parse_html(path: Path, data: bytes) -> Document:
    """Parse an HTML article page into a Document."""
    root = load_html(path, data)
    reader = HtmlReader(path)
    try:
        reader.read(root)
    except RecursionError as exc:
        raise PaperError(path, "HTML nested too deeply to read") from exc
    return reader.document(path, data, "html", html_metadata(root), empty="no article text found in the HTML")


def load_html(path: Path, data: bytes) -> etree._Element:
    """The parsed page; binary junk and non-HTML text are refused with a one-line cause."""
    head = data[:4096]
    if b"\x00" in head or not re.search(rb"<\s*(?:html|body|p|div|h[1-6]|article|table)\b", data[:262144], re.I):
        raise PaperError(path, "not an HTML document (no HTML elements found)")
    check_markup(path, data)
    try:
        return lxml.html.document_fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise PaperError(path, f"malformed HTML: {exc}") from exc


def _dropped(node: etree._Element) -> bool:
    name = local_name(node)
    return name in DROPPED or (node.get("role") or "").lower() in DROPPED_ROLES or node.get("hidden") is not None


class HtmlReader(TextBuilder):
    """Walks the article in document order; a heading closes the section before it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._section_open = False
        self._seen_heading = False
        # Level of the "Abstract" heading while inside the abstract; its sub-headings stay abstract.
        self._abstract_level: int | None = None
        # A table caption printed before its table, waiting for it: (start, end) in the text.
        self._caption: tuple[int, int] | None = None

    def read(self, root: etree._Element) -> None:
        body = root.find("body")
        container = next(iter(root.iter("article")), None)
        if container is None:
            container = next(iter(root.iter("main")), None)
        if container is None:
            container = body if body is not None else root
        self.flow(container)
        if self._section_open:
            self.pop()

    def dispatch(self, node: etree._Element) -> None:
        name = local_name(node)
        if _dropped(node):
            return
        if name in HEADINGS or CAPTION_CLASS.search(node.get("class") or ""):
            if TABLE_CAPTION.match(node.text_content()):
                self.flush()
                self.content(node)
                self._caption = self.flush()
            elif name in HEADINGS:
                self._heading(node)
            else:
                super().dispatch(node)
        elif name == "table":
            self._table(node)
        elif name in ("ol", "ul", "div", "section") and REFERENCE_LIST.search(
                f"{node.get('class') or ''} {node.get('id') or ''}"):
            self._section("references", None)
            super().dispatch(node)
        else:
            super().dispatch(node)

    def child(self, node: etree._Element) -> None:
        name = local_name(node)
        if _dropped(node) or name in ("img", "picture", "source", "math"):
            return
        if name == "br":
            self.buf.space()
        elif name == "a" and REFERENCE_TARGET.match(node.get("href") or ""):
            start = self.buf.length
            self.content(node)
            self.buf.marks.append((start, self.buf.length))
        elif name in HTML_INLINE:
            self.content(node)
        else:
            super().child(node)

    def _heading(self, node: etree._Element) -> None:
        title = " ".join(node.text_content().split())
        label = label_for_heading(title) if title else None
        if label is None and local_name(node) == "h1" and not self._seen_heading:
            label = "title"
        self._seen_heading = True
        self._caption = None
        level = int(local_name(node)[1])
        if self._abstract_level is not None and level > self._abstract_level and is_abstract_subheading(title):
            # "Methods", "Results" under a structured abstract's heading are parts of the abstract.
            label = "abstract"
        else:
            self._abstract_level = level if label == "abstract" else None
        # An unknown heading (a subsection) keeps the label of the section it sits in.
        self._section(label or self.label, title)
        self.flow_inline(node)

    def _section(self, label: SectionLabel, title: str | None) -> None:
        if self._section_open:
            self.pop()
        self.push(label, title)
        self._section_open = True

    def flow_inline(self, node: etree._Element) -> None:
        self.flush()
        self.content(node)
        self.flush()

    def _table(self, node: etree._Element) -> None:
        caption_node = node.find("caption")
        caption_span, self._caption = self._caption, None
        if caption_node is not None:
            self.flush()
            self.content(caption_node)
            caption_span = self.flush()
            caption_node.drop_tree()
        rows = self.table_rows(node)
        start = caption_span[0] if caption_span else (rows[0].start if rows else self.pos)
        end = rows[-1].end if rows else (caption_span[1] if caption_span else self.pos)
        caption = self.text[caption_span[0] : caption_span[1]] if caption_span else None
        label = re.match(r"(?i)table\s+\S+?(?=[.:\s]|$)", caption or "")
        self.tables.append(Table(label=label.group(0) if label else None, caption=caption, section=self.label,
                                 start=start, end=end, rows=rows))


def html_metadata(root: etree._Element) -> DocumentMetadata:
    """Title, DOI, PMID, PMCID, journal, year and first author from citation_* meta tags, falling back to <title>."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        field = META_FIELDS.get((meta.get("name") or meta.get("property") or "").lower())
        content = " ".join((meta.get("content") or "").split())
        if field and content and field not in found:
            if field == "doi":
                match = re.search(r"10\.\d{4,9}/\S+", content)
                if not match:
                    continue
                content = match.group(0)
            found[field] = content
    if "title" not in found:
        title = root.find(".//title")
        if title is not None and title.text_content().strip():
            found["title"] = " ".join(title.text_content().split())
    year = None
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() in ("citation_publication_date", "citation_date", "dc.date"):
            match = re.search(r"(19|20)\d{2}", meta.get("content") or "")
            if match:
                year = int(match.group(0))
                break
    return DocumentMetadata(**found, year=year, first_author=_first_author(root))


# Particles that open a surname written after the given names ("Mei-Ling van der Berg").
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "del", "della", "le", "la", "du", "dos", "ter"})


def _surname(words: list[str]) -> str:
    """The surname of "Given [Middle] [particles] Surname": from the first particle after the given name, else the
    last word."""
    start = next((i for i, w in enumerate(words) if i > 0 and w in _PARTICLES), len(words) - 1)
    return " ".join(words[start:]) if words else ""


def _first_author(root: etree._Element) -> str | None:
    """The surname of the first citation_author (or dc.creator) meta tag: "Surname, Given" or "Given Surname"."""
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() in ("citation_author", "dc.creator"):
            name = " ".join((meta.get("content") or "").split())
            surname = name.split(",")[0].strip() if "," in name else _surname(name.split())
            if surname:
                return surname
    return None
