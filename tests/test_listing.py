"""Listing pages into draft catalog entries (indexer.listing).

The seed page (`../shared/seed/library-for-service-providers.txt`, read in place) must give the
six entries of corpus/catalog.toml field by field. The HTML pages below are made up for these
tests (invented organisations and reports) in the shapes such libraries use.
"""

from __future__ import annotations

import html
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from indexer.listing import (
    Draft,
    normalize_date,
    parse_listing,
    parse_listing_html,
    parse_listing_text,
)

ROOT = Path(__file__).resolve().parents[1]
SEED_LISTING = "library-for-service-providers.txt"
# The fields the seed text carries; `url` and `links` are the catalog's own research
# (../shared/seed/sources.md), which the text of the page does not hold.
TEXT_FIELDS = ("title", "organization", "prepared_for", "authors", "date", "summary", "topics")
# Where the catalog says something the seed text cannot give by any rule, it is listed here as
# {(entry index, field): why} and left out of the comparison. The parser derives every field of
# the six entries, so nothing is listed; an entry added here must say why no rule could do it.
NOT_DERIVABLE: dict[tuple[int, str], str] = {}


def seed_dir() -> Path:
    return Path(os.environ.get("SPLIB_SEED") or ROOT.parent / "shared" / "seed")


@pytest.fixture(scope="module")
def seed_drafts() -> list[Draft]:
    path = seed_dir() / SEED_LISTING
    if not path.is_file():
        pytest.skip(f"seed listing not found at {path}; set SPLIB_SEED to its folder")
    return parse_listing(path.read_bytes())


@pytest.fixture(scope="module")
def catalog() -> list[dict[str, Any]]:
    with (ROOT / "corpus" / "catalog.toml").open("rb") as handle:
        reports: list[dict[str, Any]] = tomllib.load(handle)["report"]
    return reports


def _catalog_value(entry: dict[str, Any], name: str) -> object:
    value = entry.get(name, [] if name in ("authors", "topics", "links") else "")
    return tuple(value) if isinstance(value, list) else value


# --- The seed page against the catalog ------------------------------------------------------

def test_seed_gives_the_catalogs_six_entries_in_order(
        seed_drafts: list[Draft], catalog: list[dict[str, Any]]) -> None:
    assert len(catalog) == 6
    assert [d.title for d in seed_drafts] == [e["title"] for e in catalog]


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_seed_field_matches_the_catalog(
        seed_drafts: list[Draft], catalog: list[dict[str, Any]], name: str) -> None:
    assert len(seed_drafts) == len(catalog)
    for index, (draft, entry) in enumerate(zip(seed_drafts, catalog, strict=True)):
        if (index, name) in NOT_DERIVABLE:
            continue
        assert getattr(draft, name) == _catalog_value(entry, name), (index, entry["id"], name)


def test_seed_text_has_no_addresses(seed_drafts: list[Draft]) -> None:
    assert seed_drafts
    assert all(d.url == "" and d.links == () for d in seed_drafts)


def test_seed_title_year_yields_to_the_date_line(seed_drafts: list[Draft]) -> None:
    # "Baseline Assessment ... (2013)" followed by "September 6, 2013": the title keeps its
    # year (as the catalog does) and the full date comes from the date line.
    [baseline] = [d for d in seed_drafts if d.title.endswith("(2013)")]
    assert baseline.date == "2013-09-06"


def test_seed_summaries_keep_quotes_and_lose_the_link_label(seed_drafts: list[Draft]) -> None:
    quoted = [d.summary for d in seed_drafts if d.summary.startswith("\u201c")]
    assert len(quoted) == 2
    assert all(s.endswith("\u201d") for s in quoted)
    assert not any("Additional Relevant Link" in d.summary for d in seed_drafts)
    # The seed's "critical; t (3)" stays in the summary, as written, but not in the topic.
    [baseline] = [d for d in seed_drafts if "critical; t (3)" in d.summary]
    assert "Early intervention is critical" in baseline.topics


