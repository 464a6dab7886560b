"""Scanned reports become searchable: pages without text are read by Tesseract, as a library
keeper runs splib (in the library's own folder), with the tests' own scans (tests/scans.py)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
from html import unescape
from pathlib import Path

import pytest
from conftest import make_pdf, write_catalog
from scans import (
    LETTER,
    SCAN,
    TABLE,
    TWO_COLUMNS,
    born_digital,
    image_file,
    image_pdf,
    pictures,
    scanned_pdf,
    token_f1,
)
from test_newcomer import splib

from indexer import Library
from indexer.errors import ExtractionError
from indexer.extract import extract_bytes
from indexer.extract.ocr import OcrSettings


@pytest.fixture(scope="session", autouse=True)
def tesseract() -> str:
    """The real `tesseract`: these tests run it (CI installs it; see .ci/run)."""
    found = shutil.which("tesseract")
    assert found, "the OCR tests need Tesseract: apt-get install tesseract-ocr tesseract-ocr-eng"
    return found


def counting_tesseract(folder: Path, real: str) -> tuple[Path, Path]:
    """A folder holding a `tesseract` that logs each page it is given, then runs the real one;
    returns (the folder, the log)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "pages.log"
    log.write_text("")
    script = folder / "tesseract"
    script.write_text(f'#!/bin/sh\n[ "$1" = stdin ] && echo page >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder, log


def pages_read(log: Path) -> int:
    return len(log.read_text().splitlines())


@pytest.fixture(scope="module")
def scanned_library(tmp_path_factory: pytest.TempPathFactory, tesseract: str) \
        -> tuple[Path, Path]:
    """A library folder holding a scanned report and a born-digital one, rebuilt with the
    README's command through a Tesseract that counts the pages it reads."""
    folder = tmp_path_factory.mktemp("scans") / "lib"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(scanned_pdf())
    (folder / "typed.pdf").write_bytes(make_pdf(["Annual report on outreach to farmworkers."]))
    write_catalog(folder / "catalog.toml", [
        {"id": "protocol-scan", "title": "Referral protocol (scanned)", "path": "scan.pdf",
         "summary": "A signed referral protocol, scanned from paper."},
        {"id": "outreach", "title": "Outreach report", "path": "typed.pdf"},
    ])
    bin_folder, log = counting_tesseract(folder.parent / "bin", tesseract)
    env = {"PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    done = splib("--catalog", "catalog.toml", "rebuild", cwd=folder, env=env)
    assert done.returncode == 0, done.stderr
    return folder, log


def test_a_scan_is_read_back_by_splib_extract(tmp_path: Path) -> None:
    """Several fonts and sizes, two columns and a table, scanned at 200 dpi."""
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf())
    done = splib("extract", "--json", "scan.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pages = json.loads(done.stdout)["pages"]
    assert [p["number"] for p in pages] == [1, 2, 3]
    for page, expected in zip(pages, SCAN, strict=True):
        assert page["ocr"] is True and 0 < page["confidence"] <= 100
        assert token_f1(page["text"], expected.text) >= 0.95, page["text"]


def test_a_search_finds_a_phrase_of_a_scan_and_cites_its_page(
        scanned_library: tuple[Path, Path]) -> None:
    folder, _ = scanned_library
    done = splib("search", '"crew leader"', "--json", cwd=folder,
                 env={"SPLIB_CATALOG": "catalog.toml"})
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)["results"]
    assert [h["id"] for h in hits] == ["protocol-scan"]
    snippet = hits[0]["snippets"][0]
    assert snippet["page"] == 2 and snippet["ocr"] is True
    assert "crew leader" in snippet["text"]
    table = splib("--catalog", "catalog.toml", "search", "Outagamie shelter beds", cwd=folder)
    assert "p. 3 [read by OCR: may contain errors]:" in table.stdout, table.stdout


def test_status_and_show_say_which_pages_ocr_read(scanned_library: tuple[Path, Path]) -> None:
    folder, _ = scanned_library
    status = splib("--catalog", "catalog.toml", "status", "--json", cwd=folder)
    entries = {e["id"]: e for e in json.loads(status.stdout)["entries"]}
    assert entries["protocol-scan"]["ocr_pages"] == 3
    assert 50 < entries["protocol-scan"]["ocr_confidence"] <= 100
    assert entries["outreach"]["ocr_pages"] == 0
    table = splib("--catalog", "catalog.toml", "status", cwd=folder).stdout
    assert "3 (3 OCR)" in table
    shown = splib("--catalog", "catalog.toml", "show", "protocol-scan", "--page", "2",
                  cwd=folder).stdout
    assert "3 of 3 pages read by OCR (mean confidence" in shown
    assert "--- page 2 (read by OCR, confidence" in shown and "crew leader" in shown


def test_a_rebuild_never_reads_a_page_twice(scanned_library: tuple[Path, Path],
                                            tesseract: str) -> None:
    folder, log = scanned_library
    assert pages_read(log) == 3  # the fixture's rebuild read the three scanned pages
    env = {"PATH": f"{log.parent}{os.pathsep}{os.environ['PATH']}"}
    again = splib("--catalog", "catalog.toml", "rebuild", cwd=folder, env=env)
    assert again.returncode == 0, again.stderr
    # Even with the documents' text cache gone, each page's reading is kept.
    for cached in (folder / ".splib" / "text").glob("*.json"):
        cached.unlink()
    third = splib("--catalog", "catalog.toml", "rebuild", cwd=folder, env=env)
    assert third.returncode == 0, third.stderr
    assert pages_read(log) == 3
    found = splib("--catalog", "catalog.toml", "search", "H-2A", "--json", cwd=folder)
    assert [h["id"] for h in json.loads(found.stdout)["results"]] == ["protocol-scan"]


def test_the_web_page_marks_snippets_read_by_ocr(scanned_library: tuple[Path, Path]) -> None:
    from indexer.web import create_app

    folder, _ = scanned_library
    client = create_app(Library(catalog=folder / "catalog.toml")).test_client()
    html = client.get("/?q=laundromats").get_data(as_text=True)
    assert "read by OCR: may contain errors" in html
    typed = client.get("/?q=annual").get_data(as_text=True)
    assert "Outreach report" in typed and "read by OCR" not in typed
    report = client.get("/report/protocol-scan").get_data(as_text=True)
    assert "3 of 3 pages read by OCR" in report


def test_a_mixed_pdf_is_ocr_read_only_on_its_picture_pages() -> None:
    from pypdf import PdfReader, PdfWriter

    typed = PdfReader(io.BytesIO(born_digital([LETTER, TABLE])))
    picture = PdfReader(io.BytesIO(image_pdf(pictures(born_digital([TWO_COLUMNS])))))
    writer = PdfWriter()
    writer.add_page(typed.pages[0])
    writer.add_page(picture.pages[0])
    writer.add_page(typed.pages[1])
    out = io.BytesIO()
    writer.write(out)
    heard: list[tuple[int, int]] = []
    doc = extract_bytes(out.getvalue(), progress=lambda done, total: heard.append((done, total)))
    assert [p.ocr for p in doc.pages] == [False, True, False]
    assert heard == [(1, 1)]
    assert token_f1(doc.pages[1].text, TWO_COLUMNS.text) >= 0.95
    assert token_f1(doc.pages[0].text, LETTER.text) == 1.0


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "TIFF", "GIF", "BMP", "WEBP"])
def test_image_files_are_read_a_page_per_frame(kind: str) -> None:
    pages = [LETTER, TWO_COLUMNS] if kind == "TIFF" else [LETTER]
    doc = extract_bytes(image_file(pages, kind))
    assert doc.media_type == f"image/{kind.lower()}"
    assert len(doc.pages) == len(pages)
    for page, expected in zip(doc.pages, pages, strict=True):
        assert page.ocr
        assert token_f1(page.text, expected.text) >= 0.95


