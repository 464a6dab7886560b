"""Fetching through a real HTTP server on 127.0.0.1: caching, redirects, errors, the archive."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LibraryFactory, fast_fetch, make_html, make_pdf, write_catalog
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from indexer import Library
from indexer.cli import main
from indexer.fetch import Fetcher
from indexer.store import Store

PDF_BYTES = make_pdf(["Front page of the report.", "Page two says transitional housing works."])


def entry(url: str, report_id: str = "r1") -> dict[str, object]:
    return {"id": report_id, "title": "A report", "summary": "About housing.", "url": url}


def only(lib: Library):  # type: ignore[no-untyped-def]
    [status] = lib.status()
    return status


def test_200_is_stored_with_its_validators(httpserver: HTTPServer,
                                           make_library: LibraryFactory) -> None:
    httpserver.expect_request("/report.pdf").respond_with_data(
        PDF_BYTES, content_type="application/pdf",
        headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2014 00:00:00 GMT"})
    lib = make_library([entry(httpserver.url_for("/report.pdf"))])
    [status] = lib.fetch()
    assert (status.state, status.source, status.pages) == ("text", "origin", 2)
    record = lib.store.load_manifest()["r1"].source
    assert record is not None
    assert record.etag == '"v1"' and record.last_modified.startswith("Wed, 01 Jan 2014")
    assert record.final_url == httpserver.url_for("/report.pdf")
    assert lib.store.source_path(record.sha256).read_bytes() == PDF_BYTES
    assert record.fetched_at


def test_304_costs_no_download(httpserver: HTTPServer, make_library: LibraryFactory) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(PDF_BYTES, content_type="application/pdf",
                        headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2014 00:00:00 GMT"})

    httpserver.expect_request("/report.pdf").respond_with_handler(handler)
    lib = make_library([entry(httpserver.url_for("/report.pdf"))])
    lib.fetch()
    first = lib.store.load_manifest()["r1"].source
    [status] = lib.fetch(refetch=True)
    assert seen[1].get("If-None-Match") == '"v1"'
    assert seen[1].get("If-Modified-Since") == "Wed, 01 Jan 2014 00:00:00 GMT"
    assert status.state == "text" and status.source == "origin"
    second = lib.store.load_manifest()["r1"].source
    assert second is not None and first is not None and second.sha256 == first.sha256


def test_redirect_is_followed(httpserver: HTTPServer, make_library: LibraryFactory) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/new.pdf")})
    httpserver.expect_request("/new.pdf").respond_with_data(PDF_BYTES)
    lib = make_library([entry(httpserver.url_for("/old"))])
    [status] = lib.fetch()
    assert status.state == "text"
    source = lib.store.load_manifest()["r1"].source
    assert source is not None and source.final_url.endswith("/new.pdf")


def archive_for(httpserver: HTTPServer, body: bytes) -> None:
    """Make the loopback server answer like the Wayback Machine, with `body` as the copy."""

    def available(request: Request) -> Response:
        url = request.args["url"]
        snapshot = httpserver.url_for(f"/web/20130919044612/{url}")
        return Response(
            f'{{"url": "{url}", "archived_snapshots": {{"closest": {{"status": "200", '
            f'"available": true, "url": "{snapshot}", "timestamp": "20130919044612"}}}}}}',
            content_type="application/json")

    httpserver.expect_request("/wayback/available").respond_with_handler(available)
    httpserver.expect_request(re.compile(r"^/web/20130919044612id_/.*gone\.pdf$")) \
        .respond_with_data(body, content_type="application/pdf")


def test_404_falls_back_to_the_archive(httpserver: HTTPServer,
                                       make_library: LibraryFactory) -> None:
    httpserver.expect_request("/gone.pdf").respond_with_data("Not found", status=404)
    archive_for(httpserver, PDF_BYTES)
    lib = make_library([entry(httpserver.url_for("/gone.pdf"))], archive=httpserver.url_for(""))
    [status] = lib.fetch()
    assert (status.state, status.source) == ("text", "archive")
    assert status.url is not None and "/web/20130919044612id_/" in status.url
    assert status.error is None


def test_web_page_links_the_archive_copy_that_was_indexed(
        httpserver: HTTPServer, make_library: LibraryFactory) -> None:
    from indexer.web import create_app

    httpserver.expect_request("/gone.pdf").respond_with_data("Not found", status=404)
    archive_for(httpserver, PDF_BYTES)
    lib = make_library([entry(httpserver.url_for("/gone.pdf"))], archive=httpserver.url_for(""))
    lib.rebuild()
    archived = lib.status()[0].url
    assert archived is not None and "/web/20130919044612id_/" in archived
    client = create_app(lib).test_client()
    [hit] = lib.search("transitional").results
    html = client.get("/?q=transitional").get_data(as_text=True)
    assert f'<a href="{archived}" rel="noreferrer">{hit.title}</a>' in html
    report = client.get("/report/r1").get_data(as_text=True)
    assert "Text read from" in report and f'href="{archived}"' in report


def test_archive_without_a_copy_says_both_reasons(httpserver: HTTPServer,
                                                  make_library: LibraryFactory) -> None:
    httpserver.expect_request("/gone.pdf").respond_with_data("Gone", status=410)
    httpserver.expect_request("/wayback/available").respond_with_json(
        {"url": "x", "archived_snapshots": {}})
    lib = make_library([entry(httpserver.url_for("/gone.pdf"))], archive=httpserver.url_for(""))
    [status] = lib.fetch()
    assert status.state == "summary-only"
    assert status.error is not None
    assert "HTTP 410" in status.error and "the web archive has no copy" in status.error


def test_500_then_success_is_retried(httpserver: HTTPServer,
                                     make_library: LibraryFactory) -> None:
    calls = []

    def flaky(request: Request) -> Response:
        calls.append(1)
        if len(calls) == 1:
            return Response("busy", status=503)
        return Response(PDF_BYTES, content_type="application/pdf")

    httpserver.expect_request("/flaky.pdf").respond_with_handler(flaky)
    lib = make_library([entry(httpserver.url_for("/flaky.pdf"))])
    [status] = lib.fetch()
    assert status.state == "text" and len(calls) == 2


def test_timeout_is_recorded(httpserver: HTTPServer, tmp_path: Path) -> None:
    gave_up = threading.Event()

    def silent(request: Request) -> Response:
        # No answer until the fetch has given up, so only its timeout can end the wait (the
        # bound on this wait only keeps a broken test from hanging the server).
        gave_up.wait(timeout=60)
        return Response(PDF_BYTES)

    httpserver.expect_request("/slow.pdf").respond_with_handler(silent)
    catalog = write_catalog(tmp_path / "c.toml", [entry(httpserver.url_for("/slow.pdf"))])
    settings = fast_fetch()
    from dataclasses import replace

    lib = Library(catalog=catalog, data=tmp_path / "d",
                  fetch=replace(settings, timeout=0.3, retries=0))
    try:
        [status] = lib.fetch()
    finally:
        gave_up.set()
    assert status.state == "summary-only"
    assert status.error is not None and "did not answer" in status.error


def text_of_size(size: int) -> bytes:
    """A plain-text report of exactly `size` bytes: readable, so it would be indexed if kept."""
    line = b"Transitional housing works for survivors of labor trafficking.\n"
    return (line * (size // len(line) + 1))[:size]


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_refused(httpserver: HTTPServer, tmp_path: Path,
                                   chunked: bool) -> None:
    """A body one byte over the limit is refused and nothing of it is kept; one at the limit
    is stored (so the check on the data folder can see a stored source)."""
    limit = 1_000_000
    bodies = {"/fits.txt": text_of_size(limit), "/big.txt": text_of_size(limit + 1)}
    for path, body in bodies.items():
        if chunked:  # no Content-Length: the limit is found while downloading
            def stream(request: Request, body: bytes = body) -> Response:
                return Response(iter([body[i:i + 65536] for i in range(0, len(body), 65536)]))
            httpserver.expect_request(path).respond_with_handler(stream)
        else:  # Content-Length says it before any byte is read
            httpserver.expect_request(path).respond_with_data(body)
    from dataclasses import replace

    catalog = write_catalog(tmp_path / "c.toml", [entry(httpserver.url_for("/fits.txt"), "fits"),
                                                  entry(httpserver.url_for("/big.txt"), "big")])
    lib = Library(catalog=catalog, data=tmp_path / "d",
                  fetch=replace(fast_fetch(), max_bytes=limit))
    status = {s.id: s for s in lib.fetch()}
    assert status["big"].state == "summary-only"
    assert status["big"].error is not None and "MB limit" in status["big"].error
    assert status["fits"].state == "text", status["fits"].error
    records = lib.store.load_manifest()
    assert records["big"].source is None and records["big"].text_key is None
    kept = records["fits"].source
    assert kept is not None and kept.size == limit
    # The one file in the sources folder is the body at the limit: no part of the big one,
    # not even a temporary file, is left.
    assert [p.name for p in lib.store.sources.iterdir()] == [kept.sha256]
    assert lib.store.source_path(kept.sha256).read_bytes() == bodies["/fits.txt"]
    assert [h.id for h in lib.rebuild(offline=True).with_text] == ["fits"]


def test_pdf_served_as_html_is_read_as_pdf(httpserver: HTTPServer,
                                           make_library: LibraryFactory) -> None:
    httpserver.expect_request("/page.html").respond_with_data(
        PDF_BYTES, content_type="text/html; charset=utf-8")
    lib = make_library([entry(httpserver.url_for("/page.html"))])
    [status] = lib.fetch()
    assert status.state == "text" and status.pages == 2


def test_html_report_is_fetched_and_extracted(httpserver: HTTPServer,
                                              make_library: LibraryFactory) -> None:
    httpserver.expect_request("/article").respond_with_data(
        make_html(charset="windows-1252"), content_type="application/octet-stream")
    lib = make_library([entry(httpserver.url_for("/article"))])
    [status] = lib.fetch()
    assert status.state == "text" and status.pages == 1
    view = lib.show("r1")
    assert view.document is not None
    assert "transitional housing" in view.document.pages[0].text


@pytest.fixture
def lying_server() -> Iterator[str]:
    """A server whose Content-Length promises more than it sends, then hangs up."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
                             b"Content-Length: 100000\r\nConnection: close\r\n\r\n"
                             + PDF_BYTES[:500])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/cut.pdf"
    stop.set()
    thread.join()
    sock.close()


