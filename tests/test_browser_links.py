"""A library built and served exactly as the README's "Your own library" shows, in a browser.

In its own folder, with the default data folder (a relative `.splib` beside the catalog), the
commands run in that folder: every local link of a results page, a report page and the
catalog answers 200, the saved PDFs at /copy/ID included (they were a 500: the relative path
was read from the package's folder). On a phone, every column of the catalog is on screen.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import CHROMIUM, serving
from test_browser import browser as browser  # the same Chromium, one per module
from test_newcomer import own_library, splib

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's chromium (.ci/run does) or set "
           "SPLIB_CHROMIUM")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`splib --catalog catalog.toml rebuild`, then `... serve`, both in the library's folder."""
    folder = own_library(tmp_path_factory.mktemp("own") / "lib")
    built = splib("--catalog", "catalog.toml", "rebuild", cwd=folder)
    assert built.returncode == 0, built.stderr
    assert (folder / ".splib").is_dir()
    with serving(["--catalog", "catalog.toml", "serve", "--port", "0"], folder) as base:
        yield base


def local_links(tab: Any, server: str) -> set[str]:
    hrefs = tab.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    return {urllib.parse.urldefrag(h)[0] for h in hrefs if h.startswith(server)}


def test_every_local_link_answers(browser: Any, served: str) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        tab = context.new_page()
        seen: set[str] = set()
        for start in ("/", "/?q=shelter", "/report/guide", "/report/training", "/catalog"):
            tab.goto(served + start)
            seen |= local_links(tab, served)
        copies = {link for link in seen if "/copy/" in link}
        assert served + "/copy/guide" in copies and served + "/copy/training" in copies
        assert served + "/report/guide" in seen
        for link in sorted(seen):
            answer = context.request.get(link)
            assert answer.status == 200, (link, answer.status, answer.text()[:200])
            if "/copy/" in link:
                assert answer.headers["content-type"] == "application/pdf"
                assert answer.body().startswith(b"%PDF")
    finally:
        context.close()


def test_the_catalog_shows_every_column_on_a_phone(browser: Any, served: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    try:
        tab = context.new_page()
        tab.goto(served + "/catalog")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 375
        for cell in tab.locator("table.catalog td").all():
            box = cell.bounding_box()
            if box is not None:  # an empty cell is not shown
                assert box["x"] >= 0 and box["x"] + box["width"] <= 375, cell.inner_text()
        status = tab.locator("#guide td[data-label=Status]")
        assert status.is_visible() and "Full text" in status.inner_text()
        assert "3 reports: 2 with full text, 1 summary only, 0 that could not be read" in \
            " ".join(tab.locator("main p").first.inner_text().split())
    finally:
        context.close()


def test_an_empty_result_offers_no_facets(browser: Any, served: str) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(served + "/?q=zebra")
        assert tab.get_by_role("heading", name="No report matches.").is_visible()
        assert tab.locator("aside.facets").count() == 0
        tab.goto(served + "/?q=shelter&year=abc")
        assert "The year 'abc' is not a year or a range like 2008-2013" in tab.content()
        tab.goto(served + "/?q=shelter&year=2010-2011")
        assert tab.locator("ul.chosen").inner_text().startswith("2010–2011")
    finally:
        context.close()
