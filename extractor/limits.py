"""How much of a paper the parsers and the pipeline will read: bounds on work, so hostile input cannot hang or exhaust memory.

Each limit is far above any real trial paper (the bundled corpus is measured in the
comments) and low enough that a file at the limit is read in seconds and well under
500 MB. A paper over a paper-wide limit is refused with one line naming the limit;
a table over a per-table limit keeps its first rows and columns (README, "Bad input and safety").
"""

from pathlib import Path

from extractor.errors import PaperError

# Canonical text per paper. The longest bundled paper has 70,075 characters (PMC1079844);
# a long article with its appendix stays under 300,000. At the pipeline's speed on
# number-dense prose (about 50,000 characters a second) this is about 8 s of extraction.
MAX_TEXT_CHARS = 300_000
# One sentence given to the rule components: some rules cost the square of a sentence's length, so
# a longer "sentence" (a line with no stop) is read in pieces cut at white space, 0.1 s a piece at
# most. The next longest bundled sentence after a list of recruiting centres (8,084 characters, no
# evidence) has 2,310; the records of all 105 bundled papers are the same with this cut.
MAX_SENTENCE_CHARS = 2_500
# A run of this many symbols (emoji, underscores, box drawing, '=' ...) is handed to spaCy's
# tokenizer as letters of the same length: its suffix search costs the square of a run's length
# (4,000 underscores took 10 s). Runs this long hold no evidence; no bundled paper has one.
MAX_SYMBOL_RUN = 16
# Rows of one table (the longest bundled table has 57) and columns (the widest has 12): rows and
# columns past these are not read, so a table costs what it holds, never what its spans claim.
# Strings the shared spaCy vocabulary may hold before the pipeline is built afresh (extractor/pipeline.py): each
# paper adds its numbers and names to it, so a process reading 100,000 papers would grow without end. 20,807
# after the whole bundled corpus; 100,000 strings and their lexemes are a few tens of MB. (spaCy's memory zone
# keeps it flat too, but recreates every lexeme of every paper: 35% more extraction time.)
MAX_VOCAB_STRINGS = 100_000
MAX_TABLE_ROWS = 1_000
MAX_TABLE_COLUMNS = 200
# Tags ("<") in a JATS or HTML file, counted before parsing: lxml holds about 300 bytes an element,
# so 44 MB of "<p>w</p>" took 1.9 GB. The bundled articles have at most 5,555; a large PMC article
# or journal page a few tens of thousands.
MAX_MARKUP_TAGS = 1_000_000
# Table cells per paper (the bundled maximum is 933): beyond it the file is refused.
MAX_PAPER_CELLS = 50_000
# PDF pages (the longest bundled PDF has 21): a page costs PDFium's parse of its content even when
# it holds little text, and a longer document is past MAX_TEXT_CHARS anyway.
MAX_PDF_PAGES = 300
# Page objects (text runs, paths, images) over all pages: the bundled PDFs have at most 2,854.
# PDFium holds about 350 bytes an object, so this bounds the memory of pages sharing one content stream.
MAX_PDF_PAGE_OBJECTS = 1_000_000
# Wall-clock seconds for reading a PDF's pages (the bundled ones take under 0.5 s): the backstop for
# pages whose content costs parsing but adds neither objects nor text (300 pages sharing 8 MB of
# "q Q" took minutes). Checked after each page, so one page may run past it.
MAX_PDF_SECONDS = 8.0
# Bytes a FlateDecode stream other than an image may inflate to (a dense page's content stream is
# about 100 KB, an embedded font a few MB): a zip bomb is refused before PDFium reads it. PDFium
# holds a content stream of 8 MB of text operators in about 400 MB.
MAX_PDF_STREAM_BYTES = 8 * 1024 * 1024
# Streams in one file (the bundled PDFs hold at most a few hundred; a large one a few thousand):
# each is looked at before PDFium reads the file.
MAX_PDF_STREAMS = 100_000
# Bytes all such streams may inflate to together (the bundled PDFs: under 10 MB).
MAX_PDF_DECODED_BYTES = 256 * 1024 * 1024


def check_markup(path: str | Path, data: bytes) -> None:
    """PaperError when an XML or HTML file holds more than MAX_MARKUP_TAGS tags (before lxml builds its tree)."""
    tags = data.count(b"<")
    if tags > MAX_MARKUP_TAGS:
        raise PaperError(path, f"too much markup ({tags:,} tags; limit {MAX_MARKUP_TAGS:,})")


def check_text_length(path: str | Path, length: int) -> None:
    """PaperError when a paper's text is longer than MAX_TEXT_CHARS."""
    if length > MAX_TEXT_CHARS:
        raise PaperError(path, f"text is too long (over {MAX_TEXT_CHARS:,} characters, the limit)")
