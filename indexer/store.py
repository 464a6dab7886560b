"""The data folder (`.splib/` beside the catalog by default): sources, text, manifest, indexes.

    sources/<sha256>            fetched or read source bytes, content-addressed
    text/<sha256>-<key>.json    extracted text of those bytes (a checksum line, then JSON)
    text/ocr/<sha256>-...json   each page read by OCR, so a long scan is never read twice
    manifest.json               per catalog entry: last good source, last errors, page counts
    index/<generation>/         Whoosh indexes; index/CURRENT names the live one
    lock                        held (flock) by the one rebuild, update or fetch running

Every write goes to a temporary file first and is renamed into place, so a process killed at
any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import BusyError, ExtractionError, IndexMissingError, SplibError
from .extract import EXTRACTOR_VERSION, Document
from .extract.ocr import OcrSettings

if TYPE_CHECKING:
    from .engine import Index

log = logging.getLogger(__name__)

# The shape of manifest.json; a manifest of another version is set aside, not misread.
MANIFEST_VERSION = 1
META = "splib-meta.json"  # beside each index generation: its schema, pages, build time


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SourceRecord:
    """Where a report's bytes came from, and how to ask for them again cheaply."""

    url: str
    final_url: str
    sha256: str
    size: int
    fetched_at: str
    origin: str  # "path" | "origin" | "archive"
    etag: str = ""
    last_modified: str = ""
    mtime_ns: int = 0  # for a local file: its modification time when read


@dataclass(frozen=True)
class EntryRecord:
    """What the data folder knows of one catalog entry after the last fetch and extraction."""

    source: SourceRecord | None = None
    fetch_error: str | None = None
    extract_error: str | None = None
    text_key: str | None = None  # cache key of the extracted text, when extraction succeeded
    pages: int = 0
    chars: int = 0
    checked_at: str | None = None
    warnings: tuple[str, ...] = field(default=())
    extract_seconds: float = 0.0  # the last real extraction's time; 0 when read from the cache
    ocr_pages: int = 0  # pages Tesseract read
    ocr_confidence: float | None = None  # their mean word confidence (0-100)
    extract_retry: bool = False  # extract_error may not happen again: the next update retries
    unread: str | None = None  # why pages holding pictures of text were not read by OCR

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)  # what `asdict` gives, without its deep copies
        data["source"] = asdict(self.source) if self.source is not None else None
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_json(cls, data: Any) -> EntryRecord:
        """The record as `to_json` wrote it; ValueError for anything of another shape."""
        if not isinstance(data, dict):
            raise ValueError("an entry record must be an object")
        source = data.get("source")
        return cls(
            source=_source(source) if source else None,
            fetch_error=_optional_text(data, "fetch_error"),
            extract_error=_optional_text(data, "extract_error"),
            text_key=_optional_text(data, "text_key"),
            pages=int(data.get("pages", 0)),
            chars=int(data.get("chars", 0)),
            checked_at=_optional_text(data, "checked_at"),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
            extract_seconds=float(data.get("extract_seconds", 0.0)),
            ocr_pages=int(data.get("ocr_pages", 0)),
            ocr_confidence=_optional_number(data, "ocr_confidence"),
            extract_retry=bool(data.get("extract_retry", False)),
            unread=_optional_text(data, "unread"),
        )

    def with_changes(self, **changes: Any) -> EntryRecord:
        return replace(self, **changes)


def _optional_number(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"`{key}` must be a number")
    return float(value)


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"`{key}` must be text")
    return value


def _source(data: Any) -> SourceRecord:
    if not isinstance(data, dict):
        raise ValueError("`source` must be an object")
    texts = ("url", "final_url", "sha256", "fetched_at", "origin", "etag", "last_modified")
    if not all(isinstance(data.get(k, ""), str) for k in texts) or \
            not re.fullmatch(r"[0-9a-f]{64}", data.get("sha256", "")):
        raise ValueError("`source` has a field of the wrong kind")
    return SourceRecord(**{k: data[k] for k in texts if k in data},
                        size=int(data.get("size", 0)), mtime_ns=int(data.get("mtime_ns", 0)))


