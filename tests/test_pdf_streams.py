"""Which PDFs PDFium reads alone: what `pdf_streams` tells from a file's bytes, and that the
fast path gives what the careful (pypdf-first) path gives."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from conftest import make_pdf
from hostile import bomb_pdf, pdf_with_content

import indexer.extract.pdf as pdf_module
from indexer.errors import ExtractionError
from indexer.extract import extract_bytes
from indexer.extract.ocr import OcrSettings
from indexer.extract.pdf_streams import streams_bounded, xref_intact


def pdf_with_stream(packed: bytes, filters: str) -> bytes:
    """A one-page PDF whose page content is `packed` as it is, under the `/Filter` value
    `filters` (PDF syntax, e.g. "/FlateDecode" or "[/FlateDecode /FlateDecode]")."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, NumberObject, StreamObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["placeholder"]))))
    stream = StreamObject()
    stream._data = packed
    stream[NameObject("/Length")] = NumberObject(len(packed))
    writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    # pypdf writes names it is given as names; the filter is set in the bytes so that any
    # PDF syntax (arrays, references) can be tried.
    marker = b"/Length %d" % len(packed)
    data = out.getvalue()
    assert data.count(marker) == 1
    return data.replace(marker, marker + b" /Filter " + filters.encode())


def content(text: str) -> bytes:
    return f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()


def test_an_ordinary_pdf_is_told_sound() -> None:
    data = make_pdf(["Shelter intake protocol", "Second page"])
    assert xref_intact(data)
    assert streams_bounded(data)


def test_a_decompression_bomb_is_not_told_sound() -> None:
    assert not streams_bounded(bomb_pdf(0.1))  # about 100 MB of spaces from 100 KB


def test_the_limit_is_what_a_stream_may_unpack_to() -> None:
    under = pdf_with_stream(zlib.compress(b" " * 900_000, 9), "/FlateDecode")
    over = pdf_with_stream(zlib.compress(b" " * 1_100_000, 9), "/FlateDecode")
    assert streams_bounded(under, limit=1_000_000)
    assert not streams_bounded(over, limit=1_000_000)
    assert streams_bounded(over, limit=2_000_000)


@pytest.mark.parametrize("filters", ["[/FlateDecode /FlateDecode]", "/LZWDecode",
                                     "/RunLengthDecode", "[/ASCII85Decode /Fl /Fl]",
                                     "12 0 R", "[/FlateDecode 12 0 R]", "/NoSuchFilter"])
def test_a_stream_whose_unpacking_cannot_be_bounded_here_is_left_to_pypdf(
        filters: str) -> None:
    """Filters over filters multiply what they give, whatever the packed size: a small stream
    is not safe under them."""
    data = pdf_with_stream(zlib.compress(zlib.compress(content("x"))), filters)
    assert not streams_bounded(data)


@pytest.mark.parametrize("filters", ["/FlateDecode", "/Fl", "[/FlateDecode]",
                                     "[/FlateDecode /DCTDecode]", "/DCTDecode"])
def test_one_flate_or_picture_codecs_are_bounded(filters: str) -> None:
    data = pdf_with_stream(zlib.compress(content("Shelter")), filters)
    assert streams_bounded(data)


def test_an_encrypted_pdf_is_left_to_pypdf() -> None:
    assert not streams_bounded(make_pdf(["Locked"], password="secret"))


def test_a_pdf_whose_cross_reference_is_not_where_it_says_is_left_to_pypdf() -> None:
    whole = make_pdf(["Shelter intake protocol for survivors"])
    assert not xref_intact(whole[:whole.rindex(b"xref")] + b"%%EOF\n")
    start = whole.rindex(b"startxref")
    moved = whole[:start] + b"startxref\n17\n%%EOF\n"
    assert not xref_intact(moved)


def test_a_flate_bomb_is_still_refused_as_too_large() -> None:
    with pytest.raises(ExtractionError, match=r"^too large"):
        extract_bytes(bomb_pdf(0.1))


def test_pdfium_alone_reads_a_sound_file_and_pypdf_is_not_needed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = pdf_with_content(content("Shelter intake protocol"))

    def no_pypdf(*args: object, **kwargs: object) -> None:
        raise AssertionError("pypdf opened a file PDFium reads alone")

    monkeypatch.setattr("pypdf.PdfReader", no_pypdf)
    assert [p.text for p in extract_bytes(data).pages] == ["Shelter intake protocol"]


