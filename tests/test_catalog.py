"""The catalog: the library's six entries, and validation that names entry and field."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import CatalogError, Library, NotFoundError
from indexer.catalog import load_catalog, parse_catalog
from indexer.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_library_catalog_holds_the_six_seed_reports() -> None:
    catalog = load_catalog(ROOT / "corpus" / "catalog.toml")
    assert len(catalog) == 6
    ids = [r.id for r in catalog]
    assert len(set(ids)) == 6
    aspe = catalog.get("aspe-needs-2008")
    assert aspe.authors == ("H. Clawson", "N. Dutch")
    assert aspe.date == "2008-08" and aspe.year == 2008
    assert aspe.prepared_for.startswith("Office of the Assistant Secretary")
    assert len(aspe.topics) == 5 and "Consistent Case Managers" in aspe.topics[4]
    assert aspe.links
    wisconsin = catalog.get("wi-doj-baseline-2013")
    assert wisconsin.date == "2013-09-06"
    assert "adequate housing" in wisconsin.summary
    orr = catalog.get("hhs-orr-about-human-trafficking")
    assert "Certification and Eligibility Letters" in orr.topics
    for report in catalog:
        assert report.title and report.organization and report.summary
        assert report.url.startswith(("http://", "https://"))


def problems(text: str) -> str:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, Path("catalog.toml"))
    return str(caught.value)


def test_bad_date_names_entry_and_field() -> None:
    message = problems('[[report]]\nid="a"\ntitle="A"\n\n[[report]]\nid="b"\ntitle="B"\n\n'
                       '[[report]]\nid="aspe-needs-2008"\ntitle="T"\ndate="Aug 2008"\n')
    assert "report 3 (`aspe-needs-2008`): `date` must look like 2008-08" in message
    assert "'Aug 2008'" in message


@pytest.mark.parametrize("date", ["2008", "2008-08", "2008-08-31"])
def test_good_dates(date: str) -> None:
    catalog = parse_catalog(f'[[report]]\nid="a"\ntitle="A"\ndate="{date}"\n', Path("c.toml"))
    assert catalog.get("a").year == 2008


@pytest.mark.parametrize("date", ["2008-13", "2008-02-30", "08-2008", "2008/08"])
def test_impossible_dates_are_refused(date: str) -> None:
    assert "`date` must look like" in problems(f'[[report]]\nid="a"\ntitle="A"\ndate="{date}"\n')


def test_duplicate_ids() -> None:
    message = problems('[[report]]\nid="a"\ntitle="A"\n[[report]]\nid="a"\ntitle="B"\n')
    assert "report 2 (`a`): `id` is already used by report 1" in message


def test_missing_title_and_unknown_key_are_both_listed() -> None:
    message = problems('[[report]]\nid="a"\nauthor="Smith"\n')
    assert "report 1 (`a`): `title` is required" in message
    assert "unknown key `author`" in message
    assert "has 2 problems;" in message


def test_malformed_toml_gives_its_line() -> None:
    message = problems('[[report]]\nid="a"\ntitle="A\n')
    assert "line 3" in message and "not valid TOML" in message
    assert "double brackets" not in message


def test_single_brackets_are_named_as_the_mistake() -> None:
    message = problems('[report]\nid="a"\ntitle="A"\n\n[report]\nid="b"\ntitle="B"\n')
    assert "not valid TOML" in message and "line 5" in message
    assert "Each entry starts with [[report]], in double brackets." in message


def test_wrong_types_and_bad_urls() -> None:
    message = problems('[[report]]\nid="a"\ntitle="A"\nauthors="Smith"\n'
                       'url="ftp://example.org/x.pdf"\n')
    assert "`authors` must be a list of texts in quotes, like authors = [\"first\", " \
        "\"second\"]; it is the text 'Smith'" in message
    assert "`url` must start with http:// or https://" in message
    message = problems('[[report]]\nid="a"\ntitle="A"\nurl="https://u:p@example.org/x.pdf"\n')
    assert "must not carry a user name or password" in message


def test_relative_path_resolves_against_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    catalog_file = tmp_path / "sub" / "catalog.toml"
    catalog_file.write_text('[[report]]\nid="a"\ntitle="A"\npath="files/a.pdf"\n')
    assert load_catalog(catalog_file).get("a").path == tmp_path / "sub" / "files" / "a.pdf"


def test_bad_catalog_changes_nothing_on_disk(tmp_path: Path) -> None:
    catalog_file = tmp_path / "catalog.toml"
    catalog_file.write_text('[[report]]\nid="a"\n')
    data = tmp_path / "data"
    for command in (["fetch"], ["rebuild", "--offline"], ["update"], ["status"]):
        result = CliRunner().invoke(main, ["--catalog", str(catalog_file), "--data", str(data),
                                           *command])
        assert result.exit_code == 1, result.output
        assert "`title` is required" in result.output
        assert "Traceback" not in result.output
    assert not data.exists()


def test_missing_catalog_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--catalog", str(tmp_path / "none.toml"), "--data",
                                       str(tmp_path / "d"), "status"])
    assert result.exit_code == 1
    assert "No catalog at" in result.output and "--catalog" in result.output


def test_an_entrys_fingerprint_is_the_one_earlier_versions_saved() -> None:
    """`update` compares each entry's fingerprint with the one the manifest saved: computed
    any other way, an upgrade would re-index every entry."""
    import hashlib
    import json
    from dataclasses import asdict

    from indexer.catalog import Report

    def saved(report: Report) -> str:  # as splib computed it when it wrote the manifests
        fields = asdict(report)
        fields["path"] = str(report.path) if report.path else ""
        blob = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    full = Report(id="r", title="Título", organization="O", prepared_for="P",
                  authors=("A", "B"), date="2020-01", summary="S", topics=("t",), url="u",
                  links=("l",), path=Path("/x/r.pdf"), password="p",
                  languages=("eng", "spa"), ocr=False)
    for report in (full, Report(id="bare", title="T")):
        assert report.fingerprint() == saved(report)
    assert full.fingerprint() != Report(id="r", title="Título").fingerprint()


def _entry(title: str) -> str:
    return f'[[report]]\nid = "a"\ntitle = "{title}"\nsummary = "Shelter."\n'


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths whose bytes are read from now on."""
    reads: list[Path] = []
    real = Path.read_bytes

    def counted(self: Path) -> bytes:
        reads.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", counted)
    return reads