def test_seed_page_as_html_gives_the_same_fields(
        seed_drafts: list[Draft], catalog: list[dict[str, Any]]) -> None:
    # The seed's blocks as the web page would have shown them: organisations in bold, titles
    # as links, a further link after the label, a menu and a footer around them. The catalog
    # only says which block to mark up; the parser reads every field itself.
    seed = (seed_dir() / SEED_LISTING).read_text(encoding="utf-8")
    titles = [entry["title"] for entry in catalog]
    organizations = {entry["organization"] for entry in catalog}
    parts = ['<nav><a href="/">Home</a> | <a href="/library">Library</a></nav>']
    for number, block in enumerate(b.strip() for b in re.split(r"\n\s*\n", seed) if b.strip()):
        title = next((t for t in titles if block.startswith(t)), None)
        if block in organizations:
            parts.append(f"<p><strong>{html.escape(block)}</strong></p>")
        elif title is not None:
            parts.append(f'<p><a href="report-{number}.html">{html.escape(title)}</a>'
                         f"{html.escape(block[len(title):])}</p>")
        else:
            parts.append(f"<p>{html.escape(block)}</p>")
            if block.endswith("Link:"):
                parts.append(f'<p><a href="https://elsewhere.example.org/{number}">Study</a></p>')
    parts.append("<footer><p>Copyright the coalition</p></footer>")
    drafts = parse_listing_html("\n".join(parts), "https://library.example.org/page-1/")
    assert len(drafts) == len(catalog)
    for name in TEXT_FIELDS:
        assert [getattr(d, name) for d in drafts] == [getattr(d, name) for d in seed_drafts]
    assert all(d.url.startswith("https://library.example.org/page-1/report-") for d in drafts)
    assert [len(d.links) for d in drafts] == [0, 0, 1, 0, 0, 0]


# --- HTML shapes ----------------------------------------------------------------------------

GROUPED = """<!doctype html>
<html><head><title>Resource Library</title></head>
<body>
<header class="site-header"><a href="/">Coalition home</a></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>
  <li><a href="/library">Library</a></li></ul></nav>
<main>
<h1>Resource Library</h1>
<p>Reports for case managers, listed by organisation.</p>
<h2>Northfield Shelter Network</h2>
<ul>
  <li><a href="reports/housing-first.pdf">Housing First for Survivors</a> (2019)
    <p>Reviews emergency and transitional housing; discusses: (1) shelter intake;
       (2) rental assistance; and (3) follow-up care.</p></li>
  <li><a href="/reports/intake.html">Intake Interviews That Build Trust</a>, prepared for
      County Social Services
    <p>J. Rivera, M. Chen &mdash; March 2021</p>
    <p>A guide to first meetings with survivors, with sample questions.
       Contact <a href="mailto:desk@example.org">the desk</a> for copies.</p></li>
</ul>
<h2>Harbor Legal Aid</h2>
<ul>
  <li><a href="https://legal.example.org/relief">Immigration Relief Basics</a> &ndash; An
      overview of the relief available to survivors and how to apply for it.</li>
</ul>
<ul><li><a href="/donate">Donate</a></li><li><a href="/contact">Contact</a></li>
  <li><a href="/events">Events</a></li></ul>
</main>
<footer><p>&copy; 2024 Example Coalition</p><a href="/privacy">Privacy policy</a></footer>
</body></html>
"""


def test_html_grouped_by_organisation_headings_with_list_items() -> None:
    drafts = parse_listing_html(GROUPED, "https://library.example.org/resources/")
    assert drafts == [
        Draft(
            title="Housing First for Survivors",
            organization="Northfield Shelter Network",
            date="2019",
            summary="Reviews emergency and transitional housing; discusses: (1) shelter intake; "
                    "(2) rental assistance; and (3) follow-up care.",
            topics=("shelter intake", "rental assistance", "follow-up care"),
            url="https://library.example.org/resources/reports/housing-first.pdf",
        ),
        Draft(
            title="Intake Interviews That Build Trust",
            organization="Northfield Shelter Network",
            prepared_for="County Social Services",
            authors=("J. Rivera", "M. Chen"),
            date="2021-03",
            summary="A guide to first meetings with survivors, with sample questions. "
                    "Contact the desk for copies.",
            url="https://library.example.org/reports/intake.html",
        ),
        Draft(
            title="Immigration Relief Basics",
            organization="Harbor Legal Aid",
            summary="An overview of the relief available to survivors and how to apply for it.",
            url="https://legal.example.org/relief",
        ),
    ]


FLAT = """<div class="entry-content">
<p><strong>Lakeside Anti-Trafficking Task Force</strong></p>
<p><a href="/docs/screening-tool.pdf">A Screening Tool for Youth Programs</a>, prepared for
   State Office of Victim Services (OVS)</p>
<p>September 6, 2013</p>
<p>Covers: (1) Warning signs; (2) Questions to ask (safety, work, housing); (3) Referrals.
   Additional Relevant Link:</p>
<p><a href="https://lakeside.example.net/screening">https://lakeside.example.net/screening</a></p>
<p><strong>Riverbend University, Center for Labor Studies</strong></p>
<p><a href="https://riverbend.example.edu/labor-report">Labor Trafficking in Farm Work</a></p>
<p>P. Okafor, L. Brandt &mdash; 12 May 2016</p>
<p>&ldquo;A two-year study of seasonal farm work in three counties, drawn from interviews
   with workers, growers and inspectors.&rdquo; Additional Relevant Links:
   <a href="/data">the data tables</a> and
   <a href="https://riverbend.example.edu/summary">a two-page summary</a>.</p>
</div>
"""


