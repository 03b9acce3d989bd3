"""PDF -> schemas.Document: the text layer read with pypdfium2, cleaned of page furniture and reflowed.

pypdfium2 follows the content stream, which on journal layouts is the reading
order (columns one after the other), and it is about 60x faster than pdfminer.
Its text is then cleaned: running headers and footers (lines repeated at the top
or bottom of many pages) and page or margin line numbers are dropped, line-end
hyphens are joined, ligatures are spelled out, and lines are reflowed into
paragraphs so a sentence is one line of the canonical text. Headings recognised
by the section lexicon start sections; tabular lines stay lines of their own.
"""

import io
import re
import statistics
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extractor.errors import PaperError
from extractor.lexicons import load_yaml
from extractor.limits import MAX_PDF_PAGE_OBJECTS, MAX_PDF_PAGES, MAX_PDF_SECONDS, check_text_length
from extractor.parsers import paper_id_for
from extractor.parsers.pdf_guard import is_truncated, quiet_pdfminer, refuse_bombs, truncated
from extractor.parsers.pdf_layout import LINE_HYPHEN
from extractor.parsers.pdf_meta import pdf_metadata
from extractor.parsers.pdf_table_text import PdfTable, document_tables, is_table_mark, merge_continued, place_tables
from extractor.parsers.pdf_tables import page_tables
from extractor.parsers.sections import abstract_step, label_for_heading, layout_regex, normalise_heading
from schemas import Document, Section
from schemas.vocab import SectionLabel

LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"})
# pdfium marks a hyphen at a line end with U+FFFE (or a soft hyphen). It is made a line-end
# hyphen again, and reflow() decides from the paper's own words whether the word keeps it.
SOFT_HYPHENS = re.compile("[\u00ad\ufffe]\r?\n?")
# Italic variables set as Mathematical Alphanumeric Symbols ("𝑃", "𝑛") are plain letters in the text.
MATH_LETTERS = re.compile("[\U0001d400-\U0001d7ff]")
# A line seen at the top or bottom of this share of pages (at least 3) is a running header or footer.
FURNITURE_SHARE = 0.3
EDGE_LINES = 6
MIN_TEXT_CHARS = 200
# A run-in label of a structured abstract's part: "Background:", "Methods and findings:".
RUN_IN_LABEL = re.compile(r"(?:^|(?<=[.;]\s))([A-Z][A-Za-z ]{2,40}?)\s?:")
# The trailer (or cross-reference stream) key of an encrypted PDF.
ENCRYPT_KEY = re.compile(rb"/Encrypt\b")


def parse_pdf(path: Path, data: bytes) -> Document:
    """Parse a PDF's text layer into a Document; encrypted, corrupt and image-only PDFs are refused."""
    tables: list[PdfTable] = []
    info: dict[str, str] = {}
    pages = read_pages(path, data, tables, info)
    merge_continued(tables)
    lines = drop_furniture(pages)
    if not any(c.isalpha() for line in lines for c in line):
        raise PaperError(path, "PDF has no text besides running headers, footers and page numbers")
    text, bounds = reflow(lines)
    # Tables stand in the text as placeholder lines until the prose around them is reflowed.
    words = vocabulary(lines)
    text, bounds, placed = place_tables(text, bounds, tables, lambda line: dehyphenate(line, words))
    tables_found, sections = document_tables(text, placed, _sections(bounds, len(text)))
    return Document(
        paper_id=paper_id_for(data),
        source_path=str(path),
        stem=path.stem,
        format="pdf",
        text=text,
        sections=sections,
        tables=tables_found,
        metadata=pdf_metadata(text, pages[0], info),
    )


def read_pages(path: Path, data: bytes, tables: list[PdfTable] | None = None,
               info: dict[str, str] | None = None) -> list[list[str]]:
    """Each page's text lines, soft hyphens joined and ligatures spelled out.

    With ``tables``, the tables found beside table captions are appended to it and
    stand in the lines as placeholders (pdf_tables). With ``info``, the document
    information dictionary (Title, Subject, ...) is added to it.
    """
    refuse_bombs(path, data)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        cause = str(exc)
        if "password" in cause.lower() or "security" in cause.lower():
            # PDFium's last error is global: a file that fails without setting one reports the
            # error of the file before it, so "password" is believed only of a file with /Encrypt.
            if ENCRYPT_KEY.search(data):
                raise PaperError(path, "PDF is encrypted (password protected); cannot read its text") from exc
            cause = "PDFium cannot load it"
        if is_truncated(data):
            raise truncated(path) from exc
        if _page_count(data) == 0:
            raise PaperError(path, "PDF has no pages") from exc
        raise PaperError(path, f"corrupt or truncated PDF ({cause})") from exc
    try:
        if info is not None:
            info.update(_info(document))
        pages = _page_texts(path, data, document, tables)
    except pdfium.PdfiumError as exc:
        raise PaperError(path, f"corrupt PDF page ({exc})") from exc
    finally:
        document.close()
    if sum(len(line) for page in pages for line in page) < MIN_TEXT_CHARS:
        if is_truncated(data):
            raise truncated(path)
        raise PaperError(path, "PDF has no text layer (scanned images only?); it needs OCR first")
    return pages


