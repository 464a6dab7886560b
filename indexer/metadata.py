"""Guess a catalog entry's fields (title, date, organisation, authors, summary) from a report.

`splib add PATH|URL` pre-fills a new entry with what this module reads from the report's bytes,
for a person to check. A PDF is opened once with PDFium and only its first pages are read: the
title is the metadata title when it is plausible (not a file name, not "Microsoft Word - ..."),
otherwise the cover's largest type, found by grouping PDFium's characters into lines with their
printed size; the date is one printed on its own line on the cover or the first three pages,
else the file's creation date (none for a scan: that is when it was scanned); the organisation
comes from the metadata author or a cover line naming an agency; the summary is the first
paragraph under "Executive Summary", "Abstract" and the like. A web page gives its `citation_*`,
Open Graph and `<title>` metadata. A guess that finds nothing leaves the field empty rather than
guess wildly, and a file that cannot be read gives an empty `Guess`: guessing never raises
(callers run it in an isolated worker all the same, as PDFium can hang or crash on a hostile
file).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import itertools
import logging
import math
import re
import statistics
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .extract.normalize import normalize_text

log = logging.getLogger(__name__)

# Pages read for the cover's title, date and organisation lines ("the first 3 pages").
DATE_PAGES = 3
# Pages searched for a summary heading; reports put their executive summary after a cover,
# a contents page and a foreword or two.
SUMMARY_PAGES = 8
# A summary is cut at the last sentence end before this many characters.
SUMMARY_CHARS = 600
# A paragraph shorter than this under a summary heading is a sub-heading or a caption, not
# the summary ("Introduction" under "Executive Summary").
MIN_SUMMARY_CHARS = 120
# Lines whose size is within this ratio of the largest are "the largest type": a title set
# in one size measures a few per cent apart where fonts or small caps differ.
SAME_SIZE = 0.9
# Consecutive lines of one size belong to one block (a title in two lines, an organisation
# in three) when their baselines are at most this many sizes apart; a title's leading is
# 0.9 to 1.3 sizes, the gap to the next block usually more than two.
BLOCK_LEADING = 1.9
# Characters further apart than this many sizes on one baseline are separate lines (a
# contents column beside a title).
COLUMN_GAP = 2.5
# Characters measured per page: a cover or a summary page holds a few thousand; a page with
# more is a table or a hostile file, and its first characters say what there is to say.
MAX_PAGE_CHARS = 20_000
# A title is short: the longest in the seed listing has 13 words, in the shared corpora's
# reports 11; a block of the cover's largest type more than twice that is body text.
LONGEST_TITLE = 30  # words
# An organisation line is short: a name, not a sentence that mentions an office.
MAX_ORG_WORDS = 14
# A date on a line of its own, give or take a few words ("Published 2016",
# "Washington, DC, September 2013"); a bare year needs fewer, as data years sit in headings.
MAX_DATE_LINE_WORDS = 4
MAX_YEAR_LINE_WORDS = 2


@dataclass(frozen=True)
class Guess:
    """What a report's bytes suggest for its catalog entry; empty strings where nothing did."""

    title: str = ""
    date: str = ""  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    organization: str = ""
    authors: tuple[str, ...] = ()
    summary: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "date": self.date,
            "organization": self.organization,
            "authors": list(self.authors),
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Guess:
        """Read back `to_json`'s dict (from a worker's output); ValueError on a wrong shape."""
        if not isinstance(data, dict):
            raise ValueError(f"a guess is a JSON object, not {type(data).__name__}")
        fields: dict[str, str] = {}
        for name in ("title", "date", "organization", "summary"):
            value = data.get(name, "")
            if not isinstance(value, str):
                raise ValueError(f"a guess's {name} is text, not {type(value).__name__}")
            fields[name] = value
        authors = data.get("authors", [])
        if not isinstance(authors, list | tuple) or not all(isinstance(a, str) for a in authors):
            raise ValueError("a guess's authors are a list of text")
        return cls(authors=tuple(authors), **fields)


# ---------------------------------------------------------------------------------------------
# Entry points


def guess(data: bytes, url: str = "", password: str = "") -> Guess:
    """Guess the entry for a report's bytes, whatever their type; an empty Guess when unreadable.

    `url` (where the bytes came from) names the report when nothing inside it does."""
    try:
        from .extract import HTML, PDF, gunzip, sniff

        if data[:2] == b"\x1f\x8b":
            data = gunzip(data)
        kind = sniff(data)
        if kind == PDF:
            found = guess_pdf(data, password)
        elif kind == HTML:
            found = guess_html(data, url)
        else:
            found = Guess()
        if not found.title and url and kind == PDF:
            found = _replace(found, title=_title_from_url(url))
        return found
    except Exception as exc:  # an unreadable file is an empty guess, never an error
        log.debug("no guess: %s", exc)
        return Guess()


