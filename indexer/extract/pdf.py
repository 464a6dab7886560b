"""PDF to pages: pypdf for the document's structure, PDFium for the page text.

pypdf opens the file, checks encryption, reads page labels and the title; PDFium (pypdfium2,
a well-kept binding of Chrome's PDF engine) reads the text about ten times faster than pypdf
and agrees with `pdftotext` at least as well (README, "Performance"); words it runs together
where a cover or heading sets them tight are set apart from the letters' positions
(`pdf_words.py`). When PDFium cannot read a file, pypdf reads the text instead. Content
streams are first unpacked under pypdf's size limits, so a decompression bomb is refused before
PDFium inflates it.

Each page keeps its physical 1-based number (what a viewer's `#page=N` opens) and, where the
PDF defines page labels, its printed label ("iv", "12"). Encrypted files open with the empty
password or the catalog's `password`; a PDF without a text layer is an error with that reason,
not an empty success.
"""

from __future__ import annotations

import io
import logging
import warnings

from ..errors import ExtractionError
from . import PDF, Document, Page
from .normalize import normalize_text

log = logging.getLogger(__name__)

# Fewer letters than this per page, on average, means there is no text layer to speak of:
# scanned pages carry at most page numbers and stray marks. (Real one-word test files pass.)
MIN_LETTERS_PER_PAGE = 3


def extract_pdf(data: bytes, password: str = "") -> Document:
    """Extract the text of the PDF `data` page by page."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError

    found: list[str] = []
    failures: list[str] = []
    with warnings.catch_warnings():
        # pypdf warns about every malformation it repairs; we report pages, not its noise.
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            opened_with = _unlock(reader, password)
            count = len(reader.pages)
        except ExtractionError:
            raise
        except FileNotDecryptedError:
            raise ExtractionError(_locked_message(password)) from None
        except LimitReachedError as exc:
            raise ExtractionError(_bomb_message(exc)) from None
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                AssertionError, RecursionError, OverflowError) as exc:
            raise ExtractionError(f"damaged PDF: {_words(exc)}") from None
        labels = _labels(reader, count)
        bomb = _check_streams(reader)
        if bomb:
            raise ExtractionError(bomb)
        texts = _pdfium_texts(data, opened_with, count)
        pages: list[Page] = []
        for index in range(count):
            if texts is not None:
                raw = texts[index]
            else:
                try:
                    raw = reader.pages[index].extract_text() or ""
                except LimitReachedError as exc:
                    failures.append(_bomb_message(exc))
                    found.append(f"page {index + 1}: {failures[-1]}")
                    raw = ""
                except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
                        AssertionError, RecursionError, OverflowError, ZeroDivisionError) as exc:
                    failures.append(f"damaged PDF: {_words(exc)}")
                    found.append(f"page {index + 1}: text could not be read ({_words(exc)})")
                    raw = ""
            pages.append(Page(number=index + 1, text=normalize_text(raw), label=labels[index]))
        title = _title(reader)
    if count == 0:
        raise ExtractionError("damaged PDF: it has no pages")
    letters = sum(ch.isalpha() for p in pages for ch in p.text)
    if letters < MIN_LETTERS_PER_PAGE * count and failures:
        # The pages did not fail for lack of text but because they could not be read.
        raise ExtractionError(failures[0])
    if letters < MIN_LETTERS_PER_PAGE * count:
        raise ExtractionError(
            "no text layer (scanned?): the PDF has pages but no text to search; "
            "an OCR'd copy would make it searchable"
        )
    empty = [p.number for p in pages if not p.text]
    if empty:
        found.append(f"{len(empty)} of {count} pages have no text (images only?)")
    return Document(media_type=PDF, pages=tuple(pages), title=title, warnings=tuple(found))


def _check_streams(reader: object) -> str | None:
    """Unpack each page's content streams under pypdf's size limits before PDFium sees them:
    PDFium would inflate a decompression bomb for minutes. Returns the reason, or None."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError
    from pypdf.generic import ArrayObject

    assert isinstance(reader, PdfReader)
    seen: set[int] = set()
    for page in reader.pages:
        try:
            contents = page.get("/Contents")
            contents = contents.get_object() if contents is not None else None
            streams = contents if isinstance(contents, ArrayObject) else [contents]
            for ref in streams:
                stream = ref.get_object() if ref is not None else None
                if stream is None or id(stream) in seen or not hasattr(stream, "get_data"):
                    continue
                seen.add(id(stream))
                stream.get_data()
        except LimitReachedError as exc:
            return _bomb_message(exc)
        except Exception as exc:  # a damaged stream is for the text engines to report
            log.debug("content stream unreadable: %s", exc)
    return None


def _pdfium_texts(data: bytes, password: str | None, count: int) -> list[str] | None:
    """Each page's text read by PDFium, or None when PDFium cannot read this file."""
    try:
        import pypdfium2 as pdfium

        from .pdf_words import page_text

        document = pdfium.PdfDocument(data, password=password)
    except Exception as exc:  # a file PDFium refuses is left to pypdf
        log.debug("PDFium could not open the file: %s", exc)
        return None
    try:
        if len(document) != count:
            return None  # the two engines disagree on the pages: trust pypdf's numbering
        texts = []
        for index in range(count):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(page_text(textpage))
            textpage.close()
            page.close()
        return texts
    except Exception as exc:  # PDFium failed mid-way: pypdf reads the whole file instead
        log.debug("PDFium could not read the text: %s", exc)
        return None
    finally:
        document.close()


def _unlock(reader: object, password: str) -> str | None:
    """Open an encrypted `reader`; return the password that worked (None if not encrypted)."""
    from pypdf import PasswordType, PdfReader

    assert isinstance(reader, PdfReader)
    if not reader.is_encrypted:
        return None
    try:
        for attempt in ("", password) if password else ("",):
            if reader.decrypt(attempt) != PasswordType.NOT_DECRYPTED:
                return attempt
    except NotImplementedError as exc:
        raise ExtractionError(f"encrypted with an unsupported method: {exc}") from None
    raise ExtractionError(_locked_message(password))


def _locked_message(password: str) -> str:
    if password:
        return "encrypted: the catalog entry's `password` does not open it; check the password"
    return "encrypted: add `password` to the catalog entry"


def _labels(reader: object, count: int) -> list[str | None]:
    """Printed page labels where the PDF defines them, else None for every page."""
    from pypdf import PdfReader

    assert isinstance(reader, PdfReader)
    try:
        root = reader.trailer["/Root"].get_object()
        if "/PageLabels" not in root:  # type: ignore[operator]
            return [None] * count
        labels: list[str | None] = list(reader.page_labels)
    except Exception as exc:  # a broken label tree must not cost the text
        log.debug("page labels unreadable: %s", exc)
        return [None] * count
    return (labels + [None] * count)[:count]


def _title(reader: object) -> str | None:
    from pypdf import PdfReader

    assert isinstance(reader, PdfReader)
    try:
        meta = reader.metadata
        title = meta.title if meta else None
    except Exception:  # metadata is a nicety; a broken info dict must not cost the text
        return None
    if not isinstance(title, str):
        return None
    title = normalize_text(title)
    return title or None


def _bomb_message(exc: BaseException) -> str:
    return ("too large: part of the PDF unpacks past pypdf's safety limit "
            f"(a decompression bomb?): {_words(exc)}")


def _words(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
