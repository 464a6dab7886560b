"""What people type is searched as they mean it: punctuation is text, codes keep every part,
pasted text is read for its key terms, acronyms and misspellings are understood."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import fast_fetch, make_pdf, write_catalog

from indexer import IndexMissingError, Library, QueryError
from indexer.cli import main
from indexer.query import AllOf, Not, Phrase, Word, parse
from indexer.search import MAX_PASTE_CHARS

VISAS = [
    "Immigration relief for survivors. Survivors may apply for T-Visas with Form I-914 and "
    "the supporting declaration. The hotline answers 24/7 in English and Spanish.",
    "Housing: survivors in rural counties wait for shelters; housing vouchers help families.",
]
FARMS = [
    "Seasonal farm workers who are H-2A visa holders pick crops in 2021. Work visas tie a "
    "worker to one employer, 10 or 14 or 20 hours a day in 2021.",
    "Traffic stops on rural roads were the first contact with police. Traffic safety "
    "officers and traffic cameras. Labor trafficking of farm workers in 2021 and 2020.",
]
DEFINES = [
    "Domestic Minor Sex Trafficking (DMST) describes the commercial sexual exploitation of "
    "children who are citizens. Shelters for trafficking survivors and housing programs.",
]
ACRONYM_ONLY = [
    "Screening tools for DMST in child welfare intake. Workers screen every runaway youth "
    "for trafficking in 2021, 2020 and 10 other years.",
]
LONG_ONLY = [
    "Prosecutors describe domestic minor sex trafficking cases in juvenile court and the "
    "housing of survivors after court.",
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    tmp = tmp_path_factory.mktemp("query-language")
    files = {"visas": VISAS, "farms": FARMS, "defines": DEFINES, "acronym-only": ACRONYM_ONLY,
             "long-only": LONG_ONLY}
    for name, pages in files.items():
        (tmp / f"{name}.pdf").write_bytes(make_pdf(pages))
    catalog = write_catalog(tmp / "catalog.toml", [
        {"id": name, "title": f"Report {name}", "organization": "Coalition",
         "date": "2021", "summary": "", "path": f"{name}.pdf"} for name in files])
    library = Library(catalog=catalog, data=tmp / "data", fetch=fast_fetch())
    library.rebuild(offline=True)
    yield library


def pdf_library(folder: Path, reports: dict[str, list[str]]) -> Library:
    """A library built offline in `folder`: a PDF of the given pages for each id, titled after
    the id, with no summary."""
    for name, pages in reports.items():
        (folder / f"{name}.pdf").write_bytes(make_pdf(pages))
    catalog = write_catalog(folder / "catalog.toml", [
        {"id": name, "title": name.title(), "summary": "", "path": f"{name}.pdf"}
        for name in reports])
    library = Library(catalog=catalog, data=folder / "data", fetch=fast_fetch())
    library.rebuild(offline=True)
    return library


def ids(lib: Library, query: str) -> list[str]:
    return [hit.id for hit in lib.search(query, limit=10).results]


def highlighted(lib: Library, query: str, report: str) -> set[str]:
    hit = next(h for h in lib.search(query).results if h.id == report)
    return {s.text[a:b] for s in hit.snippets for a, b in s.highlights}


def test_question_marks_and_brackets_are_text(lib: Library) -> None:
    asked = lib.search("What services do survivors need? (housing, shelters)")
    plain = lib.search("What services do survivors need housing shelters")
    assert not asked.fallback and asked.results
    assert [(h.id, round(h.score, 6)) for h in asked.results] == \
        [(h.id, round(h.score, 6)) for h in plain.results]


@pytest.mark.parametrize(("asked", "keywords"), [
    ("what is a T visa?", "T visa"), ("Who answers the hotline?", "answers hotline"),
    ("how do I apply for T-Visas", "apply T-Visas"), ("what is DMST", "DMST"),
    ("what's DMST?", "DMST"), ("What\u2019s DMST?", "DMST"), ("whats DMST", "DMST"),
    ("WHAT IS DMST?", "DMST"), ("how do I get a T visa?", "T visa")])
def test_a_short_question_is_searched_for_what_it_asks(lib: Library, asked: str,
                                                       keywords: str) -> None:
    """Its question words are set aside, as a long question's are: "what" is not required."""
    found, plain = lib.search(asked), lib.search(keywords)
    assert found.results and not found.fallback
    assert [(h.id, round(h.score, 6)) for h in found.results] == \
        [(h.id, round(h.score, 6)) for h in plain.results]


