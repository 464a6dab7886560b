"""Read and validate the library's catalog (`corpus/catalog.toml`) into `Report` entries.

The catalog is TOML with one `[[report]]` table per report. Validation collects every problem
and names the entry and field at fault, so a person can fix the file in one pass; nothing on
disk changes when the catalog is bad.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import CatalogError, NotACatalogError, NotFoundError
from .wording import plural, toml_kind

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DATE_RE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")

REQUIRED = ("id", "title")
STRINGS = ("id", "title", "organization", "prepared_for", "date", "summary", "url", "path",
           "password")
LISTS = ("authors", "topics", "links")
# How scanned pages are read: Tesseract's language codes (a text or a list), and OCR on or off.
OCR_KEYS = ("language", "ocr")
KNOWN = frozenset(STRINGS + LISTS + OCR_KEYS)
_LANGUAGE_RE = re.compile(r"^[a-z]{3}(_[a-z]+)*$", re.IGNORECASE)


@dataclass(frozen=True)
class Report:
    """One catalog entry: what the library says about a report and where to get it."""

    id: str
    title: str
    organization: str = ""
    prepared_for: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""
    summary: str = ""
    topics: tuple[str, ...] = ()
    url: str = ""
    links: tuple[str, ...] = ()
    path: Path | None = None
    password: str = ""
    languages: tuple[str, ...] = ("eng",)  # Tesseract's codes for the scanned pages
    ocr: bool = True

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None

    def fingerprint(self) -> str:
        """A hash of every field, so an edited entry is noticed by `update`."""
        fields = dict(self.__dict__)  # what `asdict` gives (strings and tuples of them), uncopied
        fields["path"] = str(self.path) if self.path else ""
        blob = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Catalog:
    """The validated catalog: its entries in file order."""

    path: Path
    reports: tuple[Report, ...]

    def __iter__(self) -> Iterator[Report]:
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)

    @cached_property
    def _by_id(self) -> dict[str, Report]:
        return {report.id: report for report in self.reports}

    def find(self, report_id: str) -> Report | None:
        """The entry `report_id`, or None."""
        return self._by_id.get(report_id)

    def get(self, report_id: str) -> Report:
        report = self._by_id.get(report_id)
        if report is not None:
            return report
        raise NotFoundError(
            f"No report with id {report_id!r} in {self.path}. "
            "Run `splib status` to list the ids."
        )

    def select(self, ids: tuple[str, ...] | list[str]) -> tuple[Report, ...]:
        """The entries with the given ids (all of them when `ids` is empty)."""
        if not ids:
            return self.reports
        return tuple(self.get(i) for i in ids)


def load_catalog(path: Path) -> Catalog:
    """Read and validate the catalog at `path`; raise `CatalogError` listing every problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(
            f"No catalog at {path}. Start one with `splib --catalog {path} add FILE|FOLDER"
            "` (see the README's 'Adding reports'), or point to yours with --catalog or "
            "SPLIB_CATALOG."
        ) from None
    except OSError as exc:
        raise CatalogError(f"Cannot read the catalog {path}: {exc.strerror}.") from None
    return catalog_from_bytes(raw, path)


def catalog_from_bytes(raw: bytes, path: Path) -> Catalog:
    """The catalog file's bytes, as read from `path`, validated (`CatalogError`)."""
    # A report named where the catalog goes (`--catalog report.pdf`): a PDF, a web page or
    # other markup (no TOML line starts with "<"), or bytes no text has (but a catalog saved
    # as UTF-16, whose message follows).
    start = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"%pdf-", b"<")) or (
            b"\x00" in raw[:4096] and raw[:2] not in (b"\xff\xfe", b"\xfe\xff")):
        raise NotACatalogError(
            f"{path} is a report, not a catalog: the catalog is a text file that lists the "
            f"reports (README, 'Catalog format'). Add this one to yours with `splib --catalog "
            f"catalog.toml add {path}`.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start}). Save it as UTF-8."
        ) from None
    return parse_catalog(text, path)


def parse_catalog(text: str, path: Path) -> Catalog:
    """Validate catalog TOML `text`; relative `path` fields resolve against `path`'s folder."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = " Each entry starts with [[report]], in double brackets." if re.search(
            r"^\s*\[\s*report\s*\]", text, re.MULTILINE) else ""
        raise CatalogError(f"{path} is not valid TOML: {exc}. Fix that line and try again."
                           + hint) from None
    problems: list[str] = []
    extra = sorted(set(data) - {"report"})
    if extra:
        problems.append(
            f"unknown top-level key(s) {', '.join(map(repr, extra))}: "
            "the catalog holds only [[report]] tables"
        )
    tables = data.get("report", [])
    if not isinstance(tables, list):
        raise CatalogError(f"{path}: `report` must be written as [[report]] tables.")
    reports: list[Report] = []
    seen: dict[str, int] = {}
    for number, table in enumerate(tables, start=1):
        report = _validate(number, table, path.parent, problems)
        if report is None:
            continue
        if report.id in seen:
            problems.append(
                f"report {number} (`{report.id}`): `id` is already used by report "
                f"{seen[report.id]}; ids must be unique"
            )
            continue
        seen[report.id] = number
        reports.append(report)
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise CatalogError(
            f"{path} has {plural(len(problems), 'problem')}; fix "
            f"{'it' if len(problems) == 1 else 'them'} and run the command again:\n"
            f"{listing}"
        )
    return Catalog(path=path, reports=tuple(reports))


def _example(value: Any) -> str:
    """What `key = value` looks like written as text: a date as YYYY-MM-DD, a number as is."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return "..."