def _both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object, bool]:
    """What the fast path and the careful path make of `data` (a Document or the failure's
    message), and whether the fast path read it."""
    settings = OcrSettings(enabled=False)

    def outcome() -> object:
        try:
            document = pdf_module.extract_pdf(data, ocr=settings)
        except ExtractionError as exc:
            return str(exc)
        return ([(p.number, p.label, p.text) for p in document.pages], document.title,
                document.warnings)

    fast_used = pdf_module._pdfium_first(data) is not None
    fast = outcome()
    with monkeypatch.context() as patch:
        patch.setattr(pdf_module, "_pdfium_first", lambda data: None)
        careful = outcome()
    return fast, careful, fast_used


def test_labels_titles_and_notes_read_alike_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import FreeText, Text

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(
        ["Front matter", "Intro", "Body of the guide"], labels=[(0, "/r", 1), (2, "/D", 1)],
        title="Guide for advocates"))))
    writer.add_annotation(0, Text(text="Check the hotline number", rect=(50, 550, 200, 650)))
    writer.add_annotation(2, FreeText(text="Updated in 2024", rect=(50, 550, 200, 650)))
    out = io.BytesIO()
    writer.write(out)
    fast, careful, fast_used = _both_ways(out.getvalue(), monkeypatch)
    assert fast_used
    assert fast == careful
    pages, title, _ = fast  # type: ignore[misc]
    assert [label for _, label, _ in pages] == ["i", "ii", "1"]
    assert title == "Guide for advocates"
    assert "Check the hotline number" in pages[0][2]
    assert "Updated in 2024" in pages[2][2]


def test_every_shared_pdf_reads_alike_both_ways(corpora: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(corpora.rglob("*.pdf"))
    assert files
    fast_files = 0
    for path in files:
        fast, careful, fast_used = _both_ways(path.read_bytes(), monkeypatch)
        assert fast == careful, path.name
        fast_files += fast_used
    # Most of them are read by PDFium alone (those that are not: encrypted, damaged, forms).
    assert fast_files > len(files) // 2


def test_a_stream_keyword_followed_by_spaces_is_still_checked() -> None:
    """Readers forgive spaces between "stream" and its end of line; so does the check."""
    data = bomb_pdf(0.1)
    spaced = data.replace(b"stream\n", b"stream  \n", 1)
    assert spaced != data
    assert not streams_bounded(spaced)
    with pytest.raises(ExtractionError, match=r"^too large"):
        extract_bytes(spaced)


def test_a_page_tree_that_counts_fewer_pages_than_the_file_holds_loses_none() -> None:
    data = make_pdf(["First page", "Second page", "Third page"])
    assert data.count(b"/Count 3") == 1
    wrong = data.replace(b"/Count 3", b"/Count 1")
    assert pdf_module._pdfium_first(wrong) is None  # pypdf's path compares both counts
    assert [p.text for p in extract_bytes(wrong).pages] == \
        ["First page", "Second page", "Third page"]


def with_a_page_saved_again(data: bytes, index: int) -> bytes:
    """`data` with an incremental update (as an editor saves one) that writes page `index`'s
    object again under its number, unchanged but for /Rotate."""
    import re

    from pypdf import PdfReader

    reference = PdfReader(io.BytesIO(data)).pages[index].indirect_reference
    assert reference is not None
    number = str(reference.idnum).encode()
    page = re.search(rb"(?<![0-9])" + number + rb" 0 obj\s*(<<.*?>>)\s*endobj", data, re.S)
    size = re.search(rb"/Size ([0-9]+)", data)
    root = re.search(rb"/Root ([0-9]+ [0-9]+ R)", data)
    previous = re.findall(rb"startxref\s+([0-9]+)", data)[-1]
    assert page is not None and size is not None and root is not None
    update = bytearray(data)
    offset = len(update)
    update += number + b" 0 obj\n" + page.group(1)[:-2] + b" /Rotate 0 >>\nendobj\n"
    xref = len(update)
    update += (b"xref\n0 1\n0000000000 65535 f \n" + number + b" 1\n"
               + f"{offset:010d} 00000 n \n".encode()
               + b"trailer\n<< /Size " + size.group(1) + b" /Root " + root.group(1)
               + b" /Prev " + previous + b" >>\nstartxref\n" + str(xref).encode()
               + b"\n%%EOF\n")
    return bytes(update)


def test_a_page_saved_again_by_an_edit_is_one_page_and_read_by_pdfium_alone() -> None:
    data = make_pdf(["First page", "Second page"])
    edited = with_a_page_saved_again(data, 1)
    assert len(pdf_module._PAGE_OBJECT.findall(edited)) == 3  # two copies of the second page
    assert pdf_module._page_objects(edited) == 2
    assert xref_intact(edited) and streams_bounded(edited)
    fast = pdf_module._pdfium_first(edited)
    assert fast is not None
    assert [p.text for p in fast[0]] == ["First page", "Second page"]
