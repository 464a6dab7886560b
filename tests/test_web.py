"""`splib serve`'s pages and API through Flask's test client (the browser tests are in
test_browser.py): escaping, facets, paging, saved copies, errors, and the API against the CLI."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import WEB_ORGS, XSS_ORG, XSS_TEXT, XSS_TITLE, build_web_library, write_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import Library, QueryError
from indexer.cli import main
from indexer.web import PAGE_SIZE, create_app


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return build_web_library(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(lib: Library) -> Any:
    return create_app(lib, title="Test library").test_client()


def hit_ids(html: str) -> list[str]:
    return re.findall(r'<a href="/report/([^"]+)">About this report</a>', html)


def count_heading(html: str) -> str:
    match = re.search(r'<h2 id="results-heading"[^>]*>(.*?)</h2>', html, re.S)
    assert match, html
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_results_show_highlights_page_links_and_the_summary(client: Any) -> None:
    page = client.get("/?q=transport")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert count_heading(html).startswith("12 reports match")
    assert len(hit_ids(html)) == PAGE_SIZE
    # The page link opens the saved PDF at the page that matched (page 2 of each study).
    assert re.search(r'href="/copy/shelter-\d\d#page=2">p\. 2</a>', html)
    assert "<mark>transport</mark>" in html
    summary = client.get("/?q=shelters").get_data(as_text=True)
    assert re.search(r'<span class="where">Summary</span>\s*<span class="snippet">What '
                     r"<mark>shelters</mark> offer", summary)


def test_every_piece_of_report_text_and_the_query_is_escaped(client: Any) -> None:
    query = '<script>alert("q")</script> probe'
    page = client.get("/", query_string={"q": query})
    html = page.get_data(as_text=True)
    assert "xss-probe" in hit_ids(html)
    # No tag from the report or the query reaches the page; each shows as text.
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    for text in (XSS_TITLE, XSS_ORG, query):
        assert escape_html(text) in html
    assert "document.title = &#39;pwned&#39;" in html  # the page text, as text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    report = client.get("/report/xss-probe").get_data(as_text=True)
    assert "<script" not in report and escape_html(XSS_TITLE) in report


def escape_html(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab <>&'\"\x0e\x0f\u00e9")), max_size=40),
       cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=8))
def test_a_snippet_is_escaped_piece_by_piece_with_its_words_marked(text: str,
                                                                   cuts: list[int]) -> None:
    """The one-call escaping of a snippet gives what escaping each piece apart gives: every
    piece of text escaped, each matched word in <mark>, a control character that stood for a
    tag while escaping shown as a space."""
    from markupsafe import escape

    from indexer.snippets import Snippet
    from indexer.web import highlight

    ends = sorted({min(c, len(text)) for c in cuts})
    spans = tuple((a, b) for a, b in zip(ends[::2], ends[1::2], strict=False) if a < b)
    plain = text.replace("\x0e", " ").replace("\x0f", " ")
    expected, last = "", 0
    for start, end in spans:
        expected += f"{escape(plain[last:start])}<mark>{escape(plain[start:end])}</mark>"
        last = end
    expected += str(escape(plain[last:]))
    shown = str(highlight(Snippet(page=1, label=None, text=text, highlights=spans)))
    assert shown == expected
    assert "\x0e" not in shown and "\x0f" not in shown


def test_organisation_facet_counts_and_filters(client: Any) -> None:
    html = client.get("/?q=shelter").get_data(as_text=True)
    counts = dict(re.findall(r'<a href="/\?q=shelter&amp;org=[^"]+">([^<]+)</a> '
                             r'<span class="n">(\d+)</span>', html))
    assert {unescape(k): int(v) for k, v in counts.items()} == {
        WEB_ORGS[0]: 4, WEB_ORGS[1]: 4, WEB_ORGS[2]: 4, unescape(escape_html(XSS_ORG)): 1}
    chosen = client.get("/", query_string={"q": "shelter", "org": WEB_ORGS[2]})
    html = chosen.get_data(as_text=True)
    assert count_heading(html).startswith("4 reports match")
    assert sorted(hit_ids(html)) == ["shelter-02", "shelter-05", "shelter-08", "shelter-11"]
    # The chosen organisation is marked, and the others stay listed to switch to.
    assert f'<strong aria-current="true">{WEB_ORGS[2]}</strong>' in html
    assert f">{WEB_ORGS[0]}</a>" in html


def test_year_facet_and_range(client: Any) -> None:
    html = client.get("/?q=shelter").get_data(as_text=True)
    years = re.findall(r'from=(\d{4})&amp;to=\1">\1</a>', html)
    assert sorted(years) == [str(y) for y in range(2008, 2020)] + ["2020"]
    ranged = client.get("/?q=shelter&from=2010&to=2012").get_data(as_text=True)
    assert sorted(hit_ids(ranged)) == ["shelter-02", "shelter-03", "shelter-04"]
    # Other years stay listed under a chosen range; the chosen ones are marked.
    assert '<strong aria-current="true">2011</strong>' in ranged and ">2015</a>" in ranged
    backwards = client.get("/?q=shelter&from=2012&to=2010").get_data(as_text=True)
    assert sorted(hit_ids(backwards)) == sorted(hit_ids(ranged))
    bad = client.get("/?q=shelter&from=20x0").get_data(as_text=True)
    assert "The year &#39;20x0&#39; is not 1000\u20139999; it was left out." in bad
    assert count_heading(bad).startswith("13 reports match")


def test_paging_shows_each_report_once(client: Any) -> None:
    first = client.get("/?q=shelter").get_data(as_text=True)
    assert count_heading(first).startswith("13 reports match; 1\u201310 shown")
    assert 'href="/?q=shelter&amp;page=2" rel="next"' in first
    second = client.get("/?q=shelter&page=2").get_data(as_text=True)
    assert '<ol class="hits" start="11">' in second
    assert count_heading(second).startswith("13 reports match; 11\u201313 shown")
    seen = hit_ids(first) + hit_ids(second)
    assert len(seen) == len(set(seen)) == 13
    past = client.get("/?q=shelter&page=5").get_data(as_text=True)
    assert "page 5 is past the last" in past and not hit_ids(past)


def test_library_paging_matches_one_long_list(lib: Library) -> None:
    whole = [h.id for h in lib.search("shelter", limit=13, pages=0).results]
    pages = [h.id for offset in (0, 5, 10)
             for h in lib.search("shelter", limit=5, pages=0, offset=offset).results]
    assert pages == whole
    within = lib.search("shelter", within={"shelter-03", "no-text", "shelter-07"})
    assert {h.id for h in within.results} == {"shelter-03", "shelter-07"}
    assert within.matched == {"shelter-03", "shelter-07"}


def test_sort_by_date_pages_through_every_match_in_order(lib: Library, client: Any) -> None:
    dates = {r.id: r.date for r in lib.catalog()}
    for sort, newest_first in (("newest", True), ("oldest", False)):
        paged = [h.id for offset in (0, 5, 10)
                 for h in lib.search("shelter", limit=5, offset=offset, sort=sort).results]
        assert len(paged) == 13
        assert paged == sorted(paged, key=lambda i: dates[i], reverse=newest_first)
    assert [h.id for h in lib.search("shelter", limit=2, sort="newest").results] == \
        ["xss-probe", "shelter-11"]
    # On the page: sort links keep the query and filters, start again at page 1.
    html = client.get("/?q=shelter&page=2").get_data(as_text=True)
    assert '<a href="/?q=shelter&amp;sort=newest">Newest</a>' in html
    assert '<strong aria-current="true">Relevance</strong>' in html
    newest = client.get("/?q=shelter&sort=newest&org=" + WEB_ORGS[0]).get_data(as_text=True)
    assert hit_ids(newest) == ["shelter-09", "shelter-06", "shelter-03", "shelter-00"]
    assert 'name="sort" value="newest"' in newest  # a new query keeps the order
    odd = client.get("/?q=shelter&sort=random").get_data(as_text=True)
    assert "not &#39;random&#39;; they are sorted by relevance" in odd
    with pytest.raises(QueryError, match="Sort by one of relevance, newest, oldest"):
        lib.search("shelter", sort="random")


def test_suggestion_links_to_the_corrected_query(client: Any) -> None:
    html = client.get("/?q=sheltr").get_data(as_text=True)
    assert 'Did you mean <a href="/?q=shelter" rel="nofollow">shelter</a>?' in html


def test_unreadable_queries_show_a_message_on_the_search_page(client: Any) -> None:
    for query, message in (("the of and", "only very common words"),
                           ("foo:bar", "Unknown field foo:")):
        page = client.get("/", query_string={"q": query})
        html = page.get_data(as_text=True)
        assert page.status_code == 400 and message in html
        assert '<form role="search"' in html and "Traceback" not in html


def test_an_unfinished_year_range_is_read_as_far_as_it_goes(client: Any) -> None:
    # "year:[2010 TO" is year:2010 (as on the command line): the one study dated 2010.
    page = client.get("/", query_string={"q": "year:[2010 TO"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Traceback" not in html
    assert count_heading(html) == "1 report matches"
    assert hit_ids(html) == ["shelter-02"]


def test_a_pasted_text_longer_than_the_syntax_limit_is_searched(client: Any) -> None:
    page = client.get("/", query_string={"q": "x" * 1001})
    assert page.status_code == 200 and "No report matches." in page.get_data(as_text=True)


def test_search_inside_one_report(client: Any) -> None:
    html = client.get("/?q=shelter&report=shelter-04").get_data(as_text=True)
    assert hit_ids(html) == ["shelter-04"]

    assert "Only in \u201cShelter study number 4\u201d" in html
    unknown = client.get("/?q=shelter&report=nope").get_data(as_text=True)
    assert "The catalog has no report &#39;nope&#39;; all reports were searched." in unknown
    assert count_heading(unknown).startswith("13 reports match")
    assert 'name="report"' not in unknown


def test_inside_one_report_every_matching_page_is_listed(library: Library) -> None:
    client = create_app(library).test_client()
    query = "guide OR case OR housing OR survivors"
    everywhere = client.get("/", query_string={"q": query}).get_data(as_text=True)
    inside = client.get("/", query_string={"q": query, "report": "hhs-guide"}).get_data(
        as_text=True)
    pages = re.compile(r'href="/copy/hhs-guide#page=(\d)"')
    assert len(pages.findall(everywhere)) == 3  # the best three, beside the other reports
    assert sorted(pages.findall(inside)) == ["1", "2", "3", "4", "5"]


def test_saved_copy_is_the_indexed_file_and_nothing_else_is_served(
        client: Any, lib: Library) -> None:
    with client.get("/copy/shelter-01") as copy:  # closing it closes the file
        assert copy.status_code == 200 and copy.mimetype == "application/pdf"
        assert copy.data == (lib.catalog_path.parent / "r1.pdf").read_bytes()
    for url in ("/copy/no-text", "/copy/unknown", "/copy/../catalog.toml",
                "/copy/%2e%2e%2fcatalog.toml", "/static/../catalog.toml",
                "/report/unknown", "/static/%2e%2e/__init__.py"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert b"shelter" not in answer.data.lower()
    assert client.post("/?q=shelter").status_code == 405


def test_catalog_lists_every_entry_with_its_status(client: Any) -> None:
    html = client.get("/catalog").get_data(as_text=True)
    assert "14 reports" in html
    assert len(re.findall(r'<span class="state state-text">Full text</span>, 3 pages', html)) \
        == 12
    assert re.search(r'id="no-text">.*?Summary only', html, re.S)
    only = client.get("/catalog?state=summary-only").get_data(as_text=True)
    assert re.findall(r'<tr id="([^"]+)">', only) == ["no-text"]


def test_report_page_shows_the_entry_and_similar_reports(client: Any) -> None:
    html = client.get("/report/shelter-01").get_data(as_text=True)
    assert "Shelter study number 1" in html and WEB_ORGS[1] in html
    assert '<a href="/copy/shelter-01">' in html
    assert re.search(r'<h2 id="similar">More like this</h2>\s*<ul class="similar">\s*'
                     r'<li><a href="/report/shelter-', html)


def test_api_answers_exactly_what_the_cli_prints(client: Any, lib: Library) -> None:
    for query, options in (("shelter", []), ("transport", ["--limit", "3", "--year", "2010-2015"]),
                           ('"emergency shelter" -"county 11"', ["--org", "justice"]),
                           ("shelter", ["--limit", "5", "--offset", "10"]),
                           ("transport", ["--sort", "oldest", "--limit", "4"])):
        printed = CliRunner().invoke(main, ["search", query, "--json", *options], obj=lib)
        assert printed.exit_code == 0, printed.output
        params = {"q": query, **{k.lstrip("-"): v for k, v in zip(options[::2], options[1::2],
                                                                 strict=True)}}
        answer = client.get("/api/search", query_string=params)
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        assert answer.get_data(as_text=True) == printed.stdout.rstrip("\n")
        assert json.loads(answer.data)["results"], query


def test_cli_pages_with_offset_as_the_web_page_does(lib: Library) -> None:
    result = CliRunner().invoke(main, ["search", "shelter", "--limit", "5", "--offset", "10"],
                                obj=lib)
    assert result.exit_code == 0, result.output
    assert "13 reports match; showing 11-13." in result.stderr
    ranks = re.findall(r"^(\d+)\. ", result.stdout, re.M)
    assert ranks == ["11", "12", "13"]
    past = CliRunner().invoke(main, ["search", "shelter", "--offset", "20"], obj=lib)
    assert past.exit_code == 0 and "No reports match 'shelter' past the first 20." in past.stderr


def test_api_errors_are_json_with_a_message(client: Any) -> None:
    for params, status in (({"q": ""}, 400), ({"q": "shelter", "limit": "lots"}, 400),
                           ({"q": "shelter", "year": "soon"}, 400)):
        answer = client.get("/api/search", query_string=params)
        assert answer.status_code == status
        assert answer.mimetype == "application/json" and json.loads(answer.data)["error"]


def test_pages_say_when_there_is_no_index_yet(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[[report]]\nid = "a"\ntitle = "A"\n', encoding="utf-8")
    client = create_app(Library(catalog=catalog, data=tmp_path / "data")).test_client()
    page = client.get("/?q=shelter")
    assert page.status_code == 503 and "Run `splib rebuild` first" in unescape(
        page.get_data(as_text=True))
    api = client.get("/api/search?q=shelter")
    assert api.status_code == 503 and "splib rebuild" in json.loads(api.data)["error"]
    assert client.get("/catalog").status_code == 200


def test_a_broken_catalog_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("[[report]\nid = ", encoding="utf-8")
    client = create_app(Library(catalog=catalog, data=tmp_path / "data")).test_client()
    for url in ("/catalog", "/?q=x", "/report/a", "/copy/a"):
        page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 503, url
        assert "catalog" in html.lower() and "Traceback" not in html, url
    # The front page still offers the search box, and says what the keeper must fix.
    front = client.get("/")
    assert front.status_code == 200 and "must fix the catalog" in front.get_data(as_text=True)
    # With no index, the catalog is what a rebuild needs: the server is at fault, not the query.
    api = client.get("/api/search?q=x&sort=newest")
    assert api.status_code == 503 and "catalog" in json.loads(api.data)["error"]


def test_a_catalog_broken_while_serving_leaves_search_working(tmp_path: Path) -> None:
    """The keeper's typo in the catalog: the search page answers from the index as last
    built, as the JSON API does, and says why the catalog is not used."""
    from conftest import GUIDE, make_pdf

    (tmp_path / "guide.pdf").write_bytes(make_pdf(GUIDE))
    catalog = write_catalog(tmp_path / "catalog.toml", [
        {"id": "guide", "title": "Guide", "summary": "Housing.", "path": "guide.pdf"}])
    lib = Library(catalog=catalog, data=tmp_path / "data")
    lib.rebuild(offline=True)
    client = create_app(lib).test_client()
    catalog.write_text(catalog.read_text(encoding="utf-8") + "id = \n", encoding="utf-8")
    page = client.get("/?q=housing")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and hit_ids(html) == ["guide"]
    assert "the catalog cannot be read now" in html and "not valid TOML" in html
    inside = client.get("/?q=housing&report=guide")
    assert inside.status_code == 200 and "needs the catalog; all reports were searched" in unescape(
        inside.get_data(as_text=True))
    api = client.get("/api/search?q=housing")
    assert api.status_code == 200 and [h["id"] for h in api.get_json()["results"]] == ["guide"]
    assert any("the catalog cannot be read now" in n for n in api.get_json()["notes"])


def test_xss_text_is_in_the_fixture(lib: Library) -> None:
    # The probe is only a probe if the page text really carries the markup.
    doc = lib.show("xss-probe").document
    assert doc is not None and "<script>" in doc.pages[1].text and XSS_TEXT[:20] in \
        doc.pages[1].text


def test_serve_says_when_the_port_is_taken(lib: Library) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)], obj=lib)
    assert result.exit_code == 1, result.output
    assert f"Cannot listen on 127.0.0.1:{port}" in result.output
    assert "pick another with --port" in result.output and "Traceback" not in result.output


def test_serve_without_an_index_names_the_rebuild_of_its_library(tmp_path: Path) -> None:
    import socket

    write_catalog(tmp_path / "catalog.toml", [
        {"id": "guide", "title": "Guide", "summary": "Shelter for survivors."}])
    unbuilt = Library(catalog=tmp_path / "catalog.toml", data=tmp_path / "elsewhere")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)], obj=unbuilt)
    assert f"until `splib --catalog {tmp_path / 'catalog.toml'} --data " \
           f"{tmp_path / 'elsewhere'} rebuild` has run" in result.output


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(
    st.sampled_from(["q", "org", "from", "to", "page", "report", "state", "limit", "pages",
                     "year", "sort", "offset"]),
    st.one_of(st.text(max_size=40), st.sampled_from(["2010", "0", "²", "9" * 5000, "shelter",
                                                     '"', "year:[", "1e3", "-1", "newest"])),
    max_size=6))
def test_no_request_parameters_make_an_error_page(lib: Library, client: Any,
                                                  params: dict[str, str]) -> None:
    """Whatever the parameters, each page answers as the library does: a query the library
    cannot read is a 400 with its message, anything else a 200 (the search page and the
    catalog set aside parameters they cannot read; the API refuses them by name)."""

    def refused(query: str) -> str | None:
        try:
            lib.search(query)
        except QueryError as exc:
            return str(exc)
        return None

    answers = {path: client.get(path, query_string=params)
               for path in ("/", "/api/search", "/catalog")}
    for path, answer in answers.items():
        assert b"Traceback" not in answer.data, path
        assert b"Something went wrong" not in answer.data, path
    assert answers["/catalog"].status_code == 200
    q = (params.get("q") or "").strip()
    problem = refused(q) if q else None
    page = answers["/"]
    assert page.status_code == (400 if problem else 200), (params, problem)
    if problem:
        assert problem in unescape(page.get_data(as_text=True))
    api = answers["/api/search"]
    data = json.loads(api.data)
    problem = refused(params.get("q", ""))
    if api.status_code == 200:
        assert problem is None and data["query"] == params.get("q", ""), (params, problem)
    else:
        # The query's message, or one naming a parameter beside it that cannot be read.
        assert api.status_code == 400 and set(data) == {"error"}, data
        assert data["error"] == problem or any(name in data["error"] for name in (
            "`limit`", "`pages`", "`offset`", "Sort by", "The year", "--org")), (params, data)
        assert problem is not None or params.keys() - {"q"}, (params, data)


def test_a_saved_web_page_is_served_sandboxed(library: Library) -> None:
    client = create_app(library).test_client()
    with client.get("/copy/housing-article") as page:
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert page.headers["Content-Security-Policy"].startswith("sandbox;")
        assert b"<article>" in page.data
    with client.get("/copy/hhs-guide") as pdf:  # Chromium shows no PDF under a sandbox
        assert pdf.mimetype == "application/pdf"
        assert "sandbox" not in pdf.headers["Content-Security-Policy"]
    # A page of the HTML report links to its source when it has one, else to nothing.
    html = client.get("/?q=shelters").get_data(as_text=True)
    assert "/copy/housing-article#page=" not in html


def test_many_organisations_fold_into_more(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.web

    monkeypatch.setattr(indexer.web, "SHOWN_ORGS", 2)
    html = client.get("/?q=shelter").get_data(as_text=True)
    facets = html[html.index('<aside class="facets"'):]
    assert re.search(r"</ul><details><summary>2 more</summary><ul>", facets)
    assert len(re.findall(r'<a href="/\?q=shelter&amp;org=', facets)) == 4


def test_saved_copies_open_with_the_readmes_relative_data_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`splib serve` in the library's folder with the default `.splib`: the PDF at /copy/ID
    is served (Flask read relative paths from the package folder: a 500)."""
    from conftest import GUIDE, make_pdf, write_catalog

    (tmp_path / "guide.pdf").write_bytes(make_pdf(GUIDE))
    write_catalog(tmp_path / "catalog.toml", [
        {"id": "guide", "title": "Guide", "summary": "Housing.", "path": "guide.pdf"}])
    monkeypatch.chdir(tmp_path)
    lib = Library(catalog="catalog.toml", data=".splib")
    lib.rebuild(offline=True)
    client = create_app(lib).test_client()
    html = client.get("/?q=housing").get_data(as_text=True)
    assert 'href="/copy/guide#page=4"' in html
    with client.get("/copy/guide") as copy:
        assert copy.status_code == 200 and copy.data.startswith(b"%PDF")