def guess_pdf(data: bytes, password: str = "") -> Guess:
    """Guess the entry for a PDF from its metadata and first pages; empty when unreadable."""
    try:
        return _guess_pdf(data, password)
    except Exception as exc:  # a damaged or locked PDF is an empty guess
        log.debug("no guess for the PDF: %s", exc)
        return Guess()


def guess_html(data: bytes, url: str = "") -> Guess:
    """Guess the entry for a web page from its metadata; empty when unreadable."""
    try:
        return _guess_html(data, url)
    except Exception as exc:  # markup lxml refuses is an empty guess
        log.debug("no guess for the page: %s", exc)
        return Guess()


def _replace(found: Guess, **changes: Any) -> Guess:
    from dataclasses import replace

    return replace(found, **changes)


# ---------------------------------------------------------------------------------------------
# PDF: characters into lines


@dataclass(frozen=True)
class _Line:
    """A run of characters on one baseline in one size, as printed on a page."""

    text: str
    size: float
    page: int  # 0-based
    x0: float
    x1: float
    y: float  # the baseline; PDF coordinates grow upwards


class _PdfReader:
    """The one open PDFium document, read lazily page by page; each page is loaded once."""

    def __init__(self, data: bytes, password: str) -> None:
        import pypdfium2 as pdfium

        self.document = pdfium.PdfDocument(data, password=password or None)
        self.count = len(self.document)
        self._open: dict[int, tuple[Any, Any]] = {}  # index -> (page, text page)
        self._lines: dict[int, list[_Line]] = {}
        self._texts: dict[int, str] = {}

    def close(self) -> None:
        for page, textpage in self._open.values():
            textpage.close()
            page.close()
        self.document.close()

    def metadata(self) -> dict[str, str]:
        try:
            return {k: str(v) for k, v in self.document.get_metadata_dict().items()}
        except Exception as exc:  # a broken info dictionary costs only the metadata
            log.debug("metadata unreadable: %s", exc)
            return {}

    def _textpage(self, index: int) -> Any:
        if index not in self._open:
            page = self.document[index]
            self._open[index] = (page, page.get_textpage())
        return self._open[index][1]

    def text(self, index: int) -> str:
        """The page's plain text: cheap, for deciding whether its lines are worth measuring."""
        if index not in self._texts:
            self._texts[index] = self._textpage(index).get_text_bounded()
        return self._texts[index]

    def lines(self, index: int) -> list[_Line]:
        if index not in self._lines:
            self._lines[index] = list(_page_lines(self._textpage(index).raw, index))
        return self._lines[index]


def _page_lines(textpage: Any, index: int) -> Iterator[_Line]:
    """Group a page's characters, in PDFium's reading order, into lines with their size.

    PDFium's own font size is the `Tf` operand, often 1 with the size in the text matrix
    (InDesign, Word's PDF maker), so the size here is that operand times the matrix's vertical
    scale: the height the reader sees."""
    import pypdfium2.raw as pdfium_c

    count = min(pdfium_c.FPDFText_CountChars(textpage), MAX_PAGE_CHARS)
    matrix = pdfium_c.FS_MATRIX()
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    chars: list[str] = []
    sizes: list[float] = []
    x0 = x1 = y = 0.0

    def flush() -> _Line | None:
        text = "".join(chars)
        if not text.strip() or not sizes:
            return None
        return _Line(text=text, size=statistics.median(sizes), page=index, x0=x0, x1=x1, y=y)

    for i in range(count):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        char = chr(code) if 0 < code < 0x110000 else ""
        if char == "\n":
            line = flush()
            if line:
                yield line
            chars, sizes = [], []
            continue
        if char in ("\r", ""):
            continue
        if char.isspace():
            if chars:
                chars.append(" ")
            continue
        size = pdfium_c.FPDFText_GetFontSize(textpage, i)
        if pdfium_c.FPDFText_GetMatrix(textpage, i, matrix):
            if abs(matrix.b) > 0.1 * abs(matrix.a) + 1e-9:
                continue  # rotated text: a spine or a side label, not a line of the cover
            size *= math.hypot(matrix.c, matrix.d)
        pdfium_c.FPDFText_GetCharOrigin(textpage, i, ox, oy)
        pdfium_c.FPDFText_GetCharBox(textpage, i, left, right, bottom, top)
        if chars and sizes:
            current = max(sizes[-1], size, 1.0)
            if (abs(oy.value - y) > 0.6 * current or left.value - x1 > COLUMN_GAP * current
                    or left.value < x0 - current):
                line = flush()
                if line:
                    yield line
                chars, sizes = [], []
        if not chars or not sizes:
            x0, y = left.value, oy.value
        chars.append(char)
        if char.isalnum() or not sizes:
            sizes.append(size)  # punctuation only where the line has nothing else
        x1 = max(x1, right.value) if len(chars) > 1 else right.value
    line = flush()
    if line:
        yield line


