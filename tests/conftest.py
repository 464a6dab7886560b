"""Shared fixtures: generated PDFs and HTML with known text, catalogs, fast fetch settings."""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from indexer import FetchSettings, Library, Limits

ROOT = Path(__file__).resolve().parents[1]


def corpora_dir() -> Path:
    return Path(os.environ.get("SPLIB_CORPORA") or ROOT.parent / "shared" / "corpora")


@pytest.fixture(scope="session")
def corpora() -> Path:
    path = corpora_dir()
    if not path.is_dir():
        pytest.skip(f"shared corpora not found at {path}; set SPLIB_CORPORA to their folder")
    return path


def make_pdf(pages: Sequence[str], labels: Sequence[tuple[int, str, int]] = (),
             password: str = "", text: bool = True, title: str | None = None) -> bytes:
    """A PDF whose page i (0-based) shows `pages[i]`, wrapped; `labels` are
    (first page index, pypdf style like '/r' or '/D', start number) ranges."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    if title:
        c.setTitle(title)
    for page in pages:
        if text:
            y = 740
            for para in page.split("\n"):
                for line in textwrap.wrap(para, 90) or [""]:
                    c.drawString(50, y, line)
                    y -= 14
                    if y < 40:
                        break
        else:
            c.rect(100, 100, 300, 300, fill=1)  # a "scan": marks, no text
        c.showPage()
    c.save()
    if not labels and not password:
        return buf.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    for first, style, start in labels:
        writer.set_page_label(first, first if first == len(pages) - 1 else _range_end(
            labels, first, len(pages)), style=style, start=start)
    if password:
        writer.encrypt(user_password=password, owner_password=password + "-owner",
                       algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _range_end(labels: Sequence[tuple[int, str, int]], first: int, count: int) -> int:
    later = sorted(f for f, _, _ in labels if f > first)
    return (later[0] - 1) if later else count - 1


ARTICLE = (
    "Case managers who work with survivors of labor trafficking describe housing as the "
    "first and hardest need. Emergency shelters rarely accept survivors with immigration "
    "questions, and transitional housing programs keep long waiting lists. "
    "Advocates recommend planning for housing from the first meeting, together with legal "
    "help for a T visa and a certification letter from the Office on Trafficking in Persons."
)


def make_html(article: str = ARTICLE, charset: str = "utf-8", title: str = "Housing survivors",
              declare: bool = True) -> bytes:
    """An article wrapped in navigation, a sidebar and a footer, encoded in `charset`."""
    meta = f'<meta charset="{charset}">' if declare else ""
    nav = "".join(f'<li><a href="https://example.org/menu{i}">Menu item {i}</a></li>'
                  for i in range(12))
    html = f"""<!DOCTYPE html><html><head>{meta}<title>{title}</title>
