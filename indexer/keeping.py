"""Keeping the catalog: new entries appended as TOML, and a check without fetching or building.

New entries are appended to the catalog's text, so every byte already there (comments, layout,
order) stays as the library keeper wrote it; the whole new text is validated before it replaces
the file in one rename, and a catalog that would not validate is not written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog, Report, load_catalog, parse_catalog
from .errors import CatalogError
from .store import write_atomic
from .wording import plural

# Field order of a written entry: what a person reads first comes first.
FIELD_ORDER = ("id", "title", "organization", "prepared_for", "authors", "date", "summary",
               "topics", "url", "links", "path", "password")


def entry_toml(entry: Mapping[str, object]) -> str:
    """One `[[report]]` table as TOML text, empty fields left out, long lists one item a
    line."""
    import tomlkit

    table = tomlkit.table()
    for key in FIELD_ORDER:
        value = entry.get(key)
        if not value:
            continue
        if isinstance(value, list | tuple):
            items = tomlkit.array()
            items.extend(str(v) for v in value)
            if len(items) > 1:
                items.multiline(True)
            table.add(key, items)
        else:
            table.add(key, str(value))
    document = tomlkit.document()
    aot = tomlkit.aot()
    aot.append(table)
    document.append("report", aot)
    return tomlkit.dumps(document)


def entries_toml(entries: Iterable[Mapping[str, object]]) -> str:
    """Entries as the catalog would hold them, a blank line apart."""
    return "\n".join(entry_toml(e) for e in entries)


def append_entries(path: Path, entries: Sequence[Mapping[str, object]]) -> Catalog:
    """Append `entries` to the catalog at `path` (made when missing); return the new catalog.

    The result is validated first: nothing is written when any entry, or the file as it was,
    has a problem (the `CatalogError` lists them)."""
    text, catalog = with_entries(path, entries)
    write_atomic(path, text.encode("utf-8"))
    return catalog


def with_entries(path: Path, entries: Sequence[Mapping[str, object]]) -> tuple[str, Catalog]:
    """The catalog's text with `entries` appended, and that catalog validated (nothing is
    written here; `CatalogError` when it would not be valid)."""
    try:
        before = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise CatalogError(f"Cannot read the catalog {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path} is not UTF-8 text (bad byte at offset {exc.start}). Save "
                           "it as UTF-8.") from None
    added = entries_toml(entries)
    joined = before
    if joined and not joined.endswith("\n"):
        joined += "\n"
    if joined.strip():
        joined += "\n"
    text = joined + added
    return text, parse_catalog(text, path)


@dataclass(frozen=True)
class CheckReport:
    """What `splib check` found: problems to fix (exit 1) and warnings to read (exit 0)."""

    catalog: Catalog | None
    problems: tuple[str, ...]
    warnings: tuple[str, ...]


def file_sha256(path: Path) -> str | None:
    """The sha256 of a local file, or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def normal_url(url: str) -> str:
    """An address as compared for duplicates: scheme and host in lower case, no fragment,
    no trailing slash, http and https alike."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit(("http", parts.netloc.lower(), path, parts.query, ""))


def same_sources(reports: Iterable[Report]) -> list[list[str]]:
    """Groups of ids that name the same report: one address, one file, or files of the same
    bytes."""
    groups: dict[str, list[str]] = {}
    for report in reports:
        keys = set()
        if report.url:
            keys.add("url:" + normal_url(report.url))
        if report.path is not None:
            keys.add("path:" + str(report.path.resolve()))
            sha = file_sha256(report.path)
            if sha:
                keys.add("sha:" + sha)
        for key in keys:
            groups.setdefault(key, []).append(report.id)
    seen: set[tuple[str, ...]] = set()
    found = []
    for ids in groups.values():
        same = tuple(sorted(set(ids)))
        if len(same) > 1 and same not in seen:
            seen.add(same)
            found.append(list(same))
    return found


def check_catalog(path: Path) -> CheckReport:
    """Validate the catalog at `path` without fetching or building anything."""
    try:
        catalog = load_catalog(path)
    except CatalogError as exc:
        lines = str(exc).splitlines()
        listed = [re.sub(r"^\s*- ", "", line) for line in lines[1:]]
        return CheckReport(catalog=None, problems=tuple(listed or lines), warnings=())
    problems: list[str] = []
    warnings: list[str] = []
    for ids in same_sources(catalog):
        problems.append(f"{' and '.join(ids)} are the same report (one address or file); "
                        "keep one entry.")
    for report in catalog:
        if report.path is not None and report.path.is_dir():
            problems.append(f"{report.id}: `path` is a folder, {report.path}: name one file in "
                            "it (`splib add FOLDER` adds an entry for each report in a folder).")
        elif report.path is not None and not report.path.is_file():
            problems.append(f"{report.id}: the file {report.path} does not exist; fix `path`.")
        if not report.summary:
            warnings.append(f"{report.id}: no `summary`; a search finds it only by its title "
                            "and text.")
        if not report.url and report.path is None:
            warnings.append(f"{report.id}: no `url` or `path`; only its summary is searched.")
    warnings.extend(_ocr_warnings(catalog))
    return CheckReport(catalog=catalog, problems=tuple(problems), warnings=tuple(warnings))


def _ocr_warnings(catalog: Catalog) -> list[str]:
    """Languages the catalog asks OCR for that Tesseract lacks (nothing to say when Tesseract
    itself is missing: `status` says that for the scans that need it)."""
    from .extract.ocr import available, installed_languages, language_package

    if not available():
        return []
    installed = installed_languages()
    return [f"{report.id}: `language` {code} is not installed for OCR: its scanned pages would "
            f"not be read; install it (`apt-get install {language_package(code)}`)"
            for report in catalog if report.ocr
            for code in report.languages if code not in installed]


def check_summary(report: CheckReport) -> str:
    count = len(report.catalog) if report.catalog is not None else 0
    if report.problems:
        return (f"{plural(len(report.problems), 'problem')} to fix"
                + (f", {plural(len(report.warnings), 'warning')}" if report.warnings else "")
                + ".")
    return (f"The catalog is valid: {plural(count, 'report')}"
            + (f", {plural(len(report.warnings), 'warning')}." if report.warnings else "."))


# -- adding reports ------------------------------------------------------------------------

# What `splib add FOLDER` picks up: the kinds of file splib extracts.
ADDABLE = (".pdf", ".html", ".htm", ".txt", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif",
           ".bmp", ".webp")


def is_address(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def expand(targets: Iterable[str]) -> list[str]:
    """Addresses as given; files as given; folders as the PDF, HTML, text and image files in
    them (and their subfolders), in name order."""
    found: list[str] = []
    for target in targets:
        path = Path(target)
        if not is_address(target) and path.is_dir():
            # Hidden files and folders inside the folder given are left out (not the
            # folder's own path: "../new-reports" is fine).
            found.extend(str(p) for p in sorted(path.rglob("*"))
                         if p.is_file() and p.suffix.lower() in ADDABLE
                         and not hidden(p, path))
        else:
            found.append(target)
    return found


def hidden(path: Path, folder: Path) -> bool:
    """Whether `path`, inside `folder`, is a hidden file or inside a hidden folder there (not
    `folder`'s own path: "../new-reports" is fine)."""
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def title_from_name(name: str) -> str:
    """A title from a file name when the file offers none: "needs_assessment-2008" ->
    "Needs assessment 2008"."""
    words = re.sub(r"[_\-.]+", " ", Path(name).stem).split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else "Untitled report"


def unique_file(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-2.ext`... when that is taken."""
    candidate = folder / name
    number = 2
    while candidate.exists():
        candidate = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
        number += 1
    return candidate


# How a refusal of a report the catalog already holds reads (`AddReport.failed`).
ALREADY = "already in the catalog as"


@dataclass(frozen=True)
class AddReport:
    """What `splib add` did: the entries written (or, with --dry-run, that would be), and the
    files or addresses refused, each with why."""

    entries: tuple[dict[str, object], ...]
    refused: tuple[str, ...]  # "what: why"
    notes: tuple[str, ...]  # added, but worth a look: no text found, and why
    written: bool

    @property
    def failed(self) -> tuple[str, ...]:
        """The refusals other than reports the catalog already holds (adding a folder again
        after a file was dropped in refuses the others, as it should)."""
        return tuple(r for r in self.refused if ALREADY not in r)