def _umask() -> int:
    """The process's umask: what permissions a file splib creates gets, as any other. Linux
    tells it in /proc; elsewhere it is set and set back (the only way to read it before
    Python 3.13), once, when this module loads."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def _shared(fd: int, like: Path | None = None) -> None:
    """Give a file made by `tempfile` (which makes it private to its owner) the permissions
    `like` has, or those of a file created by `open`: a catalog that its keeper shares, or a
    data folder that `splib serve` reads as another user, stays readable after a write."""
    try:
        mode = stat.S_IMODE(like.stat().st_mode) if like is not None else None
    except OSError:
        mode = None
    with contextlib.suppress(OSError):  # a file system without permissions (FAT, some shares)
        os.fchmod(fd, mode if mode is not None else 0o666 & ~_UMASK)


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part;
    `durable`: on disk before it replaces the old one, so that a power cut cannot leave it
    empty (a file that checks itself when read can go without). The file keeps the
    permissions it had (a new one gets the usual ones)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        _shared(fd, path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def disk_error(exc: OSError, what: str) -> SplibError:
    """A person's message for an OSError met while writing the data folder."""
    if exc.errno == errno.ENOSPC:
        return SplibError(f"The disk is full while {what}. Free some space and run it again; "
                          "the previous index is still in use.")
    return SplibError(f"Could not write the data folder while {what}: {exc.strerror or exc}.")