def _info(document: pdfium.PdfDocument) -> dict[str, str]:
    """The information dictionary's text entries; a damaged dictionary gives none (the text is what matters)."""
    try:
        return {key: value for key, value in document.get_metadata_dict(skip_empty=True).items()
                if isinstance(value, str)}
    except (pdfium.PdfiumError, UnicodeDecodeError, ValueError):
        return {}


def _page_texts(path: Path, data: bytes, document: pdfium.PdfDocument,
                tables: list[PdfTable] | None) -> list[list[str]]:
    """Each page's lines; PaperError past MAX_PDF_PAGES, MAX_PDF_PAGE_OBJECTS, MAX_PDF_SECONDS or MAX_TEXT_CHARS."""
    count = len(document)
    if count == 0:
        raise truncated(path) if is_truncated(data) else PaperError(path, "PDF has no pages")
    if count > MAX_PDF_PAGES:
        raise PaperError(path, f"PDF has too many pages ({count}; limit {MAX_PDF_PAGES})")
    pages: list[list[str]] = []
    objects = chars = 0
    started = time.monotonic()
    for index in range(count):
        if time.monotonic() - started > MAX_PDF_SECONDS:
            raise PaperError(path, f"PDF is too slow to read (over {MAX_PDF_SECONDS:g} s by page {index + 1}, the limit)")
        page = document[index]
        try:
            objects += pdfium_c.FPDFPage_CountObjects(page.raw)
            if objects > MAX_PDF_PAGE_OBJECTS:
                raise PaperError(path, f"PDF pages hold too many objects (over {MAX_PDF_PAGE_OBJECTS:,} by page "
                                       f"{index + 1}, the limit)")
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
                chars += len(raw)
                check_text_length(path, chars)
                if tables is not None:
                    raw = page_tables(textpage, raw, tables, clean_cell)
            finally:
                textpage.close()
        finally:
            page.close()
        raw = repair_ligatures(raw)
        raw = MATH_LETTERS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)),
                               SOFT_HYPHENS.sub("-\n", raw.translate(LIGATURES)))
        pages.append([line.strip() for line in re.split(r"\r\n|\r|\n", raw)])
    return pages


def clean_cell(text: str) -> str:
    """A table cell or caption cleaned as the page text is: ligatures, soft hyphens, italic math letters."""
    text = SOFT_HYPHENS.sub("", repair_ligatures(text).translate(LIGATURES))
    return MATH_LETTERS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def repair_ligatures(text: str) -> str:
    """Join words split after a ligature glyph ("eff ective" -> "effective"), sparing real words ("off the")."""
    real = {word.lower() for word in load_yaml("ligature_words.yaml")}

    def join(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        return match.group(0) if head.lower() in real else head + tail

    return layout_regex("layout.pdf_split_ligature.v1").sub(join, text)


def _page_count(data: bytes) -> int | None:
    """Pages as pdfminer counts them, asked only when PDFium refuses a file; None if it cannot tell."""
    import pdfplumber

    try:
        with quiet_pdfminer(), pdfplumber.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except Exception:  # pdfminer raises many kinds of errors on broken files; any means "cannot tell"
        return None


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower()).strip()


def drop_furniture(pages: list[list[str]]) -> list[str]:
    """All pages' lines in order, without running headers, footers, page and line numbers."""
    counts: Counter[str] = Counter()
    for page in pages:
        content = [line for line in page if line]
        edges = {_furniture_key(line) for line in content[:EDGE_LINES] + content[-EDGE_LINES:]}
        counts.update(edges)
    threshold = max(3, int(FURNITURE_SHARE * len(pages)))
    furniture = {key for key, n in counts.items() if n >= threshold and len(key) > 1}
    number = layout_regex("layout.pdf_page_number.v1")
    kept: list[str] = []
    for page in pages:
        content = [line for line in page if line]
        # Once known from the page edges, a running line is dropped wherever a page puts it
        # (a first page with a side panel prints its footer mid-page).
        kept.extend(line for line in content if not number.match(line) and _furniture_key(line) not in furniture)
    return kept


def _is_tabular(line: str) -> bool:
    if is_table_mark(line):
        return True
    tokens = line.split()
    numeric = layout_regex("layout.pdf_numeric_token.v1")
    numbers = sum(bool(numeric.match(t)) for t in tokens)
    return numbers >= 3 and numbers / len(tokens) >= 0.6


def _heading_label(line: str, paragraph: str) -> SectionLabel | None:
    """Label of a heading line: short, capitalised (after any numbering, "2. Methods"), not ending a
    sentence, and not a hyphenated continuation."""
    words = layout_regex("layout.heading_number.v1").sub("", line, count=1)
    if len(line) > 60 or not words[:1].isupper() or line.endswith((".", ",", ";")):
        return None
    if paragraph.endswith("-"):
        return None
    return label_for_heading(line)