<meta name="description" content="How case managers find housing for survivors.">
</head><body>
<header><nav><ul>{nav}</ul></nav></header>
<div class="sidebar"><h3>Donate today</h3><p>Subscribe to our newsletter for updates.</p></div>
<main><article><h1>{title}</h1>
<p>{article}</p>
<p>{article}</p>
<p>See <a href="https://example.org/report.pdf">the full report</a>.</p>
</article></main>
<footer><p>Copyright footer text, privacy policy, terms of use.</p></footer>
</body></html>"""
    return html.encode(charset)


def fast_fetch(archive: str = "") -> FetchSettings:
    """Fetch settings for tests: short timeouts, no back-off, archive only when given."""
    return FetchSettings(timeout=2.0, deadline=10.0, retries=2, backoff=0.0,
                         max_bytes=2_000_000, max_redirects=5, archive=archive)


def write_catalog(path: Path, entries: Sequence[dict[str, object]]) -> Path:
    """Write a catalog TOML with one [[report]] table per entry."""
    import json

    lines: list[str] = []
    for entry in entries:
        lines.append("[[report]]")
        for key, value in entry.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


LibraryFactory = Callable[..., Library]


@pytest.fixture
def make_library(tmp_path: Path) -> LibraryFactory:
    """A Library over a catalog written from `entries`, with a data folder in tmp_path."""

    def factory(entries: Sequence[dict[str, object]], archive: str = "",
                name: str = "catalog.toml", **limits: float) -> Library:
        catalog = write_catalog(tmp_path / name, entries)
        return Library(catalog=catalog, data=tmp_path / "data", fetch=fast_fetch(archive),
                       limits=Limits(**limits) if limits else Limits(seconds=60))

    return factory


GUIDE = [
    "Guide for service providers. Contents and acknowledgements.",
    "Introduction to the guide and who should read it.",
    "A certification letter from the Office on Trafficking in Persons lets adult victims "
    "receive benefits. Case managers request the letter early.",
    "Emergency housing and shelters in rural counties are scarce; transitional housing "
    "programs keep waiting lists.",
    "Mental health care: trauma-informed counseling for survivors and their children.",
]
TRAINING = [
    "Law enforcement training curriculum for patrol officers.",
    "Module one: indicators of labor trafficking at farms and restaurants.",
    "Module two: interviewing minors in child welfare custody with a victim advocate.",
]


@pytest.fixture
def library(tmp_path: Path, make_library: LibraryFactory) -> Library:
    (tmp_path / "guide.pdf").write_bytes(
        make_pdf(GUIDE, labels=[(0, "/r", 1), (2, "/D", 1)]))
    (tmp_path / "training.pdf").write_bytes(make_pdf(TRAINING))
    (tmp_path / "article.html").write_bytes(make_html())
    lib = make_library([
        {"id": "hhs-guide", "title": "Services for Victims of Trafficking: A Guide",
         "organization": "U.S. Department of Health and Human Services",
         "authors": ["H. Clawson", "N. Dutch"], "date": "2008-08",
         "summary": "How to meet the needs of victims: benefits, housing, counseling.",
         "topics": ["Certification letters", "Housing"], "path": "guide.pdf"},
        {"id": "wi-training", "title": "Training for Law Enforcement",
         "organization": "Wisconsin Department of Justice", "date": "2013-09-06",
         "summary": "A curriculum for officers on recognising trafficking.",
         "path": "training.pdf"},
        {"id": "housing-article", "title": "Housing survivors",
         "organization": "Coalition Against Trafficking", "date": "2016",
         "summary": "An article on shelters.", "path": "article.html"},
        {"id": "atest-book", "title": "Anti-Slavery Funding Appropriations Briefing Book",
         "organization": "ATEST", "date": "2012",
         "summary": "Recommendations to Congress on funding for law enforcement and services "
                    "for victims."},
    ])
    report = lib.rebuild(offline=True)
    assert len(report.with_text) == 3 and len(report.summary_only) == 1
    return lib


WEB_ORGS = ("Coalition Against Trafficking", "Department of Health", "Department of Justice")
XSS_TITLE = "<script>window.__xss = 1</script> Probe <b>report</b>"
XSS_ORG = 'Probe Org <img src=x onerror="window.__xss = 2">'
XSS_TEXT = "<script>document.title = 'pwned'</script> shelter probe <img src=x onerror=alert(1)>"


def build_web_library(folder: Path) -> Library:
    """Thirteen reports that say "shelter" (twelve PDFs over three organisations and twelve
    years, and one whose title, organisation, summary and page text are an XSS probe), and
    one summary-only entry, indexed offline in `folder`."""
    entries: list[dict[str, object]] = []
    for n in range(12):
        pages = [f"Report {n} on services for survivors. Contents.",
                 f"Emergency shelter beds for survivors in county {n}; case managers "
                 f"arrange transport and an advocate. Finding {n} of the review.",
                 f"Appendix {n}: interview guide for program staff."]
        (folder / f"r{n}.pdf").write_bytes(make_pdf(pages))
        entries.append({"id": f"shelter-{n:02d}", "title": f"Shelter study number {n}",
                        "organization": WEB_ORGS[n % 3], "date": str(2008 + n),
                        "summary": f"What shelters offer survivors, study {n}.",
                        "path": f"r{n}.pdf"})
    (folder / "probe.pdf").write_bytes(make_pdf(["Probe cover page.", XSS_TEXT]))
    entries.append({"id": "xss-probe", "title": XSS_TITLE, "organization": XSS_ORG,
                    "date": "2020", "summary": "A <script>alert('summary')</script> shelter "
                    "summary.", "path": "probe.pdf"})
    entries.append({"id": "no-text", "title": "Funding briefing", "organization": "ATEST",
                    "date": "2012", "summary": "Appropriations for victim services."})
    lib = Library(catalog=write_catalog(folder / "catalog.toml", entries),
                  data=folder / "data", fetch=fast_fetch(), limits=Limits(seconds=60))
    report = lib.rebuild(offline=True)
    assert len(report.with_text) == 13, report.errors
    return lib