def test_a_short_question_keeps_what_is_not_a_question_word(lib: Library) -> None:
    from indexer.search import short_question

    for typed in ("WHO guidelines?", "shelters for whom", '"what is" housing?', "housing -what?",
                  "what is it?"):
        assert short_question(parse(typed), typed) == parse(typed), typed
    # Nothing asks in a keyword query without a question mark or a word that asks first.
    assert short_question(parse("housing what"), "housing what") == parse("housing what")
    # "get" is a question's form ("how do I get", "can I get"), not its subject.
    assert short_question(parse("Can I get housing"), "Can I get housing").node == \
        Word("housing")


def test_a_colon_inside_a_sentence_is_text(lib: Library) -> None:
    found = lib.search("Requests: shelters for survivors in rural counties")
    assert found.results and found.results[0].id == "visas"
    with pytest.raises(QueryError, match=r"Unknown field foo:.*title"):
        lib.search("foo:bar")


def test_known_fields_and_operators_stay_syntax() -> None:
    assert parse("title:visa").node == Word("visa", "title")
    assert parse("housing -rural").node == AllOf((Word("housing"), Not(Word("rural"))))
    assert parse('"T visa"').node == Phrase(("T", "visa"))
    # Lower-case "or", a leading "OR" and unbalanced marks are words and punctuation.
    assert not parse("shelter or housing").syntax
    assert not parse("(housing, mental health) - rural?").syntax
    assert parse("OR housing").node == AllOf((Word("OR"), Word("housing")))


