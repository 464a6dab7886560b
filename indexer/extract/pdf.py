"""PDF to pages: PDFium for the text, pypdf for files that need its care.

PDFium (pypdfium2, a well-kept binding of Chrome's PDF engine) reads the text about ten times
faster than pypdf and agrees with `pdftotext` at least as well (README, "Performance"); words
it runs together where a cover or heading sets them tight are set apart from the letters'
positions (`pdf_words.py`). A file told sound from its bytes alone (`pdf_streams.py`: its
cross-reference where the file says, not encrypted, no stream that could unpack past pypdf's
limit) and that has no list box with several choices is read by PDFium alone: pages, labels,
title, notes, filled form fields (on the shared reports, about two thirds of the time of the
path below). Any other file is opened by pypdf first, which checks encryption, reads page
labels, the title, notes and form fields, and unpacks each page's content streams under its
size limits, so a decompression bomb is refused before PDFium inflates it; PDFium then reads
the text, or pypdf does when PDFium cannot.

Each page keeps its physical 1-based number (what a viewer's `#page=N` opens) and, where the
PDF defines page labels, its printed label ("iv", "12"). Text people added on top of a page
(comments, typed-in boxes, filled form fields) is read with the page. A page with no text at
all is a picture of text (a scan): it is rendered and read by OCR (`ocr.py`). Encrypted files
open with the empty password or the catalog's `password`.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ExtractionError, brief
from ..wording import plural
from . import PDF, Document, Page
from .normalize import normalize_text
from .ocr import (
    DPI,
    MAX_PIXELS,
    OcrSettings,
    PageProgress,
    check_ready,
    no_page_progress,
    ocr_page,
    read_pages,
)

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

# Annotations whose /Contents is a person's text on the page (comments, notes, typed-in boxes);
# links, pop-ups (which repeat their parent's text) and media are not.
_NOT_TEXT_ANNOTATIONS = frozenset({"/Link", "/Popup", "/Widget", "/Movie", "/Sound", "/Screen",
                                   "/PrinterMark", "/TrapNet", "/Watermark", "/3D", "/RichMedia"})
# A page object's type in the file's bytes: "/Type /Page", not "/Pages".
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9])")
# An indirect object's header, "12 0 obj", ending where the search is bounded.
_OBJECT_NUMBER = re.compile(rb"(?<![0-9])([0-9]+\s+[0-9]+)\s+obj$")
# A list box's flag that lets several of its choices be chosen (PDF 1.7, 12.7.4.4).
_MULTI_SELECT = 1 << 21
# Scanned pages read by OCR in one document: at a few seconds a page, more would hold an
# extraction worker for hours (a hostile file of endless blank scans, or a whole archive).
MAX_OCR_PAGES = 2000


def extract_pdf(data: bytes, password: str = "", ocr: OcrSettings | None = None,
                progress: PageProgress = no_page_progress) -> Document:
    """Extract the text of the PDF `data` page by page: the text layer, annotations and filled
    form fields, and OCR (as `ocr` says) for pages that have none of them."""
    read = _pdfium_first(data)
    if read is not None:
        return _finish(data, None, read[0], read[1], [], [], ocr, progress)
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
            # PDFium rebuilds a broken cross-reference table that pypdf refuses.
            return _pdfium_alone(data, password, f"damaged PDF: {brief(exc)}", ocr, progress)
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
                    failures.append(f"damaged PDF: {brief(exc)}")
                    found.append(f"page {index + 1}: text could not be read ({brief(exc)})")
                    raw = ""
            notes = _annotation_text(reader, index)
            if notes:
                raw = f"{raw}\n\n{notes}" if raw.strip() else notes
            pages.append(Page(number=index + 1, text=normalize_text(raw), label=labels[index]))
        title = _title(reader)
    return _finish(data, opened_with, pages, title, found, failures, ocr, progress)


def _pdfium_first(data: bytes) -> tuple[list[Page], str | None] | None:
    """The pages and title of a PDF that PDFium alone can read safely, or None when the file
    needs pypdf: damaged, encrypted, streams not told safe from the bytes, a list box with
    several choices, or a file PDFium refuses or fails on (pypdf's path then reports it as
    before)."""
    from .pdf_streams import streams_bounded, xref_intact

    if not (xref_intact(data) and streams_bounded(data)):
        return None
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except Exception as exc:
        log.debug("PDFium could not open the file: %s", exc)
        return None
    try:
        document.init_forms()  # before any page is loaded: form fields' values are read
        count = len(document)
        if count == 0 or _page_objects(data) > count:
            # A page tree whose count says fewer pages than the file holds: pypdf's path
            # compares both engines' numbers and reads every page.
            return None
        labels = [document.get_page_label(index) or None for index in range(count)]
        pages: list[Page] = []
        for index in range(count):
            page = document[index]
            try:
                notes = _pdfium_notes(page, document.formenv)
                if notes is None:
                    return None
                raw = _text_of(page)
            finally:
                page.close()
            if notes:
                raw = f"{raw}\n\n{notes}" if raw.strip() else notes
            pages.append(Page(number=index + 1, text=normalize_text(raw), label=labels[index]))
        title = _pdfium_title(document)
    except Exception as exc:  # pypdf's path reads it, or says why it cannot
        log.debug("PDFium could not read the file: %s", exc)
        return None
    finally:
        document.close()
    return pages, title


def _text_of(page: Any) -> str:
    """A loaded PDFium page's text, its text page closed after."""
    from .pdf_words import page_text

    textpage = page.get_textpage()
    try:
        return page_text(textpage)
    finally:
        textpage.close()