def _clean(text: str) -> str:
    """Lines joined as one phrase: hyphenation mended, spaces collapsed, case as printed."""
    text = normalize_text(text).replace("\n", " ")
    return " ".join(text.split()).strip(" :;,|-–—")  # noqa: RUF001 (dashes on purpose)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Lines grouped into blocks: consecutive lines (top to bottom) of one size, close together.

    Lines of a page are taken in order of their baselines, each size apart, so that a title
    beside a contents column still reads as one block."""
    by_size: list[list[_Line]] = []
    for line in sorted(lines, key=lambda ln: (-ln.y, ln.x0)):
        for block in by_size:
            last = block[-1]
            if (_same_size(last.size, line.size) and 0 < last.y - line.y <= BLOCK_LEADING
                    * max(last.size, line.size) and _overlaps(block, line)):
                block.append(line)
                break
        else:
            by_size.append([line])
    return by_size


def _same_size(a: float, b: float) -> bool:
    return min(a, b) >= SAME_SIZE * max(a, b)


def _overlaps(block: list[_Line], line: _Line) -> bool:
    """Whether `line` sits under `block` rather than in another column."""
    left = min(ln.x0 for ln in block)
    right = max(ln.x1 for ln in block)
    return line.x0 <= right and line.x1 >= left


def _block_text(block: list[_Line]) -> str:
    return _clean("\n".join(ln.text for ln in block))


# ---------------------------------------------------------------------------------------------
# PDF: the guess


def _guess_pdf(data: bytes, password: str) -> Guess:
    reader = _PdfReader(data, password)
    try:
        meta = reader.metadata()
        cover = _cover_page(reader)
        cover_lines = reader.lines(cover) if cover is not None else []
        title_block = _cover_title(cover_lines)
        title = _plausible_title(meta.get("Title", "")) or (
            _titled(_block_text(title_block)) if title_block else "")
        organization, authors = _author_field(meta.get("Author", ""))
        if not organization and cover_lines:
            organization = _cover_organization(cover_lines, title_block)
        if not authors and cover_lines:
            authors = _cover_authors(cover_lines)
        # A PDF with no text on its first pages is a scan: its file was made the day the
        # paper went through the scanner, which says nothing of when the report was written.
        date = _printed_date(reader, cover, title_block) or (
            _pdf_date(meta.get("CreationDate", "")) if cover is not None else "")
        summary = _pdf_summary(reader)
        return Guess(title=title, date=date, organization=organization, authors=authors,
                     summary=summary)
    finally:
        reader.close()


def _cover_page(reader: _PdfReader) -> int | None:
    """Page 1, or page 2 when page 1 has no text (a cover that is one picture)."""
    for index in range(min(2, reader.count)):
        if _letters(reader.text(index)) >= 3:
            return index
    return None


def _cover_title(lines: list[_Line]) -> list[_Line]:
    """The top block of the cover's largest type (lines with a word or two in them)."""
    remaining = [ln for ln in lines if _letters(ln.text) >= 2]
    while remaining:
        largest = max(ln.size for ln in remaining)
        group = [ln for ln in remaining if _same_size(ln.size, largest)]
        blocks = [b for b in _blocks(group) if _letters(_block_text(b)) >= 4
                  and not _SECTION.match(_block_text(b))]
        if blocks:
            return max(blocks, key=lambda b: b[0].y)
        remaining = [ln for ln in remaining if not _same_size(ln.size, largest)]
    return []


# Headings set larger than anything else on a page that has no cover: not a report's title.
_SECTION = re.compile(r"^(?:(?:table of )?contents|foreword|preface|acknowledge?ments|abstract|"
                      r"executive summary|introduction|summary)$", re.IGNORECASE)
