"""Turn a library's listing page into draft catalog entries.

A coalition's library is published as a listing: per report an organisation, a title (a link on
the web page, sometimes followed by ", prepared for ..."), an optional "Authors — date" line or
a date alone, and a summary, often "Discusses: (1) ...; (2) ..." or a quotation, sometimes ending
"Additional Relevant Link:" before a further link. `parse_listing` reads such a page, as HTML or
as the plain text copied from it, into `Draft`s: what the page says, normalised (dates as
YYYY[-MM[-DD]], numbered lists as topics, addresses made absolute) and nothing invented (no ids,
no addresses the page lacks). Both readers cut the page into units (a text block, or a line of
HTML) and type each one: heading, title link, date or authors line, prose, bare link. One
assembler turns the typed units into entries. A draft needs a title and at least one of: a
summary, an organisation, a further link, or a title link to a document (a PDF, say); so menus,
footers and a page's own heading fall away.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date as _calendar_date
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin, urlsplit

from .catalog import url_problem

if TYPE_CHECKING:
    from bs4.element import Tag

__all__ = [
    "Draft",
    "normalize_date",
    "parse_listing",
    "parse_listing_html",
    "parse_listing_text",
]


# Typographic characters, written as escapes so that they cannot be mistaken for "-" or "'".
_DASHES = "\u2014\u2013"  # em and en dash
_OPENING_QUOTES = "\u201c\"\u2018\u00ab"
_CLOSING_QUOTES = "\u201d\"\u2019\u00bb"
_TRIM = f" ,;:|{_DASHES}-"  # what separates the fields written on one line


@dataclass(frozen=True)
class Draft:
    """One entry as found on a listing page; empty strings and tuples where the page is silent."""

    title: str
    organization: str = ""
    prepared_for: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    summary: str = ""
    topics: tuple[str, ...] = ()  # the summary's numbered list "(1) ...; (2) ..."
    url: str = ""  # the title's link (HTML only)
    links: tuple[str, ...] = ()  # further links, e.g. after "Additional Relevant Link:"


def parse_listing(data: bytes | str, base_url: str = "") -> list[Draft]:
    """Draft entries from a listing page, HTML or plain text (told apart by its markup).

    Bytes are decoded by BOM, declared charset, UTF-8, then detection. Relative links resolve
    against `base_url` (and the page's own <base href>).
    """
    if isinstance(data, bytes):
        from .extract.html import decode_html

        text, _ = decode_html(data)
    else:
        text = data
    if _looks_like_html(text):
        return parse_listing_html(text, base_url)
    return parse_listing_text(text)


def parse_listing_text(text: str) -> list[Draft]:
    """Draft entries from the plain text of a listing: fields in blocks between blank lines."""
    return _assemble([_text_unit(block) for block in _blocks(text)], by_position=True)


def parse_listing_html(html: str, base_url: str = "") -> list[Draft]:
    """Draft entries from a listing's HTML; navigation, menus and footers are left out."""
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 warns about markup that looks like a file name
        soup = BeautifulSoup(html, "lxml")
    base = base_url
    base_tag = soup.find("base", href=True)
    if base_tag is not None:
        base = urljoin(base_url, str(base_tag.get("href", "")).strip())
    walker = _Walker(base)
    walker.walk(soup.body or soup, _Context())
    walker.flush()
    units = [u for u in (_html_unit(line) for line in walker.lines) if u is not None]
    titled = any(u.kind == "title" for u in units)
    if titled:
        # A short plain line is an organisation only when a title follows it (the listing's
        # order); before prose or at the end it is a summary without a full stop.
        for unit, after in zip(units, [*units[1:], None], strict=True):
            if unit.kind == "head" and unit.level == _PLAIN and (
                    after is None or after.kind not in ("title", "head")):
                unit.kind = "prose"
    return _assemble(units, by_position=not titled)


# --- Dates ----------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_SEASON = "spring|summer|fall|autumn|winter"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}(?:-\d{{1,2}})?"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{4}}"
    rf"|(?:{_MONTH})\.?\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}"
    rf"|\d{{1,2}}{_ORDINAL}\s+(?:{_MONTH})\.?,?\s+\d{{4}}"
    rf"|(?:(?:{_MONTH})\.?|{_SEASON}),?\s+\d{{4}}"
    rf"|\d{{4}})"
)
_DATE_LINE = re.compile(
    rf"(?:(?:date|dated|published|released|issued|updated|posted)\s*:?\s*(?:on\s+|in\s+)?)?"
    rf"[(\[]?({_DATE})[)\]]?\.?",
    re.IGNORECASE,
)
# Years a report in a listing can carry; a four-digit number outside them is not a date.
_YEARS = range(1800, 2101)


