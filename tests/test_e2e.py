"""End to end on the real reports: a phrase from a known page comes back with that page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_catalog

from indexer import Library
from indexer.cli import main

GUIDE = "Combating Child Sex Trafficking a Guide for Law Enforcement.pdf"
PAGE = 7  # physical page; its printed label is "3"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


@pytest.fixture(scope="module")
def real_library(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Library:
    tmp = tmp_path_factory.mktemp("real")
    reports = sorted((corpora / "reports").glob("*.pdf"))
    entries = [{"id": f"report-{n}", "title": path.stem, "summary": "", "path": str(path)}
               for n, path in enumerate(reports)]
    lib = Library(catalog=write_catalog(tmp / "catalog.toml", entries), data=tmp / "data")
    result = CliRunner().invoke(main, ["rebuild", "--offline"], obj=lib)
    assert result.exit_code == 0, result.output
    assert f"{len(reports)} reports with full text, 0 summary only, 0 errors" in result.output
    return lib


def unique_phrase(lib: Library, report_id: str, page: int) -> list[str]:
    """Three long words in a row that appear on this page and nowhere else in the library."""
    trigrams: Counter[tuple[str, ...]] = Counter()
    for status in lib.status():
        doc = lib.show(status.id).document
        assert doc is not None
        for p in doc.pages:
            w = words(p.text)
            trigrams.update(set(zip(w, w[1:], w[2:], strict=False)))
    doc = lib.show(report_id).document
    assert doc is not None
    w = words(doc.pages[page - 1].text)
    for gram in zip(w, w[1:], w[2:], strict=False):
        if trigrams[gram] == 1 and all(len(x) >= 5 for x in gram):
            return list(gram)
    raise AssertionError("no unique phrase on that page")


def test_phrase_comes_back_with_its_page_and_highlights(real_library: Library,
                                                        corpora: Path) -> None:
    report_id = next(s.id for s in real_library.status()
                     if real_library.catalog().get(s.id).path.name == GUIDE)  # type: ignore[union-attr]
    phrase = unique_phrase(real_library, report_id, PAGE)
    if shutil.which("pdftotext"):  # an independent extractor agrees the phrase is on that page
        text = subprocess.run(["pdftotext", "-f", str(PAGE), "-l", str(PAGE),
                               str(corpora / "reports" / GUIDE), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert " ".join(phrase) in " ".join(words(text))
    query = '"' + " ".join(phrase) + '"'
    result = CliRunner().invoke(main, ["search", "--json", query], obj=real_library)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 1 and not data["fallback"]
    top = data["results"][0]
    assert top["id"] == report_id
    page_snippets = [s for s in top["snippets"] if s["page"] is not None]
    assert page_snippets[0]["page"] == PAGE and page_snippets[0]["label"] == "3"
    snip = page_snippets[0]
    marked = [snip["text"][a:b].lower() for a, b in snip["highlights"]]
    assert set(phrase) <= set(marked)
    # The highlighted words sit together, in order, as the phrase.
    spans = [(a, b) for a, b in snip["highlights"] if snip["text"][a:b].lower() in phrase]
    joined = [snip["text"][a:b].lower() for a, b in spans]
    assert any(joined[i:i + 3] == phrase for i in range(len(joined)))


def test_search_finds_pages_across_reports(real_library: Library) -> None:
    results = real_library.search("hotline", limit=10)
    assert results.total >= 2 and len(results.results) == min(results.total, 10)
    for hit in results.results:
        # These catalog entries have no summary, so every match is on a page: each hit cites
        # at least one page, and every page it cites says "hotline" where the snippet marks it.
        page_snippets = [s for s in hit.snippets if s.page is not None]
        assert page_snippets, f"{hit.id}: no page snippet in {hit.snippets}"
        doc = real_library.show(hit.id).document
        assert doc is not None
        for snip in page_snippets:
            assert snip.page is not None and 1 <= snip.page <= len(doc.pages)
            assert "hotline" in doc.pages[snip.page - 1].text.lower()
            assert any(snip.text[a:b].lower().startswith("hotline") for a, b in snip.highlights)
