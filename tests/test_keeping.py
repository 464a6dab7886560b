"""Growing a library without writing TOML: `splib add`, `check`, `import` and the inbox/ folder,
run as a library keeper runs them, in the library's own folder."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import GUIDE, TRAINING, make_html, make_pdf, write_catalog
from pytest_httpserver import HTTPServer
from test_newcomer import splib

from indexer import Library


def cover_pdf() -> bytes:
    """A report as printed: a cover in large type with its subtitle, publisher and date in
    smaller type, then an executive summary."""
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=letter)
    for y, size, line in ((650, 28, "Serving Survivors of Labor Trafficking"),
                          (600, 16, "A Guide for Case Managers"),
                          (200, 12, "Office for Victims of Crime"), (180, 12, "January 2023")):
        page.setFont("Helvetica-Bold" if size > 20 else "Helvetica", size)
        page.drawString(60, y, line)
    page.showPage()
    page.setFont("Helvetica-Bold", 16)
    page.drawString(60, 700, "Executive Summary")
    page.setFont("Helvetica", 11)
    page.drawString(60, 670, "Case managers who serve survivors of labor trafficking need "
                             "housing, legal help")
    page.drawString(60, 656, "and steady contact. This guide sets out what works.")
    page.showPage()
    page.save()
    return buf.getvalue()

HEADER = "# Our coalition's library.\n# Keep one entry per report.\n\n"


def library_folder(tmp_path: Path, catalog: str | None = HEADER) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "incoming").mkdir()
    (folder / "incoming" / "guide.pdf").write_bytes(make_pdf(GUIDE))
    (folder / "incoming" / "training.pdf").write_bytes(make_pdf(TRAINING))
    (folder / "incoming" / "cover.pdf").write_bytes(cover_pdf())
    if catalog is not None:
        (folder / "catalog.toml").write_text(catalog, encoding="utf-8")
    return folder


def entries(folder: Path) -> list[dict[str, object]]:
    data = tomllib.loads((folder / "catalog.toml").read_text(encoding="utf-8"))
    return list(data.get("report", []))


def test_add_a_folder_writes_entries_and_keeps_the_comments(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    added = splib("--catalog", "catalog.toml", "add", "incoming", cwd=folder)
    assert added.returncode == 0, added.stderr
    assert "Added 3 reports to catalog.toml" in added.stderr
    text = (folder / "catalog.toml").read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    found = {e["path"]: e for e in entries(folder)}
    assert set(found) == {"incoming/cover.pdf", "incoming/guide.pdf", "incoming/training.pdf"}
    cover = found["incoming/cover.pdf"]
    assert cover["title"] == "Serving Survivors of Labor Trafficking"
    assert cover["date"] == "2023-01"
    assert cover["organization"] == "Office for Victims of Crime"
    assert str(cover["summary"]).startswith("Case managers who serve survivors")
    assert len({e["id"] for e in found.values()}) == 3
    checked = splib("--catalog", "catalog.toml", "check", cwd=folder)
    assert checked.returncode == 0, checked.stdout
    built = splib("--catalog", "catalog.toml", "rebuild", cwd=folder)
    assert "3 reports with full text" in built.stderr, built.stderr
    found_again = splib("--catalog", "catalog.toml", "search", "steady contact", cwd=folder)
    assert "Serving Survivors of Labor Trafficking" in found_again.stdout


def test_a_report_already_in_the_catalog_is_refused_and_nothing_changes(
        tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    assert splib("--catalog", "catalog.toml", "add", "incoming/guide.pdf",
                 cwd=folder).returncode == 0
    before = (folder / "catalog.toml").read_bytes()
    (folder / "copy-of-guide.pdf").write_bytes((folder / "incoming" / "guide.pdf").read_bytes())
    again = splib("--catalog", "catalog.toml", "add", "copy-of-guide.pdf", "incoming/guide.pdf",
                  cwd=folder)
    assert again.returncode == 1
    guide_id = entries(folder)[0]["id"]
    assert f"copy-of-guide.pdf: the same report is already in the catalog as {guide_id}" \
        in again.stderr
    assert (folder / "catalog.toml").read_bytes() == before


def test_dry_run_prints_the_entries_and_changes_nothing(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    before = (folder / "catalog.toml").read_bytes()
    shown = splib("--catalog", "catalog.toml", "add", "incoming/cover.pdf", "--dry-run",
                  cwd=folder)
    assert shown.returncode == 0, shown.stderr
    printed = tomllib.loads(shown.stdout)["report"]
    assert [e["title"] for e in printed] == ["Serving Survivors of Labor Trafficking"]
    assert "1 entry would be added" in shown.stderr
    assert (folder / "catalog.toml").read_bytes() == before
    assert not (folder / "files").exists()


def test_copy_and_move_place_the_files_beside_the_catalog(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    assert splib("--catalog", "catalog.toml", "add", "incoming/guide.pdf", "--copy",
                 cwd=folder).returncode == 0
    assert splib("--catalog", "catalog.toml", "add", "incoming/training.pdf", "--move",
                 cwd=folder).returncode == 0
    paths = [e["path"] for e in entries(folder)]
    assert paths == ["files/guide.pdf", "files/training.pdf"]
    assert (folder / "incoming" / "guide.pdf").is_file()
    assert not (folder / "incoming" / "training.pdf").exists()
    assert (folder / "files" / "training.pdf").read_bytes()[:5] == b"%PDF-"


def test_add_from_an_address(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/reports/housing.html").respond_with_data(
        make_html(title="Housing survivors | Coalition Site"), content_type="text/html")
    folder = library_folder(tmp_path)
    address = httpserver.url_for("/reports/housing.html")
    added = splib("--catalog", "catalog.toml", "add", address, cwd=folder)
    assert added.returncode == 0, added.stderr
    (entry,) = entries(folder)
    assert entry["url"] == address and "path" not in entry
    assert entry["title"] == "Housing survivors"
    again = splib("--catalog", "catalog.toml", "add", address, cwd=folder)
    assert again.returncode == 1
    assert f"{address}: already in the catalog as {entry['id']}" in again.stderr


def test_files_dropped_in_the_inbox_are_added_on_update(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    assert splib("--catalog", "catalog.toml", "rebuild", cwd=folder).returncode == 0
    inbox = folder / "inbox"
    inbox.mkdir()
    (folder / "incoming" / "cover.pdf").rename(inbox / "cover.pdf")
    updated = splib("--catalog", "catalog.toml", "update", cwd=folder)
    assert updated.returncode == 0, updated.stderr
    (entry,) = entries(folder)
    assert entry["path"] == "files/cover.pdf"
    assert f"1 report added from inbox/ ({entry['id']}); check its title" in updated.stderr
    assert list(inbox.iterdir()) == []
    found = splib("--catalog", "catalog.toml", "search", "steady contact", cwd=folder)
    assert "Serving Survivors of Labor Trafficking" in found.stdout


def test_check_lists_what_to_fix_without_building(tmp_path: Path) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(make_pdf(GUIDE))
    (folder / "b.pdf").write_bytes((folder / "a.pdf").read_bytes())  # one report, two names
    write_catalog(folder / "catalog.toml", [
        {"id": "a", "title": "A", "path": "a.pdf", "summary": "Housing."},
        {"id": "b", "title": "B", "path": "b.pdf"},
        {"id": "c", "title": "C", "path": "gone.pdf", "summary": "Gone."},
        {"id": "d", "title": "D", "url": "https://example.org/r.pdf", "summary": "D."},
        {"id": "e", "title": "E", "url": "http://EXAMPLE.org/r.pdf/", "summary": "E."},
        {"id": "f", "title": "F", "path": ".", "summary": "The folder itself."}])
    checked = splib("--catalog", "catalog.toml", "check", cwd=folder)
    assert checked.returncode == 1
    assert "problem: f: `path` is a folder" in checked.stdout and "name one file in it" in \
        checked.stdout
    assert "problem: a and b are the same report" in checked.stdout
    assert "problem: d and e are the same report" in checked.stdout
    assert "problem: c: the file" in checked.stdout and "gone.pdf does not exist" in checked.stdout
    assert "warning: b: no `summary`" in checked.stdout
    assert "4 problems to fix, 1 warning." in checked.stdout
    assert not (folder / ".splib").exists()


def test_related_links_show_on_the_report_page(tmp_path: Path) -> None:
    from indexer.web import create_app

    catalog = write_catalog(tmp_path / "catalog.toml", [
        {"id": "a", "title": "A", "summary": "Housing.",
         "links": ["https://example.org/more", "https://example.org/also"]}])
    lib = Library(catalog=catalog, data=tmp_path / "data")
    lib.rebuild(offline=True)
    html = create_app(lib).test_client().get("/report/a").get_data(as_text=True)
    assert "<dt>Related links</dt>" in html
    assert html.count('rel="noreferrer">https://example.org/') == 2


@pytest.mark.parametrize("catalog", [None, HEADER])
def test_import_an_html_listing_page(tmp_path: Path, catalog: str | None) -> None:
    folder = library_folder(tmp_path, catalog)
    (folder / "page.html").write_text("""<html><body><nav><a href="/">Home</a></nav>