def normalize_date(text: str) -> str:
    """`text` as "YYYY", "YYYY-MM" or "YYYY-MM-DD", or "" when it is not one date.

    Reads "August 2008", "Aug. 2008", "September 6, 2013", "6 September 2013", "2013-09-06",
    "9/6/2013" (month first, as American libraries write it), "Spring 2010" and "(2013)".
    """
    match = _DATE_LINE.fullmatch(" ".join(text.split()))
    if not match:
        return ""
    found = match.group(1).lower()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", found)
    slashed = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", found)
    if iso:
        year, month = int(iso.group(1)), int(iso.group(2))
        day = int(iso.group(3)) if iso.group(3) else 0
    elif slashed:
        month, day, year = (int(g) for g in slashed.groups())
        if month > 12 >= day:  # 25/12/2013 can only be day first
            month, day = day, month
    else:
        year = int(re.findall(r"\d{4}", found)[-1])
        name = re.search(rf"\b({_MONTH})\b", found)
        month = _MONTHS[name.group(1)] if name else 0
        days = re.findall(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", found)
        day = int(days[0]) if days and month else 0
    if year not in _YEARS:
        return ""
    if not month:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return ""
    if not day:
        return f"{year:04d}-{month:02d}"
    try:
        return _calendar_date(year, month, day).isoformat()
    except ValueError:
        return ""


# --- Authors --------------------------------------------------------------------------------

_BY = re.compile(r"(?:by|authors?\s*:|author\(s\)\s*:)\s*(?P<who>.+)", re.IGNORECASE)
_WHO_WHEN = re.compile(
    rf"(?P<who>.+?)\s*(?:[{_DASHES}|]|\s-\s|--)\s*[(\[]?(?P<when>{_DATE})[)\]]?\.?",
    re.IGNORECASE)
_WHO_COMMA_WHEN = re.compile(rf"(?P<who>.+?)\s*,\s*[(\[]?(?P<when>{_DATE})[)\]]?\.?",
                             re.IGNORECASE)
_INITIALS = re.compile(r"(?:[A-Z]\.\s?)+")
_DEGREE = re.compile(
    r"Ph\.?\s?D\.?|M\.?D\.?|Jr\.?|Sr\.?|J\.?D\.?|M\.?S\.?W\.?|M\.?P\.?H\.?|L\.?C\.?S\.?W\.?"
    r"|Esq\.?|I{2,3}|IV")
# Words that put a line among titles and organisations rather than people's names
# ("Trafficking in Persons Report — June 2013" is a title with a date, not an author).
_NOT_IN_NAMES = frozenset({
    "a", "an", "the", "of", "in", "on", "for", "to", "with", "from", "at", "about", "into",
    "against", "through", "after", "before", "under", "over", "is", "are", "how", "what", "why",
})


def _split_authors(who: str) -> tuple[str, ...]:
    """"H. Clawson, N. Dutch", "Clawson, H.; Dutch, N.", "A. Smith and B. Jones" -> names."""
    who = re.sub(r",?\s+et\s+al\.?$", "", who.strip())
    separators = r"\s*;\s*" if ";" in who else r"\s*,\s*|\s+and\s+|\s*&\s*"
    parts = re.split(separators, who)
    names: list[str] = []
    for part in parts:
        part = re.sub(r"^(?:and|&)\s+", "", part.strip(" ,"))
        if not part:
            continue
        if names and (_INITIALS.fullmatch(part) or _DEGREE.fullmatch(part)):
            names[-1] += ", " + part  # "Clawson, H." or "H. Clawson, Ph.D."
        else:
            names.append(part)
    return tuple(names)


def _names(who: str) -> tuple[str, ...]:
    """The people named by `who`, or () when it does not read as a list of names."""
    names = _split_authors(who)
    for name in names:
        words = name.replace(",", " ").split()
        if not 1 <= len(words) <= 6 or not name[0].isupper() or ":" in name:
            return ()
        if any(word.lower() in _NOT_IN_NAMES for word in words):
            return ()
    return names


def _meta(text: str) -> tuple[tuple[str, ...], str] | None:
    """(authors, date) from a date line, an "Authors — date" line or a "By ..." line."""
    text = " ".join(text.split())
    when = normalize_date(text)
    if when:
        return (), when
    by = _BY.fullmatch(text)
    if by:
        who = by.group("who")
        dated = _WHO_COMMA_WHEN.fullmatch(who) or _WHO_WHEN.fullmatch(who)
        if dated and normalize_date(dated.group("when")):
            who, when = dated.group("who"), normalize_date(dated.group("when"))
        names = _names(who.rstrip("."))
        return (names, when) if names else None
    dated = _WHO_WHEN.fullmatch(text)
    if dated and normalize_date(dated.group("when")):
        names = _names(dated.group("who"))
        if names:
            return names, normalize_date(dated.group("when"))
    return None


# --- Prose, titles, topics ------------------------------------------------------------------

# A full stop after these ends an abbreviation, not a sentence ("U.S.", "Inc.").
_ABBREVIATION_END = re.compile(
    r"(?:(?<![\w.])(?:[A-Za-z]\.)+|\b(?:Inc|Ltd|Co|Corp|Jr|Sr|St|No|Vol|al|etc|Dept|Univ)\.)$")
_MARKER = re.compile(r"\((\d{1,2})\)")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"“”]+[^\s<>\"“”.,;:!?)\]]")
# "Additional Relevant Link:", "Related links:", "Link:" before the further link(s).
_LABEL = re.compile(
    r"\b(?:(?:additional|further|other|more|related|useful)\s+)?(?:relevant\s+)?(links?)\s*:",
    re.IGNORECASE)