def test_truncated_download_is_not_kept(lying_server: str, make_library: LibraryFactory) -> None:
    lib = make_library([entry(lying_server)])
    [status] = lib.fetch()
    assert status.state == "summary-only"
    assert status.error is not None and "cut short" in status.error
    assert not [p for p in lib.store.sources.iterdir() if not p.name.startswith(".")]


def test_failed_refetch_keeps_the_last_good_copy(httpserver: HTTPServer,
                                                 make_library: LibraryFactory) -> None:
    httpserver.expect_oneshot_request("/report.pdf").respond_with_data(PDF_BYTES)
    httpserver.expect_request("/report.pdf").respond_with_data("down", status=500)
    lib = make_library([entry(httpserver.url_for("/report.pdf"))])
    assert lib.fetch()[0].source == "origin"
    [status] = lib.fetch(refetch=True)
    assert (status.state, status.source, status.pages) == ("text", "cache", 2)
    assert status.error is not None and "HTTP 500" in status.error
    report = lib.rebuild(offline=True)
    assert report.pages == 2
    assert lib.search("transitional housing").results[0].snippets[-1].page == 2


def test_redirect_to_another_scheme_is_refused(httpserver: HTTPServer,
                                               make_library: LibraryFactory) -> None:
    httpserver.expect_request("/sneaky").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"})
    lib = make_library([entry(httpserver.url_for("/sneaky"))])
    [status] = lib.fetch()
    assert status.state == "summary-only"
    assert status.error is not None and "not http or https" in status.error


