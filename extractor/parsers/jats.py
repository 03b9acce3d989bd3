"""JATS XML (PubMed Central articles, and root-less article fragments) -> schemas.Document."""

from pathlib import Path

from lxml import etree

from extractor.errors import PaperError
from extractor.limits import check_markup
from extractor.parsers.jats_text import FLOATS, Inline, TextBuilder, local_name
from extractor.parsers.sections import BODY_LABELS, label_for_heading, label_for_sec_type
from schemas import Document, DocumentMetadata, Table
from schemas.vocab import SectionLabel

# Entities are never expanded and nothing is fetched: no billion laughs, no external entities.
XML_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
# Root-less fragments (an <abstract> then a <sec>, undeclared xlink prefix) are read inside this root.
WRAP_OPEN = b'<wrap xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:mml="http://www.w3.org/1998/Math/MathML">'
WRAP_CLOSE = b"</wrap>"
# Elements that may stand for a whole (partial) article.
FRAGMENT_ROOTS = frozenset({"wrap", "abstract", "sec", "body"})
# pub-date kinds, most wanted first: the issue (print or collection) year is the citation year.
DATE_PREFERENCE = ("ppub", "collection", "epub-ppub", "epub", "pub", "ecorrected", "pmc-release")


def parse_jats(path: Path, data: bytes) -> Document:
    """Parse a JATS article (or a root-less JATS fragment) into a Document."""
    root = load_xml(path, data)
    article = _article(path, root)
    reader = JatsReader(path)
    reader.read(article)
    return reader.document(path, data, "jats", jats_metadata(article),
                           empty="no article content: no title, abstract or body text in the XML")


def load_xml(path: Path, data: bytes) -> etree._Element:
    """The parsed XML root, safely: entities refused, fragments wrapped in a namespaced root."""
    check_markup(path, data)
    if b"<!ENTITY" in data:
        # Checked before parsing too: a declared entity is never needed in a JATS article.
        raise PaperError(path, "XML declares entities in its DOCTYPE; refused (entities are not expanded)")
    parser = etree.XMLParser(**XML_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:9].lower()
        if not head.startswith(b"<") or head.startswith((b"<?xml", b"<!doctype")):
            raise PaperError(path, f"malformed XML: {_message(exc)}") from exc
        try:
            root = etree.fromstring(WRAP_OPEN + data + WRAP_CLOSE, etree.XMLParser(**XML_OPTIONS))
        except etree.XMLSyntaxError:
            raise PaperError(path, f"malformed XML: {_message(exc)}") from exc
    _refuse_entities(path, root)
    return root


def _message(exc: etree.XMLSyntaxError) -> str:
    lines = str(exc).strip().splitlines()
    # lxml appends "(<string>, line N)": the position is already in the message.
    return lines[0].replace(" (<string>, line 1)", "") if lines else type(exc).__name__


def _refuse_entities(path: Path, root: etree._Element) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise PaperError(path, "XML declares entities in its DOCTYPE; refused (entities are not expanded)")
    for entity in root.iter(etree.Entity):
        raise PaperError(path, f"XML refers to the unexpanded entity {entity.text}; refused")


def _article(path: Path, root: etree._Element) -> etree._Element:
    name = local_name(root)
    if name == "article" or name in FRAGMENT_ROOTS:
        return root
    for node in root.iter():
        if local_name(node) == "article":
            return node
    raise PaperError(path, f"no article content: root element <{name}> is not a JATS article")


def _child(node: etree._Element | None, name: str) -> etree._Element | None:
    if node is None:
        return None
    return next((c for c in node if local_name(c) == name), None)


