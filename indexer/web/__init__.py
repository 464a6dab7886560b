"""`splib serve`: the library's search page, its catalog and a JSON API, rendered on the server.

Flask with Jinja2 templates; every page works without JavaScript. Report text and queries are
escaped by Jinja2's autoescaping (snippets are built from escaped pieces and `<mark>` tags
only), and a strict Content-Security-Policy forbids scripts on every page we render. No
request names a file: reports are looked up by catalog id, and a saved copy's path comes
from the data folder's manifest.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import Flask, Response, abort, render_template, request, send_file
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, SecurityError

from ..catalog import Catalog
from ..engine import Facets
from ..errors import (
    CatalogError,
    IndexDamagedError,
    IndexMissingError,
    NotACatalogError,
    NotFoundError,
    QueryError,
    SplibError,
)
from ..extract import EXTENSIONS
from ..library import Library, SavedCopy
from ..query import parse_years
from ..results import SORTS, Hit
from ..search import JSON_MORE_LIKE_THIS
from ..snippets import Snippet
from ..wording import SOURCE_WORDS

__all__ = ["create_app", "serve"]

log = logging.getLogger(__name__)

PAGE_SIZE = 10  # reports a results page shows
MAX_PAGE = 100  # deeper than this, a person should narrow the query
SHOWN_ORGS = 12  # organisations listed before "more"
IN_REPORT_PAGES = 25  # snippets shown when searching inside one report
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Our pages: no scripts, no frames, styles and forms from this server only.
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
               "base-uri 'none'; frame-ancestors 'none'")
# A saved web page or text runs in an opaque origin without scripts, so it cannot reach ours.
COPY_POLICY = "sandbox; default-src 'none'; img-src * data:; style-src * 'unsafe-inline'"


@dataclass(frozen=True)
class Filters:
    """What a search page asks for beyond the query: an organisation, years, one report."""

    org: str | None = None  # an organisation exactly as the catalog spells it
    first: int | None = None  # year range, inclusive
    last: int | None = None
    report: str | None = None  # search inside this report only
    page: int = 1
    sort: str = "relevance"  # or "newest", "oldest"

    @property
    def years(self) -> tuple[int, int] | None:
        if self.first is None and self.last is None:
            return None
        first = self.first if self.first is not None else self.last
        last = self.last if self.last is not None else self.first
        assert first is not None and last is not None
        return min(first, last), max(first, last)

    def params(self, q: str, /, **changes: Any) -> dict[str, str]:
        """The query string for this search with `changes` (None drops a parameter)."""
        values: dict[str, Any] = {"q": q, "org": self.org, "from": self.first, "to": self.last,
                                  "report": self.report, "sort": self.sort, "page": self.page}
        values.update({k.rstrip("_"): v for k, v in changes.items()})
        if values.get("page") == 1:
            values["page"] = None
        if values.get("sort") == "relevance":
            values["sort"] = None
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def read_filters(args: Mapping[str, str]) -> tuple[Filters, list[str]]:
    """The filters of a request, and a message for each parameter that could not be read."""
    problems: list[str] = []

    def number(name: str, low: int, high: int, what: str) -> int | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        value = _whole(raw)
        if value is not None and low <= value <= high:
            return value
        problems.append(f"{what} {raw[:20]!r} is not {low}\u2013{high}; it was left out.")
        return None

    first = number("from", 1000, 9999, "The year")
    last = number("to", 1000, 9999, "The year")
    year = (args.get("year") or "").strip()
    if year and first is None and last is None:
        # `year=2013` or `year=2008-2013`, as on the command line and in the JSON API.
        try:
            span = parse_years(year)
        except QueryError:
            problems.append(f"The year {year[:20]!r} is not a year or a range like "
                            "2008-2013; it was left out.")
        else:
            first, last = span if span else (None, None)
    page = number("page", 1, MAX_PAGE, "The result page") or 1
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        problems.append(f"Results can be sorted by {', '.join(SORTS)}, not {sort[:20]!r}; "
                        "they are sorted by relevance.")
        sort = "relevance"
    return Filters(org=(args.get("org") or "").strip() or None, first=first, last=last,
                   report=(args.get("report") or "").strip() or None, page=page,
                   sort=sort), problems


@dataclass(frozen=True)
class Facet:
    value: str
    count: int
    selected: bool


# The <mark> tags' stand-ins while a snippet is escaped in one call (escaping each piece
# apart made most of a results page's 340 calls of `escape`): control characters, which
# extracted text never holds (normalize.py); one in a catalog's summary shows as a space.
_MARK, _UNMARK = "\x0e", "\x0f"


def highlight(snip: Snippet) -> Markup:
    """The snippet's text, escaped, with its matched words in <mark>."""
    text = snip.text
    if _MARK in text or _UNMARK in text:
        text = text.replace(_MARK, " ").replace(_UNMARK, " ")  # the same length
    pieces: list[str] = []
    last = 0
    for start, end in snip.highlights:
        pieces += (text[last:start], _MARK, text[start:end], _UNMARK)
        last = end
    pieces.append(text[last:])
    escaped = str(escape("".join(pieces)))
    return Markup(escaped.replace(_MARK, "<mark>").replace(_UNMARK, "</mark>"))