# Titles and organisation names are rarely longer; a block this long is a summary.
_HEADING_WORDS = 40
_BULLET = re.compile(r"^[•·▪◦‣*]\s+")
_BOILERPLATE = re.compile(r"^(?:©|\(c\)\s|copyright\b|all rights reserved)", re.IGNORECASE)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _split_label(text: str, link_texts: Iterable[str] = ()) -> tuple[str, str, bool]:
    """(text before a closing "Additional Relevant Link(s):", "link" or "links", whether
    links follow the label on the same line), or (text, "", False) without such a label.

    Whatever follows the label must be its links (or nothing), so a sentence that merely
    mentions a link keeps its words.
    """
    labels = list(_LABEL.finditer(text))
    if not labels:
        return text, "", False
    label = labels[-1]
    tail = text[label.end():]
    linked = bool(_URL.search(tail))
    for link_text in sorted(link_texts, key=len, reverse=True):
        if link_text and link_text in tail:
            tail = tail.replace(link_text, " ")
            linked = True
    tail = _URL.sub(" ", tail)
    if (tail.strip() and not linked) or len(re.findall(r"\w+", tail)) > 3:
        return text, "", False
    return text[:label.start()].rstrip(), label.group(1).lower(), linked


def _numbered(text: str) -> list[re.Match[str]]:
    """The markers of a numbered list "(1) ...; (2) ..." in `text`, or [] without one."""
    markers: list[re.Match[str]] = []
    for marker in _MARKER.finditer(text):
        if int(marker.group(1)) == len(markers) + 1:
            markers.append(marker)
    return markers if len(markers) >= 2 else []


def _is_prose(text: str) -> bool:
    """Whether a block reads as a summary rather than a title or an organisation's name."""
    body, label, _ = _split_label(_collapse(text))
    words = body.split()
    if not words:
        return bool(label)
    if _numbered(body) or len(words) > _HEADING_WORDS:
        return True
    first, last = body[0], body[-1]
    if first in _OPENING_QUOTES and (last in _CLOSING_QUOTES or last == "."):
        return len(words) >= 8  # a quoted passage; a quoted title is shorter
    two_sentences = re.search(r"[a-z)]{2}[.!?]\s+[A-Z“\"]", body)
    if last in ".…;:" and not _ABBREVIATION_END.search(body):
        return len(words) >= 5 or bool(two_sentences)
    if last in "?!":
        return len(words) >= 12 or bool(two_sentences)
    return bool(two_sentences) and last in _CLOSING_QUOTES


def _title_parts(text: str) -> tuple[str, str, str]:
    """(title, prepared_for, a date the title carries in brackets) from a title line."""
    title, prepared_for = _collapse(text), ""
    found = re.search(rf"(?:,\s*|\s+[{_DASHES}-]\s+|\s+)(\()?prepared\s+for\s+", title,
                      re.IGNORECASE)
    if found and found.start() > 0:
        title, prepared_for = title[:found.start()], title[found.end():].strip()
        if found.group(1) and prepared_for.count(")") > prepared_for.count("("):
            prepared_for = prepared_for[:prepared_for.rindex(")")].strip()
    title = title.strip(_TRIM)
    if len(title) > 1 and title[0] in _OPENING_QUOTES and title[-1] in _CLOSING_QUOTES:
        title = title[1:-1].strip()
    when = ""
    for bracketed in re.finditer(r"\(([^()]+)\)", title):
        when = normalize_date(bracketed.group(1))
        if when:
            break
    return title, prepared_for, when


