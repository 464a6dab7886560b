"""`splib serve` in a real browser: Debian's headless Chromium driven by Playwright.

The server is the real command (`python -m indexer serve --port 0`) in a child process on
127.0.0.1; the browser types, clicks and reads the page as a person would.

The screenshot of a results page that the README shows (docs/screenshots/results.png) is
taken on every run but written to the repository only when asked, so a test run leaves the
tree as it was:

    SPLIB_SCREENSHOTS=1 .venv/bin/python -m pytest tests/test_browser.py
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, WEB_ORGS, XSS_TITLE, build_web_library

from indexer import Library

CHROMIUM = os.environ.get("SPLIB_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "screenshots" / "results.png"
# Chromium as root in a closed network: no sandbox, no calls home (see .ci/run).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's chromium (.ci/run does) or set "
           "SPLIB_CHROMIUM")


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return build_web_library(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(lib: Library, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base address of `splib serve` running over `lib`."""
    with serving(["--catalog", str(lib.catalog_path), "--data", str(lib.store.root), "serve",
                  "--port", "0", "--title", "Test library"],
                 tmp_path_factory.mktemp("serve"), title="Test library") as base:
        yield base


@contextlib.contextmanager
def serving(args: list[str], cwd: Path, title: str = "Report library") -> Iterator[str]:
    """`python -m indexer ARGS` (a `serve` command) run in `cwd`; its base address. Every
    request it answered must have been answered without an unexpected error."""
    # The server's messages go to a file: a pipe nobody reads could fill and stall it.
    errors = cwd / "serve-stderr.txt"
    with errors.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "indexer", *args], cwd=cwd,
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        line = _read_line(proc, errors, timeout=30)
        assert line.startswith(f"Serving {title!r} at http://127.0.0.1:"), line
        yield line.split(" at ", 1)[1].split(" ", 1)[0].rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        finally:
            assert proc.stdout is not None
            proc.stdout.close()
    assert "a request failed" not in errors.read_text(), errors.read_text()


def _read_line(proc: subprocess.Popen[str], errors: Path, timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"splib serve printed no address within {timeout} s: "
                                 f"{errors.read_text()}")
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"splib serve stopped: {errors.read_text()}")
    return line.strip()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    try:
        yield tab
    finally:
        context.close()


def search(page: Any, server: str, query: str) -> None:
    page.goto(server + "/")
    page.get_by_label("Words, a phrase in quotes, or a question").fill(query)
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def heading(page: Any) -> str:
    return " ".join(page.locator("#results-heading").inner_text().split())


def test_type_a_query_and_see_highlighted_snippets_with_page_links(
        page: Any, server: str) -> None:
    search(page, server, "transport")
    assert heading(page).startswith("12 reports match; 1\u201310 shown")
    assert page.get_by_role("link", name="Narrow the results").is_hidden()  # beside them
    hits = page.locator("ol.hits > li")
    assert hits.count() == 10
    first = hits.first
    marks = first.locator(".snippet mark")
    assert marks.count() >= 1 and marks.first.inner_text().lower() == "transport"
    link = first.locator("a.where").first
    assert link.inner_text() == "p. 2"
    href = link.get_attribute("href")
    assert href is not None and href.endswith("#page=2") and href.startswith("/copy/")
    # The saved copy behind the link is the PDF that was indexed.
    with urllib.request.urlopen(server + href.split("#")[0]) as answer:
        assert answer.headers["Content-Type"] == "application/pdf"
        assert answer.read(5) == b"%PDF-"
    shot = page.screenshot()
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 10_000
    if os.environ.get("SPLIB_SCREENSHOTS") == "1":  # see the module's docstring
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(shot)


def test_apply_a_facet_then_page_forward(page: Any, server: str) -> None:
    search(page, server, "shelter")
    assert heading(page).startswith("13 reports match; 1\u201310 shown")
    page.get_by_role("link", name="Next →").click()
    page.wait_for_load_state()
    assert "page=2" in page.url
    assert heading(page).startswith("13 reports match; 11\u201313 shown")
    assert page.locator("ol.hits > li").count() == 3
    assert page.locator("ol.hits").get_attribute("start") == "11"
    # Choosing an organisation starts again at page 1 with that organisation's reports only.
    page.locator(".facets").get_by_role("link", name=WEB_ORGS[1], exact=True).click()
    page.wait_for_load_state()
    assert "page=" not in page.url
    assert heading(page).startswith("4 reports match")
    facts = page.locator("ol.hits .facts").all_inner_texts()
    assert len(facts) == 4 and all(WEB_ORGS[1] in f for f in facts)
    assert page.locator('.facets strong[aria-current="true"]').inner_text() == WEB_ORGS[1]
    # Then a year range, typed in the form.
    page.get_by_label("From").fill("2009")
    page.get_by_label("to", exact=True).fill("2015")
    page.get_by_role("button", name="Apply years").click()
    page.wait_for_load_state()
    facts = page.locator("ol.hits .facts").all_inner_texts()
    assert sorted(f.split(" · ")[1] for f in facts) == ["2009", "2012", "2015"]