def test_without_tesseract_the_scan_is_found_by_its_summary_and_status_says_what_to_install(
        tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(scanned_pdf([LETTER]))
    write_catalog(folder / "catalog.toml", [
        {"id": "protocol", "title": "Referral protocol", "path": "scan.pdf",
         "summary": "A signed referral protocol for shelters."}])
    empty = tmp_path / "no-tesseract"
    empty.mkdir()
    bare = {"PATH": str(empty)}
    done = splib("--catalog", "catalog.toml", "rebuild", cwd=folder, env=bare)
    assert done.returncode == 0, done.stderr
    status = splib("--catalog", "catalog.toml", "status", cwd=folder, env=bare).stdout
    assert "protocol: its pages could not be read: pictures of text (a scan?) are read by " \
           "Tesseract, which is not installed; install it (`apt-get install tesseract-ocr`)" \
        in status
    by_summary = splib("--catalog", "catalog.toml", "search", "shelters", "--json",
                       cwd=folder, env=bare)
    assert [h["id"] for h in json.loads(by_summary.stdout)["results"]] == ["protocol"]
    # Once Tesseract is there, the next update reads the scan.
    update = splib("--catalog", "catalog.toml", "update", cwd=folder)
    assert update.returncode == 0, update.stderr
    found = splib("--catalog", "catalog.toml", "search", "laundromats OR hotline", "--json",
                  cwd=folder)
    snippets = json.loads(found.stdout)["results"][0]["snippets"]
    assert any(s["page"] == 1 and s["ocr"] for s in snippets), snippets


def test_a_language_tesseract_lacks_names_its_package() -> None:
    with pytest.raises(ExtractionError, match=r"apt-get install tesseract-ocr-zzz"):
        extract_bytes(scanned_pdf([LETTER]), ocr=OcrSettings(languages=("zzz",)))


def test_ocr_false_keeps_a_scan_unread_and_says_so(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match=r"no text: .*OCR is off \(`ocr = false`"):
        extract_bytes(scanned_pdf([LETTER]), ocr=OcrSettings(enabled=False))
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf([LETTER]))
    write_catalog(tmp_path / "catalog.toml", [
        {"id": "protocol", "title": "Referral protocol", "path": "scan.pdf", "ocr": False,
         "language": ["eng", "spa"]}])
    lib = Library(catalog=tmp_path / "catalog.toml")
    report = lib.catalog().get("protocol")
    assert (report.ocr, report.languages) == (False, ("eng", "spa"))
    lib.rebuild()
    assert "`ocr = false`" in (lib.status()[0].error or "")