def _web_address(found: str) -> str:
    """An address written in running text; "www.example.org" gets its scheme."""
    return "http://" + found if found.lower().startswith("www.") else found


def _drop_full_stop(text: str) -> str:
    if text.endswith(".") and not _ABBREVIATION_END.search(text):
        return text[:-1].rstrip()
    return text


def _topics(summary: str) -> tuple[str, ...]:
    """The items of the summary's numbered list; a bracketed sub-list stays in its item."""
    markers = _numbered(summary)
    topics: list[str] = []
    for number, marker in enumerate(markers, start=1):
        last = number == len(markers)
        item = _collapse(summary[marker.end():None if last else markers[number].start()])
        if last:
            # The list ends with the first sentence after its last number.
            for stop in re.finditer(rf"[.!?](?=[\s{_CLOSING_QUOTES}]|$)", item):
                if stop.group() != "." or not _ABBREVIATION_END.search(item[:stop.end()]):
                    item = item[:stop.start()]
                    break
            if not any(q in item for q in _OPENING_QUOTES):
                item = item.rstrip(_CLOSING_QUOTES)
        else:
            # Items are separated by ";": what stands between an item's last ";" and the next
            # number is the lead-in to that number ("and", "or", a stray letter), not the item.
            before, semicolon, after = item.rpartition(";")
            if semicolon and len(after.split()) <= 2 and not re.match(r"\s*[A-Z0-9]", after):
                item = before
            item = re.sub(r"(?:[,;]?\s+|[,;])(?:and|or|&)$", "", item.rstrip())
        item = _drop_full_stop(item.strip(" ,;"))
        if item:
            topics.append(item)
    return tuple(topics)


# --- Units and the assembler ------------------------------------------------------------------

_Kind = Literal["head", "title", "meta", "prose", "link", "skip"]
_BOLD = 7  # heading level of a line all in bold; <h1>..<h6> are 1..6
_PLAIN = 8  # heading level of a short plain line


@dataclass
class _Unit:
    """One typed piece of the page: a text block, or a line of HTML."""

    kind: _Kind
    text: str
    level: int = _PLAIN
    url: str = ""  # "title": the title's link; "link": the address
    rest: str = ""  # "title": what follows the link on its line
    lead: str = ""  # "title": an "Organisation:" written before the link
    links: tuple[str, ...] = ()  # the unit's other links
    link_texts: tuple[str, ...] = ()
    box: int | None = None  # the innermost list item, article or table row holding the unit
    boxes: frozenset[int] = frozenset()


_DOCUMENT = re.compile(r"\.(?:pdf|docx?|rtf|odt|pptx?|xlsx?)$", re.IGNORECASE)
_MANY = 1000  # "Links:" announces any number of further links