def _validate(number: int, table: Any, base: Path, problems: list[str]) -> Report | None:
    if not isinstance(table, Mapping):
        problems.append(f"report {number}: must be a table of fields")
        return None
    ident = table.get("id")
    where = f"report {number}" + (f" (`{ident}`)" if isinstance(ident, str) else "")
    before = len(problems)
    for key in sorted(set(table) - KNOWN):
        problems.append(
            f"{where}: unknown key `{key}` (known keys: {', '.join(sorted(KNOWN))})"
        )
    for key in REQUIRED:
        value = table.get(key)
        if key not in table or (isinstance(value, str) and not value.strip()):
            problems.append(f"{where}: `{key}` is required: write {key} = \"...\"")
    for key in STRINGS:
        if key in table and not isinstance(table[key], str):
            problems.append(f"{where}: `{key}` must be text in quotes, like {key} = "
                            f"\"{_example(table[key])}\"; it is {toml_kind(table[key])}")
    for key in LISTS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where}: `{key}` must be a list of texts in quotes, like {key} = "
                            f"[\"first\", \"second\"]; it is {toml_kind(value)}")
    if isinstance(ident, str) and ident and not _ID_RE.match(ident):
        problems.append(
            f"{where}: `id` must be a lower-case slug (letters, digits, '.', '_', '-'), "
            f"got {ident!r}"
        )
    languages = _languages(table.get("language", "eng"), where, problems)
    if not isinstance(table.get("ocr", True), bool):
        problems.append(f"{where}: `ocr` must be true or false, without quotes, like "
                        f"ocr = false; it is {toml_kind(table['ocr'])}")
    date = table.get("date", "")
    if isinstance(date, str) and date and not _valid_date(date):
        example = "2008-08"
        problems.append(
            f"{where}: `date` must look like {example} (YYYY, YYYY-MM or YYYY-MM-DD), "
            f"got {date!r}"
        )
    url = table.get("url", "")
    if isinstance(url, str) and url:
        problem = url_problem(url)
        if problem:
            problems.append(f"{where}: `url` {problem}")
    links = table.get("links", [])
    if isinstance(links, list):
        for link in links:
            if isinstance(link, str) and url_problem(link):
                problems.append(f"{where}: `links` entry {link!r} {url_problem(link)}")
    if len(problems) > before:
        return None
    path_value = table.get("path", "")
    return Report(
        id=table["id"],
        title=" ".join(table["title"].split()),
        organization=table.get("organization", "").strip(),
        prepared_for=table.get("prepared_for", "").strip(),
        authors=tuple(a.strip() for a in table.get("authors", [])),
        date=date,
        summary=table.get("summary", "").strip(),
        topics=tuple(t.strip() for t in table.get("topics", [])),
        url=url,
        links=tuple(table.get("links", [])),
        # Absolute, through any symbolic links: the same file however the catalog was named
        # (a relative --catalog here, SPLIB_CATALOG or a linked folder there), so an update
        # does not take it for another.
        path=(base / path_value).resolve() if path_value else None,
        password=table.get("password", ""),
        languages=languages,
        ocr=table.get("ocr", True),
    )


def is_language(code: str) -> bool:
    """Whether `code` is written as Tesseract's language codes are: "eng", "spa", "chi_sim"
    ("osd", orientation and script detection, is data but no language)."""
    return bool(_LANGUAGE_RE.match(code)) and code.lower() != "osd"


def _languages(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    """The entry's `language`: one Tesseract code ("spa") or a list of them."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or \
            not all(isinstance(v, str) and is_language(v) for v in values):
        kind = repr(value) if isinstance(value, str) else toml_kind(value)
        problems.append(
            f"{where}: `language` must be Tesseract's code of the report's language, like "
            "language = \"spa\", or a list of them, like language = [\"eng\", \"spa\"] "
            f"(`tesseract --list-langs` lists the codes); it is {kind}")
        return ("eng",)
    return tuple(dict.fromkeys(v.lower() for v in values))


def _valid_date(date: str) -> bool:
    match = _DATE_RE.match(date)
    if not match:
        return False
    year, month, day = match.groups()
    if day:
        import datetime

        try:
            datetime.date(int(year), int(month), int(day))
        except ValueError:
            return False
    return True


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched, or None: only http(s), with a host, without credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"is not a valid address: {url!r}"
    if parts.scheme not in ("http", "https"):
        return f"must start with http:// or https:// (got {parts.scheme or 'no'} scheme: {url!r})"
    if not parts.hostname:
        return f"has no host name: {url!r}"
    if parts.username or parts.password:
        return "must not carry a user name or password; remove the `user:pass@` part"
    return None