def test_how_to_search_says_what_the_search_does(client: Any) -> None:
    """The help beside the search box tells how words are matched as the search does it:
    reports with some of the words follow, so it does not say every word must appear."""
    page = client.get("/").get_data(as_text=True)
    assert "then, when\n  they are few, reports with some of them" in page
    assert "Every word must appear" not in page
    assert "misspelt word is searched with its correction" in page


def test_a_question_says_its_reports_share_words_with_it(client: Any) -> None:
    page = client.get("/", query_string={
        "q": "what housing and shelter programs help trafficking survivors?"})
    assert page.status_code == 200
    assert "words with it, the closest first" in count_heading(page.get_data(as_text=True))


def test_did_you_mean_a_question_ends_with_one_question_mark(client: Any) -> None:
    html = client.get("/", query_string={"q": "shelterz for survivors?"}).get_data(
        as_text=True)
    assert 'rel="nofollow">shelter for survivors?</a></p>' in html
    plain = client.get("/", query_string={"q": "shelterz"}).get_data(as_text=True)
    assert 'rel="nofollow">shelter</a>?</p>' in plain


def test_a_report_given_as_the_catalog_is_said_on_every_page(tmp_path: Path) -> None:
    """The server was started on a report by mistake: the front page says so as the search
    does (503), not that the library's keeper must fix the catalog."""
    from conftest import GUIDE, make_pdf

    (tmp_path / "guide.pdf").write_bytes(make_pdf(GUIDE))
    client = create_app(Library(catalog=tmp_path / "guide.pdf",
                                data=tmp_path / "data")).test_client()
    for path in ("/", "/?q=shelter", "/api/search?q=shelter"):
        answer = client.get(path)
        assert answer.status_code == 503, path
        text = unescape(answer.get_data(as_text=True))
        assert "is a report, not a catalog" in text and "keeper" not in text, path