_FILE_NAME = re.compile(
    r"\.(docx?|pdf|indd|pptx?|xlsx?|rtf|txt|odt|pages|qxd|qxp|e?ps|tex|dvi|wpd|pub|html?)$",
    re.IGNORECASE)
_TOOL_PREFIX = re.compile(r"^(microsoft\s+)?(word|powerpoint|excel)\s+-\s+", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"^(untitled|title|no title|document|doc|new document|layout|page|slide|book|presentation|"
    r"report|draft|pdf|unknown|none)[\s_-]*\d*$", re.IGNORECASE)


def _titled(text: str) -> str:
    """`text` if it is no longer than a title, else "": a page of body text in one size has
    no larger type, and all of it would be taken for the title."""
    return text if len(text.split()) <= LONGEST_TITLE else ""


def _plausible_title(title: str) -> str:
    """The metadata title when it reads like a title, else ""."""
    title = _titled(_clean(title))
    if _letters(title) < 3 or _TOOL_PREFIX.match(title) or _FILE_NAME.search(title):
        return ""
    if _PLACEHOLDER.match(title) or "\\" in title or title.startswith("/"):
        return ""
    if " " not in title and re.search(r"[_.]|\w-\w.*-", title):
        return ""  # a file name: "2017_April_AZ", "final-report-v2"
    if re.search(r"\bv(er)?\.?\s?\d+\b", title, re.IGNORECASE) and re.search(
            r"\bdraft\b", title, re.IGNORECASE):
        return ""  # "Draft report v5"
    return title


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that make a line, or a metadata author, an organisation's name.
_ORG_WORDS = _word_set("""
    department dept office agency institute institution university college school center
    centre coalition council network foundation project polaris alliance association society
    commission committee bureau administration ministry organization organisation federation
    corporation inc llc ltd trust authority academy consortium campaign league nations
""")
_SMALL_WORDS = _word_set("a an and at by de del for in la of on or the to with")
_ACCOUNT_NAMES = _word_set("""
    administrator admin user owner author unknown guest default test staff windows
    customer preferred valued authorised authorized microsoft office hp dell lenovo
    acrobat adobe pc home local
""")
_DEGREES = _word_set("phd ph.d ph.d. md jd ma ms msw lcsw mph mba jr jr. sr sr. ii iii esq")


def _has_org_word(text: str, capitalised: bool = False) -> bool:
    for word in re.findall(r"[A-Za-z][A-Za-z.]*", text):
        bare = word.rstrip(".").lower()
        if bare in _ORG_WORDS and (not capitalised or word[0].isupper()):
            return True
    return False


def _author_field(author: str) -> tuple[str, tuple[str, ...]]:
    """(organisation, authors) from a metadata author or citation_author; empty for a user
    name ("jsmith", "Administrator")."""
    author = _clean(author)
    if _letters(author) < 2:
        return "", ()
    if all(w.lower() in _ACCOUNT_NAMES for w in re.findall(r"\w+", author)):
        return "", ()  # "Microsoft Office User", "Administrator"
    if _has_org_word(author):
        return author, ()
    names = _person_names(author)
    return ("", names) if names else ("", ())


def _person_names(text: str) -> tuple[str, ...]:
    """`text` split into person names when it reads as a list of them, else ()."""
    parts = [p.strip() for p in re.split(r";|\band\b|&|\|", text) if p.strip()]
    names: list[str] = []
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        pieces = [p for p in pieces if p.lower().replace(" ", "") not in _DEGREES]
        if len(pieces) > 1 and all(len(p.split()) >= 2 for p in pieces):
            names.extend(pieces)  # "Jane Doe, John Smith"
        elif len(pieces) == 2 and all(len(p.split()) <= 2 for p in pieces):
            names.append(f"{pieces[1]} {pieces[0]}")  # "Doe, Jane"
        elif len(pieces) == 1:
            names.append(pieces[0])
        else:
            return ()
    if not names or not all(_person_name(n) for n in names):
        return ()
    return tuple(names)


_NAME_WORD = re.compile(r"^(?:[A-Z][a-zA-Z'\u2019.-]*|[A-Z]\.|(?:de|van|von|da|del|la|le|bin|al))$")


def _person_name(name: str) -> bool:
    words = [w for w in name.split() if w.lower().rstrip(".") not in ("dr", "prof", "cmdr")]
    if not 2 <= len(words) <= 5:
        return False
    if any(w.lower().strip(".") in _ACCOUNT_NAMES for w in words):
        return False
    return all(_NAME_WORD.match(w) for w in words) and sum(_letters(w) >= 2 for w in words) >= 2