def test_html_flat_paragraphs_like_the_seed_page() -> None:
    drafts = parse_listing(FLAT, "https://tf.example.org/library/")
    assert drafts == [
        Draft(
            title="A Screening Tool for Youth Programs",
            organization="Lakeside Anti-Trafficking Task Force",
            prepared_for="State Office of Victim Services (OVS)",
            date="2013-09-06",
            summary="Covers: (1) Warning signs; (2) Questions to ask (safety, work, housing); "
                    "(3) Referrals.",
            topics=("Warning signs", "Questions to ask (safety, work, housing)", "Referrals"),
            url="https://tf.example.org/docs/screening-tool.pdf",
            links=("https://lakeside.example.net/screening",),
        ),
        Draft(
            title="Labor Trafficking in Farm Work",
            organization="Riverbend University, Center for Labor Studies",
            authors=("P. Okafor", "L. Brandt"),
            date="2016-05-12",
            summary="\u201cA two-year study of seasonal farm work in three counties, drawn from "
                    "interviews with workers, growers and inspectors.\u201d",
            url="https://riverbend.example.edu/labor-report",
            links=("https://tf.example.org/data", "https://riverbend.example.edu/summary"),
        ),
    ]


HEADED = """<html><head><base href="https://archive.example.org/library/"></head><body>
<div id="sidebar"><h3><a href="/popular">Most popular reports this month</a></h3>
  <p>See what other readers opened most often this month.</p></div>
<article>
  <h2>Eastside Health Collaborative</h2>
  <h3><a href="clinic-guide.html">Clinic Protocols for Identifying Patients at Risk</a></h3>
  <p>Published: Sept. 2015</p>
  <p>Outlines how front-desk staff and clinicians can notice and respond to signs of
     exploitation. <a href="clinic-guide-long.html">Read more</a></p>
  <h3><a href="hotline-data.html">What the Hotline Data Show</a></h3>
  <p>By A. Nguyen and R. Patel, 2017-11-02</p>
  <p>Summarises five years of calls to a regional hotline.</p>
</article>
</body></html>
"""


def test_html_linked_headings_with_base_href_and_date_lines() -> None:
    drafts = parse_listing(HEADED.encode("utf-8"), "https://elsewhere.example.com/")
    assert drafts == [
        Draft(
            title="Clinic Protocols for Identifying Patients at Risk",
            organization="Eastside Health Collaborative",
            date="2015-09",
            summary="Outlines how front-desk staff and clinicians can notice and respond to "
                    "signs of exploitation.",
            url="https://archive.example.org/library/clinic-guide.html",
            links=("https://archive.example.org/library/clinic-guide-long.html",),
        ),
        Draft(
            title="What the Hotline Data Show",
            organization="Eastside Health Collaborative",
            authors=("A. Nguyen", "R. Patel"),
            date="2017-11-02",
            summary="Summarises five years of calls to a regional hotline.",
            url="https://archive.example.org/library/hotline-data.html",
        ),
    ]


TABLE = """<table>
<tr><th>Organisation</th><th>Report</th><th>Date</th><th>Summary</th></tr>
<tr><td>Metro Police Training Unit</td>
    <td><a href="/t/roll-call.pdf">Roll-Call Training on Labor Exploitation</a></td>
    <td>06/15/2018</td><td>Ten-minute briefings for patrol officers.</td></tr>
<tr><td></td><td><a href="/t/checklist.pdf">Patrol Checklist [2nd ed.]</a></td>
    <td></td><td></td></tr>
</table>"""


def test_html_table_rows_keep_each_rows_organisation_to_itself() -> None:
    drafts = parse_listing_html(TABLE, "https://pd.example.gov/")
    assert drafts == [
        Draft(
            title="Roll-Call Training on Labor Exploitation",
            organization="Metro Police Training Unit",
            date="2018-06-15",
            summary="Ten-minute briefings for patrol officers.",
            url="https://pd.example.gov/t/roll-call.pdf",
        ),
        # A row without an organisation does not borrow the row above's; the title links
        # to a document, which is enough for a draft.
        Draft(title="Patrol Checklist [2nd ed.]", url="https://pd.example.gov/t/checklist.pdf"),
    ]


