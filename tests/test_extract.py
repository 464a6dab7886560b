"""Extraction: PDFs with known text on known pages, labels, encryption, scans; HTML; text."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ARTICLE, make_html, make_pdf

import indexer.extract.pdf as pdf_module
from indexer import ExtractionError, Library, Limits
from indexer.cli import main
from indexer.extract import HTML, NOT_A_REPORT_KIND, PDF, TEXT, extract_bytes, sniff
from indexer.extract.normalize import normalize_text

PAGES = [
    "Preface for readers of this guide.",
    "Table of contents: housing, visas, courts.",
    "Chapter one explains the certification letter for adult victims.",
    "Chapter two covers emergency housing and shelters in rural counties.",
]


def test_pdf_pages_keep_their_numbers_and_labels() -> None:
    data = make_pdf(PAGES, labels=[(0, "/r", 1), (2, "/D", 1)])
    doc = extract_bytes(data)
    assert doc.media_type == PDF
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    assert [p.label for p in doc.pages] == ["i", "ii", "1", "2"]
    assert "certification letter" in doc.pages[2].text
    assert "emergency housing" in doc.pages[3].text
    assert "certification" not in doc.pages[3].text


def test_pdf_without_labels_has_no_labels() -> None:
    doc = extract_bytes(make_pdf(PAGES[:2]))
    assert [p.label for p in doc.pages] == [None, None]


def test_encrypted_pdf_needs_its_password() -> None:
    data = make_pdf(["Confidential shelter locations are on this page."], password="s3cret")
    with pytest.raises(ExtractionError,
                       match=r"encrypted: give its password \(`password` in the catalog entry"):
        extract_bytes(data)
    with pytest.raises(ExtractionError, match="does not open it"):
        extract_bytes(data, password="wrong")
    assert "shelter locations" in extract_bytes(data, password="s3cret").pages[0].text


def test_pdf_pages_of_digits_alone_are_text_not_a_scan() -> None:
    # A table of figures has no letters, but it is text: nothing for OCR to do.
    doc = extract_bytes(make_pdf(["2019 2020 2021", "41 87 56 23"]))
    assert [p.text for p in doc.pages] == ["2019 2020 2021", "41 87 56 23"]
    assert not any(p.ocr for p in doc.pages)


def test_damaged_pdf_is_reported() -> None:
    data = make_pdf(PAGES)
    with pytest.raises(ExtractionError, match="damaged PDF"):
        extract_bytes(data[: len(data) // 3])


def pieces_pdf(lines: Sequence[Sequence[tuple[str, float]]], size: float = 28) -> bytes:
    """A one-page PDF whose lines are drawn piece by piece, as covers and headings are: each
    (text, gap) is its own text object, and the next piece starts `gap` times the font size
    after its advance, with no space character between them."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = "Helvetica-Bold"
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(font, size)
    for row, pieces in enumerate(lines):
        x = 72.0
        for text, gap in pieces:
            c.drawString(x, 700 - 40 * row, text)
            x += stringWidth(text, font, size) + gap * size
    c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_words_placed_apart_without_a_space_are_separated() -> None:
    # A word gap of 0.12 of the font size: plain to a reader, narrower than PDFium's own
    # threshold, so PDFium alone reads "EXPLORINGCHARACTERISTICS".
    data = pieces_pdf([[("EXPLORING", 0.12), ("CHARACTERISTICS", 0)],
                       [("AND", 0.12), ("SEX TRAFFICKING", 0)]])
    text = extract_bytes(data).pages[0].text
    assert text.split("\n") == ["EXPLORING CHARACTERISTICS", "AND SEX TRAFFICKING"]


def test_pdf_kerned_and_letter_spaced_words_are_not_split() -> None:
    data = pieces_pdf([
        [("Traf", -0.03), ("ficking", 0)],  # a kerned pair: the pieces overlap
        [("Sur", 0.02), ("vivors", 0)],  # kerned apart, by less than a word gap
        [(letter, 0.12) for letter in "ANALYSIS"],  # letter-spaced, one piece a letter
        [("O", 0.12), ("F", 0.4), ("S", 0.12), ("E", 0.12), ("X", 0)],  # short words set wide
    ])
    assert extract_bytes(data).pages[0].text.split("\n") == [
        "Trafficking", "Survivors", "ANALYSIS", "OF SEX"]