def test_sort_by_newest(page: Any, server: str) -> None:
    search(page, server, "transport")
    page.get_by_role("navigation", name="Sort the results").get_by_role(
        "link", name="Newest").click()
    page.wait_for_load_state()
    years = [f.split(" · ")[1] for f in page.locator("ol.hits .facts").all_inner_texts()]
    assert years == [str(y) for y in range(2019, 2009, -1)]
    page.get_by_role("link", name="Next →").click()
    page.wait_for_load_state()
    years = [f.split(" · ")[1] for f in page.locator("ol.hits .facts").all_inner_texts()]
    assert years == ["2009", "2008"]


def test_follow_a_suggestion(page: Any, server: str) -> None:
    search(page, server, "sheltr")
    page.get_by_role("link", name="shelter", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_label("Words, a phrase in quotes, or a question").input_value() \
        == "shelter"
    assert heading(page).startswith("13 reports match")


def test_an_xss_probe_in_a_report_renders_as_text(page: Any, server: str) -> None:
    search(page, server, "probe")
    title = page.locator("ol.hits h3").first
    assert title.inner_text() == XSS_TITLE  # the markup shows as the text it is
    snippets = page.locator("ol.hits .snippet").all_inner_texts()
    assert any("<script>document.title = 'pwned'</script>" in s for s in snippets)
    assert page.evaluate("window.__xss") is None
    assert page.title() != "pwned" and page.dialogs == []
    assert page.locator("ol.hits script, ol.hits img").count() == 0
    # A query made of markup is shown as typed, not run.
    search(page, server, "<img src=x onerror=alert(1)> probe")
    assert page.dialogs == [] and page.locator("main img").count() == 0


def test_more_like_this_leads_to_similar_reports(page: Any, server: str) -> None:
    search(page, server, "transport")
    first = page.locator("ol.hits > li").first
    title = first.locator("h3").inner_text()
    first.get_by_role("link", name="More like this").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == title
    similar = page.locator("ul.similar > li > a")
    assert similar.count() == 5
    assert all(t.startswith("Shelter study number") and t != title
               for t in similar.all_inner_texts())


def test_unreadable_query_shows_the_message(page: Any, server: str) -> None:
    search(page, server, "the of and")
    assert "only very common words" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Words, a phrase in quotes, or a question").is_visible()


def test_catalog_page_lists_each_report_with_its_status(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Catalog").click()
    page.wait_for_load_state()
    rows = page.locator("table.catalog tbody tr")
    assert rows.count() == 14
    assert page.locator("#no-text .state").inner_text() == "Summary only"
    page.locator("#shelter-03").get_by_role("link").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Shelter study number 3"


def test_works_on_a_phone_without_javascript(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740},
                                  java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(server + "/?q=shelter")
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert tab.evaluate("document.documentElement.scrollWidth") <= 375
        assert tab.locator("ol.hits > li").count() == 10
        # The filters come after the results on a phone; a link at the top leads to them.
        tab.get_by_role("link", name="Narrow the results").click()
        assert tab.url.endswith("#facets-heading")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1200, 375])
def test_pages_pass_axe_accessibility_checks(browser: Any, server: str, width: int) -> None:
    """axe-core (the engine behind Lighthouse's accessibility audit): labels, headings,
    landmarks, contrast, link names, on every kind of page, at a desktop's and a phone's
    width."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        for path in ("/", "/?q=shelter", "/?q=shelter&page=2", "/?q=sheltr",
                     f"/?q=shelter&org={urllib.parse.quote(WEB_ORGS[0])}&from=2009&to=2014",
                     "/?q=the+of", "/?q=probe", "/catalog", "/report/shelter-01",
                     "/report/no-text", "/no-such-page"):
            tab.goto(server + path)
            results = Axe().run(tab)
            assert results.violations_count == 0, f"{path}:\n{results.generate_report()}"
    finally:
        context.close()


def test_api_json_matches_the_cli(server: str, lib: Library) -> None:
    query = '"emergency shelter" transport'
    printed = subprocess.run(
        [sys.executable, "-m", "indexer", "--catalog", str(lib.catalog_path), "--data",
         str(lib.store.root), "search", query, "--year", "2009-2016", "--json"],
        capture_output=True, text=True, check=True, timeout=120)
    url = server + "/api/search?" + urllib.parse.urlencode({"q": query, "year": "2009-2016"})
    with urllib.request.urlopen(url, timeout=60) as answer:
        served = answer.read().decode("utf-8")
    assert json.loads(served) == json.loads(printed.stdout)
    assert served == printed.stdout.rstrip("\n")
    assert len(json.loads(served)["results"]) == 8


def test_the_server_answers_only_to_this_machines_names(server: str) -> None:
    """A page elsewhere that points its own domain at 127.0.0.1 (DNS rebinding) gets a 400."""
    port = server.rsplit(":", 1)[1]
    for host, status in ((f"localhost:{port}", 200), (f"127.0.0.1:{port}", 200),
                         (f"attacker.example:{port}", 400)):
        request = urllib.request.Request(server + "/api/search?q=shelter",
                                         headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                assert answer.status == status, host
        except urllib.error.HTTPError as exc:
            assert exc.code == status, host
            exc.close()