def test_html_without_title_links_reads_headings_by_position() -> None:
    page = """<h1>Reading list</h1>
    <h2>Coastal Workers' Center</h2>
    <h3>Know Your Rights at Work</h3>
    <p>A plain-language booklet for workers on wages, hours and safety.</p>
    <h2>Valley Youth Outreach</h2>
    <h3>Street Outreach Field Notes (2011)</h3>
    <p>Notes from two years of evening outreach, with lessons for new staff.</p>"""
    assert parse_listing_html(page) == [
        Draft(title="Know Your Rights at Work", organization="Coastal Workers' Center",
              summary="A plain-language booklet for workers on wages, hours and safety."),
        Draft(title="Street Outreach Field Notes (2011)", organization="Valley Youth Outreach",
              date="2011",
              summary="Notes from two years of evening outreach, with lessons for new staff."),
    ]


def test_html_link_inside_a_sentence_is_not_a_title() -> None:
    page = """<h2>Partners</h2>
    <p><a href="https://north.example.org/">Northfield</a> works with survivors in three
       counties and trains volunteers every spring.</p>"""
    assert parse_listing_html(page, "https://example.org/") == []


def test_html_pages_of_menus_and_footers_give_no_entries() -> None:
    page = """<html><body>
    <nav class="main-navigation"><ul><li><a href="/">Home</a></li>
      <li><a href="/reports">Reports and research on trafficking</a></li></ul></nav>
    <div class="menu-primary"><a href="/about">About the coalition and its members</a></div>
    <ul><li><a href="/a">Donate</a></li><li><a href="/b">Volunteer</a></li>
        <li><a href="/c">Contact us</a></li></ul>
    <p><a href="/events">Upcoming trainings for service providers</a></p>
    <footer><h3>Stay in touch</h3><p><a href="/news">Sign up for the newsletter</a></p>
      <p>Copyright 2024 Example Coalition. All rights reserved.</p></footer>
    </body></html>"""
    assert parse_listing(page, "https://coalition.example.org/") == []


# --- Plain text -----------------------------------------------------------------------------

def test_text_date_spellings_and_title_years() -> None:
    text = "\n\n".join([
        "Resource Library",
        "Alpha Network", "Report One", "Aug. 2008", "First summary sentence here for one.",
        "Beta Council", "Report Two", "6 September 2013", "Second summary sentence for two.",
        "Gamma Institute", "Report Three", "Published: 2011", "Third summary sentence for three.",
        "Delta Alliance", "Report Four (2009)", "Fourth summary sentence for four.",
        "Epsilon Group", "Report Five", "Spring 2010", "Fifth summary sentence for five.",
        "Zeta Fund", "Report Six", "9/6/2013", "Sixth summary sentence for six.",
    ])
    drafts = parse_listing_text(text)
    assert [(d.organization, d.title, d.date) for d in drafts] == [
        ("Alpha Network", "Report One", "2008-08"),
        ("Beta Council", "Report Two", "2013-09-06"),
        ("Gamma Institute", "Report Three", "2011"),
        ("Delta Alliance", "Report Four (2009)", "2009"),
        ("Epsilon Group", "Report Five", "2010"),
        ("Zeta Fund", "Report Six", "2013-09-06"),
    ]


@pytest.mark.parametrize(("written", "expected"), [
    ("August 2008", "2008-08"),
    ("Aug 2008", "2008-08"),
    ("September 6, 2013", "2013-09-06"),
    ("Sept. 6th, 2013", "2013-09-06"),
    ("6 September 2013", "2013-09-06"),
    ("2013-09-06", "2013-09-06"),
    ("2013-9", "2013-09"),
    ("(2013)", "2013"),
    ("2013", "2013"),
    ("9/6/2013", "2013-09-06"),
    ("25/12/2013", "2013-12-25"),
    ("Winter 2010", "2010"),
    ("Released: May 2012", "2012-05"),
    ("February 30, 2013", ""),
    ("2013-13", ""),
    ("Mayor 2008", ""),
    ("1234", ""),
    ("Human Trafficking 2013", ""),
    ("", ""),
])
def test_normalize_date(written: str, expected: str) -> None:
    assert normalize_date(written) == expected


def test_text_authors_lines() -> None:
    text = "\n\n".join([
        "Alpha Network", "Report One", "Rivera, J., Chen, M. \u2014 June 2020",
        "First summary sentence for report one.",
        "Beta Council", "Report Two", "By Ana Ruiz, PhD and Tom Lee | 2019",
        "Second summary sentence for report two.",
        "Gamma Institute", "Trafficking in the Region \u2014 June 2013",
        "Third summary sentence for report three.",
    ])
    drafts = parse_listing_text(text)
    assert [(d.title, d.authors, d.date) for d in drafts] == [
        ("Report One", ("Rivera, J.", "Chen, M."), "2020-06"),
        ("Report Two", ("Ana Ruiz, PhD", "Tom Lee"), "2019"),
        # A title with a date is not an authors line ("in the" is not in people's names).
        ("Trafficking in the Region \u2014 June 2013", (), ""),
    ]