def _page_objects(data: bytes) -> int:
    """How many page objects the file's bytes show, each object number once: an edit saved
    at the end of the file (an incremental update) writes a changed page again under its
    number. Those inside compressed object streams are not seen: a lower bound, or more
    where pages were removed and left in the file."""
    seen: set[bytes | int] = set()
    for match in _PAGE_OBJECT.finditer(data):
        # The nearest object header before the dictionary (a name or string holding "obj"
        # between them only makes the page count apart, never hides one).
        header = data.rfind(b"obj", max(0, match.start() - 65536), match.start())
        number = _OBJECT_NUMBER.search(data, max(0, header - 24), header + 3) \
            if header >= 0 else None
        seen.add(number.group(1) if number else match.start())
    return len(seen)


def _pdfium_title(document: Any) -> str | None:
    try:
        title = document.get_metadata_value("Title")
    except Exception:  # metadata is a nicety; a broken info dict must not cost the text
        return None
    return normalize_text(title) or None


def _pdfium_notes(page: Any, forms: Any) -> str | None:
    """What people wrote on `page` (as `_annotation_text` reads it with pypdf): annotations'
    text and the values of filled text and choice fields (`forms`: the document's form
    environment). None when a field cannot be read without one: pypdf reads the file."""
    import pypdfium2.raw as pdfium_c

    lines: list[str] = []
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annotation = pdfium_c.FPDFPage_GetAnnot(page, index)
        if not annotation:
            continue
        try:
            kind = pdfium_c.FPDFAnnot_GetSubtype(annotation)
            if kind == pdfium_c.FPDF_ANNOT_WIDGET:
                if not forms:
                    return None
                if pdfium_c.FPDFAnnot_GetFormFieldType(forms, annotation) not in _filled_in():
                    continue  # checkboxes, buttons, signatures: no text of a person's
                if pdfium_c.FPDFAnnot_GetFormFieldFlags(forms, annotation) & _MULTI_SELECT:
                    return None  # PDFium gives a list's first choice alone
                value = _wide_string(functools.partial(
                    pdfium_c.FPDFAnnot_GetFormFieldValue, forms, annotation))
            elif kind in _pdfium_not_text():
                continue
            else:
                value = _wide_string(functools.partial(
                    pdfium_c.FPDFAnnot_GetStringValue, annotation, b"Contents"))
            if value.strip() and value not in lines:
                lines.append(value)
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annotation)
    return "\n".join(lines)


@functools.cache
def _filled_in() -> frozenset[int]:
    import pypdfium2.raw as pdfium_c

    return frozenset({pdfium_c.FPDF_FORMFIELD_TEXTFIELD, pdfium_c.FPDF_FORMFIELD_COMBOBOX,
                      pdfium_c.FPDF_FORMFIELD_LISTBOX})


@functools.cache
def _pdfium_not_text() -> frozenset[int]:
    """PDFium's numbers for the annotation kinds in `_NOT_TEXT_ANNOTATIONS`."""
    import pypdfium2.raw as pdfium_c

    return frozenset(getattr(pdfium_c, "FPDF_ANNOT_" + name.strip("/").upper().replace(
        "3D", "THREED")) for name in _NOT_TEXT_ANNOTATIONS)