_FUNDER = re.compile(r"^(prepared|submitted|written|produced)\s+(for|to)\b|^(funded|supported|"
                     r"sponsored)\s+by\b|^(in partnership|in collaboration)\b", re.IGNORECASE)
_BY = re.compile(r"^(prepared|published|produced|written|submitted)?\s*by\b\s*:?\s*",
                 re.IGNORECASE)


def _cover_organization(lines: list[_Line], title_block: list[_Line]) -> str:
    """The topmost short cover block naming an organisation, in Title Case or capitals."""
    in_title = {id(ln) for ln in title_block}
    candidates = [b for b in _blocks(lines) if not any(id(ln) in in_title for ln in b)]
    for block in sorted(candidates, key=lambda b: -b[0].y):
        # The block as a whole, then its lines alone: an organisation printed just above
        # its date ("Office for Victims of Crime" / "January 2023") is one block.
        for text in [_block_text(block)] + ([_clean(ln.text) for ln in block]
                                            if len(block) > 1 else []):
            if _organization_line(text):
                return _BY.sub("", text)
    return ""


def _organization_line(text: str) -> bool:
    """Whether a cover line (or block) reads as an organisation's name."""
    if _FUNDER.match(text):
        return False
    text = _BY.sub("", text)
    words = text.split()
    if not 1 <= len(words) <= MAX_ORG_WORDS or (re.search(r"[.!?]$", text) and not re.search(
            r"\b(Inc|Ltd|Co|U\.S)\.$", text)):
        return False
    if not text[0].isalnum() or words[-1].lower() in _SMALL_WORDS:
        return False  # a bullet's line ("• Mail: ..."), or a name cut short ("Department of")
    if sum(ch.isdigit() for ch in text) > 2 or not _has_org_word(text, capitalised=True):
        return False
    capitalised = [w for w in words if w.lower() not in _SMALL_WORDS]
    return bool(capitalised) and sum(w[0].isupper() or not w[0].isalpha()
                                     for w in capitalised) >= 0.8 * len(capitalised)


def _cover_authors(lines: list[_Line]) -> tuple[str, ...]:
    """Names on a cover line that starts with "By" ("By Jane Doe and John Smith")."""
    for line in lines:
        text = _clean(line.text)
        match = re.match(r"^by\s*:?\s+(.+)$", text, re.IGNORECASE)
        if match:
            names = _person_names(match.group(1))
            if names:
                return names
    return ()


# ---------------------------------------------------------------------------------------------
# Dates

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_DATE_PATTERNS = [re.compile(p, re.IGNORECASE) for p in (
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\d)",            # September 6, 2013
    rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}(?!\d)",            # 6 September 2013
    r"(?<![\d/.-])(?P<year>(?:19|20)\d\d)[-/.](?P<month>[01]?\d)[-/.](?P<day>[0-3]?\d)(?![\d])",
    r"(?<![\d/.-])(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/(?P<year>(?:19|20)\d\d)(?![\d/])",
    rf"\b{_MONTH},?\s+{_YEAR}(?!\d)",                     # January 2023
    r"(?<![\d/.,$-])(?P<year>(?:19|20)\d\d)(?![\d%])(?!\s*[-/.]\s*\d)",   # 2017
)]
_RANGE = re.compile(r"^\s*(?:-|–|—|to|through|thru|until)\s*$", re.IGNORECASE)  # noqa: RUF001
_COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Date:
    value: str  # normalised
    start: int
    end: int

    @property
    def parts(self) -> int:
        return self.value.count("-") + 1


def _dates_in(text: str) -> list[_Date]:
    """The dates printed in `text`, most specific reading first, ranges ("2020-2022",
    "January 2020 through August 2022") left out."""
    found: list[_Date] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < e and match.end() > s for s, e in taken):
                continue
            value = _normalised_date(match.groupdict())
            if value:
                found.append(_Date(value, match.start(), match.end()))
            taken.append((match.start(), match.end()))
    found.sort(key=lambda d: d.start)
    ranged: set[int] = set()
    for a, b in itertools.pairwise(found):
        if _RANGE.match(text[a.end:b.start]):
            ranged.update((id(a), id(b)))
    for d in found:  # "2020-2022": the second year is no date on its own pattern either
        if re.match(r"\s*[-–—]\s*\d", text[d.end:]) or re.search(  # noqa: RUF001
                r"\d\s*[-–—]\s*$", text[:d.start]):  # noqa: RUF001
            ranged.add(id(d))
    return [d for d in found if id(d) not in ranged]


