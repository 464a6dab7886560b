"""The Whoosh schema: one Whoosh document per page of a report's text (`kind` "page") and one
per catalog entry (`kind` "entry": title, organisation, authors, date, summary and topics).
Page documents repeat the report's title, organisation and authors so that a query whose words
are split between the title and a page still finds that page.
"""

from __future__ import annotations

from typing import Any

from .analysis import name_analyzer, text_analyzer

# How to count the documents that carry a field (scoring.py): a term every such document has;
# fields not listed are on every document.
FIELD_DOCS = {"summary": ("kind", "entry"), "body": ("has", "body")}


def make_schema() -> Any:
    from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

    from .textanalyzer import IndexedText

    words = text_analyzer()
    names = name_analyzer()
    return Schema(
        report=ID(stored=True, sortable=True),
        kind=ID(stored=True),
        # "body" on the documents that have one, so that BM25 takes the body's average length
        # and document count over them alone (scoring.py).
        has=ID(),
        # Stored only: read back with each page, never searched.
        page=STORED(),
        label=STORED(),
        # On a page read by OCR, Tesseract's mean word confidence (absent on other pages).
        ocr=STORED(),
        # No spelling=True: indexer/words.py keeps the written words of the pages, titles and
        # summaries, faster than Whoosh's spelling fields.
        title=IndexedText(analyzer=words, stored=True),
        summary=IndexedText(analyzer=words, stored=True),
        body=IndexedText(analyzer=words, stored=True),
        org=TEXT(analyzer=names, stored=True),
        # The organisation as the catalog writes it, a column: facets count it and a chosen
        # facet filters on it without reading stored documents.
        organization=ID(sortable=True),
        author=TEXT(analyzer=names, stored=True),
        year=NUMERIC(int, stored=True, signed=False, bits=32, sortable=True, default=0),
        # ISO dates sort as text: the column orders results by date.
        date=ID(stored=True, sortable=True),
        url=STORED(),
        source=STORED(),
    )
