"""Bytes for a catalog entry: a local path, or HTTP(S) with conditional requests and an archive.

A local `path` is read as it is. A `url` is fetched with requests (timeouts, retries with
back-off on connection errors and 5xx, a size cap, a redirect limit, http/https only). Each
good copy is kept in the data folder with its ETag and Last-Modified, so the next fetch sends
If-None-Match / If-Modified-Since and a 304 costs no download. When the origin is gone (host
not found, refused, 404, 410, 5xx after retries...), the Wayback Machine's availability API is
asked for the closest snapshot and its raw bytes are fetched instead.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .catalog import Report, url_problem
from .errors import FetchError, brief
from .store import SourceRecord, Store, now_iso

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
# Statuses after which an archived copy is worth asking for: the origin no longer has it.
ARCHIVABLE_STATUS = frozenset({401, 403, 404, 410, 451, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchSettings:
    """How fetching behaves; every limit guards against a server that misbehaves."""

    timeout: float = 30.0  # seconds to connect, and between two reads of the body
    deadline: float = 900.0  # a whole download; stops a server that trickles bytes forever
    retries: int = 3  # on connection errors and 5xx, with exponential back-off
    backoff: float = 1.0  # first back-off in seconds (then 2x, 4x...)
    max_bytes: int = 200 * 1024 * 1024
    max_redirects: int = 10
    # The Wayback Machine; its availability API lives at <archive>/wayback/available.
    # An empty string turns the archive fallback off.
    archive: str = "https://archive.org"
    user_agent: str = "splib/0.1 (full-text search for a library of reports)"


@dataclass(frozen=True)
class Fetched:
    """The outcome of a successful fetch: where the bytes came from and are kept."""

    record: SourceRecord


class _OriginFailed(FetchError):
    """The origin has no copy for us; an archived one may do."""


def local_unchanged(report: Report, previous: SourceRecord | None, store: Store) -> bool:
    """Whether `report`'s local file is the one read into `previous`: the same path, size
    and modification time (it was not touched since), its copy still in the store. A file
    that cannot be looked at is not unchanged: reading it tells why."""
    if report.path is None or previous is None or previous.origin != "path" or \
            previous.url != str(report.path):
        return False
    try:
        stat = report.path.stat()
    except OSError:
        return False
    return previous.size == stat.st_size and previous.mtime_ns == stat.st_mtime_ns and \
        store.has_source(previous.sha256)


class Fetcher:
    """Fetches catalog entries into a `Store`."""

    def __init__(self, store: Store, settings: FetchSettings | None = None) -> None:
        self.store = store
        self.settings = settings or FetchSettings()
        self._session: requests.Session | None = None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = self._make_session()
        return self._session

    def _make_session(self) -> requests.Session:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        s = self.settings
        retry = Retry(
            total=s.retries, connect=s.retries, read=s.retries, status=s.retries, other=0,
            redirect=False,  # requests follows redirects itself, under max_redirects
            backoff_factor=s.backoff / 2, backoff_max=30,
            status_forcelist=(500, 502, 503, 504), allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=False,  # a huge Retry-After would stall the run
        )
        retry = _no_dns_retry_class().from_retry(retry)
        session = requests.Session()
        # Only http and https are mounted: a redirect to file:, ftp: or any other scheme
        # finds no adapter and fails instead of being followed.
        session.adapters.clear()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.max_redirects = s.max_redirects
        session.headers["User-Agent"] = s.user_agent
        session.trust_env = False  # no netrc credentials or proxies picked up behind our back
        return session

    # -- entry points ----------------------------------------------------------------------

    def read_path(self, report: Report, previous: SourceRecord | None) -> Fetched:
        """Read a catalog entry's local `path` into the store."""
        assert report.path is not None
        try:
            if local_unchanged(report, previous, self.store):
                assert previous is not None
                return Fetched(record=previous)
            stat = report.path.stat()
            data = report.path.read_bytes()
        except FileNotFoundError:
            raise FetchError(f"local file not found: {report.path}; fix `path` in the catalog") \
                from None
        except IsADirectoryError:
            raise FetchError(f"`path` is a folder, not a file: {report.path}") from None
        except OSError as exc:
            raise FetchError(f"cannot read {report.path}: {exc.strerror}") from None
        sha, size = self.store.put_source(data)
        record = SourceRecord(url=str(report.path), final_url=str(report.path), sha256=sha,
                              size=size, fetched_at=now_iso(), origin="path",
                              mtime_ns=stat.st_mtime_ns)
        return Fetched(record=record)

    def fetch_url(self, url: str, previous: SourceRecord | None) -> Fetched:
        """Fetch `url`, conditionally when we hold a copy; fall back to the web archive."""
        problem = url_problem(url)
        if problem:
            raise FetchError(f"address refused: it {problem}")
        try:
            return self._from_origin(url, previous)
        except _OriginFailed as failure:
            if not self.settings.archive:
                raise FetchError(str(failure)) from None
            try:
                return self._from_archive(url, previous)
            except FetchError as archive_failure:
                raise FetchError(f"{failure}; {archive_failure}") from None

    # -- origin ----------------------------------------------------------------------------

    def _from_origin(self, url: str, previous: SourceRecord | None) -> Fetched:
        headers: dict[str, str] = {}
        usable = previous is not None and previous.origin == "origin" and \
            previous.url == url and self.store.has_source(previous.sha256)
        if usable and previous is not None:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        response = self._get(url, headers, archivable=True)
        with response:
            if response.status_code == 304 and usable and previous is not None:
                log.info("%s not modified", url)
                return Fetched(record=_refreshed(previous))
            if response.status_code != 200:
                reason = f"the site answered HTTP {response.status_code}"
                if response.status_code in ARCHIVABLE_STATUS:
                    raise _OriginFailed(reason + _status_hint(response.status_code))
                raise FetchError(reason)
            sha, size = self._download(response, url)
        record = SourceRecord(
            url=url, final_url=response.url, sha256=sha, size=size, fetched_at=now_iso(),
            origin="origin", etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
        )
        return Fetched(record=record)

    def _get(self, url: str, headers: dict[str, str], archivable: bool) -> requests.Response:
        import requests

        failure = _OriginFailed if archivable else FetchError
        host = urlsplit(url).hostname or url
        try:
            response = self.session.get(url, headers=headers, stream=True,
                                        timeout=self.settings.timeout)
        except requests.exceptions.TooManyRedirects:
            raise FetchError(
                f"more than {self.settings.max_redirects} redirects (a redirect loop?)"
            ) from None
        except requests.exceptions.InvalidSchema:
            raise FetchError("redirected to an address that is not http or https; refused") \
                from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidHeader) as exc:
            raise FetchError(f"bad address: {exc}") from None
        except requests.exceptions.RetryError:
            raise failure(f"{host} kept failing after {self.settings.retries} retries") \
                from None
        except requests.exceptions.Timeout:
            raise failure(f"{host} did not answer within {self.settings.timeout:g} s") from None
        except requests.exceptions.ConnectionError as exc:
            raise failure(_connection_failure(host, exc).text) from None
        except requests.exceptions.RequestException as exc:
            raise failure(f"network error with {host}: {brief(exc)}") from None
        if urlsplit(response.url).scheme not in ("http", "https"):  # belt and braces
            response.close()
            raise FetchError("redirected to an address that is not http or https; refused")
        return response

    def _download(self, response: requests.Response, url: str) -> tuple[str, int]:
        import requests

        cap = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(
                f"the file is {int(declared) / 1e6:.0f} MB, over the {cap / 1e6:.0f} MB limit"
            )
        from urllib3.exceptions import DecodeError, HTTPError, ProtocolError, ReadTimeoutError

        started = time.monotonic()
        received = 0
        raw = response.raw
        try:
            with self.store.new_source() as (handle, sink):
                # read1 returns what has arrived (up to CHUNK) instead of waiting for a whole
                # chunk, so a server trickling a byte at a time meets the deadline on time.
                # Decoded bytes are counted, so a gzip bomb hits the cap like any large body.
                while chunk := raw.read1(CHUNK, decode_content=True):
                    received += len(chunk)
                    if received > cap:
                        raise FetchError(f"the download passed the {cap / 1e6:.0f} MB limit; "
                                         "stopped")
                    if time.monotonic() - started > self.settings.deadline:
                        raise _OriginFailed(
                            f"the download took over {self.settings.deadline:g} s "
                            f"({received} bytes so far); stopped"
                        )
                    handle.write(chunk)
                return sink.commit()
        except ReadTimeoutError:
            raise _OriginFailed(f"the download stalled for over {self.settings.timeout:g} s "
                                f"({received} bytes so far); stopped") from None
        except (ProtocolError, DecodeError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            raise _OriginFailed(f"the download was cut short or garbled ({brief(exc)})") \
                from None
        except requests.exceptions.ConnectionError as exc:
            raise _OriginFailed(f"the download broke off: {brief(exc)}") from None
        except (HTTPError, requests.exceptions.RequestException) as exc:
            raise _OriginFailed(f"the download failed: {brief(exc)}") from None

    # -- archive ---------------------------------------------------------------------------

    def _from_archive(self, url: str, previous: SourceRecord | None) -> Fetched:
        import requests

        api = self.settings.archive.rstrip("/") + "/wayback/available"
        try:
            response = self.session.get(api, params={"url": url}, timeout=self.settings.timeout)
            response.raise_for_status()
            info: Any = response.json()
        except requests.exceptions.ConnectionError as exc:
            host = urlsplit(api).hostname or api
            failed = _connection_failure(host, exc)
            reason = f"{host} could not be found either" if failed.unknown_host else failed.text
            raise FetchError(f"the web archive could not be reached ({reason})") from None
        except requests.exceptions.RequestException as exc:
            raise FetchError(f"the web archive could not be asked ({brief(exc)})") from None
        except ValueError:
            raise FetchError("the web archive gave an unreadable answer") from None
        closest = (info.get("archived_snapshots") or {}).get("closest") or {} \
            if isinstance(info, dict) else {}
        snapshot = closest.get("url") if closest.get("available") else None
        if not isinstance(snapshot, str):
            raise FetchError("the web archive has no copy")
        raw = _raw_snapshot(snapshot, url)
        if url_problem(raw):
            raise FetchError("the web archive pointed to an unusable address")
        response = self._get(raw, {}, archivable=False)
        with response:
            if response.status_code != 200:
                raise FetchError(f"the web archive's copy answered HTTP {response.status_code}")
            try:
                sha, size = self._download(response, raw)
            except _OriginFailed as exc:
                raise FetchError(f"the web archive's copy failed: {exc}") from None
        log.info("%s fetched from the web archive: %s", url, raw)
        record = SourceRecord(url=url, final_url=raw, sha256=sha, size=size,
                              fetched_at=now_iso(), origin="archive")
        return Fetched(record=record)


def _no_dns_retry_class() -> Any:
    from urllib3.exceptions import MaxRetryError, NameResolutionError
    from urllib3.util.retry import Retry

    class NoDnsRetry(Retry):
        """Retries as configured, except a host name that does not resolve: asking again
        a second later only makes an offline run slow."""

        @classmethod
        def from_retry(cls, retry: Retry) -> Retry:
            return cls(**{k: getattr(retry, k) for k in (
                "total", "connect", "read", "status", "other", "redirect", "backoff_factor",
                "backoff_max", "status_forcelist", "allowed_methods", "raise_on_status",
                "respect_retry_after_header")})

        def increment(self, method: Any = None, url: Any = None, response: Any = None,
                      error: Any = None, _pool: Any = None, _stacktrace: Any = None) -> Any:
            if isinstance(error, NameResolutionError):
                raise MaxRetryError(_pool, url, error) from error
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return NoDnsRetry


def _raw_snapshot(snapshot: str, url: str) -> str:
    """The snapshot's original bytes: `/web/<timestamp>id_/<url>` instead of the replay page."""
    match = re.match(r"^(https?://[^/]+)/web/(\d{1,14})[a-z_]*/", snapshot)
    if not match:
        return snapshot
    return f"{match.group(1)}/web/{match.group(2)}id_/{url}"


def _refreshed(previous: SourceRecord) -> SourceRecord:
    return SourceRecord(**{**previous.__dict__, "fetched_at": now_iso()})


def _status_hint(status: int) -> str:
    return {404: " (not found: the page has moved or is gone)",
            410: " (gone: the site removed it)",
            401: " (it asks for a login)", 403: " (access refused)"}.get(status, "")


@dataclass(frozen=True)
class _ConnectionFailure:
    """Why a connection failed, in words, and whether the host name was unknown (DNS)."""

    text: str
    unknown_host: bool = False


def _connection_failure(host: str, exc: BaseException) -> _ConnectionFailure:
    text = str(exc)
    if any(s in text for s in ("NameResolution", "Name or service not known",
                               "Temporary failure in name resolution", "nodename nor servname",
                               "No address associated")):
        return _ConnectionFailure(
            f"no network, or an unknown host: {host} could not be found (DNS)", True)
    if "Connection refused" in text:
        return _ConnectionFailure(f"{host} refused the connection")
    if "timed out" in text.lower():
        return _ConnectionFailure(f"{host} did not answer in time")
    if "Max retries exceeded" in text:
        return _ConnectionFailure(f"could not connect to {host} after retries")
    return _ConnectionFailure(f"could not connect to {host}: {brief(exc)}")