def _normalised_date(parts: dict[str, str | None]) -> str:
    year = int(parts.get("year") or 0)
    if not 1950 <= year <= dt.date.today().year + 1:
        return ""
    month_text = (parts.get("month") or "").lower()
    month = _MONTHS.get(month_text) if month_text.isalpha() else (
        int(month_text) if month_text else None)
    if not month:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return ""
    day_text = parts.get("day")
    day = int(day_text) if day_text else None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        dt.date(year, month, day)
    except ValueError:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _line_date(text: str) -> tuple[str, bool] | None:
    """(date, from a copyright line) when `text` is a date line, else None."""
    text = re.sub(r"(?<=\b(?:19|20)\d) (?=\d\b)|(?<=\b(?:19|20)) (?=\d\d\b)", "", text)  # "201 7"
    dates = _dates_in(text)
    if not dates:
        return None
    best = max(dates, key=lambda d: d.parts)
    if _COPYRIGHT.search(text):
        return best.value, True
    rest = text
    for d in sorted(dates, key=lambda d: -d.start):
        rest = rest[:d.start] + " " + rest[d.end:]
    words = [w for w in rest.split() if _letters(w) >= 2]
    limit = MAX_YEAR_LINE_WORDS if best.parts == 1 else MAX_DATE_LINE_WORDS
    if len(words) > limit:
        return None
    return best.value, False


def _printed_date(reader: _PdfReader, cover: int | None, title_block: list[_Line]) -> str:
    """The most complete date printed on a line of its own, on the cover first, then on the
    first three pages; a copyright year only when no other date is printed there."""
    if cover is None:
        return ""
    in_title = {id(ln) for ln in title_block}
    plain: list[tuple[int, str]] = []  # (page rank, date)
    copyright_dates: list[str] = []
    for index in range(min(DATE_PAGES, reader.count)):
        if index == cover:
            texts = [ln.text for ln in reader.lines(index) if id(ln) not in in_title]
        else:  # PDFium's own lines do here: sizes matter only for the cover's title
            texts = reader.text(index).splitlines()
        for text in texts:
            found = _line_date(_clean(text))
            if not found:
                continue
            if found[1]:
                copyright_dates.append(found[0])
            else:
                plain.append((0 if index == cover else 1, found[0]))
    if plain:
        rank = min(r for r, _ in plain)
        first = [d for r, d in plain if r == rank]
        best = max(first, key=lambda d: d.count("-"))  # the most complete; the first on ties
        # A later page may print the same date more fully ("2017" on the cover, "April 2017"
        # inside): take it when it agrees with the cover's.
        fuller = [d for _, d in plain if d.startswith(best) and d.count("-") > best.count("-")]
        return max(fuller, key=lambda d: d.count("-")) if fuller else best
    return copyright_dates[0] if copyright_dates else ""


def _pdf_date(value: str) -> str:
    """A PDF date ("D:20170410112047-07'00'") as YYYY-MM-DD (or as much of it as is there)."""
    match = re.match(r"^\s*(?:D:)?(\d{4})(\d{2})?(\d{2})?", value)
    if not match:
        return ""
    year, month, day = match.groups()
    return _normalised_date({"year": year, "month": month, "day": day})


# ---------------------------------------------------------------------------------------------
# Summary

_SUMMARY_HEADINGS = ("abstract", "executive summary", "key findings", "summary", "introduction")
_NUMBERING = re.compile(r"^(?:(?:chapter|section|part)\s+)?(?:\d+(?:\.\d+)*|[ivx]+)[.):]?\s+",
                        re.IGNORECASE)
_HEADING_HINT = re.compile(r"(?im)^\W*(?:[\dIVX.]+\s*)?(?:" + "|".join(_SUMMARY_HEADINGS)
                           + r")\W*$")
_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019)\]]?(?=\s|$)")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\bU\.S|\bDr|\bMr|\bMs|\bMrs|\bSt|\bNo|\be\.g|\bi\.e|"
                           r"\betc|\bvs|\bal|\bInc|\bJr)\.$")


def _heading(text: str) -> bool:
    bare = _NUMBERING.sub("", _clean(text)).strip(" .:").lower()
    return " ".join(bare.split()) in _SUMMARY_HEADINGS


