"""`splib extract` over every real PDF in the shared corpora: text or a reason, never a crash."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.extract import extract_bytes

# Known reasons a file may end without text; anything else is a new failure to look at.
REASONS = ("encrypted", "no text: the pages hold",
           "damaged PDF")
# (file, password) pairs from the corpora's README; aes-256-r6 uses pdfminer's own test
# password ("usersecret"), not the README's "foo".
PASSWORDS = [
    ("pdf/sample-files/005-libreoffice-writer-password/libreoffice-writer-password.pdf",
     "openpassword"),
    ("pdf/pdfminer/encryption/aes-128.pdf", "foo"),
    ("pdf/pdfminer/encryption/aes-128-m.pdf", "foo"),
    ("pdf/pdfminer/encryption/aes-256.pdf", "foo"),
    ("pdf/pdfminer/encryption/aes-256-m.pdf", "foo"),
    ("pdf/pdfminer/encryption/rc4-40.pdf", "foo"),
    ("pdf/pdfminer/encryption/rc4-128.pdf", "foo"),
    ("pdf/pdfminer/encryption/aes-256-r6.pdf", "usersecret"),
]
# What `pdftotext` reads from a file (at least this many letters and digits) splib must read.
PDFTOTEXT_FLOOR = 20


def all_pdfs(corpora: Path) -> list[Path]:
    files = sorted((corpora / "reports").glob("*.pdf")) + sorted((corpora / "pdf").rglob("*.pdf"))
    assert len(files) > 80, f"expected the shared PDFs under {corpora}"
    return files


def pdftotext_chars(path: Path) -> int:
    """How many characters other than spaces `pdftotext` reads from `path` (0 if it cannot;
    an owner password is tried as well, as a viewer does)."""
    best = 0
    for extra in ([], ["-opw", "foo"]):
        done = subprocess.run(["pdftotext", "-q", *extra, str(path), "-"], capture_output=True,
                              timeout=120, check=False)
        best = max(best, len(re.sub(rb"\s", b"", done.stdout)))
    return best


def test_every_corpus_pdf_gives_text_or_a_reason(corpora: Path) -> None:
    assert shutil.which("pdftotext"), "this test compares with pdftotext: apt-get install " \
                                      "poppler-utils"
    assert shutil.which("tesseract"), "this test reads the corpora's scans: apt-get install " \
                                      "tesseract-ocr tesseract-ocr-eng"
    runner = CliRunner()
    outcomes: dict[str, str] = {}
    read_by_ocr: set[str] = set()
    for path in all_pdfs(corpora):
        result = runner.invoke(main, ["-q", "extract", "--json", str(path)])
        name = str(path.relative_to(corpora))
        assert "Traceback" not in result.output, name
        if result.exit_code == 0:
            data = json.loads(result.stdout)
            assert data["media_type"] == "application/pdf"
            assert [p["number"] for p in data["pages"]] == list(range(1, len(data["pages"]) + 1))
            assert any(p["text"] for p in data["pages"]), name
            outcomes[name] = "text"
            if any(p.get("ocr") for p in data["pages"]):
                read_by_ocr.add(name)
        else:
            assert result.exit_code == 1, (name, result.output)
            line = result.stderr.strip()
            assert line.count("\n") == 0, (name, result.output)
            assert any(reason in line for reason in REASONS), (name, line)
            outcomes[name] = line
    # The real reports are all text, with pages as their viewers number them.
    assert all(v == "text" for k, v in outcomes.items() if k.startswith("reports/"))
    # Whatever pdftotext reads, splib reads; encrypted files are opened with their passwords
    # in the next test.
    missed = {name: outcome for name, outcome in outcomes.items()
              if outcome != "text" and "encrypted" not in outcome
              and pdftotext_chars(corpora / name) >= PDFTOTEXT_FLOOR}
    assert not missed
    # The two scans that hold typed text are read by OCR (a bulletin and a patent page).
    assert {"pdf/pdfminer/nonfree/175.pdf",
            "pdf/pdfminer/encryption/encrypted_doc_no_id.pdf"} <= read_by_ocr


@pytest.mark.parametrize(("name", "password"), PASSWORDS)
def test_encrypted_samples_open_with_their_password(corpora: Path, name: str,
                                                    password: str) -> None:
    runner = CliRunner()
    path = corpora / name
    locked = runner.invoke(main, ["extract", str(path)])
    assert locked.exit_code == 1 and "encrypted: give its password" in locked.output
    opened = runner.invoke(main, ["extract", "--json", "--password", password, str(path)])
    assert opened.exit_code == 0, opened.output
    assert any(p["text"] for p in json.loads(opened.stdout)["pages"])


def test_page_labels_of_a_real_report(corpora: Path) -> None:
    path = corpora / "reports" / "Combating Child Sex Trafficking a Guide for Law Enforcement.pdf"
    result = CliRunner().invoke(main, ["extract", "--json", str(path)])
    pages = json.loads(result.output)["pages"]
    assert [p["label"] for p in pages[:5]] == ["C1", "C2", "i", "ii", "1"]


def test_cover_words_placed_tight_are_separated(corpora: Path) -> None:
    # The cover places each word on its own, closer than PDFium puts a space.
    path = corpora / "reports" / "2017_April_AZ_SexTraffickingResearch.pdf"
    cover = extract_bytes(path.read_bytes()).pages[0].text
    assert "EXPLORING CHARACTERISTICS\nAND SEX TRAFFICKING PATTERNS" in cover