def test_pasted_text_is_answered_by_its_key_terms(lib: Library) -> None:
    paragraph = ("Case note: the client, a seasonal farm worker on an H-2A visa, says the "
                 "employer keeps the crew's papers; the crew picks crops twenty hours a day. ")
    text = (paragraph * (MAX_PASTE_CHARS // len(paragraph) + 1))[:MAX_PASTE_CHARS]
    found = lib.search(text)
    assert found.results[0].id == "farms"
    assert not found.notes  # all of it was read
    longer = lib.search(text + " more")
    assert longer.results[0].id == "farms" and longer.notes


def test_a_quoted_code_finds_only_that_code(lib: Library) -> None:
    assert ids(lib, '"T visa"') == ["visas"]
    assert ids(lib, "T visa") == ["visas"]
    assert highlighted(lib, '"T visa"', "visas") == {"T", "Visas"}
    assert "farms" in ids(lib, "visa")


@pytest.mark.parametrize(("query", "marked"), [("24/7", {"24", "7"}), ("I-914", {"I", "914"}),
                                               ("H-2A", {"H", "2A"})])
def test_codes_are_found_and_highlighted(lib: Library, query: str, marked: set[str]) -> None:
    found = ids(lib, query)
    assert found and found[0] == ("farms" if query == "H-2A" else "visas")
    assert highlighted(lib, query, found[0]) == marked


def test_cli_takes_a_query_as_written(lib: Library) -> None:
    runner = CliRunner()
    for args in (["search", "housing", "-rural", "--json"],
                 ["search", "--json", "--", "-rural", "housing"]):
        result = runner.invoke(main, args, obj=lib)
        assert result.exit_code == 0, result.output
        shown = [hit["id"] for hit in json.loads(result.output)["results"]]
        assert "visas" not in shown and "farms" not in shown  # they say "rural"
        assert "defines" in shown
    with_limit = runner.invoke(main, ["search", "housing", "-n", "1", "-rural"], obj=lib)
    assert with_limit.exit_code == 0 and "showing 1" in with_limit.output


def test_a_misspelling_whose_stem_is_a_word_still_gets_did_you_mean(lib: Library) -> None:
    found = lib.search("trafficing")
    assert found.suggestion == "trafficking"
    assert lib.search("trafficking").suggestion is None
    # In a question the correction is searched too.
    asked = lib.search("how do we screen runaway youth for trafficing in intake")
    assert asked.suggestion is not None and "trafficking" in asked.suggestion
    assert asked.results[0].id == "acronym-only"


def test_did_you_mean_leaves_acronyms_and_offers_no_function_words(lib: Library) -> None:
    """A word in capitals the library never writes is an acronym it lacks, not a typo; and
    "has" or "the" is nobody's subject."""
    for typed in ("DCF", "SIJS screening", "HHS visas"):
        assert lib.search(typed).suggestion is None, typed
    assert lib.search("hhs").suggestion is None  # not "has"
    assert lib.search("shelterz").suggestion == "shelters"  # a typo still gets one
    assert lib.search("SHELTERZ").suggestion == "shelters"  # longer than an acronym


def test_did_you_mean_leaves_english_words_the_library_lacks(tmp_path: Path) -> None:
    """A library that writes "stating" and "time" but never "staying" or "twice": a case
    note's ordinary words are not typos of its words, a misspelling still is."""
    (tmp_path / "notes.pdf").write_bytes(make_pdf([
        "Letters stating the facts of each case, one at a time, for shelters and housing."]))
    catalog = write_catalog(tmp_path / "catalog.toml", [
        {"id": "notes", "title": "Case notes", "summary": "", "path": "notes.pdf"}])
    library = Library(catalog=catalog, data=tmp_path / "data", fetch=fast_fetch())
    library.rebuild(offline=True)
    for typed in ("youth staying in shelters", "moved twice this year, needs housing now",
                  "what letters do survivors need when staying in shelters twice a year"):
        assert library.search(typed).suggestion is None, typed
    assert library.search("leters stating facts").suggestion == "letters stating facts"
    # A word left as typed need not be in the reports the correction finds.
    assert library.search("twice leters").suggestion == "twice letters"


@pytest.mark.parametrize("typed", ["h2a", "H2A visas", "what work do h2a visa holders do?"])
def test_a_code_typed_without_its_hyphen_finds_it_written_with_one(lib: Library,
                                                                   typed: str) -> None:
    found = lib.search(typed)
    assert found.results and found.results[0].id == "farms"
    assert "h-2a" in found.also
    assert {"H", "2A"} <= highlighted(lib, typed, "farms")  # as when "H-2A" is typed


@pytest.mark.parametrize("typed", ["a2021", "of2021", "visa2021"])
def test_a_joined_code_is_split_only_into_parts_the_library_writes(lib: Library,
                                                                   typed: str) -> None:
    """"a" and "of" are left out of the index (so the phrase would be "2021" alone); no
    report writes "visa 2021" as a code either."""
    found = lib.search(typed)
    assert found.also == () and not found.results


def test_a_word_finds_the_dotted_names_it_begins(tmp_path: Path) -> None:
    """"Backpage.com" is one word in the index, as "U.S." is: a search for backpage finds it,
    and says what else it searched."""
    library = pdf_library(tmp_path, {
        "ads": ["One in three cases involved an online ad placed on Backpage.com in 2015."],
        "other": ["The U.S. hotline answers calls about labor trafficking."]})
    for typed in ("backpage", "backpage ads", "which cases used backpage for ads?"):
        found = library.search(typed)
        assert [h.id for h in found.results] == ["ads"], typed
        assert "backpage.com" in found.also, typed
        assert "Backpage.com" in highlighted(library, typed, "ads"), typed
    assert library.search("hotline").also == ()


def test_a_misspelled_keyword_is_searched_with_its_correction(lib: Library) -> None:
    """"trafficing" stems as "traffic": searched alone it found the farm report's traffic
    stops. Its correction is searched with it, says so, and marks the pages' words."""
    found = lib.search("trafficing", limit=10)
    assert found.suggestion == "trafficking" and found.also == ("trafficking",)
    assert {"defines", "acronym-only"} <= {h.id for h in found.results}
    assert "Trafficking" in highlighted(lib, "trafficing", "defines")
    # A query typed with operators is searched as typed; "Did you mean" still offers.
    strict = lib.search("trafficing AND shelters")
    assert strict.also == () and strict.suggestion == "trafficking AND shelters"
    assert not strict.results


def test_an_acronym_typed_in_small_letters_is_searched_as_one(tmp_path: Path) -> None:
    """"dmst" and "csec", typed as people type, are the library's acronyms as DMST is; "ice",
    an English word, is not the ICE a report defines."""
    library = pdf_library(tmp_path, {
        "defines": [*DEFINES,
                    "Agents of Immigration and Customs Enforcement (ICE) met the survivors."],
        "long": [*LONG_ONLY,
                 "Roads covered in ice; immigration and customs enforcement offices closed."]})
    for typed in ("dmst", "Dmst", "DMST"):
        found = library.search(typed)
        assert found.also == ("domestic minor sex trafficking",), typed
        assert {h.id for h in found.results} == {"defines", "long"}, typed
        assert found.suggestion is None
    assert library.search("ICE").also == ("immigration and customs enforcement",)
    assert library.search("ice").also == ()


def test_a_short_word_is_corrected_by_one_edit_at_most(tmp_path: Path) -> None:
    """Two edits turn most short words into another: "dmst" is not "debt", "ovc" not "one",
    "trata" not "trauma". A longer word may still take two."""
    library = pdf_library(tmp_path, {"notes": [
        "Debt bondage, trauma and recovery: one survivor's account of shelters."]})
    for typed in ("dmst", "ovc", "trata"):
        assert library.search(typed).suggestion is None, typed
    assert library.search("debtt").suggestion == "debt"
    assert library.search("rekovary").suggestion == "recovery"  # two edits, eight letters


CASE_NOTE = (
    "Client is 16. She met an older boyfriend online; he bought her clothes and a phone, and "
    "she ran from her foster care placement to stay with him. He now books hotel rooms for "
    "her and takes the money. She says he loves her and she does not see herself as a victim "
    "of anything; she will not talk to police. Her caseworker asked what grooming looks like "
    "and whether she can get a safe placement.")


def test_a_case_note_is_searched_for_its_subject_not_its_pronouns(tmp_path: Path) -> None:
    """A case note says "she", "her" and "he" over and over: the pages that share them are
    not the answer; the page on grooming and runaways from foster care is."""
    library = pdf_library(tmp_path, {
        "story": ["She told him that her sister and he had left. He said she and her mother "
                  "would call him; she waited for him and her brother all day."],
        "grooming": ["Traffickers groom a youth with attention and gifts, posing as a "
                     "boyfriend; runaways from foster care are at risk and often do not see "
                     "themselves as victims. A safe placement and a caseworker help."]})
    found = library.search(CASE_NOTE)
    assert found.results[0].id == "grooming"
    assert not {"she", "her", "he", "him"} & {
        s.text[a:b].lower() for h in found.results for s in h.snippets for a, b in s.highlights}


def test_a_sentence_about_someone_is_a_question_without_its_pronouns(tmp_path: Path) -> None:
    """Its pronouns count toward a question's length, as before they were set aside, so it
    is still read as a question: any word may match, and the pronouns rank nothing."""
    library = pdf_library(tmp_path, {
        "groom": ["Youth are often trafficked by a boyfriend who grooms them online."],
        "pron": ["She said he was there. Her mother and his brother saw her and him."]})
    found = library.search("she was trafficked by her boyfriend online")
    assert not found.fallback
    assert [h.id for h in found.results] == ["groom"]


def test_a_question_says_its_reports_share_words_with_it(lib: Library) -> None:
    """Any word of a question may match, so nearly every report does: the count says so
    rather than that they all match."""
    runner = CliRunner()
    asked = "what housing do survivors in rural counties need?"
    said = runner.invoke(main, ["search", asked], obj=lib)
    assert said.exit_code == 0, said.output
    assert "share words with it, the closest first; showing" in said.output
    assert json.loads(runner.invoke(main, ["search", "--json", asked], obj=lib).output)[
        "question"] is True
    keywords = runner.invoke(main, ["search", "housing"], obj=lib)
    assert "share words" not in keywords.output and " match" in keywords.output
    dated = runner.invoke(main, ["search", "--sort", "newest", asked], obj=lib)
    assert "share words with it; showing" in dated.output  # not "the closest first"


def test_a_summary_taken_from_the_report_is_not_shown_twice(tmp_path: Path) -> None:
    """`splib add` takes a summary from the report's own executive summary: its snippet would
    repeat the page's, which cites the page. A summary in the catalog's own words stays."""
    paragraph = ("Case managers who serve survivors of labor trafficking need housing, legal "
                 "help and steady contact over many months of recovery.")
    for name, pages in {"copied": ["Cover", paragraph], "own": ["Cover", paragraph]}.items():
        (tmp_path / f"{name}.pdf").write_bytes(make_pdf(pages))
    catalog = write_catalog(tmp_path / "catalog.toml", [
        {"id": "copied", "title": "Copied", "summary": paragraph, "path": "copied.pdf"},
        {"id": "own", "title": "Own", "path": "own.pdf",
         "summary": "What case managers of labor trafficking survivors should plan for."}])
    library = Library(catalog=catalog, data=tmp_path / "data", fetch=fast_fetch())
    library.rebuild(offline=True)
    # (the summary matched through the entry's body, as words of several fields do, shows too)
    for query in ("managers", "case managers labor trafficking"):
        hits = {h.id: h for h in library.search(query).results}
        assert [s.page for s in hits["copied"].snippets] == [2], query
        assert [s.page for s in hits["own"].snippets] == [None, 2], query
    # A page whose snippet shows another of its passages does not say the summary's.
    elsewhere = ". ".join(["Cover notes on intake and forms"] * 40)
    (tmp_path / "later.pdf").write_bytes(make_pdf(["Cover", paragraph + " " + elsewhere +
                                                   " Referrals to a shelter go to managers."]))
    catalog = write_catalog(tmp_path / "catalog.toml", [
        {"id": "later", "title": "Later", "summary": paragraph, "path": "later.pdf"}])
    later = Library(catalog=catalog, data=tmp_path / "data2", fetch=fast_fetch())
    later.rebuild(offline=True)
    hit = later.search("which managers handle a shelter referral?").results[0]
    assert hit.snippets[0].page is None and "Referrals" in hit.snippets[1].text


def test_a_long_question_is_not_offered_back_whole(tmp_path: Path) -> None:
    """A pasted paragraph with a misspelt word is searched with the correction, said in
    "Also searched", but not offered back as a whole paragraph to click."""
    library = pdf_library(tmp_path, {"notes": [
        "Grooming by a boyfriend; runaways from foster care; a safe placement."]})
    typo = CASE_NOTE.replace("grooming", "grooming and placemnt")
    found = library.search(typo)
    assert found.suggestion is None and "placement" in found.also
    short = library.search("safe placemnt for runaways")
    assert short.suggestion == "safe placement for runaways"


def test_a_question_in_another_language_is_not_corrected_into_english(tmp_path: Path) -> None:
    """The library writes English words a step from the Spanish ones ("señales" -> "sales",
    "cuáles" -> "cables"): a question in Spanish is not rewritten into them, while accented
    names in an English query do not stop its corrections."""
    library = pdf_library(tmp_path, {"notes": [
        "Victims of human trafficking and persons; law, sales and cables; trends in trade."]})
    for asked in ("¿cómo reconocer a una víctima de trata de personas?",
                  "reconnaître une victime de la traite des personnes dans les hôtels",
                  "¿Cuáles son las señales de la trata de personas en una tienda?"):
        found = library.search(asked)
        assert found.suggestion is None and found.also == (), asked
    assert library.search("how to recognise victms").suggestion == "how to recognise victims"
    # English queries hold some of those little words, and accented names, too: they are
    # still corrected.
    for typed, meant in (("los angeles trafficing", "trafficking"),
                         ("los angeles DA trafficing", "trafficking"),
                         ("trafficing et al", "trafficking"),
                         ("trafficing in México and Bogotá", "trafficking"),
                         ("victms in são paulo", "victims"),
                         ("café workers victms résumé", "victims")):
        assert meant in (library.search(typed).suggestion or ""), typed


def test_acronyms_are_learned_from_the_catalogs_names(tmp_path: Path) -> None:
    """An organisation written "... Human Services (HHS)" in the catalog defines HHS: a
    search for HHS also finds reports that write the words, and says so."""
    catalog = write_catalog(tmp_path / "catalog.toml", [
        {"id": "letters", "title": "Certification letters",
         "organization": "U.S. Department of Health and Human Services (HHS)",
         "summary": "How adults are certified."},
        {"id": "guide", "title": "A guide", "organization": "Coalition",
         "summary": "Health and human services for survivors in rural counties."}])
    library = Library(catalog=catalog, data=tmp_path / "data", fetch=fast_fetch())
    library.rebuild(offline=True)
    found = library.search("HHS")
    assert found.also == ("health and human services",)
    assert {h.id for h in found.results} == {"letters", "guide"}


def test_every_result_of_a_question_shows_a_passage(tmp_path: Path) -> None:
    """A report found only through the words the best pages share (feedback) has none of the
    asked words on its pages: its best page's opening still shows what it is."""
    library = pdf_library(tmp_path, {
        "dmst": DEFINES,
        "shelters": ["Beds and staff for shelters; survivors wait for housing programs."]})
    found = library.search("domestic minor sex trafficking", pages=3)
    assert [h.id for h in found.results] == ["dmst", "shelters"]
    related = found.results[1]
    assert [(s.page, s.highlights) for s in related.snippets] == [(1, ())]
    assert related.snippets[0].text.startswith("Beds and staff for shelters")


def test_acronyms_are_learned_from_the_text_and_searched_both_ways(lib: Library) -> None:
    short = lib.search("DMST")
    assert {"acronym-only", "defines", "long-only"} <= {h.id for h in short.results}
    assert short.also == ("domestic minor sex trafficking",)
    long = lib.search("domestic minor sex trafficking")
    assert {"acronym-only", "defines", "long-only"} <= {h.id for h in long.results}
    assert long.also == ("DMST",)
    assert "DMST" in highlighted(lib, "domestic minor sex trafficking", "acronym-only")


def test_similar_lists_words_not_numbers(lib: Library) -> None:
    found = lib.similar("farms")
    terms = [t for s in found for t in s.terms]
    assert terms
    assert not [t for t in terms if any(c.isdigit() for c in t)], terms


def test_similar_reports_are_tied_by_their_subject_not_by_pronouns(tmp_path: Path) -> None:
    """Two case notes that both say "they", "he" and "something" over and over are tied by
    what they are about."""
    notes = {
        "first": "They said he owed something. They said he owed them something again. "
                 "Recruitment fees and debt bondage of farmworkers on seasonal visas.",
        "second": "He told them something. They told him something else, they said. "
                  "Farmworkers paid recruitment fees; debt bondage followed.",
        "other": "Hotline calls about shelters for survivors and housing programs.",
    }
    library = pdf_library(tmp_path, {name: [text] for name, text in notes.items()})
    found = library.similar("first")
    assert found[0].id == "second"
    assert {"recruitment", "debt", "bondage", "farmworkers"} <= set(found[0].terms)
    assert not {"they", "he", "him", "them", "something", "said"} & set(found[0].terms)


def test_the_parser_is_linear_not_refusing(tmp_path: Path, lib: Library) -> None:
    """A 1,000-character query of syntax is parsed; beyond it the text is read as text."""
    many = " OR ".join(["housing"] * 90)
    assert len(many) < 1000
    assert ids(lib, many)[:1] == ["visas"]
    assert ids(lib, "(" * 600 + "housing" + ")" * 600)  # pasted: brackets are marks


def test_very_common_words_are_not_required(lib: Library) -> None:
    found = lib.search("shelters in rural counties")
    assert not found.fallback and found.total == 1 and found.results[0].id == "visas"
    # Only that report has any of the words: nothing follows it, and nothing says so.
    only = lib.search("vouchers counties")
    assert [h.id for h in only.results] == ["visas"] and only.all_words is None
    assert lib.search("housing OR").results  # a trailing OR is a word, and a common one


def test_deep_brackets_are_punctuation_not_a_crash(lib: Library) -> None:
    assert ids(lib, "(" * 300 + "housing OR shelters" + ")" * 300)
    assert "farms" in ids(lib, "-(" * 300 + "housing" + ")" * 300)  # no "housing" in it


def test_an_exclusion_alone_keeps_the_reports_that_never_say_it(lib: Library) -> None:
    found = set(ids(lib, "-rural"))
    assert found and not found & {"visas", "farms"}  # both say "rural"
    assert found == set(ids(lib, "NOT rural"))


def test_required_words_and_filters_survive_the_some_words_fill(library: Library) -> None:
    in_range = library.search("year:[2008 TO 2013] housing shelters")
    assert {h.id for h in in_range.results} <= {"hhs-guide", "wi-training", "atest-book"}
    assert in_range.results[0].id == "hhs-guide"
    strict = library.search("+rural shelters")
    assert [h.id for h in strict.results] == ["hhs-guide"] and strict.all_words is None
    with pytest.raises(QueryError, match="year: takes a year"):
        library.search("year:(visa)")


def test_body_is_the_reports_text_not_the_summaries(library: Library) -> None:
    assert [h.id for h in library.search("summary:congress").results] == ["atest-book"]
    assert library.search("body:congress").results == ()


def test_cli_option_without_its_value_is_a_usage_error(lib: Library) -> None:
    result = CliRunner().invoke(main, ["search", "housing", "--org"], obj=lib)
    assert result.exit_code == 2 and "requires an argument" in result.output


def test_an_index_built_by_another_version_asks_for_a_rebuild(tmp_path: Path,
                                                               library: Library) -> None:
    current = library.store.current_index()
    assert current is not None
    meta = current / "splib-meta.json"
    meta.write_text(meta.read_text().replace('"schema": "', '"schema": "old-'))
    fresh = Library(catalog=library.catalog_path, data=library.store.root)
    with pytest.raises(IndexMissingError, match="another version of splib"):
        fresh.search("housing")
    fresh.update(offline=True)
    assert fresh.search("housing").results