@dataclass
class _Builder:
    """An entry being read: its title first, then whatever follows until the next entry."""

    title: str
    organization: str = ""
    prepared_for: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""
    title_date: str = ""
    summary: list[str] = field(default_factory=list)
    url: str = ""
    links: list[str] = field(default_factory=list)
    box: int | None = None
    expect: int = 0  # further links announced by a label and not seen yet
    labelled: bool = False

    @classmethod
    def from_title(cls, text: str, organization: str, box: int | None, url: str = "",
                   rest: str = "") -> _Builder:
        title, prepared_for, title_date = _title_parts(text)
        entry = cls(title=title, organization=organization, prepared_for=prepared_for,
                    title_date=title_date, url=url, box=box)
        entry.read_rest(rest)
        return entry

    def read_rest(self, rest: str) -> None:
        """What follows a title link on its line: ", prepared for X", "(2013)", "— A. Author,
        2008", or the summary itself."""
        rest = rest.strip(_TRIM)
        prepared = re.match(r"(\()?prepared\s+for\s+", rest, re.IGNORECASE)
        if prepared:
            end = rest.find(")", prepared.end()) if prepared.group(1) else -1
            cut = re.search(rf"\s[{_DASHES}|]\s", rest) if end < 0 else None
            stop = end if end >= 0 else cut.start() if cut else len(rest)
            self.prepared_for = self.prepared_for or rest[prepared.end():stop].strip()
            rest = rest[stop + (1 if end >= 0 else 0):].strip(_TRIM)
        bracketed = re.match(r"\(([^()]+)\)", rest)
        if bracketed and normalize_date(bracketed.group(1)):
            self.title_date = self.title_date or normalize_date(bracketed.group(1))
            rest = rest[bracketed.end():].strip(_TRIM + ".")
        if rest:
            meta = _meta(rest)
            if meta:
                self.add_meta(*meta)
            else:
                self.add_prose(rest)

    def add_meta(self, authors: tuple[str, ...], when: str) -> None:
        self.authors = self.authors or authors
        self.date = self.date or when
        self.expect = 0

    def add_prose(self, text: str, links: tuple[str, ...] = (),
                  link_texts: tuple[str, ...] = ()) -> None:
        body, label, linked = _split_label(_collapse(text), link_texts)
        if body:
            self.summary.append(body)
        self.add_links(links or [_web_address(found) for found in _URL.findall(text)])
        if label:
            self.labelled = True
            self.expect = 0 if linked and label == "link" else _MANY if label == "links" else 1
        else:
            self.expect = 0

    def add_links(self, links: Iterable[str]) -> None:
        self.links.extend(link for link in links if link)

    def add_link(self, address: str) -> None:
        """A bare link: the title's address when nothing has come yet, else a further one."""
        if self.expect:
            self.expect -= 1
            self.add_links([address])
        elif not self.url and not self.summary and not self.labelled:
            self.url = address
        else:
            self.add_links([address])

    def draft(self) -> Draft | None:
        summary = " ".join(self.summary)
        links = tuple(dict.fromkeys(link for link in self.links if link != self.url))
        document = bool(_DOCUMENT.search(urlsplit(self.url).path)) if self.url else False
        if not self.title or not (summary or self.organization or links or document):
            return None
        return Draft(
            title=self.title,
            organization=self.organization,
            prepared_for=self.prepared_for,
            authors=self.authors,
            date=self.date or self.title_date,
            summary=summary,
            topics=_topics(summary),
            url=self.url,
            links=links,
        )


def _assemble(units: list[_Unit], *, by_position: bool) -> list[Draft]:
    """Entries from typed units.

    With title links (`by_position` false), each title link starts an entry and the headings
    before it give its organisation. Without them (plain text), an entry is a run of headings
    followed by a date or a summary: the last heading is the title, the one before it the
    organisation; a page's first lone heading is the page's own. An organisation heading holds
    for the entries after it until another replaces it (libraries grouped by organisation).
    """
    drafts: list[Draft] = []
    outline: list[tuple[int, str, int | None]] = []  # (level, text, box) of headings in force
    run: list[_Unit] = []  # headings since the last other unit
    current: _Builder | None = None
    started = False  # whether an entry or prose has been read yet

    def finish() -> None:
        nonlocal current
        if current is not None:
            draft = current.draft()
            if draft is not None:
                drafts.append(draft)
        current = None

    def heading(unit: _Unit) -> None:
        if unit.level == 1:
            return  # the page's own title, never an organisation
        while outline and outline[-1][0] >= unit.level:
            outline.pop()
        outline.append((unit.level, unit.text, unit.box))

    def organisation(unit: _Unit) -> str:
        for _, text, box in reversed(outline):
            if box is None or box in unit.boxes:  # a heading inside another item holds there only
                return text
        return ""

    def entry_from_run(final: bool) -> _Builder | None:
        """The entry a run of headings ends with; (organisation, title) pairs before it are
        entries without a summary, and an odd heading before those is the page's or a
        section's own (a lone heading mid-page is a title under the organisation in force)."""
        heads = [h for h in run if h.level != 1]
        if not heads or (not started and len(heads) == 1) or (final and len(heads) < 2):
            return None  # a lone first heading is the page's own
        if len(heads) == 1:
            return _Builder.from_title(heads[0].text, organisation(heads[0]), heads[0].box)
        if len(heads) % 2:
            heading(heads[0])
            heads = heads[1:]
        entry: _Builder | None = None
        for org, title in zip(heads[::2], heads[1::2], strict=True):
            earlier = entry.draft() if entry is not None else None
            if earlier is not None:
                drafts.append(earlier)
            heading(org)
            entry = _Builder.from_title(title.text, organisation(title), title.box)
        return entry

    for unit in units:
        if current is not None and current.box is not None and current.box not in unit.boxes:
            finish()
        if unit.kind == "skip":
            finish()
            continue
        if unit.kind == "head":
            finish()
            run.append(unit)
            continue
        if unit.kind == "title" and current is not None and current.expect:
            current.add_link(unit.url)  # the link an "Additional Relevant Link:" announced
            continue
        if unit.kind == "title":
            for head in run:
                heading(head)
            run.clear()
            finish()
            current = _Builder.from_title(unit.text, unit.lead or organisation(unit), unit.box,
                                          url=unit.url, rest=unit.rest)
            current.add_links(unit.links)
            started = True
            continue
        if run:
            if by_position:
                current = entry_from_run(final=False)
            else:
                for head in run:
                    heading(head)
            run.clear()
        started = started or unit.kind == "prose" or current is not None
        if current is None:
            continue
        if unit.kind == "meta":
            meta = _meta(unit.text)
            if meta:
                current.add_meta(*meta)
        elif unit.kind == "prose":
            current.add_prose(unit.text, unit.links, unit.link_texts)
        else:
            for address in (unit.url, *unit.links):
                if address:
                    current.add_link(address)
    if run and by_position:
        current = entry_from_run(final=True)
    finish()
    return drafts