def test_html_main_content_without_menus_and_footer() -> None:
    doc = extract_bytes(make_html())
    assert doc.media_type == HTML
    assert doc.title == "Housing survivors"
    text = doc.pages[0].text
    assert "transitional housing programs" in text
    for boilerplate in ("Menu item", "Subscribe to our newsletter", "privacy policy"):
        assert boilerplate not in text


@pytest.mark.parametrize("declare", [True, False])
def test_html_charset_is_detected_from_the_bytes(declare: bool) -> None:
    article = ARTICLE + " Les foyers d'accueil préfèrent les réfugiés âgés; café, déjà vu, naïve."
    doc = extract_bytes(make_html(article, charset="windows-1252", declare=declare))
    assert "réfugiés âgés" in doc.pages[0].text
    assert "d'accueil" in doc.pages[0].text  # the apostrophe as the page writes it


@pytest.mark.parametrize("note", ["Résumé\n", "café naïve", "Señor José"])
def test_a_short_note_not_in_utf8_reads_as_windows_1252(note: str) -> None:
    """A few words give the detector too little to go on (it chose an Urdu code page for
    "Résumé"): windows-1252 reads them as well as any, and wins."""
    doc = extract_bytes(note.encode("latin-1"))
    assert doc.pages[0].text == note.strip() and doc.warnings == ("not UTF-8; read as cp1252",)


def test_plain_text_utf8_and_fallback() -> None:
    assert extract_bytes("Survivors’ needs — housing.".encode()).pages[0].text == \
        "Survivors’ needs — housing."
    doc = extract_bytes("Déjà les réfugiés arrivent à la frontière.".encode("latin-1") * 5)
    assert doc.media_type == TEXT
    assert "réfugiés" in doc.pages[0].text
    assert doc.warnings


def test_type_is_sniffed_from_bytes_not_names() -> None:
    assert sniff(make_pdf(["x"])) == PDF
    assert sniff(b"\n\n<!DOCTYPE html><html><body>x</body></html>") == HTML
    assert sniff(b"Plain words") == TEXT
    assert sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR") == "image/png"  # read by OCR
    with pytest.raises(ExtractionError, match="binary"):
        sniff(b"\x00\x01\x02\x03" + bytes(range(32)) * 8)  # a program, a database...


def test_archives_of_text_are_refused(tmp_path: Path) -> None:
    """A zip or tar of text files stored as they are reads mostly as text: refused by their
    first bytes, with what they are."""
    import tarfile
    import zipfile

    note = tmp_path / "note.txt"
    note.write_text("Shelter intake notes. " * 200, encoding="utf-8")
    guide = tmp_path / "guide.pdf"
    guide.write_bytes(make_pdf(PAGES))
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>Shelters</p></body></html>", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "notes.zip", "w", zipfile.ZIP_STORED) as archive:
        for member in (guide, page, note):  # a PDF's and a web page's markers come first
            archive.write(member, member.name)
    with tarfile.open(tmp_path / "notes.tar", "w") as archive:
        for member in (guide, page, note):
            archive.add(member, member.name)
    for name, what in (("notes.zip", "a ZIP archive"), ("notes.tar", "a tar archive")):
        with pytest.raises(ExtractionError, match=f"not a PDF.*{what}") as refused:
            sniff((tmp_path / name).read_bytes())
        assert refused.value.kind == NOT_A_REPORT_KIND


def test_normalization() -> None:
    raw = "The ﬁrst traf-\nficking case.\r\nAnti-\nTrafficking   Unit\n\n\n\nNext\x00 para"
    assert normalize_text(raw) == \
        "The first trafficking case.\nAnti-Trafficking Unit\n\nNext para"


def test_isolated_extraction_matches_in_process(tmp_path: Path) -> None:
    path = tmp_path / "guide.pdf"
    path.write_bytes(make_pdf(PAGES, labels=[(0, "/r", 1), (2, "/D", 1)]))
    isolated = Library(catalog=tmp_path / "c.toml", data=tmp_path / "d").extract(path)
    assert isolated == extract_bytes(path.read_bytes())


def test_isolated_extraction_times_out(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 2_000_000)
    lib = Library(catalog=tmp_path / "c.toml", data=tmp_path / "d",
                  limits=Limits(seconds=0.05))
    with pytest.raises(ExtractionError, match=r"timed out after 0.05 s"):
        lib.extract(path)


def run_extract(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["extract", *args])
    return result.exit_code, result.output