def test_a_settled_catalog_is_kept_until_any_edit(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A server keeps the parsed catalog between requests, not even reading the file while
    its times vouch for it; an edit of the same size whose modification time was set back
    (as `cp -p` leaves it) is still seen: its change time moved."""
    import indexer.library

    monkeypatch.setattr(indexer.library, "RACY_NS", 0)  # every file counts as settled
    path = tmp_path / "catalog.toml"
    path.write_text(_entry("First"), encoding="utf-8")
    lib = Library(catalog=path)
    first = lib.catalog()
    assert first.get("a").title == "First"
    reads = _counting_reads(monkeypatch)
    assert lib.catalog() is first
    assert reads == []  # kept: the times vouch for the file
    before = path.stat()
    path.write_text(_entry("Other"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert lib.catalog().get("a").title == "Other"
    assert reads  # read again


def test_a_catalog_written_just_before_it_was_read_is_hashed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the racy window the file's times cannot vouch for it: its bytes are read again
    (and parsed again only if they changed)."""
    import indexer.library

    monkeypatch.setattr(indexer.library, "RACY_NS", 10**18)  # every file is racy
    path = tmp_path / "catalog.toml"
    path.write_text(_entry("First"), encoding="utf-8")
    lib = Library(catalog=path)
    first = lib.catalog()
    reads = _counting_reads(monkeypatch)
    assert lib.catalog() is first  # the same bytes: the same catalog, not parsed again
    assert reads == [path]


def test_find_and_get_look_an_entry_up_by_id() -> None:
    catalog = parse_catalog(_entry("First") + '[[report]]\nid = "b"\ntitle = "B"\n',
                            Path("c.toml"))
    assert catalog.find("b") is catalog.reports[1]
    assert catalog.find("missing") is None
    assert catalog.get("a") is catalog.reports[0]
    with pytest.raises(NotFoundError, match="No report with id 'missing'"):
        catalog.get("missing")