# --- Plain text -------------------------------------------------------------------------------

def _blocks(text: str) -> Iterator[str]:
    """The blocks between blank lines, each unwrapped into one line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    for chunk in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        joined = lines[0]
        for line in lines[1:]:
            # A word hyphenated at a line end keeps its hyphen and loses the break.
            joined += line if re.search(r"\w-$", joined) and line[0].islower() else " " + line
        yield _collapse(_BULLET.sub("", joined))


def _text_unit(block: str) -> _Unit:
    if _URL.fullmatch(block):
        return _Unit("link", block, url=_web_address(block))
    if _BOILERPLATE.match(block):
        return _Unit("skip", block)
    if _meta(block):
        return _Unit("meta", block)
    if _is_prose(block):
        return _Unit("prose", block)
    return _Unit("head", block)


# --- HTML -------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "html", "li", "main", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
_ITEM_TAGS = frozenset({"li", "article", "tr"})
_SKIPPED_TAGS = frozenset({
    "script", "style", "noscript", "template", "nav", "footer", "aside", "form", "button",
    "select", "textarea", "svg", "iframe", "object", "embed", "canvas", "head", "title", "meta",
    "link", "input", "label", "dialog", "menu",
})
_SKIPPED_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar"})
# Class and id words of the parts of a page that are not its content.
_SKIPPED_WORDS = frozenset({
    "nav", "navbar", "navigation", "menu", "menubar", "breadcrumb", "breadcrumbs", "footer",
    "sidebar", "widget", "widgets", "skip", "social", "share", "sharing", "cookie", "cookies",
    "pagination", "pager", "masthead", "toolbar",
})
# A class such as "has-sidebar" describes the element's state, not what it is.
_STATE_PREFIXES = ("has-", "with-", "no-", "is-")
_NEVER_SKIPPED = frozenset({"html", "body", "main", "article"})
_GENERIC_LINK = re.compile(
    r"(?:(?:read|learn|find out|see|view|download|get|open|visit|continue reading|click here|"
    r"more)(?:\s+(?:more|here|the|this|full|report|document|pdf|online|now|it|website|site|"
    r"page|info|information|details|brief|study|summary|publication))*"
    r"|here|pdf|\(pdf\)|\[pdf\]|link|website|web site|homepage|home|top|back to top|full text"
    r"|full report|report|summary|abstract|details"
    r"|(?:https?://|www\.)\S+)[\s.:>\u00bb\u203a\u2192]*",
    re.IGNORECASE)
_SEPARATORS_ONLY = re.compile(rf"[\s|\u2022\u00b7/,;:\-{_DASHES}\[\]()]*")
# A menu laid out as a list: this many items or more, each one short link and nothing else.
_MENU_ITEMS = 3
_MENU_WORDS = 3
# An organisation written before a title link on its line is a name, not a sentence.
_LEAD_WORDS = 15


@dataclass(frozen=True)
class _Context:
    level: int = 0  # inside <hN>
    bold: bool = False
    href: str = ""
    anchor: int = 0  # id() of the <a> the text is in
    boxes: tuple[int, ...] = ()
    in_article: bool = False


@dataclass(frozen=True)
class _Segment:
    text: str
    context: _Context


@dataclass
class _Line:
    segments: list[_Segment]


class _Walker:
    """Cuts the page into lines: block elements and <br> end a line."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.lines: list[_Line] = []
        self._segments: list[_Segment] = []

    def flush(self) -> None:
        if any(s.text.strip() for s in self._segments):
            self.lines.append(_Line(self._segments))
        self._segments = []

    def walk(self, root: Tag, context: _Context) -> None:
        # A loop over an explicit stack, not recursion: pages nest thousands of elements deep.
        from bs4.element import NavigableString, PageElement, Tag

        stack: list[tuple[PageElement, _Context] | None] = [
            (child, context) for child in reversed(list(root.children))]
        while stack:
            item = stack.pop()
            if item is None:  # the end of a block element
                self.flush()
                continue
            node, inherited = item
            if isinstance(node, NavigableString):
                if type(node) is NavigableString:  # not a comment, CDATA or doctype
                    self._segments.append(_Segment(str(node), inherited))
                continue
            if not isinstance(node, Tag):
                continue
            name = (node.name or "").lower()
            block = name in _BLOCK_TAGS
            if name in ("br", "hr") or _skipped(node, name, inherited):
                if block or name in ("br", "hr"):
                    self.flush()
                continue
            if block:
                self.flush()
                stack.append(None)
            inner = self._enter(node, name, inherited)
            stack.extend((child, inner) for child in reversed(list(node.children)))

    def _enter(self, tag: Tag, name: str, context: _Context) -> _Context:
        level, bold, href, anchor = context.level, context.bold, context.href, context.anchor
        if re.fullmatch(r"h[1-6]", name):
            level = int(name[1])
        if name in ("strong", "b"):
            bold = True
        if name == "a" and tag.get("href") is not None:
            href, anchor = _resolve(self.base, str(tag.get("href"))), id(tag)
        boxes = (*context.boxes, id(tag)) if name in _ITEM_TAGS else context.boxes
        return _Context(level=level, bold=bold, href=href, anchor=anchor, boxes=boxes,
                        in_article=context.in_article or name in ("article", "main"))