@pytest.mark.parametrize(("line", "message"), [
    ("language = 5", "`language` must be Tesseract's code of the report's language, like "
                     "language = \"spa\""),
    ("language = \"Spanish\"", "it is 'Spanish'"),
    ("ocr = \"no\"", "`ocr` must be true or false, without quotes, like ocr = false"),
])
def test_catalog_ocr_fields_are_checked(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "catalog.toml").write_text(
        f'[[report]]\nid = "a"\ntitle = "A"\n{line}\n', encoding="utf-8")
    done = splib("--catalog", "catalog.toml", "check", cwd=tmp_path)
    assert done.returncode == 1
    assert message in done.stdout


def test_pages_without_words_are_no_text_and_blank_pages_are_not_read() -> None:
    marks = make_pdf(["", ""], text=False)  # a drawn square on each page, no picture
    with pytest.raises(ExtractionError, match=r"^no text: .*neither text nor pictures"):
        extract_bytes(marks)
    with pytest.raises(ExtractionError, match=r"^no text: .*OCR found no words"):
        extract_bytes(image_pdf(pictures(marks)))
    # The blank back of a cover is not handed to OCR.
    heard: list[tuple[int, int]] = []
    doc = extract_bytes(make_pdf(["Cover of the report", "", "Contents"]),
                        progress=lambda done, total: heard.append((done, total)))
    assert heard == [] and [p.ocr for p in doc.pages] == [False, False, False]