def snippet_lines(hit: Hit, copy: SavedCopy | None) -> Markup:
    """A hit's snippets as the lines of a results page: where each passage is (a link to that
    page of the saved PDF `copy`, or to the report's address), the passage with its matched
    words marked, and a warning on a page read by OCR. Built here rather than in the
    template: a page shows about thirty, and Jinja's work on their pieces was over half the
    page's rendering."""
    lines = []
    for snip in hit.snippets:
        where = escape(snip.citation or "Summary")
        target = page_link(hit.id, snip, hit.url, copy) if snip.page is not None else None
        place = f'<a class="where" href="{escape(target)}">{where}</a>' if target else \
            f'<span class="where">{where}</span>'
        ocr = ' <span class="ocr">(read by OCR: may contain errors)</span>' if snip.ocr else ""
        lines.append(f'<li>{place} <span class="snippet">{highlight(snip)}</span>{ocr}</li>')
    return Markup("\n".join(lines))


def page_link(report_id: str, snip: Snippet, url: str, copy: SavedCopy | None) -> str | None:
    """Where a snippet's page opens: the saved PDF at that page (what was indexed, even when
    the source has moved or died), else the report's address."""
    if copy is not None and copy.media_type == "application/pdf" and snip.page is not None:
        return f"/copy/{report_id}#page={snip.page}"
    return url or None