def _skipped(tag: Tag, name: str, context: _Context) -> bool:
    """Whether an element is navigation, a menu, a footer or not content at all."""
    if name in _SKIPPED_TAGS or tag.has_attr("hidden"):
        return True
    if name == "header" and not context.in_article:
        return True
    if str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    if str(tag.get("role", "")).lower() in _SKIPPED_ROLES:
        return True
    if name not in _NEVER_SKIPPED:
        classes = tag.get("class")
        names = [*(classes if isinstance(classes, list) else [str(classes or "")]),
                 str(tag.get("id", ""))]
        words = {word for value in names if not str(value).lower().startswith(_STATE_PREFIXES)
                 for word in re.split(r"[\s_-]+", str(value).lower())}
        if words & _SKIPPED_WORDS:
            return True
    return name in ("ul", "ol") and _menu_list(tag)


def _menu_list(tag: Tag) -> bool:
    from bs4.element import Tag as _Tag

    items = [li for li in tag.find_all("li", recursive=False) if isinstance(li, _Tag)]
    if len(items) < _MENU_ITEMS:
        return False
    for item in items:
        anchors = item.find_all("a")
        text = _collapse(item.get_text(" "))
        if len(anchors) != 1 or _collapse(anchors[0].get_text(" ")) != text:
            return False
        if len(text.split()) > _MENU_WORDS:
            return False
    return True


def _resolve(base: str, href: str) -> str:
    """The absolute http(s) address of a link, "" for anchors, mail and scripts; a relative
    address stays as written when there is no base to resolve it against."""
    href = re.sub(r"\s+", "", href)
    if not href or href.startswith("#"):
        return ""
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", href)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return ""
    address = urljoin(base, href) if base else href
    if urlsplit(address).scheme:
        return address if url_problem(address) is None else ""
    return address