<h2>Office for Victims of Crime</h2>
<p><a href="https://example.org/serving.pdf">Serving Survivors of Labor Trafficking</a></p>
<p>A guide for case managers: (1) Housing; (2) Legal help.</p>
<h2>State Police</h2>
<p><a href="/training.pdf">Training for Investigators (2013)</a></p>
<p>Interviewing victims of trafficking. Additional Relevant Link:
<a href="https://example.org/more">more</a></p>
</body></html>""", encoding="utf-8")
    imported = splib("--catalog", "catalog.toml", "import", "page.html", cwd=folder)
    assert imported.returncode == 0, imported.stderr
    found = {e["title"]: e for e in entries(folder)}
    assert set(found) == {"Serving Survivors of Labor Trafficking",
                          "Training for Investigators (2013)"}
    serving = found["Serving Survivors of Labor Trafficking"]
    assert serving["organization"] == "Office for Victims of Crime"
    assert serving["url"] == "https://example.org/serving.pdf"
    assert serving["topics"] == ["Housing", "Legal help"]
    training = found["Training for Investigators (2013)"]
    assert training["date"] == "2013" and training["organization"] == "State Police"
    assert "url" not in training  # "/training.pdf", relative, has no address from a file
    assert training["links"] == ["https://example.org/more"]
    before = (folder / "catalog.toml").read_bytes()
    again = splib("--catalog", "catalog.toml", "import", "page.html", cwd=folder)
    assert again.returncode == 1 and "already in the catalog as" in again.stderr
    assert (folder / "catalog.toml").read_bytes() == before


def seed_dir() -> Path:
    import os

    from conftest import ROOT

    return Path(os.environ.get("SPLIB_SEED") or ROOT.parent / "shared" / "seed")


def test_import_the_seed_listing_gives_the_corpus_catalog(tmp_path: Path) -> None:
    """The library's own page, as text, into an empty catalog: the six entries of
    corpus/catalog.toml, field by field, but for the addresses the text does not hold."""
    from conftest import ROOT

    seed = seed_dir() / "library-for-service-providers.txt"
    if not seed.is_file():
        pytest.skip(f"the seed listing is not at {seed}; set SPLIB_SEED to its folder")
    imported = splib("--catalog", "catalog.toml", "import", str(seed), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    got = entries(tmp_path)
    want = tomllib.loads((ROOT / "corpus" / "catalog.toml").read_text(encoding="utf-8"))
    fields = ("title", "organization", "prepared_for", "authors", "date", "summary", "topics")
    assert [[e.get(f, "" if f not in ("authors", "topics") else []) for f in fields]
            for e in got] == \
        [[e.get(f, "" if f not in ("authors", "topics") else []) for f in fields]
         for e in want["report"]]


def test_add_the_seven_shared_reports_then_check_rebuild_and_search(
        tmp_path: Path, corpora: Path) -> None:
    """The issue's walk-through: an empty folder, `splib add files/*.pdf` over the shared
    reports, `check`, `rebuild`, a search; the titles, dates and organisations shown are
    those a person reads on the covers (test_metadata.COVERS)."""
    import shutil

    from test_metadata import COVERS, org_matches, title_matches

    files = tmp_path / "files"
    files.mkdir()
    for cover in COVERS:
        source = corpora / "reports" / cover.file
        if not source.is_file():
            pytest.skip(f"{source} is missing")
        shutil.copy(source, files / cover.file)
    names = sorted(f"files/{c.file}" for c in COVERS)
    added = splib("--catalog", "catalog.toml", "add", *names, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert splib("--catalog", "catalog.toml", "check", cwd=tmp_path).returncode == 0
    built = splib("--catalog", "catalog.toml", "rebuild", cwd=tmp_path)
    assert "7 reports with full text" in built.stderr, built.stderr
    shown = splib("--catalog", "catalog.toml", "search", "trafficking", "--json", "--limit",
                  "10", cwd=tmp_path)
    results = json.loads(shown.stdout)["results"]
    assert len(results) == 7
    by_path = {e["path"]: e for e in entries(tmp_path)}
    hits = {r["id"]: r for r in results}
    titles = dates = orgs = 0
    for cover in COVERS:
        entry = by_path[f"files/{cover.file}"]
        hit = hits[entry["id"]]
        titles += title_matches(cover, hit["title"])
        dates += cover.date is not None and hit["date"] == cover.date
        orgs += bool(org_matches(cover, hit["organization"]))
    assert titles >= 6
    assert dates == sum(c.date is not None for c in COVERS)  # every date a cover prints
    # Organisations printed as text; the others are logos (pictures), left empty.
    assert orgs >= 3


def test_add_refuses_what_is_not_a_report_and_dry_run_leaves_no_trace(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    before = (folder / "catalog.toml").read_bytes()
    dry = splib("--catalog", "catalog.toml", "add", "incoming", "--dry-run", cwd=folder)
    assert dry.returncode == 0 and "3 entries would be added" in dry.stderr
    assert not (folder / ".splib").exists() and not (folder / "files").exists()
    assert (folder / "catalog.toml").read_bytes() == before
    (folder / "empty").mkdir()
    nothing = splib("--catalog", "catalog.toml", "add", "empty", cwd=folder)
    assert nothing.returncode == 1
    assert "No reports to add in empty" in nothing.stderr
    (folder / "x.pdf").write_bytes(bytes(range(256)) * 64)
    noise = splib("--catalog", "catalog.toml", "add", "x.pdf", cwd=folder)
    assert noise.returncode == 1
    assert "Refused x.pdf: not a PDF, HTML, text or image file" in noise.stderr
    assert (folder / "catalog.toml").read_bytes() == before


def test_the_hints_after_add_name_the_catalog(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    added = splib("--catalog", "catalog.toml", "add", "incoming/guide.pdf", cwd=folder)
    assert "Check its title with `splib --catalog catalog.toml show ID`, then run " \
        "`splib --catalog catalog.toml update`." in added.stderr


def test_a_folder_and_an_inbox_reached_through_dot_dot(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    added = splib("--catalog", "../library/catalog.toml", "add", "../library/incoming",
                  cwd=elsewhere)
    assert added.returncode == 0, added.stderr
    assert len(entries(folder)) == 3
    (folder / "inbox").mkdir()
    (folder / "inbox" / "more.txt").write_text("Notes on outreach to farm workers.\n")
    updated = splib("--catalog", "../library/catalog.toml", "update", cwd=elsewhere)
    assert "1 report added from inbox/" in updated.stderr, updated.stderr
    assert (folder / "files" / "more.txt").is_file()
    assert not (folder / "inbox" / "more.txt").exists()
    missing = splib("--catalog", "../library/catalog.toml", "update", "--inbox", "nowhere",
                    cwd=elsewhere)
    assert missing.returncode == 2 and "'nowhere' does not exist" in missing.stderr


def test_import_keeps_reports_of_one_title_from_different_organisations(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    (folder / "page.html").write_text("""<html><body>
<h2>Office for Victims of Crime</h2>
<p><a href="https://example.org/ovc-facts.pdf">Fact Sheet</a></p><p>Victim services in brief.</p>
<h2>State Police</h2>
<p><a href="https://example.org/police-facts.pdf">Fact Sheet</a></p><p>Investigations in brief.</p>
</body></html>""", encoding="utf-8")
    imported = splib("--catalog", "catalog.toml", "import", "page.html", cwd=folder)
    assert imported.returncode == 0, imported.stderr
    assert sorted(str(e["organization"]) for e in entries(folder)) == [
        "Office for Victims of Crime", "State Police"]


def test_a_move_that_cannot_be_done_leaves_every_file_and_the_catalog(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    before = (folder / "catalog.toml").read_bytes()
    (folder / "files").write_text("a file where the folder would go\n")
    moved = splib("--catalog", "catalog.toml", "add", "incoming", "--move", cwd=folder)
    assert moved.returncode == 1
    assert "Could not copy the reports into" in moved.stderr
    assert "Nothing was added; every file is where it was." in moved.stderr
    assert "bug" not in moved.stderr
    assert sorted(p.name for p in (folder / "incoming").iterdir()) == [
        "cover.pdf", "guide.pdf", "training.pdf"]
    assert (folder / "catalog.toml").read_bytes() == before


def test_writes_leave_the_catalog_and_the_data_folder_as_readable_as_before(
        tmp_path: Path) -> None:
    """A catalog its keeper shares (mode 664) stays shared after `splib add`; a new catalog
    and the data folder's files and folders get the permissions the umask gives (a server
    running as another user reads them), not the private ones of a temporary file."""
    import os
    import stat
    import subprocess
    import sys

    def run(*args: str, umask: int) -> None:
        done = subprocess.run([sys.executable, "-m", "indexer", *args], cwd=folder,
                              capture_output=True, text=True, timeout=300,
                              preexec_fn=lambda: os.umask(umask))
        assert done.returncode == 0, done.stderr

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    folder = library_folder(tmp_path)
    (folder / "catalog.toml").chmod(0o664)
    run("--catalog", "catalog.toml", "--data", "private", "add", "incoming/guide.pdf",
        umask=0o077)
    assert mode(folder / "catalog.toml") == 0o664
    kept = list((folder / "private" / "text").iterdir())
    assert kept and all(mode(p) == 0o600 for p in kept)  # as that umask asks
    run("--catalog", "new.toml", "add", "incoming/cover.pdf", umask=0o022)
    assert mode(folder / "new.toml") == 0o644
    run("--catalog", "catalog.toml", "rebuild", umask=0o022)
    data = folder / ".splib"
    assert mode(data / "manifest.json") == 0o644
    made = [p for p in (data / "index").iterdir() if p.is_dir()]
    assert made and all(mode(p) == 0o755 for p in made)
    for kept in ("sources", "text"):
        files = list((data / kept).iterdir())
        assert files and all(mode(p) == 0o644 for p in files), kept


def test_a_report_whose_file_has_gone_is_named_by_update_and_rebuild(tmp_path: Path) -> None:
    """Its text read before stays searchable, and the keeper hears which file to find."""
    folder = library_folder(tmp_path)
    assert splib("--catalog", "catalog.toml", "add", "incoming", cwd=folder).returncode == 0
    assert splib("--catalog", "catalog.toml", "rebuild", cwd=folder).returncode == 0
    gone = next(e for e in entries(folder) if e["path"] == "incoming/guide.pdf")
    (folder / "incoming" / "guide.pdf").unlink()
    for command in ("update", "rebuild"):
        done = splib("--catalog", "catalog.toml", command, cwd=folder)
        assert done.returncode == 0, done.stderr
        assert f"{gone['id']} (its text as read before): local file not found" in done.stderr
        assert "3 reports with full text" in done.stderr


def test_an_empty_file_is_refused_and_the_others_added_with_a_failing_status(
        tmp_path: Path) -> None:
    """A download that did not finish (0 bytes) is no report; the rest of the command's files
    are added, and its exit status says that not all were."""
    folder = library_folder(tmp_path)
    (folder / "empty.pdf").write_bytes(b"")
    done = splib("--catalog", "catalog.toml", "add", "empty.pdf", "incoming/guide.pdf",
                 cwd=folder)
    assert done.returncode == 1
    assert "Refused empty.pdf: the file is empty (0 bytes); download or copy it again" \
        in done.stderr
    assert [e["path"] for e in entries(folder)] == ["incoming/guide.pdf"]


def test_adding_a_folder_again_adds_what_is_new_and_succeeds(tmp_path: Path) -> None:
    """The reports already catalogued are refused as such, which is no failure: a keeper's
    script that adds the same folder each week runs on."""
    folder = library_folder(tmp_path)
    assert splib("--catalog", "catalog.toml", "add", "incoming", cwd=folder).returncode == 0
    (folder / "incoming" / "new.pdf").write_bytes(make_pdf(["A new report on outreach."]))
    again = splib("--catalog", "catalog.toml", "add", "incoming", cwd=folder)
    assert again.returncode == 0, again.stderr
    assert "Added 1 report to catalog.toml" in again.stderr
    assert again.stderr.count("Skipped ") == 3 and "Refused" not in again.stderr


def test_a_file_of_no_kind_splib_reads_stays_in_the_inbox_and_is_named(tmp_path: Path) -> None:
    folder = library_folder(tmp_path)
    (folder / "inbox").mkdir()
    (folder / "inbox" / "reports.zip").write_bytes(b"PK\x03\x04" + bytes(60))
    (folder / "inbox" / "Thumbs.db").write_bytes(bytes(60))
    (folder / "inbox" / "~$draft.docx").write_bytes(bytes(60))
    (folder / "inbox" / "guide.pdf").write_bytes(make_pdf(GUIDE))
    updated = splib("--catalog", "catalog.toml", "update", cwd=folder)
    assert updated.returncode == 0, updated.stderr
    assert "Left reports.zip in inbox/: splib adds files ending .pdf, .html, .txt" \
        in updated.stderr
    assert "Thumbs.db" not in updated.stderr and "draft" not in updated.stderr
    assert "1 report added from inbox/" in updated.stderr
    assert sorted(p.name for p in (folder / "inbox").iterdir()) == [
        "Thumbs.db", "reports.zip", "~$draft.docx"]