class _Abstract:
    """Tracks a structured abstract: its sub-headings (in printing order) keep the label 'abstract'.

    A sub-heading printed a second time ("Methods" after the abstract's "Methods") is
    the body's: the abstract has ended.
    """

    def __init__(self) -> None:
        self.inside = False
        self.step = -1
        self.seen: set[str] = set()

    def label(self, line: str, found: SectionLabel) -> SectionLabel:
        step = abstract_step(line)
        key = normalise_heading(line)
        repeated = key in self.seen
        self.seen.add(key)
        if found == "abstract" and step is None:
            self.inside, self.step, self.seen = True, -1, {key}
        elif self.inside and step is not None and step >= self.step and not repeated:
            self.step = step
            return "abstract"
        else:
            self.inside = False
        return found

    def read(self, line: str) -> None:
        """Note the parts an abstract labels in its text ("Background: ..."): headings repeating them are the body's."""
        if self.inside:
            self.seen.update(normalise_heading(m.group(1)) for m in RUN_IN_LABEL.finditer(line)
                             if abstract_step(m.group(1)) is not None)


WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def vocabulary(lines: list[str]) -> set[str]:
    """Lower-case words and hyphenated compounds the document prints within its lines."""
    return {w.lower() for line in lines for w in WORD.findall(line[:-1] if line.endswith("-") else line)}


def join_hyphenated(current: str, line: str, words: set[str]) -> str:
    """Join a word broken at a line-end hyphen: drop the hyphen of a typeset break, keep a compound's.

    The document itself decides: "treat-" + "ment" is "treatment" when the paper
    prints "treatment" elsewhere; "non-" + "adherent" stays "non-adherent" when it
    prints that; a one- or two-letter part ("z-scores", "T-cell") keeps its hyphen.
    """
    head = WORD.findall(current[:-1])
    tail = WORD.match(line)
    if not head or tail is None:
        return current[:-1] + line
    before, after = head[-1].rsplit("-", 1)[-1], tail.group(0).split("-", 1)[0]
    joined, compound = (before + after).lower(), f"{before}-{after}".lower()
    keep = joined not in words and (compound in words or len(before) <= 2)
    return current + line if keep else current[:-1] + line


def dehyphenate(text: str, words: set[str]) -> str:
    """Decide each line-end hyphen left in a table caption or note as reflow() does for prose."""
    head, *tails = text.split(LINE_HYPHEN)
    for tail in tails:
        head = join_hyphenated(head + "-", tail, words)
    return head


def reflow(lines: list[str]) -> tuple[str, list[tuple[int, SectionLabel, str | None]]]:
    """Join lines into paragraphs; return the text and the section starts (offset, label, heading)."""
    width = statistics.median([len(line) for line in lines if len(line) > 20] or [80])
    hyphen = layout_regex("layout.pdf_line_end_hyphen.v1")
    out: list[str] = []
    bounds: list[tuple[int, SectionLabel, str | None]] = [(0, "title", None)]
    pos = 0
    current = ""
    abstract = _Abstract()
    words = vocabulary(lines)
    deferred: list[str] = []
    space_before = layout_regex("layout.pdf_space_before_punctuation.v1")

    def end_paragraph() -> None:
        nonlocal current, pos
        for paragraph in [current, *deferred]:
            paragraph = space_before.sub("", paragraph)
            if paragraph:
                if out:
                    out.append("\n")
                    pos += 1
                out.append(paragraph)
                pos += len(paragraph)
        current = ""
        deferred.clear()

    for line in lines:
        label = _heading_label(line, current)
        if label is not None:
            label = abstract.label(line, label)
            end_paragraph()
            bounds.append((pos + (1 if out else 0), label, line))
            current = line
            end_paragraph()
            continue
        abstract.read(line)
        unfinished = bool(current) and not current.endswith((".", "?", "!", ":"))
        if _is_tabular(line):
            if unfinished:
                # A table or figure set in the middle of a sentence: its lines follow the paragraph.
                deferred.append(line)
                continue
            end_paragraph()
            current = line
            end_paragraph()
            continue
        if not current:
            current = line
        elif hyphen.search(current) and line[:1].islower():
            current = join_hyphenated(current, line, words)
        elif current.endswith("/") or line.startswith("/"):
            current = current + line
        else:
            current = f"{current} {line}"
        if line.endswith((".", "?", "!", ":")) and len(line) < 0.7 * width:
            end_paragraph()
    end_paragraph()
    return "".join(out), bounds


def _sections(bounds: list[tuple[int, SectionLabel, str | None]], length: int) -> list[Section]:
    """Contiguous sections from the heading starts; after the references only back matter follows."""
    sections = []
    seen_references = False
    for i, (start, label, title) in enumerate(bounds):
        end = bounds[i + 1][0] if i + 1 < len(bounds) else length
        if seen_references and label not in ("back",):
            label = "references"
        seen_references = seen_references or label == "references"
        if end > start:
            sections.append(Section(label=label, title=title, start=start, end=end))
    if not sections or sections[0].start != 0:
        sections.insert(0, Section(label="title", title=None, start=0, end=sections[0].start if sections else length))
    return sections