def _wide_string(read: Callable[[Any, int], int]) -> str:
    """The UTF-16 string a PDFium getter `read(buffer, size)` gives ("" when none)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    size = read(None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    read(ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
    return buffer.raw[:size - 2].decode("utf-16-le", "replace")


def _finish(data: bytes, password: str | None, pages: list[Page], title: str | None,
            found: list[str], failures: list[str], ocr: OcrSettings | None,
            progress: PageProgress) -> Document:
    """The document of `pages` once the pages without any text are read by OCR."""
    if not pages:
        raise ExtractionError("damaged PDF: it has no pages")
    if failures and not any(p.text for p in pages):
        # The pages did not fail for lack of text but because they could not be read.
        raise ExtractionError(failures[0])
    blank = [p.number for p in pages if not p.text]
    unread: list[str] = []
    retry: list[bool] = []
    if blank:
        pages = _read_pictures(data, password, pages, blank, ocr or OcrSettings(), progress,
                               found, unread, retry)
    if not any(p.text for p in pages):
        read = any(p.ocr for p in pages)
        raise ExtractionError(
            "no text: the pages hold no text, and OCR found no words on them" if read else
            "no text: the pages hold neither text nor pictures of text (drawings only?)")
    return Document(media_type=PDF, pages=tuple(pages), title=title, warnings=tuple(found),
                    unread="; ".join(unread) or None, transient=any(retry))


def _pdfium_alone(data: bytes, password: str, damaged: str, ocr: OcrSettings | None,
                  progress: PageProgress) -> Document:
    """The text of a PDF whose structure pypdf cannot read, as PDFium reads it after
    repairing the file's cross-reference table (as `pdftotext` does); `damaged` is raised when
    PDFium cannot read it either. No page labels, annotations or stream checks: those need
    pypdf; the worker's memory and time limits still hold."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    opened_with = password or None
    try:
        document = pdfium.PdfDocument(data, password=opened_with)
    except Exception as exc:
        log.debug("PDFium could not open the file either: %s", exc)
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise ExtractionError(_locked_message(password)) from None
        raise ExtractionError(damaged) from None
    pages: list[Page] = []
    try:
        for index in range(len(document)):
            page = document[index]
            pages.append(Page(number=index + 1, text=normalize_text(_text_of(page))))
            page.close()
        title = normalize_text(str(document.get_metadata_value("Title") or "")) or None
    except Exception as exc:
        log.debug("PDFium could not read the repaired file: %s", exc)
        raise ExtractionError(damaged) from None
    finally:
        document.close()
    found = [f"{damaged.removeprefix('damaged PDF: ')}: the file's structure was repaired to "
             "read it; page labels and notes on its pages may be missing"]
    return _finish(data, opened_with, pages, title, found, [], ocr, progress)


