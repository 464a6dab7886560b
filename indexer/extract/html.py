"""HTML to text: the page's main content, without menus, sidebars and footers.

Main content comes from trafilatura (a well-kept boilerplate remover); BeautifulSoup reads the
title, meta description and links. The charset is detected from the bytes (BOM, declared
charset, then statistics) rather than trusted from an HTTP header. An HTML page is one page.
"""

from __future__ import annotations

import logging
import re
import warnings
from urllib.parse import urldefrag

from ..errors import ExtractionError
from . import HTML, Document, Page
from .normalize import normalize_text
from .text import decode_text

log = logging.getLogger(__name__)

# Below this many characters neither reader found the article (or the page is a stub);
# the whole visible text is the better answer then.
MIN_MAIN_CHARS = 200
# A reading with fewer words than this found no article (a cookie notice, a caption).
MIN_ARTICLE_TOKENS = 20
_WORD = re.compile(r"\w+")
_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_NON_CONTENT = ("script", "style", "noscript", "template", "nav", "footer", "header", "aside",
                "form", "svg")


def decode_html(data: bytes) -> tuple[str, str | None]:
    """Decode HTML bytes by BOM, declared charset, UTF-8 or detection; return (text, encoding)."""
    match = _DECLARED.search(data[:4096])
    declared = match.group(1).decode("ascii", "replace") if match else None
    return decode_text(data, declared)


def extract_html(data: bytes) -> Document:
    """Extract the main text, title, description and links of an HTML page."""
    from bs4 import BeautifulSoup

    markup, encoding = decode_html(data)
    found: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 and trafilatura warn on odd markup; we cope
        try:
            soup = BeautifulSoup(markup, "lxml")
        except Exception as exc:  # lxml refuses some pathological documents outright
            raise ExtractionError(f"unreadable HTML: {exc}") from None
        title = _clean(soup.title.get_text(" ") if soup.title else "")
        description = ""
        meta = soup.find("meta", attrs={"name": "description"})
        if meta is not None and isinstance(meta.get("content"), str):
            description = _clean(str(meta["content"]))
        links: list[str] = []
        for anchor in soup.find_all("a", href=True):
            href = urldefrag(str(anchor["href"]).strip())[0]
            if href.startswith(("http://", "https://")) and href not in links:
                links.append(href)
        main = _main_content(markup)
        if len(main) < MIN_MAIN_CHARS:
            for tag in soup(list(_NON_CONTENT)):
                tag.decompose()
            body = soup.body or soup
            visible = normalize_text(body.get_text("\n"))
            if len(visible) > len(main):
                found.append("main content not recognised; the page's whole text is used")
                main = visible
    if encoding:
        found.append(f"read as {encoding}")
    if not main.strip():
        raise ExtractionError("the HTML page has no text")
    return Document(
        media_type=HTML,
        pages=(Page(number=1, text=main),),
        title=title or None,
        description=description or None,
        links=tuple(links),
        warnings=tuple(found),
    )


def _main_content(markup: str) -> str:
    """The article text, chosen between trafilatura's and readability's readings.

    Both libraries mostly err by taking in boilerplate (comments, related links, teasers),
    rarely by cutting the article short; so when both found an article, the shorter reading
    is the better one, and when one found next to nothing, the other is. On the 181 pages of
    the article-extraction benchmark this choice scores above either library alone (README,
    "Search quality").
    """
    readings = [text for text in (_trafilatura(markup), _readability(markup)) if text]
    found = [t for t in readings if _tokens(t) >= MIN_ARTICLE_TOKENS]
    if found:
        return min(found, key=_tokens)
    return max(readings, key=_tokens, default="")


def _trafilatura(markup: str) -> str:
    import trafilatura

    try:
        text = trafilatura.extract(
            markup, include_comments=False, include_tables=True, include_links=False,
            favor_recall=True, deduplicate=False,
        )
    except Exception as exc:  # trafilatura gives up on some markup; readability may not
        log.debug("trafilatura failed: %s", exc)
        return ""
    return normalize_text(text or "")


def _readability(markup: str) -> str:
    from bs4 import BeautifulSoup
    from readability import Document

    try:
        summary = Document(markup).summary(html_partial=True)
    except Exception as exc:  # readability raises on empty or odd documents
        log.debug("readability failed: %s", exc)
        return ""
    return normalize_text(BeautifulSoup(summary, "lxml").get_text("\n"))


def _tokens(text: str) -> int:
    return len(_WORD.findall(text))


def _clean(text: str) -> str:
    return " ".join(normalize_text(text).split())
