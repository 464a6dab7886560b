"""A PDF page's text as PDFium reads it, with the word gaps a reader sees put back.

PDFium puts a space between two pieces of text on a line only when the gap between them is
wider than a quarter to a sixth of the wider letter's width (0.12 to 0.2 of the font size).
Covers and headings are often set tight, with each word placed as its own piece, so their word
gaps are narrower than that and the words run together ("EXPLORINGCHARACTERISTICS", "ANDSEX
TRAFFICKING"), though a reader and `pdftotext` see two words and a search for either finds
nothing.

Measuring every pair of letters would cost more than reading the page: each call into PDFium
from Python costs about a microsecond. So only the joins that can hide a word gap are measured:
on lines of a few words (covers, headings, labels, table cells) drawn in more than one piece,
the joins between pieces inside a run of letters and digits. There the gap between the two
letters' advance boxes, less the line's letter spacing (the median gap between its other
letters, so a heading set wide is not split letter by letter), is compared with the font size.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from typing import Any

import pypdfium2.raw as pdfium_c

# A gap wider than the line's letter spacing by more than this fraction of the font size is a
# word gap. Chosen on half B of the corpus PDFs that run words together and confirmed on half A
# (benchmarks/pdf_word_gaps.py): every value from 0.02 to 0.10 sets apart the words of a cover
# set tight (its gaps exceed the letter spacing by 0.10 to 0.11 of the font size) and splits no
# word; at 0.01 words kerned apart split. PDFium's own limit is 0.12 to 0.2 of the font size;
# pdftotext's is 0.1, with no allowance for letter spacing.
WORD_GAP = 0.06

# Lines with fewer spaces than this are measured: covers, headings, labels and table cells,
# where words are placed one by one. Measuring every line read the corpus PDFs' text a third
# slower; these lines cost a few percent (benchmarks/pdf_word_gaps.py, README "Performance").
SHORT_LINE_SPACES = 4

# Letter spacing is the median of up to this many other letter joins on the line.
SPACING_SAMPLE = 4

_LETTERS = re.compile(r"[^\W_]{2,}")  # a run of letters and digits: where a word gap can hide

Box = tuple[float, float, float, float]  # left, right, bottom, top


def page_text(textpage: Any) -> str:
    """The text of a pypdfium2 text page as `get_text_bounded()` reads it, with the word gaps
    it lacks put back."""
    handle = textpage.raw
    count = pdfium_c.FPDFText_CountChars(handle)
    if count <= 0:
        return ""
    text = _bounded_text(textpage, count)
    # Gaps are found by character index in PDFium's own text; the bounded text usually is it.
    own = text if len(text) == count else _own_text(handle, count)
    if len(own) != count:
        return text  # characters without text (control codes): indices cannot be matched
    gaps = missing_gaps(handle, own, WORD_GAP)
    if not gaps:
        return text
    if own is text:
        return _insert_spaces(text, gaps)
    return _insert_spaces_aligned(text, own, gaps)


def missing_gaps(handle: Any, text: str, word_gap: float = WORD_GAP) -> list[int]:
    """Indices of the characters in `text`, PDFium's text of the page (one character an index),
    before which a reader sees a word gap that the text lacks."""
    found: list[int] = []
    count_pieces = pdfium_c.FPDFText_CountRects
    start = 0
    for line in text.split("\n"):
        length = len(line)
        # A line in one piece has the spaces its PDF wrote; only joins between pieces can
        # lack one.
        if (length > 2 and line.count(" ") < SHORT_LINE_SPACES
                and count_pieces(handle, start, length) > 1):
            for run in _LETTERS.finditer(text, start, start + length):
                _gaps_in_run(handle, text, run.span(), (start, start + length), word_gap, found)
        start += length + 1
    return found


# Out-parameters for PDFium, made once: this module is no more thread-safe than PDFium is.
_LEFT, _TOP, _RIGHT, _BOTTOM = (ctypes.c_double() for _ in range(4))
_BOX = pdfium_c.FS_RECTF()
_MATRIX = pdfium_c.FS_MATRIX()


def _gaps_in_run(handle: Any, text: str, run: tuple[int, int], line: tuple[int, int],
                 word_gap: float, found: list[int]) -> None:
    """Append the word gaps inside `run`, a run of letters and digits on `line`, to `found`."""
    start, end = run
    pieces = pdfium_c.FPDFText_CountRects(handle, start, end - start)
    if pieces < 2:
        return
    shapes = []  # the inked extent of each piece, as PDFium keeps them for GetRect
    for k in range(pieces):
        pdfium_c.FPDFText_GetRect(handle, k, _LEFT, _TOP, _RIGHT, _BOTTOM)
        shapes.append((_LEFT.value, _RIGHT.value, _BOTTOM.value, _TOP.value))
    joins = []  # (piece, gap between the shapes, height) of pieces side by side on the line
    for k in range(1, pieces):
        before, after = shapes[k - 1], shapes[k]
        gap = _gap(before, after)
        if gap is not None:
            joins.append((k, gap, max(before[3] - before[2], after[3] - after[2])))
    # A run drawn letter by letter: the typical join is its letter spacing.
    spacing = max(0.0, statistics.median(g for _, g, _ in joins)) if len(joins) > 2 else 0.0
    for k, gap, height in joins:
        if gap - spacing <= 0.5 * word_gap * height:
            continue  # a cheap first look: the shapes are about as close as letters are
        # A run drawn letter by letter has its k-th piece at its k-th letter.
        index = start + k if pieces == end - start else _piece_start(handle, start, end, k)
        if start < index < end and _is_word_gap(handle, text, line, index, word_gap):
            found.append(index)


def _piece_start(handle: Any, start: int, end: int, k: int) -> int:
    """The first character of the (k+1)-th piece of text[start:end], by bisection on the number
    of pieces its beginnings hold."""
    low, high = start + 1, end
    while low < high:
        middle = (low + high) // 2
        if pdfium_c.FPDFText_CountRects(handle, start, middle + 1 - start) > k:
            high = middle
        else:
            low = middle + 1
    return low


def _is_word_gap(handle: Any, text: str, line: tuple[int, int], index: int,
                 word_gap: float) -> bool:
    """Whether a reader sees a word gap between characters index-1 and index of `line`."""
    if (pdfium_c.FPDFText_GetUnicode(handle, index - 1) != ord(text[index - 1])
            or pdfium_c.FPDFText_GetUnicode(handle, index) != ord(text[index])):
        return False  # the text and PDFium's characters are out of step: leave it
    boxes: dict[int, Box] = {}
    gap = _letter_gap(handle, boxes, index)
    if gap is None or gap <= 0:
        return False
    size = max(_font_size(handle, index - 1), _font_size(handle, index))
    if size <= 0 or gap <= word_gap * size:
        return False
    spacing = _letter_spacing(handle, text, line, index, boxes)
    return spacing is not None and gap - max(0.0, spacing) > word_gap * size


def _letter_spacing(handle: Any, text: str, line: tuple[int, int], index: int,
                    boxes: dict[int, Box]) -> float | None:
    """The median gap between the other letters and digits of `line` next to each other,
    nearest `index` first; None if there are none to compare with (a tracked two-letter word
    alone on its line cannot be told from two letters)."""
    start, end = line
    gaps: list[float] = []
    for step in range(1, end - start):
        for other in (index - step, index + step):
            if (start < other < end and text[other - 1].isalnum() and text[other].isalnum()):
                gap = _letter_gap(handle, boxes, other)
                if gap is not None:
                    gaps.append(gap)
        if len(gaps) >= SPACING_SAMPLE or (index - step <= start and index + step >= end):
            break
    return statistics.median(gaps) if gaps else None


def _letter_gap(handle: Any, boxes: dict[int, Box], index: int) -> float | None:
    """The gap between the advance boxes of characters index-1 and index."""
    for i in (index - 1, index):
        if i not in boxes:
            pdfium_c.FPDFText_GetLooseCharBox(handle, i, _BOX)
            boxes[i] = (_BOX.left, _BOX.right, _BOX.bottom, _BOX.top)
    return _gap(boxes[index - 1], boxes[index])


def _gap(before: Box, after: Box) -> float | None:
    """The horizontal gap from one box to the next, or None unless they sit side by side, left
    to right, on one line."""
    height = min(before[3] - before[2], after[3] - after[2])
    if height <= 0 or after[0] < before[0]:
        return None
    if min(before[3], after[3]) - max(before[2], after[2]) < 0.5 * height:
        return None
    return after[0] - before[1]


def _font_size(handle: Any, index: int) -> float:
    """The font size of a character on the page, along the line; 0 for rotated or skewed text,
    whose gaps are not horizontal."""
    pdfium_c.FPDFText_GetMatrix(handle, index, _MATRIX)
    a, b, c, d = (float(v) for v in (_MATRIX.a, _MATRIX.b, _MATRIX.c, _MATRIX.d))
    if a <= 0 or d <= 0 or abs(b) > 1e-3 * a or abs(c) > 1e-3 * d:
        return 0.0
    return float(pdfium_c.FPDFText_GetFontSize(handle, index)) * a


def _bounded_text(textpage: Any, count: int) -> str:
    """`get_text_bounded()` over the whole page in one call instead of two: PDFium writes at
    most four UTF-16 units a character (a line break and a surrogate pair), so the buffer is
    sized without asking."""
    left, bottom, right, top = textpage.page.get_bbox()
    size = 4 * count + 1
    buffer = (ctypes.c_ushort * size)()
    written = pdfium_c.FPDFText_GetBoundedText(textpage.raw, left, top, right, bottom,
                                                buffer, size)
    if written >= size:  # beyond the bound above: ask PDFium the usual way
        return str(textpage.get_text_bounded())
    if written > 0 and buffer[written - 1] == 0:
        written -= 1  # the terminating NUL
    return _decode(buffer, written)


def _own_text(handle: Any, count: int) -> str:
    """PDFium's text of the whole page, one character an index."""
    size = 2 * count + 1
    buffer = (ctypes.c_ushort * size)()
    written = pdfium_c.FPDFText_GetText(handle, 0, count, buffer)
    return _decode(buffer, written - 1)  # less the terminating NUL