def _children(node: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if node is None else [c for c in node if local_name(c) == name]


def _plain(node: etree._Element | None) -> str | None:
    """Whitespace-collapsed text of an element (inline markup read as text)."""
    if node is None:
        return None
    buf = Inline()
    for piece in node.itertext():
        buf.add(piece)
    return buf.finish()[0] or None


# Headings that end an introduction even when the article nests them inside it.
_LEAVES_INTRODUCTION: frozenset[str | None] = frozenset({"methods", "results", "discussion"})


class JatsReader(TextBuilder):
    """Walks an article in reading order: title, abstracts, body, floats, back matter."""

    def read(self, article: etree._Element) -> None:
        name = local_name(article)
        front = _child(article, "front")
        meta = _child(front, "article-meta")
        title = _child(_child(meta, "title-group"), "article-title")
        if title is not None:
            self.push("title", None)
            self.flow(title)
            self.pop()
        for abstract in _children(meta, "abstract") + _children(meta, "trans-abstract"):
            self._abstract(abstract)
        if name in FRAGMENT_ROOTS and name != "wrap":
            self._fragment([article])
            return
        if name == "wrap":
            self._fragment(list(article))
            return
        body = _child(article, "body")
        if body is not None:
            self._fragment(list(body))
        # JATS floats-group; the NLM 2.x DTDs named it floats-wrap (older PMC articles).
        floats = _child(article, "floats-group")
        if floats is None:
            floats = _child(article, "floats-wrap")
        for node in [] if floats is None else list(floats):
            if local_name(node):
                self._float(node)
        back = _child(article, "back")
        for node in [] if back is None else list(back):
            self._back(node)

    def _fragment(self, nodes: list[etree._Element]) -> None:
        """Body-level elements: sections, floats, abstracts (in fragments), loose paragraphs."""
        for node in nodes:
            name = local_name(node)
            if name == "abstract":
                self._abstract(node)
            elif name == "sec":
                self._sec(node, None)
            elif name == "body":
                self._fragment(list(node))
            elif name in FLOATS:
                self._float(node)
            elif name:
                self.flow(node)

    def _abstract(self, node: etree._Element) -> None:
        self.push("abstract", _plain(_child(node, "title")))
        for child in node:
            if local_name(child) == "sec":
                self._sec(child, "abstract")
            else:
                self.flow(child)
        self.pop()

    def _sec(self, node: etree._Element, inherited: SectionLabel | None, default: SectionLabel = "other") -> SectionLabel:
        """Push a section and its subsections; return the label it was given."""
        title = _plain(_child(node, "title"))
        label: SectionLabel = inherited or default
        found = label_for_heading(title) if title else None
        if inherited in (None, "other"):
            label = found or label_for_sec_type(node.get("sec-type")) or label
        elif inherited == "introduction" and found in _LEAVES_INTRODUCTION:
            # "Patients and methods" nested inside "Background" (a mis-nested article): the methods start here.
            label = found
        self.push(label, title)
        inner = label
        for child in node:
            if local_name(child) == "sec":
                # Once a subsection of the introduction turned to methods or results, so do the ones after it.
                inner = self._sec(child, inner) if label == "introduction" else self._sec(child, label)
            else:
                self.flow(child)
        self.pop()
        return label

    def _float(self, node: etree._Element) -> None:
        """A table or figure kept apart from the text: it belongs to the section that first cites it."""
        cited = self.cited_in.get(node.get("id") or "", [])
        # Tables and figures show data: a float the results cite belongs there, else where first cited.
        if "results" in cited:
            label: SectionLabel = "results"
        else:
            label = next((c for c in cited if c in BODY_LABELS), cited[0] if cited else self.label)
        self.push(label, _plain(_child(node, "label")))
        self.flow(node)
        self.pop()

    def _back(self, node: etree._Element) -> None:
        name = local_name(node)
        if name == "sec":
            self._sec(node, None, default="back")
            return
        if name == "ref-list":
            self._container(node, "references")
            return
        if name in FLOATS:
            self._float(node)
            return
        if name:
            title = _plain(_child(node, "title"))
            self._container(node, (label_for_heading(title) if title else None) or "back")

    def _container(self, node: etree._Element, label: SectionLabel) -> None:
        self.push(label, _plain(_child(node, "title")))
        for child in node:
            if local_name(child) == "sec":
                self._sec(child, label)
            else:
                self.flow(child)
        self.pop()

    def dispatch(self, node: etree._Element) -> None:
        name = local_name(node)
        if name == "sec":
            self._sec(node, self.label)
        elif name == "table-wrap":
            self._table(node)
        elif name == "ref":
            self._ref(node)
        else:
            super().dispatch(node)

    def _ref(self, node: etree._Element) -> None:
        """One reference on one line; structured citations get spaces between their parts."""
        self.flush()
        saved, self.inline_only = self.inline_only, True
        try:
            for child in node:
                name = local_name(child)
                if name in ("element-citation", "nlm-citation"):
                    self._spaced(child)
                elif name:
                    self.content(child)
                self.buf.space()
        finally:
            self.inline_only = saved
        self.flush()

    def _spaced(self, node: etree._Element) -> None:
        self.buf.add(node.text)
        for child in node:
            if local_name(child):
                self.buf.space()
                self._spaced(child)
            self.buf.add(child.tail)

    def _table(self, node: etree._Element) -> None:
        label_node, caption_node = _child(node, "label"), _child(node, "caption")
        label_span = self.flow(label_node) if label_node is not None else None
        caption_span = self.flow(caption_node) if caption_node is not None else None
        rows = []
        for table in node.iter():
            if local_name(table) == "table":
                rows.extend(self.table_rows(table))
        spans = [s for s in (label_span, caption_span) if s is not None]
        start = spans[0][0] if spans else (rows[0].start if rows else self.pos)
        end = rows[-1].end if rows else (spans[-1][1] if spans else self.pos)
        caption = self.text[caption_span[0] : caption_span[1]].replace("\n", " ") if caption_span else None
        self.tables.append(
            Table(label=_plain(label_node), caption=caption, section=self.label, start=start, end=end, rows=rows)
        )
        for child in node:
            if local_name(child) == "table-wrap-foot":
                self.flow(child)


def jats_metadata(article: etree._Element) -> DocumentMetadata:
    """Title, DOI, PMID, PMCID, journal, year, subject heading and first author from <front>."""
    front = _child(article, "front")
    meta = _child(front, "article-meta")
    if meta is None:
        return DocumentMetadata()
    ids = {(n.get("pub-id-type") or ""): _plain(n) for n in _children(meta, "article-id")}
    pmcid = ids.get("pmc") or ids.get("pmcid")
    if pmcid and pmcid.isdigit():
        pmcid = f"PMC{pmcid}"
    journal_meta = _child(front, "journal-meta")
    journal = _plain(_child(_child(journal_meta, "journal-title-group"), "journal-title"))
    journal = journal or _plain(_child(journal_meta, "journal-title"))
    return DocumentMetadata(
        title=_plain(_child(_child(meta, "title-group"), "article-title")),
        doi=ids.get("doi"),
        pmid=ids.get("pmid"),
        pmcid=pmcid,
        journal=journal,
        year=_year(meta),
        article_type=_plain(_child(_child(_child(meta, "article-categories"), "subj-group"), "subject")),
        first_author=_first_author(meta),
    )


def _first_author(meta: etree._Element) -> str | None:
    """The surname of the first <contrib contrib-type="author"> with a <name> (a group author has none)."""
    for group in _children(meta, "contrib-group"):
        for contrib in _children(group, "contrib"):
            if contrib.get("contrib-type") == "author":
                surname = _plain(_child(_child(contrib, "name"), "surname"))
                if surname:
                    return surname
    return None


def _year(meta: etree._Element) -> int | None:
    years: dict[str, int] = {}
    for date in _children(meta, "pub-date"):
        text = _plain(_child(date, "year"))
        if text and text.isdigit():
            years.setdefault(date.get("pub-type") or date.get("date-type") or "pub", int(text))
    for kind in DATE_PREFERENCE:
        if kind in years:
            return years[kind]
    return next(iter(years.values()), None)