def test_splib_add_takes_pictures_and_reads_them_once(tmp_path: Path, tesseract: str) -> None:
    inbox = tmp_path / "new"
    inbox.mkdir()
    (inbox / "shelter-flyer.png").write_bytes(image_file([LETTER], "PNG"))
    (inbox / "notes.zip").write_bytes(b"PK\x03\x04" + bytes(range(32)) * 8)
    folder = tmp_path / "lib"
    folder.mkdir()
    bin_folder, log = counting_tesseract(tmp_path / "bin", tesseract)
    env = {"PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    added = splib("--catalog", "catalog.toml", "add", "../new", "--copy", cwd=folder, env=env)
    assert added.returncode == 0, added.stderr
    assert "Added 1 report" in added.stderr and "notes.zip" not in added.stderr
    assert pages_read(log) == 1
    built = splib("--catalog", "catalog.toml", "rebuild", cwd=folder, env=env)
    assert built.returncode == 0, built.stderr
    assert pages_read(log) == 1  # the text read by `add` is what the rebuild indexes
    found = splib("--catalog", "catalog.toml", "search", "emergency shelter", "--json",
                  cwd=folder)
    hits = json.loads(found.stdout)["results"]
    assert [h["title"] for h in hits] == ["Shelter flyer"]
    assert hits[0]["snippets"][0]["ocr"] is True


def test_a_scan_past_the_ocr_page_cap_is_read_up_to_it_and_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.extract.pdf as pdf

    monkeypatch.setattr(pdf, "MAX_OCR_PAGES", 1)
    doc = extract_bytes(scanned_pdf([LETTER, TABLE]))
    assert [p.ocr for p in doc.pages] == [True, False]
    assert token_f1(doc.pages[0].text, LETTER.text) >= 0.95 and doc.pages[1].text == ""
    assert "only the first 1 of its 2 scanned pages are read by OCR" in doc.warnings[0]


def test_pages_left_unread_are_named_by_status_and_the_report_page(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    from indexer.web import create_app

    typed = PdfReader(io.BytesIO(born_digital([LETTER, TABLE])))
    picture = PdfReader(io.BytesIO(image_pdf(pictures(born_digital([TWO_COLUMNS])))))
    writer = PdfWriter()
    for page in (typed.pages[0], picture.pages[0], typed.pages[1]):
        writer.add_page(page)
    with (tmp_path / "mixed.pdf").open("wb") as out:
        writer.write(out)
    write_catalog(tmp_path / "catalog.toml", [
        {"id": "mixed", "title": "Mixed", "path": "mixed.pdf", "ocr": False}])
    assert splib("--catalog", "catalog.toml", "rebuild", cwd=tmp_path).returncode == 0
    status = splib("--catalog", "catalog.toml", "status", cwd=tmp_path).stdout
    reason = ("no text: 1 page of 3 is a picture of text (a scan?), and OCR is off "
              "(`ocr = false` in the catalog entry, or `--no-ocr`); turn it on to have it read")
    assert "3 (some unread)" in status and f"mixed: {reason}" in status
    client = create_app(Library(catalog=tmp_path / "catalog.toml")).test_client()
    page = client.get("/report/mixed").get_data(as_text=True)
    assert reason in " ".join(unescape(re.sub(r"<[^>]+>", "", page)).split()), page


def test_check_warns_of_a_language_tesseract_lacks(tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text(
        '[[report]]\nid = "a"\ntitle = "A"\nsummary = "S"\nurl = "https://example.org/a.pdf"\n'
        'language = ["eng", "zzz"]\n', encoding="utf-8")
    done = splib("--catalog", "catalog.toml", "check", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "a: `language` zzz is not installed for OCR: its scanned pages would not be read; " \
           "install it (`apt-get install tesseract-ocr-zzz`)" in done.stdout
    assert "eng is not installed" not in done.stdout


def test_a_failing_tesseract_keeps_the_text_pages_and_the_scan_is_tried_again(
        tmp_path: Path, tesseract: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader, PdfWriter

    broken = tmp_path / "bin"
    broken.mkdir()
    script = broken / "tesseract"
    script.write_text(f'#!/bin/sh\n[ "$1" = stdin ] && exit 3\nexec "{tesseract}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ['PATH']}")
    typed = PdfReader(io.BytesIO(born_digital([LETTER])))
    picture = PdfReader(io.BytesIO(image_pdf(pictures(born_digital([TWO_COLUMNS])))))
    writer = PdfWriter()
    writer.add_page(typed.pages[0])
    writer.add_page(picture.pages[0])
    out = io.BytesIO()
    writer.write(out)
    doc = extract_bytes(out.getvalue())
    assert token_f1(doc.pages[0].text, LETTER.text) == 1.0 and doc.pages[1].text == ""
    assert doc.unread is not None
    assert doc.unread.startswith("1 page of 2 could not be read: OCR failed (tesseract exit 3")
    with pytest.raises(ExtractionError, match=r"^OCR failed") as failed:
        extract_bytes(scanned_pdf([LETTER]))
    assert failed.value.transient
    # Through the extraction worker as well: the failure comes back as one to retry.
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf([LETTER]))
    with pytest.raises(ExtractionError, match=r"^OCR failed") as isolated:
        Library(catalog=tmp_path / "catalog.toml").extract(tmp_path / "scan.pdf")
    assert isolated.value.transient


def test_a_scan_half_read_by_a_failing_tesseract_is_read_by_the_next_update(
        tmp_path: Path, tesseract: str) -> None:
    from pypdf import PdfReader, PdfWriter

    broken = tmp_path / "bin"
    broken.mkdir()
    script = broken / "tesseract"
    script.write_text(f'#!/bin/sh\n[ "$1" = stdin ] && exit 3\nexec "{tesseract}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    folder = tmp_path / "lib"
    folder.mkdir()
    typed = PdfReader(io.BytesIO(born_digital([LETTER])))
    picture = PdfReader(io.BytesIO(image_pdf(pictures(born_digital([TWO_COLUMNS])))))
    writer = PdfWriter()
    writer.add_page(typed.pages[0])
    writer.add_page(picture.pages[0])
    with (folder / "mixed.pdf").open("wb") as out:
        writer.write(out)
    (folder / "flyer.png").write_bytes(image_file([TABLE], "PNG"))
    write_catalog(folder / "catalog.toml", [
        {"id": "mixed", "title": "Mixed", "path": "mixed.pdf"},
        {"id": "flyer", "title": "Flyer", "path": "flyer.png"}])
    failing = {"PATH": f"{broken}{os.pathsep}{os.environ['PATH']}"}
    assert splib("--catalog", "catalog.toml", "rebuild", cwd=folder, env=failing) \
        .returncode == 0
    status = splib("--catalog", "catalog.toml", "status", cwd=folder).stdout
    assert "mixed: 1 page of 2 could not be read: OCR failed (tesseract exit 3" in status
    assert "flyer: OCR failed (tesseract exit 3" in status
    # Tesseract mended: the next update reads what it could not.
    assert splib("--catalog", "catalog.toml", "update", cwd=folder).returncode == 0
    found = splib("--catalog", "catalog.toml", "search", '"crew leader" OR Outagamie',
                  "--json", cwd=folder)
    hits = {h["id"]: h["snippets"] for h in json.loads(found.stdout)["results"]}
    assert hits["mixed"][0]["page"] == 2 and hits["mixed"][0]["ocr"]
    assert hits["flyer"][0]["page"] == 1 and hits["flyer"][0]["ocr"]


def test_a_language_not_installed_keeps_the_text_read_before(tmp_path: Path) -> None:
    """A keeper sets `language` on a scan read before in English to one Tesseract lacks: the
    pages read before stay searchable, update names what to install, and the next update
    tries again."""
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf((TWO_COLUMNS,)))
    entry = {"id": "scan", "title": "Referral protocol", "path": "scan.pdf", "summary": "S"}
    write_catalog(tmp_path / "catalog.toml", [entry])
    assert splib("--catalog", "catalog.toml", "rebuild", cwd=tmp_path).returncode == 0
    write_catalog(tmp_path / "catalog.toml", [{**entry, "language": "zzz"}])
    for _ in range(2):  # the second update tries the language again
        done = splib("--catalog", "catalog.toml", "update", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "no data for the language zzz" in done.stderr
        assert "the text read before is still searched" in done.stderr
        found = splib("--catalog", "catalog.toml", "search", '"crew leader"', cwd=tmp_path)
        assert "Referral protocol" in found.stdout, found.stdout + found.stderr
    status = splib("--catalog", "catalog.toml", "status", cwd=tmp_path)
    assert re.search(r"^scan +text ", status.stdout, re.M), status.stdout