def create_app(lib: Library, title: str = "Report library",
               trusted_hosts: list[str] | None = None) -> Flask:
    """The web application over `lib`; `title` names the library on every page. With
    `trusted_hosts`, a request naming another host in its Host header gets a 400."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024, TRUSTED_HOSTS=trusted_hosts)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(library_title=title, sources=SOURCE_WORDS)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # queries stay on this server
        return response

    @app.get("/")
    def index() -> Any:
        q = (request.args.get("q") or "").strip()
        filters, problems = read_filters(request.args)
        context: dict[str, Any] = {"q": q, "filters": filters, "problems": problems,
                                   "results": None, "error": None}
        status = 200
        if q:
            try:
                context.update(_results_page(lib, q, filters))
            except SplibError as exc:
                context["error"], status = str(exc), _status(exc)
        else:
            try:
                context["statuses"] = Counter(s.state for s in lib.status())
            except NotACatalogError as exc:  # the server was started on a report
                context["error"], status = str(exc), 503
            except CatalogError as exc:  # searching still works: the index answers
                problems.append(f"The library's keeper must fix the catalog ({exc}); "
                                "searches answer from the index as it was last built.")
            except SplibError as exc:
                context["error"], status = str(exc), 503
        return render_template("search.html", **context), status

    @app.get("/catalog")
    def catalog_page() -> Any:
        catalog = lib.catalog()
        statuses = {s.id: s for s in lib.status()}
        state = request.args.get("state")
        state = state if state in ("text", "summary-only", "error") else None
        counts = Counter(s.state for s in statuses.values())
        rows = [(r, statuses[r.id]) for r in catalog
                if state is None or statuses[r.id].state == state]
        return render_template("catalog.html", rows=rows, counts=counts, state=state,
                               total=len(catalog))

    @app.get("/report/<report_id>")
    def report_page(report_id: str) -> Any:
        report = lib.catalog().get(report_id)  # NotFoundError: 404
        status = next((s for s in lib.status() if s.id == report_id), None)
        if status is None:  # the catalog changed between the two reads
            abort(404)
        try:
            similar = lib.similar(report_id, limit=5)
        except SplibError:
            similar = []  # no index yet, or not in it yet: the page still shows the entry
        copy = lib.saved_copies([report_id]).get(report_id)
        return render_template("report.html", report=report, status=status, similar=similar,
                               copy=copy)

    @app.get("/copy/<report_id>")
    def saved_copy(report_id: str) -> Any:
        copy = lib.saved_copy(report_id)  # NotFoundError: 404
        if copy is None:
            abort(404)
        extension = EXTENSIONS.get(copy.media_type, "txt")
        # Absolute: Flask reads a relative path from the package folder, not the current one.
        response = send_file(copy.path.resolve(), mimetype=copy.media_type, conditional=True,
                             download_name=f"{report_id}.{extension}", max_age=3600)
        if copy.media_type != "application/pdf":
            # Chromium will not show a PDF under a sandbox policy; PDFs run no page scripts.
            response.headers["Content-Security-Policy"] = COPY_POLICY
        return response

    @app.get("/api/search")
    def api_search() -> Response:
        args = request.args
        try:
            results = lib.search(
                args.get("q", ""), limit=_int(args, "limit", 10, 1, 1000),
                pages=_int(args, "pages", 3, 0, 50), org=args.get("org") or None,
                year=args.get("year") or None, more_like_this=JSON_MORE_LIKE_THIS,
                offset=_int(args, "offset", 0, 0, 10_000), sort=args.get("sort") or "relevance",
                facets=True)
        except SplibError as exc:
            return _json({"error": str(exc)}, _status(exc))
        return _json(results.to_json(), 200)

    @app.errorhandler(SplibError)
    def library_error(exc: SplibError) -> Any:
        if isinstance(exc, NotFoundError):
            return not_found(exc)
        return render_template("message.html", heading="The library cannot answer",
                               message=str(exc)), 503

    @app.errorhandler(404)
    def not_found(_: Exception) -> Any:
        return render_template("message.html", heading="Not found",
                               message="There is no such page or report here. The catalog "
                                       "lists every report."), 404

    @app.errorhandler(405)
    def not_allowed(_: Exception) -> Any:
        return render_template("message.html", heading="Not allowed",
                               message="This server only answers GET requests."), 405

    @app.errorhandler(Exception)
    def failed(exc: Exception) -> Any:
        if isinstance(exc, SecurityError):  # a Host header not in TRUSTED_HOSTS
            return Response("This server answers only to this machine's own addresses.\n",
                            status=400, mimetype="text/plain")
        if isinstance(exc, HTTPException):
            return render_template("message.html", heading=exc.name,
                                   message=exc.description or ""), exc.code or 500
        log.exception("a request failed")
        return render_template("message.html", heading="Something went wrong",
                               message="This is a bug in splib; the server's log has the "
                                       "details. Other searches still work."), 500

    return app


def _results_page(lib: Library, q: str, filters: Filters) -> dict[str, Any]:
    """Search with the page's filters; the results and the facets' counts. A catalog that
    cannot be read (a typo while its keeper edits it) does not stop the search: the index
    as last built answers, and the page says why the catalog is not used."""
    notes: list[str] = []
    try:
        catalog: Catalog | None = lib.catalog()
    except CatalogError:  # the search says so in its notes
        catalog = None
    if filters.report and (catalog is None or catalog.find(filters.report) is None):
        notes.append("Searching inside one report needs the catalog; all reports were searched."
                     if catalog is None else f"The catalog has no report {filters.report!r}; "
                     "all reports were searched.")
        filters = replace(filters, report=None)
    years = filters.years
    offset = (filters.page - 1) * PAGE_SIZE
    # "More like this" is a link to the report's page, as on the command line: finding the
    # similar reports of ten results would cost ten times the search itself.
    # Inside one report, every matching page is worth a line (up to IN_REPORT_PAGES).
    pages = IN_REPORT_PAGES if filters.report else 3
    # One search: the results, and the facets, each counted under the other filters (so
    # choosing an organisation still shows the others to switch to, and the same for years).
    results = lib.search(q, limit=PAGE_SIZE, pages=pages, year=years,
                         within={filters.report} if filters.report else None,
                         organization=filters.org, offset=offset, sort=filters.sort,
                         facets=True)
    counted = results.facets or Facets()
    org_facets = [Facet(name, n, name == filters.org) for name, n in counted.organization]
    year_facets = [Facet(str(y), n, years is not None and years[0] <= y <= years[1])
                   for y, n in counted.year]
    try:
        copies = lib.saved_copies(h.id for h in results.results) if catalog is not None \
            else {}
    except CatalogError:  # broken since it was read above: the results show without them
        copies = {}
    last_page = min(MAX_PAGE, max(1, -(-results.total // PAGE_SIZE)))
    return {"results": results, "filters": filters, "notes": notes, "sorts": SORTS,
            "org_facets": org_facets, "year_facets": year_facets,
            "shown_orgs": SHOWN_ORGS, "copies": copies, "snippet_lines": snippet_lines,
            "last_page": last_page, "offset": offset,
            "in_report": catalog.find(filters.report) if filters.report and catalog is not None
            else None,
            "link": lambda **changes: "/?" + urlencode(filters.params(q, **changes),
                                                       quote_via=_quoted)}


# A results page links to itself about twenty times with one value changed (the query, often
# a long question, in every link): each value is quoted once.
_quoted = lru_cache(maxsize=512)(quote_plus)


def _status(exc: SplibError) -> int:
    """503 for what the server must fix (no index yet or a damaged one, a catalog it cannot
    read: written to the server's log too), 400 for what the request asked (a query it
    cannot read)."""
    if isinstance(exc, (IndexMissingError, IndexDamagedError, CatalogError)):
        log.warning("%s", str(exc))  # the text: a record must not keep the exception alive
        return 503
    return 400


def _int(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    value = _whole(raw.strip())
    if value is None or not low <= value <= high:
        raise QueryError(f"`{name}` must be a whole number from {low} to {high}.")
    return value


def _whole(raw: str) -> int | None:
    """`raw` as a small whole number written in ASCII digits ("²" is a digit to Python)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def _json(data: Any, status: int) -> Response:
    # The very text `splib search --json` prints, so the two can be compared byte for byte.
    return Response(json.dumps(data, ensure_ascii=False, indent=1), status=status,
                    mimetype="application/json")