class Store:
    """The data folder and its files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources = root / "sources"
        self.texts = root / "text"
        self.indexes = root / "index"
        self.manifest_path = root / "manifest.json"

    # -- sources ---------------------------------------------------------------------------

    def source_path(self, sha256: str) -> Path:
        return self.sources / sha256

    def has_source(self, sha256: str) -> bool:
        return self.source_path(sha256).is_file()

    @contextlib.contextmanager
    def new_source(self) -> Iterator[tuple[IO[bytes], _HashingSink]]:
        """A temporary file to stream source bytes into, and the hash of what was written.

        The caller writes through `handle`, then calls `commit()` on the second value to move
        the bytes into place under their sha256; leaving the block without commit drops them.
        """
        self.sources.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.sources, prefix=".incoming.", suffix=".tmp")
        _shared(fd)
        sink = _HashingSink(self, Path(tmp))
        try:
            with os.fdopen(fd, "wb") as handle:
                sink.handle = handle
                yield handle, sink
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def put_source(self, data: bytes) -> tuple[str, int]:
        """Store `data` and return (sha256, size)."""
        with self.new_source() as (handle, sink):
            handle.write(data)
            committed: tuple[str, int] = sink.commit()
            return committed

    # -- extracted text --------------------------------------------------------------------

    @staticmethod
    def text_key(sha256: str, password: str = "", ocr: OcrSettings | None = None) -> str:
        """The cache key of the text of source `sha256` opened with `password` and read with
        the OCR settings `ocr` (its languages other than English, or OCR off)."""
        key = f"{sha256}-v{EXTRACTOR_VERSION}"
        if password:
            key += "-" + hashlib.sha256(password.encode()).hexdigest()[:8]
        settings = (ocr or OcrSettings()).key()
        return f"{key}-{settings}" if settings else key

    @property
    def ocr_cache(self) -> Path:
        """Where pages read by OCR are kept, one file per page, so none is read twice."""
        return self.texts / "ocr"

    def document(self, record: EntryRecord | None) -> Document | None:
        """The extracted text `record` points at; None when it has none, the extraction
        failed, or the cache file is gone."""
        if record is None or not record.text_key:
            return None
        loaded = self.load_text(record.text_key)
        return loaded if isinstance(loaded, Document) else None

    def _text_path(self, key: str) -> Path:
        return self.texts / f"{key}.json"

    def has_text(self, key: str) -> bool:
        """Whether an extraction is kept under `key` (not whether it reads back whole)."""
        return self._text_path(key).is_file()

    def load_text(self, key: str) -> Document | ExtractionError | None:
        """The cached extraction for `key`: a document, a remembered error, or None.

        A cache file whose checksum does not match (a torn or corrupted file) is removed and
        reported as missing, so the source is extracted again.
        """
        path = self._text_path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        check, _, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != check:
            log.warning("cached text %s is corrupted; it will be extracted again", path.name)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return None
        try:
            data = json.loads(body)
            if "error" in data:
                return ExtractionError(str(data["error"]), kind=str(data.get("kind") or ""))
            return Document.from_json(data["document"])
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # A file of the right checksum but the wrong shape: derived data, made again.
            log.warning("The saved text %s is not what splib wrote (%s); the report will be "
                        "extracted again.", path.name, exc)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return None

    def save_text(self, key: str, outcome: Document | ExtractionError) -> None:
        if isinstance(outcome, Document):
            data: dict[str, Any] = {"document": outcome.to_json()}
        else:
            data = {"error": str(outcome), "kind": outcome.kind}
        body = json.dumps(data, ensure_ascii=False).encode()
        # Not forced to disk: a file a power cut tore fails its checksum when read and the
        # source is extracted again (an fsync for each report cost a cold ingest of many
        # small files a tenth of its time, each extraction child waiting for it).
        write_atomic(self._text_path(key),
                     hashlib.sha256(body).hexdigest().encode() + b"\n" + body, durable=False)

    # -- manifest --------------------------------------------------------------------------

    def load_manifest(self) -> dict[str, EntryRecord]:
        """Each entry's record. A manifest of the wrong shape or version is set aside (kept
        beside it, never deleted) with a message; a damaged entry alone is dropped alone."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (ValueError, OSError) as exc:
            # Only ever written atomically, so this is outside damage.
            self._set_aside_manifest(f"it cannot be read ({exc})")
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION or \
                not isinstance(entries, dict):
            found = data.get("version") if isinstance(data, dict) else None
            self._set_aside_manifest(
                f"it is a version {found} manifest" if isinstance(found, int) and
                found != MANIFEST_VERSION else "it is not a manifest splib wrote")
            return {}
        records: dict[str, EntryRecord] = {}
        for key, value in entries.items():
            try:
                records[key] = EntryRecord.from_json(value)
            except (TypeError, ValueError, AttributeError, KeyError):
                log.warning("The data folder's record of %r is damaged; it will be fetched "
                            "and extracted again.", key)
        return records

    def _set_aside_manifest(self, why: str) -> None:
        """Move a manifest splib cannot use out of the way, keeping its bytes."""
        stamp = now_iso().replace(":", "")
        kept = self.manifest_path.with_name(f"manifest.unreadable-{stamp}-{os.getpid()}.json")
        with contextlib.suppress(OSError):
            os.link(self.manifest_path, kept)  # fails rather than replace an earlier one
            self.manifest_path.unlink()
        log.warning("The data folder's manifest is unreadable: %s. It was kept as %s; "
                    "`splib rebuild` makes a new one (reports are fetched and extracted "
                    "again as needed).", why, kept.name)

    def save_manifest(self, records: dict[str, EntryRecord]) -> None:
        data = {"version": MANIFEST_VERSION,
                "entries": {key: rec.to_json() for key, rec in sorted(records.items())}}
        # Not indented: json's C encoder writes only compact text (a third of the time).
        write_atomic(self.manifest_path, json.dumps(data, ensure_ascii=False).encode())

    # -- indexes ---------------------------------------------------------------------------

    def current_index(self) -> Path | None:
        """The folder of the live index, or None before the first rebuild."""
        try:
            name = (self.indexes / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.indexes / name
        return path if name and path.is_dir() else None

    def new_index_dir(self) -> Path:
        self.indexes.mkdir(parents=True, exist_ok=True)
        made = Path(tempfile.mkdtemp(dir=self.indexes, prefix="gen-"))
        with contextlib.suppress(OSError):  # as a folder made by mkdir is (`_shared`)
            made.chmod(0o777 & ~_UMASK)
        return made

    def publish_index(self, path: Path) -> None:
        """Make `path` the live index in one rename, then drop generations no reader needs.

        The generation it replaces is kept (named in index/PREVIOUS): a search that read
        CURRENT a moment before the swap may still be opening it.
        """
        previous = self.current_index()
        keep = {path.name}
        if previous is not None and previous != path:
            write_atomic(self.indexes / "PREVIOUS", previous.name.encode())
            keep.add(previous.name)
        write_atomic(self.indexes / "CURRENT", path.name.encode())
        self.sweep_indexes(keep)

    def sweep_indexes(self, keep: set[str]) -> None:
        """Remove every index generation not named in `keep`."""
        if not self.indexes.is_dir():
            return
        for child in self.indexes.iterdir():
            if child.is_dir() and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def sweep_unfinished(self) -> None:
        """Remove what killed runs left behind: half-built indexes and temporary files."""
        keep = set()
        for marker in ("CURRENT", "PREVIOUS"):
            with contextlib.suppress(FileNotFoundError):
                keep.add((self.indexes / marker).read_text(encoding="utf-8").strip())
        self.sweep_indexes(keep)
        for folder in (self.sources, self.texts, self.indexes, self.root):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    with contextlib.suppress(FileNotFoundError):
                        tmp.unlink()

    # -- locking ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, what: str) -> Iterator[None]:
        """Hold the data folder's write lock; a second writer gets `BusyError` at once.

        flock is released by the kernel when the holder dies, even by `kill -9`, so a killed
        rebuild never leaves a stale lock behind.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "lock"
        with open(path, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another splib command"
                raise BusyError(
                    f"Another splib command is already working on {self.root} ({holder}). "
                    "Wait for it to finish, then run this again."
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{what}, pid {os.getpid()}, since {now_iso()}")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class _HashingSink:
    """Commits a streamed temporary file into `sources/` under its sha256."""

    def __init__(self, store: Store, tmp: Path) -> None:
        self.store = store
        self.tmp = tmp
        self.handle: IO[bytes] | None = None

    def commit(self) -> tuple[str, int]:
        assert self.handle is not None
        self.handle.flush()
        os.fsync(self.handle.fileno())
        digest = hashlib.sha256()
        size = 0
        with open(self.tmp, "rb") as check:
            for chunk in iter(lambda: check.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        target = self.store.source_path(sha)
        if target.exists():
            self.tmp.unlink()
        else:
            os.replace(self.tmp, target)
        return sha, size


def read_meta(index_dir: Path) -> dict[str, Any]:
    """What an index generation's build wrote of it (`META`); empty when unreadable."""
    try:
        data: dict[str, Any] = json.loads((index_dir / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def open_current(store: Store) -> Index:
    """Open the live index for reading; raise a person's message when there is none."""
    from .engine import SCHEMA_VERSION, IndexGone, open_index

    for _ in range(3):  # CURRENT may move under us between reading it and opening the folder
        current = store.current_index()
        if current is None:
            raise IndexMissingError(
                f"No index in {store.root} yet. Run `splib rebuild` first."
            )
        built_by = read_meta(current).get("schema")
        if built_by != SCHEMA_VERSION:
            # Its words were cut or stemmed another way: searching it would miss or mismatch.
            raise IndexMissingError(
                f"The index in {store.root} was built by another version of splib. Run "
                "`splib update` (or `splib rebuild`) to build it again from the saved text."
            )
        try:
            return open_index(current)
        except IndexGone:
            continue
        except OSError as exc:
            raise SplibError(f"Cannot open the index in {current}: {exc.strerror}.") from None
    raise SplibError(f"The index in {store.root} kept changing while opening it; try again.")
