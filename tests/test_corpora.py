"""`splib extract` over every real PDF in the shared corpora: text or a reason, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.extract import extract_bytes

# Known reasons a file may end without text; anything else is a new failure to look at.
REASONS = ("encrypted", "no text layer (scanned?)", "damaged PDF")
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


def all_pdfs(corpora: Path) -> list[Path]:
    files = sorted((corpora / "reports").glob("*.pdf")) + sorted((corpora / "pdf").rglob("*.pdf"))
    assert len(files) > 80, f"expected the shared PDFs under {corpora}"
    return files


def test_every_corpus_pdf_gives_text_or_a_reason(corpora: Path) -> None:
    runner = CliRunner()
    outcomes: dict[str, str] = {}
    for path in all_pdfs(corpora):
        result = runner.invoke(main, ["extract", "--json", str(path)])
        name = str(path.relative_to(corpora))
        assert "Traceback" not in result.output, name
        if result.exit_code == 0:
            data = json.loads(result.output)
            assert data["media_type"] == "application/pdf"
            assert [p["number"] for p in data["pages"]] == list(range(1, len(data["pages"]) + 1))
            assert any(p["text"] for p in data["pages"]), name
            outcomes[name] = "text"
        else:
            assert result.exit_code == 1, (name, result.output)
            line = result.output.strip()
            assert line.count("\n") == 0, (name, result.output)
            assert any(reason in line for reason in REASONS), (name, line)
            outcomes[name] = line
    # The real reports are all text, with pages as their viewers number them.
    assert all(v == "text" for k, v in outcomes.items() if k.startswith("reports/"))
    assert sum(v == "text" for v in outcomes.values()) > 50


@pytest.mark.parametrize(("name", "password"), PASSWORDS)
def test_encrypted_samples_open_with_their_password(corpora: Path, name: str,
                                                    password: str) -> None:
    runner = CliRunner()
    path = corpora / name
    locked = runner.invoke(main, ["extract", str(path)])
    assert locked.exit_code == 1 and "encrypted: add `password`" in locked.output
    opened = runner.invoke(main, ["extract", "--json", "--password", password, str(path)])
    assert opened.exit_code == 0, opened.output
    assert any(p["text"] for p in json.loads(opened.output)["pages"])


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