@pytest.mark.parametrize(("summary", "topics"), [
    ("Discusses: (1) Shelter; (2) Legal help; (3) Health care.",
     ("Shelter", "Legal help", "Health care")),
    ("Covers (1) intake, (2) safety planning, and (3) referrals. Written for new staff.",
     ("intake", "safety planning", "referrals")),
    ("Findings: (1) Needs vary (housing, work, school); (2) Staff need training in the U.S.; "
     "(3) Data are scarce.",
     ("Needs vary (housing, work, school)", "Staff need training in the U.S.",
      "Data are scarce")),
    ("Topics: (1) One thing; or (2) another thing.", ("One thing", "another thing")),
    ("A study begun in (2013) with (1) site.", ()),
    ("Starts at (2) two; (3) three.", ()),
    ("No list in this summary at all.", ()),
])
def test_topics_from_numbered_lists(summary: str, topics: tuple[str, ...]) -> None:
    [draft] = parse_listing_text(f"Some Organisation\n\nSome Report\n\n{summary}")
    assert draft.summary == summary
    assert draft.topics == topics


def test_text_links_after_the_label_and_a_bare_title_address() -> None:
    text = "\n\n".join([
        "Alpha Network", "Report One", "https://alpha.example.org/one.pdf",
        "A summary of the first report. Additional Relevant Links:",
        "https://alpha.example.org/one-data", "www.alpha.example.org/one-notes",
        "Beta Council", "Report Two", "The second report in brief.",
    ])
    drafts = parse_listing_text(text)
    assert drafts == [
        Draft(title="Report One", organization="Alpha Network",
              summary="A summary of the first report.",
              url="https://alpha.example.org/one.pdf",
              links=("https://alpha.example.org/one-data", "http://www.alpha.example.org/one-notes")),
        Draft(title="Report Two", organization="Beta Council",
              summary="The second report in brief."),
    ]


def test_text_entries_without_a_summary() -> None:
    text = "\n\n".join([
        "Resource Library",
        "Alpha Network", "Report One",
        "Beta Council", "Report Two", "The second report in brief.",
        "Gamma Institute", "Report Three",
    ])
    assert parse_listing_text(text) == [
        Draft(title="Report One", organization="Alpha Network"),
        Draft(title="Report Two", organization="Beta Council",
              summary="The second report in brief."),
        Draft(title="Report Three", organization="Gamma Institute"),
    ]


def test_text_wrapped_paragraphs_are_unwrapped() -> None:
    text = ("Alpha Network\n\nA Report With a Title\n\nThis summary was wrapped at a narrow\n"
            "width by whoever copied it, and a well-\nknown word was split.\n")
    [draft] = parse_listing_text(text)
    assert draft.summary == ("This summary was wrapped at a narrow width by whoever copied it, "
                             "and a well-known word was split.")


def test_bytes_are_decoded_and_sniffed() -> None:
    text = "Alpha Network\r\n\r\nReport One\r\n\r\n\u201cA quoted summary of the first report, " \
           "in the organisation\u2019s words.\u201d\r\n"
    [from_text] = parse_listing(text.encode("cp1252"))
    assert from_text.summary.startswith("\u201cA quoted") and from_text.url == ""
    page = ('<html><head><meta charset="windows-1252"></head><body><h2>Alpha Network</h2>'
            '<p><a href="one.html">Report One \u2013 Revised</a></p>'
            '<p>A summary of the first report.</p></body></html>')
    [from_html] = parse_listing(page.encode("cp1252"), "https://alpha.example.org/lib/")
    assert from_html.title == "Report One \u2013 Revised"
    assert from_html.url == "https://alpha.example.org/lib/one.html"


@pytest.mark.parametrize("page", [
    "",
    "\n\n  \n",
    "Library for Service Providers",
    "Library for Service Providers\n\nThis page lists reports for service providers, "
    "by organisation.",
    "<html><body></body></html>",
    "<html><body><h1>Library</h1><p>No reports have been listed yet.</p></body></html>",
])
def test_pages_without_entries_give_an_empty_list(page: str) -> None:
    assert parse_listing(page) == []
    assert parse_listing(page.encode("utf-8")) == []