def _read_pictures(data: bytes, password: str | None, pages: list[Page], blank: list[int],
                   settings: OcrSettings, progress: PageProgress, found: list[str],
                   unread: list[str], retry: list[bool]) -> list[Page]:
    """`pages` with the `blank` ones (numbers of pages without any text) that hold pictures
    read by OCR where Tesseract can; a page with no picture at all (the blank back of a cover)
    is left as it is. Why pictures were left unread is added to `found` and `unread` (and
    True to `retry` when that may not happen again), or raised when no page has text."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data, password=password)
    except Exception as exc:  # nothing to render with: the pages stay without text
        log.debug("PDFium could not open the file to render it: %s", exc)
        reason = f"{plural(len(blank), 'page')} without text could not be rendered for OCR"
        if len(blank) == len(pages):
            raise ExtractionError(f"no text layer: {reason}") from None
        found.append(reason)
        unread.append(reason)
        return pages
    try:
        pictured = [n for n in blank if _has_pictures(document, n)]
        if not pictured:
            return pages
        if len(pictured) > MAX_OCR_PAGES:
            unread.append(f"only the first {MAX_OCR_PAGES:,} of its {len(pictured):,} scanned "
                          "pages are read by OCR; split the file to have the rest read")
            found.append(unread[-1])
            pictured = pictured[:MAX_OCR_PAGES]
        every = not any(p.text for p in pages)  # nothing to keep if these are not read
        what = "its pages" if every else f"{plural(len(pictured), 'page')} of {len(pages)}"
        try:
            if not settings.enabled:
                one = len(pictured) == 1 and not every
                raise ExtractionError(
                    f"no text: {what} {'is a picture' if one else 'are pictures'} of text (a "
                    "scan?), and OCR is off (`ocr = false` in the catalog entry, or "
                    f"`--no-ocr`); turn it on to have {'it' if one else 'them'} read")
            check_ready(settings, what)
        except ExtractionError as exc:
            if every:
                raise
            found.append(str(exc))
            unread.append(str(exc))
            retry.append(exc.transient)
            return pages

        def picture(number: int) -> Callable[[], Image]:
            def render() -> Image:
                try:
                    page = document[number - 1]
                    try:
                        width, height = page.get_size()
                        scale = DPI / 72
                        pixels = width * height * scale * scale
                        if pixels > MAX_PIXELS:
                            scale *= (MAX_PIXELS / pixels) ** 0.5
                        bitmap = page.render(scale=scale, grayscale=True)
                        return bitmap.to_pil()  # type: ignore[no-any-return]
                    finally:
                        page.close()
                except Exception as exc:  # PDFium's failure on one page, not the file's
                    raise ExtractionError(f"page {number} could not be rendered for OCR "
                                          f"({brief(exc)})") from None
            return render

        out = list(pages)
        numbered = ((n, picture(n)) for n in pictured)
        try:
            for number, read in read_pages(numbered, len(pictured), settings, data, progress):
                out[number - 1] = ocr_page(number, read, pages[number - 1].label)
        except ExtractionError as exc:
            # Tesseract failed (a broken install?): the pages with text are kept, and the
            # next update tries the scan again.
            if not any(p.text for p in out):
                raise ExtractionError(str(exc), transient=True) from None
            left = sum(1 for n in pictured if not out[n - 1].ocr)
            unread.append(f"{plural(left, 'page')} of {len(pages)} could not be read: {exc}")
            found.append(unread[-1])
            retry.append(exc.transient)
    finally:
        document.close()
    nothing = [n for n in pictured if not out[n - 1].text]
    if nothing and len(nothing) < len(pages):
        found.append(f"{plural(len(nothing), 'page')} of {len(pages)} hold pictures in which "
                     "OCR found no words")
    return out


def _has_pictures(document: Any, number: int) -> bool:
    """Whether page `number` draws an image (directly or inside a form): what OCR could read."""
    import pypdfium2.raw as pdfium_c

    try:
        page = document[number - 1]
    except Exception as exc:  # a page PDFium cannot load is tried, and its failure recorded
        log.debug("page %d unreadable: %s", number, exc)
        return True
    try:
        return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,),
                                                  max_depth=4))
    except Exception as exc:  # an unreadable page is rendered and tried
        log.debug("page %d objects unreadable: %s", number, exc)
        return True
    finally:
        page.close()


def _annotation_text(reader: object, index: int) -> str:
    """The text people added to page `index`: comments, notes and typed-in boxes
    (annotations' /Contents) and the values of filled form fields, one per line. PDFium's page
    text leaves both out; `pdftotext` prints them."""
    from pypdf import PdfReader
    from pypdf.generic import TextStringObject

    assert isinstance(reader, PdfReader)
    lines: list[str] = []
    try:
        annotations = reader.pages[index].get("/Annots")
        annotations = annotations.get_object() if annotations is not None else None
        for ref in annotations or ():
            annotation = ref.get_object()
            if not hasattr(annotation, "get"):
                continue
            kind = annotation.get("/Subtype")
            if kind == "/Widget":
                value = _field_value(annotation)
            elif kind not in _NOT_TEXT_ANNOTATIONS:
                value = annotation.get("/Contents")
            else:
                continue
            if isinstance(value, TextStringObject) and value.strip() and value not in lines:
                lines.append(str(value))
    except Exception as exc:  # annotations are extra text; broken ones must not cost the page
        log.debug("annotations of page %d unreadable: %s", index + 1, exc)
    return "\n".join(lines)


def _field_value(widget: Any) -> object:
    """A form field's filled-in value (`/V`), which may sit on the field's parent; a checkbox's
    name or an empty field gives nothing."""
    node, depth = widget, 0
    while node is not None and depth < 8:
        if "/V" in node:
            value = node["/V"].get_object()
            if isinstance(value, list):  # a list box's choices
                from pypdf.generic import TextStringObject

                chosen = "\n".join(str(v) for v in value if isinstance(v, TextStringObject))
                return TextStringObject(chosen) if chosen else None
            return value
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        depth += 1
    return None


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
            texts.append(_text_of(page))
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
        return ("encrypted: the password given does not open it; check the catalog entry's "
                "`password` (or `--password` of `splib extract`)")
    return ("encrypted: give its password (`password` in the catalog entry; `--password` of "
            "`splib extract`)")


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
            f"(a decompression bomb?): {brief(exc)}")
