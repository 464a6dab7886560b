"""Acronyms learned from the reports' own definitions: finding pairs, counting, the saved file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.acronyms import ACRONYMS_FILE, AcronymCollector, Acronyms, find_pairs, load


@pytest.mark.parametrize(("text", "pair"), [
    ("Staff screen for Domestic Minor Sex Trafficking (DMST) at intake.",
     ("DMST", "Domestic Minor Sex Trafficking")),
    ("Relief under the Trafficking Victims Protection Act (TVPA), as amended, is open to them.",
     ("TVPA", "Trafficking Victims Protection Act")),
    ("Survivors may call the National Human Trafficking Hotline (NHTH) day or night.",
     ("NHTH", "National Human Trafficking Hotline")),
    ("Grants from the Office for Victims of Crime (OVC) pay for case managers.",
     ("OVC", "Office for Victims of Crime")),
    ("Unaccompanied Alien Children (UAC) are placed with sponsors.",
     ("UAC", "Unaccompanied Alien Children")),
    ("Some clients receive Temporary Assistance for Needy Families (TANF) benefits.",
     ("TANF", "Temporary Assistance for Needy Families")),
    # The short form's first letter starts the long form, so "U.S. Department of" is left out.
    ("A letter from the U.S. Department of Health and Human Services (HHS) certifies adults.",
     ("HHS", "Health and Human Services")),
    ("Training on commercial sexual exploitation of children (CSEC) is offered yearly.",
     ("CSEC", "commercial sexual exploitation of children")),
    # Plain Schwartz & Hearst would start at "of", whose "o" also fits.
    ("The Office of Refugee Resettlement (ORR) funds foster care.",
     ("ORR", "Office of Refugee Resettlement")),
    ("Members of the Anti-Trafficking Coordination Team (ACTeam) met monthly.",
     ("ACTeam", "Anti-Trafficking Coordination Team")),
    ("Targets follow Sustainable Development Goal 8 (SDG8) closely.",
     ("SDG8", "Sustainable Development Goal 8")),
    ("“Domestic Minor Sex Trafficking” (DMST) is the term used here.",
     ("DMST", "Domestic Minor Sex Trafficking")),
    ("Tips reach the Federal Bureau of Investigation’s (FBI) field offices.",
     ("FBI", "Federal Bureau of Investigation")),
    # What follows a semicolon or comma inside the parenthesis is not the short form.
    ("Screening for commercial sexual exploitation of children (CSEC; see Part 2) begins early.",
     ("CSEC", "commercial sexual exploitation of children")),
])
def test_long_form_then_acronym(text: str, pair: tuple[str, str]) -> None:
    assert find_pairs(text) == [pair]


@pytest.mark.parametrize(("text", "pair"), [
    ("Reports of DMST (Domestic Minor Sex Trafficking) rose in the county.",
     ("DMST", "Domestic Minor Sex Trafficking")),
    # A leading "the" inside the parenthesis is not part of the name.
    ("Eligibility under TVPA (the Trafficking Victims Protection Act) is broad.",
     ("TVPA", "Trafficking Victims Protection Act")),
    ("Families on TANF (Temporary Assistance for Needy Families, since 1996) may qualify.",
     ("TANF", "Temporary Assistance for Needy Families")),
])
def test_acronym_then_long_form(text: str, pair: tuple[str, str]) -> None:
    assert find_pairs(text) == [pair]


def test_article_kept_when_it_gives_a_letter() -> None:
    assert find_pairs("A Safe Place (ASP) opened a drop-in centre.") == [("ASP", "A Safe Place")]
    assert find_pairs("She asked the Hope Network (HN) for beds.") == [("HN", "Hope Network")]


def test_several_definitions_in_one_text_in_order() -> None:
    text = ("Referrals from the Office of Refugee Resettlement (ORR) and from Child Protective "
            "Services (CPS) were counted.\n\nLater, HHS (Health and Human Services) reviewed them.")
    assert find_pairs(text) == [("ORR", "Office of Refugee Resettlement"),
                                ("CPS", "Child Protective Services"),
                                ("HHS", "Health and Human Services")]


@pytest.mark.parametrize("text", [
    "Each shelter posts its house rules (see page 4) by the door.",
    "The county survey ran in the spring (2019) and again later.",
    "Work with local partners (e.g. shelters) whenever you can.",
    "Each safety plan must list (a) the goals and (b) the contacts.",
    "(U.S.)",
    # Letters that the words before do not spell, in either order.
    "Funding for outreach programs (U.S.) continues next year.",
    "Many clients fear the police (FBI) and avoid them.",
    "Advocates met with local shelters (DMST) last week.",
    "TVPA (see page 4)",
    "DMST (minor victims in the county)",
    # Reverse order needs an all-capitals word before the parenthesis.
    "Caseworkers (Domestic Minor Sex Trafficking) were trained.",
    # The expansion must be two or more words.
    "Call Polaris (P) for help.",
    # The long form does not reach back across a sentence end.
    "The hotline answered many calls. Victims (HTV) were referred.",
    # The long form must not hold the acronym itself.
    "The new HOPE plan (HOPE) starts soon.",
    "",
])
def test_non_definitions_rejected(text: str) -> None:
    assert find_pairs(text) == []


def test_long_form_limited_to_a_few_words_more_than_the_acronym() -> None:
    # "AB" allows min(2 + 5, 2 * 2) = 4 words: the A of "Anna" is five words back.
    assert find_pairs("Anna met one two three Brown (AB)") == []
    assert find_pairs("Anna met Brown (AB)") == [("AB", "Anna met Brown")]


def test_collector_counts_lower_cased_expansions() -> None:
    collector = AcronymCollector()
    collector.add("Domestic Minor Sex Trafficking (DMST) and domestic minor sex trafficking (DMST)")
    collector.add("No definitions on this page.")
    assert collector.counts == {("DMST", "domestic minor sex trafficking"): 2}


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    collector = AcronymCollector()
    collector.add("The Trafficking Victims Protection Act (TVPA) protects survivors.")
    collector.add("Ask the Office for Victims of Crime (OVC) about grants.")
    collector.save(tmp_path)

    acronyms = load(str(tmp_path))
    assert dict(acronyms) == {"ovc": "office for victims of crime",
                              "tvpa": "trafficking victims protection act"}
    assert acronyms.long("TVPA") == "trafficking victims protection act"
    assert acronyms.long("tvpa") == "trafficking victims protection act"
    assert acronyms.long("CSEC") is None
    assert acronyms.short("Office for Victims of Crime") == ("ovc",)
    assert acronyms.short("the Trafficking Victims Protection Act") == ("tvpa",)
    assert acronyms.short("victims of crime") == ()


def test_saved_file_is_sorted_and_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    pages = ["Unaccompanied Alien Children (UAC) arrive.", "Child Protective Services (CPS) call.",
             "Office of Refugee Resettlement (ORR) staff."]
    for folder, order in ((first, pages), (second, pages[::-1])):
        collector = AcronymCollector()
        for page in order:
            collector.add(page)
        collector.save(folder)
    text = (first / ACRONYMS_FILE).read_text(encoding="utf-8")
    assert text == (second / ACRONYMS_FILE).read_text(encoding="utf-8")
    assert list(json.loads(text)["acronyms"]) == ["cps", "orr", "uac"]


def test_most_frequent_expansion_wins(tmp_path: Path) -> None:
    collector = AcronymCollector()
    for _ in range(3):
        collector.add("Support for Human Trafficking (HT) survivors.")
    collector.add("Guests at the Hotel Tower (HT) were asked.")
    # One acronym whatever its case: "Ht" is counted with "HT".
    collector.add("Alerts on Hotel Tower (Ht) screens.")
    collector.save(tmp_path)
    assert load(str(tmp_path)).long("HT") == "human trafficking"


def test_tie_goes_to_the_alphabetically_first_expansion(tmp_path: Path) -> None:
    collector = AcronymCollector()
    collector.add("Guests at the Hotel Tower (HT) were asked.")
    collector.add("Support for Human Trafficking (HT) survivors.")
    collector.save(tmp_path)
    assert load(str(tmp_path)).long("ht") == "hotel tower"


def test_one_expansion_shared_by_two_acronyms(tmp_path: Path) -> None:
    collector = AcronymCollector()
    collector.add("Health and Human Services (HHS) and Health and Human Services (HaHS)")
    collector.save(tmp_path)
    assert load(str(tmp_path)).short("health and human services") == ("hahs", "hhs")


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert load(str(tmp_path)) == {}
    assert load(str(tmp_path)).long("DMST") is None


@pytest.mark.parametrize("content", [
    b'{"version": 1, "acronyms": {"dmst": "domestic',           # cut short
    b"\xff\xfe not utf-8 \x80",
    b"",
    b'["dmst", "domestic minor sex trafficking"]',              # not an object
    b'{"version": 1, "acronyms": ["dmst"]}',                    # table not a mapping
    b'{"version": 1, "acronyms": {"dmst": 3}}',                 # expansion not text
    b'{"version": 99, "acronyms": {"dmst": "domestic minor sex trafficking"}}',
    b'{"acronyms": {"dmst": "domestic minor sex trafficking"}}',
    b"null",
])
def test_damaged_or_wrong_shape_file_reads_as_empty(tmp_path: Path, content: bytes,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / ACRONYMS_FILE).write_bytes(content)
    acronyms = load(str(tmp_path))
    assert acronyms == {}
    assert acronyms.long("dmst") is None and acronyms.short("domestic minor sex trafficking") == ()
    assert "rebuild the index" in caplog.text


def test_unreadable_file_reads_as_empty(tmp_path: Path) -> None:
    # A folder where the file should be: reading it fails with an OSError, not a parse error.
    (tmp_path / ACRONYMS_FILE).mkdir()
    assert load(str(tmp_path)) == {}


def test_acronyms_is_read_only() -> None:
    acronyms = Acronyms({"DMST": "Domestic  Minor Sex Trafficking"})
    assert dict(acronyms) == {"dmst": "domestic minor sex trafficking"}
    with pytest.raises(TypeError):
        acronyms.expansions["tvpa"] = "x"  # type: ignore[index]