def serve(lib: Library, host: str, port: int, title: str,
          ready: Callable[[str], None] = lambda url: None, threads: int = 4) -> None:
    """Serve `lib` on host:port with waitress until interrupted (Ctrl+C returns); `ready` is
    told the address once the port is open (port 0 picks a free one)."""
    import socket

    from waitress import create_server

    # On this machine only, pages answer only to this machine's names: a web page elsewhere
    # cannot read them through a domain that it points at 127.0.0.1 (DNS rebinding).
    trusted = [*LOOPBACK, "[::1]"] if host in LOOPBACK else None
    app = create_app(lib, title=title, trusted_hosts=trusted)
    try:
        # Our own listening socket: a clear message when the port is taken (waitress, binding
        # it itself, would leave its socket open on that error).
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.create_server((host, port), family=family)
    except socket.gaierror:
        raise SplibError(f"{host!r} is not an address of this machine; give one with --host "
                         "(127.0.0.1 for this machine only, 0.0.0.0 for every network).") from None
    except OSError as exc:
        raise SplibError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}); another "
                         "program may use that port: pick another with --port.") from None
    # The queue warns on every request that waits for a thread; not a person's concern.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = create_server(app, sockets=[sock], threads=threads, ident="splib")
    ready(f"http://{_url_host(host)}:{sock.getsockname()[1]}/")
    try:
        server.run()
    finally:
        server.close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