def _pdf_summary(reader: _PdfReader) -> str:
    pages = min(SUMMARY_PAGES, reader.count)
    for index in range(pages):
        if not _HEADING_HINT.search(normalize_text(reader.text(index))):
            continue
        lines = reader.lines(index)
        for position, line in enumerate(lines):
            if not _heading(line.text):
                continue
            # The next page is measured only when the summary is not on this one.
            following = itertools.chain(lines[position + 1:], (
                ln for later in range(index + 1, min(index + 2, pages))
                for ln in reader.lines(later)))
            for paragraph in _paragraphs(following):
                if _prose(paragraph):
                    return _cut(paragraph)
    return ""


def _prose(paragraph: str) -> bool:
    """Whether `paragraph` is running text: long enough, with a sentence end, and no contents
    page's dot leaders or columns of numbers."""
    if len(paragraph) < MIN_SUMMARY_CHARS or not _SENTENCE_END.search(paragraph):
        return False
    if re.search(r"(?:\. ?){4,}", paragraph):
        return False
    visible = [ch for ch in paragraph if not ch.isspace()]
    return _letters(paragraph) >= 0.7 * len(visible)


def _paragraphs(lines: Iterable[_Line]) -> Iterator[str]:
    """The paragraphs of running text in `lines`, in order; ends at the next summary heading."""
    current: list[_Line] = []

    def text() -> str:
        return _clean("\n".join(ln.text for ln in current))

    for line in lines:
        if _heading(line.text):
            break
        if current:
            last = current[-1]
            gap = last.y - line.y
            size = max(last.size, line.size)
            ended = bool(re.search(r"[.!?:][\"\u201d\u2019)]?\s*$", last.text))
            if (line.page != last.page or not _same_size(last.size, line.size)
                    or gap <= 0 or gap > 1.6 * size
                    or (ended and line.x0 > min(ln.x0 for ln in current) + size)):
                yield text()
                current = []
        current.append(line)
    if current:
        yield text()


def _cut(paragraph: str) -> str:
    """`paragraph` up to SUMMARY_CHARS, ending at a sentence end."""
    if len(paragraph) <= SUMMARY_CHARS:
        return paragraph
    ends = [m.end() for m in _SENTENCE_END.finditer(paragraph)
            if not _ABBREVIATION.search(paragraph[:m.end()])]
    fitting = [e for e in ends if e <= SUMMARY_CHARS]
    if fitting:
        return paragraph[:fitting[-1]].strip()
    cut = paragraph[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


# ---------------------------------------------------------------------------------------------
# HTML


def _guess_html(data: bytes, url: str) -> Guess:
    import lxml.html  # type: ignore[import-untyped]  # lxml ships no type hints

    from .extract import gunzip
    from .extract.html import decode_html

    if data[:2] == b"\x1f\x8b":
        data = gunzip(data)
    markup, _ = decode_html(data)
    # lxml refuses text that still declares its encoding; the bytes are decoded already.
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup)
    if not markup.strip():
        return Guess()
    # lxml rather than BeautifulSoup: only the head and the first heading are wanted, and
    # BeautifulSoup takes seconds over a page nested 100,000 tags deep.
    root = lxml.html.document_fromstring(markup)
    meta: dict[str, list[str]] = {}
    for tag in root.iter("meta"):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop")
        content = tag.get("content")
        if key and content and content.strip():
            meta.setdefault(key.strip().lower(), []).append(_clean(content))

    def first(*keys: str) -> str:
        for key in keys:
            for value in meta.get(key, ()):
                if value:
                    return value
        return ""

    def text_of(tag: str) -> str:
        found = next(root.iter(tag), None)
        return _clean(found.text_content()) if found is not None else ""

    site = first("og:site_name", "application-name")
    if re.match(r"^https?://", site):  # an address for a name: its host will do
        site = urlsplit(site).hostname or ""
        site = site.removeprefix("www.")
    title = first("citation_title", "dc.title")
    if not title:
        candidates = [first("og:title", "twitter:title"), text_of("h1"), text_of("title")]
        title = next((_without_site(c, site) for c in candidates if _letters(c) >= 2), "")
    if not title and url:
        title = _title_from_url(url)

    date = ""
    for key in ("citation_publication_date", "citation_date", "citation_online_date",
                "article:published_time", "dc.date", "dc.date.issued", "dcterms.date",
                "date", "pubdate", "publish-date", "datepublished"):
        date = _meta_date(first(key))
        if date:
            break
    if not date:
        time = next(root.iter("time"), None)
        date = _meta_date(time.get("datetime") or "" if time is not None else "")

    organization = ""
    authors: list[str] = []
    for value in meta.get("citation_author", []) + meta.get("dc.creator", []):
        org, names = _author_field(value)
        if org and not organization:
            organization = org
        authors.extend(n for n in names if n not in authors)
    if not authors and not organization:
        org, names = _author_field(first("author", "article:author"))
        organization, authors = org, list(names)
    organization = organization or first(
        "citation_publisher", "dc.publisher", "citation_journal_title") or site
    summary = _cut(first("description", "og:description", "twitter:description",
                         "citation_abstract", "dc.description"))
    return Guess(title=title, date=date, organization=organization, authors=tuple(authors),
                 summary=summary)