def _decode(buffer: Any, units: int) -> str:
    if units <= 0:
        return ""
    return ctypes.string_at(buffer, 2 * units).decode("utf-16-le", "ignore")


def _insert_spaces(text: str, gaps: list[int]) -> str:
    parts = []
    previous = 0
    for index in sorted(set(gaps)):
        parts.append(text[previous:index])
        previous = index
    parts.append(text[previous:])
    return " ".join(parts)


def _insert_spaces_aligned(text: str, own: str, gaps: list[int]) -> str:
    """Insert spaces into `text` before the characters of `own` at `gaps`, the two aligned on
    their letters and digits (the bounded text leaves out what lies off the page and breaks its
    lines itself); `text` as it is where they differ."""
    own_at = [i for i, ch in enumerate(own) if ch.isalnum()]
    text_at = [i for i, ch in enumerate(text) if ch.isalnum()]
    if len(own_at) != len(text_at) or any(
            own[i] != text[j] for i, j in zip(own_at, text_at, strict=True)):
        return text
    rank = {index: r for r, index in enumerate(own_at)}
    cuts = [text_at[rank[g]] for g in gaps
            if rank.get(g, 0) > 0 and text_at[rank[g] - 1] == text_at[rank[g]] - 1]
    return _insert_spaces(text, cuts) if cuts else text
