"""Plain-text papers (saved journal pages, text exports) -> schemas.Document."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import PaperError
from extractor.limits import check_text_length
from extractor.parsers import paper_id_for
from extractor.parsers.sections import (
    BODY_LABELS,
    abstract_step,
    is_abstract_subheading,
    is_back_opener,
    is_furniture,
    label_for_heading,
    layout_regex,
)
from extractor.parsers.text_meta import text_metadata
from extractor.parsers.text_tables import Line, build_tables, find_tables, split_lines
from extractor.patterns import load_rules
from schemas import Document, Section
from schemas.vocab import SectionLabel

# A heading is a short line standing alone; a title may be longer.
MAX_HEADING_CHARS = 120
# A text with fewer words than this is not a paper (an abstract has hundreds).
MIN_WORDS = 5
MAX_HEADING_WORDS = 16
MAX_TITLE_CHARS = 300
# Prose: enough words, and many of them lower-case (author lists and keyword lines are capitalised).
MIN_PROSE_WORDS = 12
MIN_PROSE_LOWER = 0.4
# Control characters (other than tab, newline, form feed, carriage return) above this share mean binary data.
MAX_CONTROL_SHARE = 0.01
CONTROL_CHARACTERS = tuple(chr(code) for code in range(32) if chr(code) not in "\t\n\r\f")
# How far after a lone "1" the "2" of a reference list must follow.
REFERENCE_LOOKAHEAD = 80


def parse_text(path: Path, data: bytes) -> Document:
    """Parse a UTF-8 text paper; the canonical text is the file with \\r\\n read as \\n."""
    text = decode_text(path, data)
    check_text_length(path, len(text))
    if len(re.findall(r"[^\W\d_]{2,}", text)) < MIN_WORDS:
        raise PaperError(path, f"too little text to be a paper (fewer than {MIN_WORDS} words)")
    lines = split_lines(text)
    found = find_tables(lines)
    table_lines = set().union(*(t.consumed for t in found)) if found else set()
    kinds = classify_lines(lines, table_lines)
    labels, titles = label_lines(lines, kinds)
    sections = _sections(text, lines, labels, titles)
    return Document(
        paper_id=paper_id_for(data),
        source_path=str(path),
        stem=path.stem,
        format="text",
        text=text,
        sections=sections,
        tables=build_tables(lines, found, lambda i: labels[i] or "other"),
        metadata=text_metadata(lines, kinds, labels),
    )


def decode_text(path: Path, data: bytes) -> str:
    """The file's text, refusing binary data and invalid UTF-8 with a one-line cause."""
    if b"\x00" in data:
        raise PaperError(path, "binary data, not text (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PaperError(path, f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc
    text = text.replace("\r\n", "\n")
    # str.count per character: a C scan each, many times faster than a loop over every character.
    controls = sum(text.count(c) for c in CONTROL_CHARACTERS)
    if controls > MAX_CONTROL_SHARE * len(text):
        raise PaperError(path, f"binary data, not text ({controls} control characters)")
    if not any(c.isalpha() for c in text):
        raise PaperError(path, "no text: the file has no letters")
    return text


def _is_prose(text: str) -> bool:
    words = [w for w in text.split() if w[0].isalpha()]
    if len(text.split()) < MIN_PROSE_WORDS or not words:
        return False
    # Prose has sentences (field lists such as "Indexed on: ... Published in: ..." have no stop).
    if not any(c in ".?!" for c in text):
        return False
    return sum(w[0].islower() for w in words) / len(words) >= MIN_PROSE_LOWER


def _is_heading(lines: Sequence[Line], i: int) -> bool:
    text = lines[i].text
    if len(text) > MAX_HEADING_CHARS or len(text.split()) > MAX_HEADING_WORDS:
        return False
    if text[-1] in ".,;" or not any(c.isalpha() for c in text) or ": " in text:
        return False
    # A lower-case line is a heading only when it is a section name ("abstract" on a repository page).
    if not (text[0].isupper() or layout_regex("layout.heading_number.v1").match(text) or label_for_heading(text)):
        return False
    alone_before = i == 0 or not lines[i - 1].text or is_furniture(lines[i - 1].text)
    alone_after = i + 1 >= len(lines) or not lines[i + 1].text
    return alone_before and alone_after


def classify_lines(lines: Sequence[Line], table_lines: set[int]) -> list[str]:
    """A kind per line: blank, table, furniture, source, figure, caption, bullet, heading, labelled, prose, short."""
    kinds: list[str] = []
    seen_content = False
    caption_due = False
    for i, line in enumerate(lines):
        text = line.text
        if i in table_lines:
            kind = "table"
        elif not text:
            kind = "blank"
        elif is_furniture(text):
            kind = "furniture"
        elif not seen_content and layout_regex("layout.source_line.v1").match(text):
            kind = "source"
        elif layout_regex("layout.figure_label.v1").match(text):
            kind = "figure"
        elif caption_due:
            kind = "caption"
        elif layout_regex("layout.bullet.v1").match(text):
            kind = "bullet"
        elif _is_heading(lines, i):
            kind = "heading"
        elif _labelled(text) is not None:
            kind = "labelled"
        elif _is_prose(text):
            kind = "prose"
        else:
            kind = "short"
        if kind not in ("blank", "furniture"):
            caption_due = kind == "figure" and layout_regex("layout.figure_label.v1").fullmatch(text) is not None
            caption_due = caption_due and not any(c in text for c in ".:|")
            seen_content = True
        kinds.append(kind)
    return kinds


def _labelled(text: str) -> str | None:
    """The run-in label of a paragraph ('Results: ...'), when the paragraph goes on after it."""
    match = layout_regex("layout.labelled_paragraph.v1").match(text)
    if match is None or len(text) - match.end() < 40:
        return None
    return match.group("label")


def _cites(text: str) -> bool:
    return any(rule.regex.search(text) for rule in load_rules("citations.yaml"))


def _is_title(text: str) -> bool:
    if len(text) > MAX_TITLE_CHARS or label_for_heading(text) is not None:
        return False
    inner = text[:-1]
    return not any(inner[k] == "." and inner[k + 1 : k + 2] == " " for k in range(len(inner)))


def reference_start(lines: Sequence[Line], kinds: Sequence[str]) -> int | None:
    """First line of a numbered reference list printed without a heading, if any."""
    lone = layout_regex("layout.reference_number.v1")
    numbered = layout_regex("layout.numbered_reference.v1")
    year = layout_regex("layout.year.v1")
    for i, line in enumerate(lines):
        if kinds[i] in ("table", "blank"):
            continue
        match = lone.fullmatch(line.text)
        if match and match.group("n") == "1":
            window = lines[i + 1 : i + REFERENCE_LOOKAHEAD]
            two = next((k for k, w in enumerate(window) if (m := lone.fullmatch(w.text)) and m.group("n") == "2"), None)
            if two is not None and any(year.fullmatch(w.text) for w in window[:two]):
                return i
        match = numbered.match(line.text)
        if match and match.group("n") == "1":
            following = [numbered.match(w.text) for w in lines[i + 1 : i + 10] if w.text]
            if following and following[0] is not None and following[0].group("n") == "2":
                return i
    return None


@dataclass
class _State:
    """Where the reader is: front matter, abstract (headed or not), body, back matter, references."""

    phase: str = "front"
    label: SectionLabel = "other"
    abstract_paragraphs: int = 0
    abstract_labelled: bool = False
    last_step: int = -1
    # A headed abstract is structured when its first line after "Abstract" is a sub-heading.
    structured: bool | None = None
    after_float: bool = False


def label_lines(lines: Sequence[Line], kinds: Sequence[str]) -> tuple[list[SectionLabel | None], dict[int, str]]:
    """A section label for every content line, and the heading text of lines that open a section."""
    labels: list[SectionLabel | None] = [None] * len(lines)
    titles: dict[int, str] = {}
    refs = reference_start(lines, kinds)
    body_heading_after = _body_heading_after(lines, kinds)
    state = _State()
    title_done = False
    for i, line in enumerate(lines):
        kind = kinds[i]
        if kind == "blank":
            continue
        if kind == "source":
            labels[i] = "other"
            continue
        if not title_done and kind != "furniture":
            title_done = True
            if kind in ("heading", "short", "prose") and _is_title(line.text):
                labels[i] = "title"
                continue
        if i == refs:
            state.phase, state.label = "references", "references"
        elif kind == "heading" and (state.phase != "references" or label_for_heading(line.text) is not None):
            _on_heading(state, line.text)
            titles[i] = line.text
        elif state.phase != "references" and kind != "furniture":
            _on_content(state, lines, kinds, i, refs, body_heading_after)
        labels[i] = state.label
    return labels, titles


def _on_heading(state: _State, text: str) -> None:
    state.after_float = False
    label = label_for_heading(text)
    step = abstract_step(text)
    if state.phase == "abstract" and state.structured is not False and step is not None and step > state.last_step:
        # Inside a structured abstract its sub-headings keep it; going back a step opens the body.
        state.structured, state.last_step = True, step
        return
    if label is None:
        if state.phase == "front":
            state.label = "other"
        return
    state.label = label
    if label == "abstract":
        state.phase, state.structured, state.last_step = "abstract", None, -1
    elif label in ("back", "references"):
        state.phase = label
    elif label == "other":
        state.phase = "front" if state.phase == "front" else "other"
    else:
        state.phase = "body"


def _on_content(
    state: _State, lines: Sequence[Line], kinds: Sequence[str], i: int, refs: int | None, body_after: list[bool]
) -> None:
    kind, text = kinds[i], lines[i].text
    if state.phase == "abstract" and state.structured is None:
        state.structured = False
    run_in = _labelled(text) if kind == "labelled" else None
    in_abstract = state.phase in ("front", "abstract_implicit", "abstract")
    if run_in is not None and in_abstract and is_abstract_subheading(run_in):
        if state.phase == "front":
            state.phase = "abstract_implicit"
        state.label, state.abstract_labelled = "abstract", True
        return
    if kind == "bullet" and state.phase in ("front", "abstract_implicit"):
        state.phase, state.label = "abstract_implicit", "abstract"
        return
    prose = kind == "prose" or (kind == "labelled" and _is_prose(text))
    if state.phase == "front":
        if prose:
            state.phase, state.label, state.abstract_paragraphs = "abstract_implicit", "abstract", 1
        return
    if state.phase == "abstract_implicit":
        if prose and (state.abstract_paragraphs or state.abstract_labelled) and body_after[i]:
            # An unheaded paper: the paragraphs after its abstract open the body.
            state.phase, state.label = "body", "introduction"
        elif prose:
            state.abstract_paragraphs += 1
        return
    if state.phase in ("body", "other") and _is_back_line(text, kind):
        state.phase, state.label = "back", "back"
        return
    if kind in ("figure", "caption", "table"):
        state.after_float = True
        return
    if prose and state.label == "results" and state.after_float and _cites(text) and _body_ends_unheaded(
        lines, kinds, i, refs
    ):
        state.label = "discussion"
    if prose:
        state.after_float = False


def _is_back_line(text: str, kind: str) -> bool:
    run_in = _labelled(text) if kind == "labelled" else None
    if run_in is not None and label_for_heading(run_in) == "back":
        return True
    return kind in ("prose", "short", "labelled") and is_back_opener(text)


def _body_ends_unheaded(lines: Sequence[Line], kinds: Sequence[str], i: int, refs: int | None) -> bool:
    """True when no heading or float follows line i before the back matter: the body's unheaded tail."""
    for j in range(i + 1, len(lines)):
        if j == refs or _is_back_line(lines[j].text, kinds[j]):
            return True
        if kinds[j] == "heading":
            return label_for_heading(lines[j].text) in ("back", "references", "other")
        if kinds[j] in ("figure", "caption", "table"):
            return False
    return True


def _body_heading_after(lines: Sequence[Line], kinds: Sequence[str]) -> list[bool]:
    after = [False] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        is_body = kinds[i] == "heading" and label_for_heading(lines[i].text) in BODY_LABELS
        after[i] = after[i + 1] or is_body
    return [*after[1:], False]


def _sections(
    text: str, lines: Sequence[Line], labels: Sequence[SectionLabel | None], titles: dict[int, str]
) -> list[Section]:
    """Contiguous sections covering the text: a new one at every heading and label change."""
    starts: list[tuple[int, SectionLabel, str | None]] = []
    for i, label in enumerate(labels):
        if label is None:
            continue
        if not starts or i in titles or label != starts[-1][1]:
            starts.append((lines[i].start, label, titles.get(i)))
    if not starts:
        return [Section(label="other", title=None, start=0, end=len(text))]
    starts[0] = (0, starts[0][1], starts[0][2])
    ends = [s[0] for s in starts[1:]] + [len(text)]
    return [
        Section(label=label, title=title, start=start, end=end)
        for (start, label, title), end in zip(starts, ends, strict=True)
    ]