_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|»)\s+")  # noqa: RUF001


def _without_site(title: str, site: str) -> str:
    """A page title without the site's name ("Report name | Site" -> "Report name")."""
    parts = [p for p in _SEPARATOR.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if site:
        kept = [p for p in parts if p.strip().lower() != site.strip().lower()]
        if kept and len(kept) < len(parts):
            parts = kept
            if len(parts) == 1:
                return parts[0].strip()
    if " | " in title or any(s in title for s in (" :: ", " · ", " » ")):
        return max(parts, key=len).strip()
    # A dash may belong to the title ("Safe Harbor - A Guide"): only a short last part that
    # names a site goes.
    last = parts[-1].strip()
    if len(last.split()) <= 4 and (re.search(r"\.\w{2,4}$", last) or all(
            w[0].isupper() for w in last.split() if w.lower() not in _SMALL_WORDS)):
        return " - ".join(p.strip() for p in parts[:-1])
    return title


def _meta_date(value: str) -> str:
    if not value:
        return ""
    dates = _dates_in(value)
    return max(dates, key=lambda d: d.parts).value if dates else ""


def _title_from_url(url: str) -> str:
    """A title from the last part of an address: "Hotline-Trends-2023.pdf" -> "Hotline Trends
    2023"."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = re.sub(r"\.[A-Za-z0-9]{2,5}$", "", name)
    name = " ".join(re.split(r"[-_+\s]+", name)).strip()
    return name if _letters(name) >= 3 else ""


# ---------------------------------------------------------------------------------------------
# Identifiers

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # the catalog's rule for an entry's id
_STOP = _word_set("""
    a an and are as at by for from in into is its of on or the to with during about how what
    why when where who this that these those our your their
""")
MAX_TITLE_WORDS = 3


def slug(guess: Guess, taken: Collection[str] = ()) -> str:
    """A readable id for the entry: an organisation word, title words but numbers, and the
    year ("iacp-combating-child-sex-2016"), with -2, -3... when `taken` holds it already."""
    parts = [_org_word(guess.organization)]
    # Numbers are left to the year: a file name's date ("Scan_2023-04-01") beside the year
    # of another date made ids like "scan-2023-04-2026".
    parts += [w for w in _ascii_words(guess.title)
              if w not in _STOP and not w.isdigit()][:MAX_TITLE_WORDS]
    if guess.date[:4].isdigit():
        parts.append(guess.date[:4])
    base = "-".join(p for p in parts if p)[:60].strip("-") or "report"
    if not _ID_RE.match(base):
        base = "report-" + base
    taken_set = set(taken)
    candidate, number = base, 2
    while candidate in taken_set:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)|['\u2019]", "", folded)  # "U.S." -> "us"
    return re.findall(r"[a-z0-9]+", folded)


def _org_word(organization: str) -> str:
    """One word for an organisation: its acronym where it shows or is short enough to make,
    else its first distinctive word."""
    if not organization:
        return ""
    explicit = re.search(r"\(([A-Z][A-Za-z&]{1,9})\)", organization)
    if explicit:
        return _ascii_words(explicit.group(1))[0] if _ascii_words(explicit.group(1)) else ""
    segment = re.split(r"\s[-–—:|]\s|,|\(", organization)[0]  # noqa: RUF001
    words = segment.split()
    capitals = [w for w in words if re.fullmatch(r"[A-Z]{2,8}", w)]
    if capitals and len(capitals) < len(words):
        return capitals[0].lower()
    significant = [w for w in _ascii_words(segment) if w not in _STOP and w != "u" and w != "s"]
    if 3 <= len(significant) <= 5:
        return "".join(w[0] for w in significant)
    return significant[0] if significant else ""