def test_cli_extract_json(tmp_path: Path) -> None:
    path = tmp_path / "served-as.html"  # the name lies; the bytes are a PDF
    path.write_bytes(make_pdf(PAGES, labels=[(0, "/r", 1), (2, "/D", 1)], title="Guide"))
    code, output = run_extract(str(path), "--json")
    assert code == 0, output
    data = json.loads(output)
    assert set(data) == {"media_type", "title", "pages", "warnings"}
    assert data["media_type"] == PDF and data["title"] == "Guide"
    assert data["pages"][2] == {"number": 3, "label": "1", "text": PAGES[2]}


def test_cli_extract_plain_text_shows_pages(tmp_path: Path) -> None:
    path = tmp_path / "guide.pdf"
    path.write_bytes(make_pdf(PAGES))
    code, output = run_extract(str(path))
    assert code == 0
    assert "--- page 3 ---\nChapter one explains" in output


@pytest.mark.parametrize("content", [b"", b"%PDF-1.7\n garbage garbage", b"\x00\x01\x02\x03" * 8])
def test_cli_extract_unreadable_file_is_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    code, output = run_extract(str(path))
    assert code == 1
    assert output.startswith("Error: ") and output.count("\n") == 1
    assert "Traceback" not in output


def test_cli_extract_missing_file(tmp_path: Path) -> None:
    code, output = run_extract(str(tmp_path / "none.pdf"))
    assert code == 1 and "no such file" in output


def test_cli_extract_encrypted_with_password(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf(["Shelter intake form on page one."], password="pw"))
    code, output = run_extract(str(path))
    assert code == 1 and "encrypted" in output
    code, output = run_extract(str(path), "--password", "pw")
    assert code == 0 and "Shelter intake form" in output


@pytest.mark.parametrize("path", ["PDFium where it can", "pypdf first"])
def test_annotations_and_filled_form_fields_are_read_with_their_page(
        path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import FreeText, Link, Text
    from reportlab.pdfgen import canvas

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Intake form", "Page two"]))))
    writer.add_annotation(1, FreeText(text="Client referred by the hotline on May 3",
                                      rect=(50, 500, 400, 550)))
    writer.add_annotation(1, Text(text="Follow up with the shelter", rect=(50, 400, 70, 420)))
    writer.add_annotation(1, Link(rect=(50, 300, 100, 320), url="https://example.org/"))
    out = io.BytesIO()
    writer.write(out)
    if path == "pypdf first":
        monkeypatch.setattr(pdf_module, "_pdfium_first", lambda data: None)
    pages = extract_bytes(out.getvalue()).pages
    assert pages[0].text == "Intake form"
    assert pages[1].text == ("Page two\n\nClient referred by the hotline on May 3\n"
                             "Follow up with the shelter")

    form = io.BytesIO()
    page = canvas.Canvas(form)
    page.drawString(50, 700, "Referral form")
    page.acroForm.textfield(name="caseworker", value="Maria Lopez", x=50, y=600, width=200,
                            height=20)
    page.acroForm.textfield(name="notes", value="", x=50, y=560, width=200, height=20)
    page.acroForm.checkbox(name="urgent", checked=True, x=50, y=520)
    page.acroForm.listbox(name="needs", options=["Housing", "Legal aid", "Counselling"],
                          value=["Housing", "Counselling"], fieldFlags="multiSelect",
                          x=50, y=420, width=200, height=60)
    page.acroForm.choice(name="county", options=["Pima", "Maricopa"], value="Maricopa",
                         x=50, y=380, width=200, height=20)
    page.showPage()
    page.save()
    assert extract_bytes(form.getvalue()).pages[0].text == \
        "Referral form\n\nMaria Lopez\nHousing\nCounselling\nMaricopa"


def test_a_page_whose_only_text_is_a_note_is_text_not_a_scan() -> None:
    from pypdf import PdfWriter
    from pypdf.annotations import FreeText

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_annotation(0, FreeText(text="Signed copy on file", rect=(50, 500, 400, 550)))
    out = io.BytesIO()
    writer.write(out)
    doc = extract_bytes(out.getvalue())
    assert [(p.text, p.ocr) for p in doc.pages] == [("Signed copy on file", False)]


def test_a_pdf_without_its_cross_reference_table_is_repaired_and_read() -> None:
    whole = make_pdf(["Shelter intake protocol for survivors", "Second page"])
    cut = whole[:whole.rindex(b"xref")] + b"%%EOF\n"
    doc = extract_bytes(cut)
    assert [p.text for p in doc.pages] == ["Shelter intake protocol for survivors",
                                           "Second page"]
    assert any("repaired" in w for w in doc.warnings)
    with pytest.raises(ExtractionError, match=r"^damaged PDF"):
        extract_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