def _html_unit(line: _Line) -> _Unit | None:
    segments = line.segments
    text = _collapse("".join(s.text for s in segments))
    if not text:
        return None
    first = next(s for s in segments if s.text.strip())
    context = first.context
    box = context.boxes[-1] if context.boxes else None
    boxes = frozenset(context.boxes)
    anchors: dict[int, tuple[str, str]] = {}
    for segment in segments:
        if segment.context.anchor and segment.context.href:
            href, so_far = anchors.get(segment.context.anchor, (segment.context.href, ""))
            anchors[segment.context.anchor] = (href, so_far + segment.text)
    links = [(href, _collapse(words)) for href, words in anchors.values() if _collapse(words)]
    addresses = tuple(href for href, _ in links)
    link_texts = tuple(words for _, words in links)
    if _BOILERPLATE.match(text):
        return _Unit("skip", text, box=box, boxes=boxes)
    bold = all(s.context.bold or s.context.level for s in segments if s.text.strip())
    level = context.level or (_BOLD if bold else _PLAIN)

    def unlinked(words: str) -> str:
        for link_text in sorted(link_texts, key=len, reverse=True):
            words = words.replace(link_text, " ")
        return words

    if links and _SEPARATORS_ONLY.fullmatch(unlinked(text)):
        # Links and nothing else: a title link (perhaps with a "[PDF]" beside it), or bare
        # links such as "Read more" or a menu bar.
        named = [i for i, words in enumerate(link_texts) if not _GENERIC_LINK.fullmatch(words)]
        if named == [0]:
            return _Unit("title", link_texts[0], level=level, url=addresses[0],
                         links=addresses[1:], box=box, boxes=boxes)
        return _Unit("link", text, url=addresses[0], links=addresses[1:], box=box, boxes=boxes)
    meta = _meta(text)
    if links and not (meta and len(links) > 1):  # "<a>A. Author</a>, <a>B. Author</a> — 2008"
        title = _title_link(segments)
        if title is not None:
            lead, href, words, rest = title
            others = tuple(a for a in addresses if a != href)
            return _Unit("title", words, level=level, url=href, rest=rest, lead=lead,
                         links=others, box=box, boxes=boxes)
    if meta:
        return _Unit("meta", text, links=addresses, box=box, boxes=boxes)
    body, label, _ = _split_label(text, link_texts)
    if (label and not body) or text.endswith(":") or _is_prose(text) or (
            level > _BOLD and links):
        return _Unit("prose", _without_link_words(text, link_texts), links=addresses,
                     link_texts=link_texts, box=box, boxes=boxes)
    return _Unit("head", text, level=level, box=box, boxes=boxes)


def _without_link_words(text: str, link_texts: tuple[str, ...]) -> str:
    """A paragraph without the "Read more" or "[PDF]" links it ends with: they are the page's
    buttons, not the summary's words."""
    trimmed = True
    while trimmed:
        trimmed = False
        for words in link_texts:
            if _GENERIC_LINK.fullmatch(words):
                end = re.search(rf"\s*[\[(]?\s*{re.escape(words)}\s*[\])]?$", text)
                if end and end.start() > 0:
                    text, trimmed = text[:end.start()], True
    return text


def _title_link(segments: list[_Segment]) -> tuple[str, str, str, str] | None:
    """(lead, address, link text, rest) when a line is a title link and what goes with it:
    the link comes first, or after a short "Organisation:" lead, and the rest is empty or set
    off by punctuation (a link inside a sentence is not a title)."""
    first = next(i for i, s in enumerate(segments) if s.context.href or s.text.strip())
    anchor = segments[first].context.anchor
    if not anchor or not segments[first].context.href:
        # Text before the first link: a lead such as "Wisconsin Department of Justice:".
        starts = [i for i, s in enumerate(segments) if s.context.href and s.context.anchor]
        if not starts:
            return None
        first, anchor = starts[0], segments[starts[0]].context.anchor
    lead = _BULLET.sub("", _collapse("".join(s.text for s in segments[:first])))
    inside = [s for s in segments[first:] if s.context.anchor == anchor]
    end = first
    while end < len(segments) and segments[end].context.anchor == anchor:
        end += 1
    words = _collapse("".join(s.text for s in inside))
    rest = _collapse("".join(s.text for s in segments[end:]))
    if not words or _GENERIC_LINK.fullmatch(words):
        return None
    if lead:
        if not re.search(rf"[:|{_DASHES}-]$", lead) or len(lead.split()) > _LEAD_WORDS or (
                _is_prose(lead)):
            return None
        lead = lead.rstrip(_TRIM)
    if rest and not re.match(rf"[{_DASHES}\-:,(|.;\[]|prepared\s+for\b", rest, re.IGNORECASE):
        return None
    return lead, segments[first].context.href, words, rest


_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html|<head|<body|<!--|<\?xml)", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"<(?:p|div|li|ul|ol|h[1-6]|br|table|tr|td|span|strong|em|section|article|main|dl|dt|dd"
    r"|a\s[^<>]*href)(?:\s[^<>]*)?/?>",
    re.IGNORECASE)


def _looks_like_html(text: str) -> bool:
    head = text[:65536]
    return bool(_HTML_START.match(head)) or len(_HTML_TAG.findall(head)) >= 2