def test_endless_redirects_stop(httpserver: HTTPServer, make_library: LibraryFactory) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/loop")})
    lib = make_library([entry(httpserver.url_for("/loop"))])
    [status] = lib.fetch()
    assert status.error is not None and "redirects" in status.error


def test_fetcher_refuses_non_http_addresses(tmp_path: Path) -> None:
    fetcher = Fetcher(Store(tmp_path), fast_fetch())
    from indexer import FetchError

    for url in ("file:///etc/passwd", "ftp://example.org/a.pdf", "https://u:p@example.org/"):
        with pytest.raises(FetchError, match="address refused"):
            fetcher.fetch_url(url, None)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_network_leaves_every_entry_summary_only(tmp_path: Path) -> None:
    """The README's set-up on a machine without network: each entry says why, exit 0."""
    from indexer.catalog import load_catalog

    real = load_catalog(Path(__file__).resolve().parents[1] / "corpus" / "catalog.toml")
    port = closed_port()
    entries = [{"id": r.id, "title": r.title, "summary": r.summary,
                "url": f"http://127.0.0.1:{port}/{r.id}.pdf"} for r in real]
    catalog = write_catalog(tmp_path / "c.toml", entries)
    lib = Library(catalog=catalog, data=tmp_path / "d",
                  fetch=fast_fetch(archive=f"http://127.0.0.1:{port}"))
    result = CliRunner().invoke(main, ["fetch"], obj=lib)
    assert result.exit_code == 0, result.output
    for r in real:
        assert re.search(rf"^{re.escape(r.id)}\s+summary-only", result.output, re.M)
        assert f"{r.id}: 127.0.0.1 refused the connection" in result.output
    statuses = Library(catalog=catalog, data=tmp_path / "d").status()
    assert {s.state for s in statuses} == {"summary-only"}


def test_splib_archive_chooses_the_archive_and_empty_turns_it_off(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from indexer.fetch import FetchSettings

    def archive() -> str:
        return Library(catalog=tmp_path / "catalog.toml", data=tmp_path / "data") \
            .fetch_settings.archive

    monkeypatch.delenv("SPLIB_ARCHIVE", raising=False)
    assert archive() == FetchSettings.archive != ""
    monkeypatch.setenv("SPLIB_ARCHIVE", "http://127.0.0.1:9")
    assert archive() == "http://127.0.0.1:9"
    monkeypatch.setenv("SPLIB_ARCHIVE", "")
    assert archive() == ""
