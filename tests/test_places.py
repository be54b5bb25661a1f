"""Places the assistant does not cover (bot/places.py, bot/place_lists.py, knowledge/places.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.snapshot import snapshot
from bot.place_lists import BOROUGHS, COUNTIES, COVERING_COUNTIES, select_places, split_by_context
from bot.places import Places, PlacesError, load_places
from bot.redaction import default_redactor

PLACES = Places(["Leeds", "Norwich", "Ashby-de-la-Zouch", "St. Albans", "Newcastle upon Tyne"],
                ["Reading", "Stanley", "Devon"], covered=["New Malden", "Kingston"])


@pytest.mark.parametrize(("text", "place"), [
    ("im a hv in leeds, whats the mash number", "Leeds"),
    ("NORWICH front door", "Norwich"),
    ("ashby de la zouch mash", "Ashby-de-la-Zouch"),
    ("I work in St Albans", "St. Albans"),
    ("newcastle-upon-tyne out of hours", "Newcastle upon Tyne"),
    ("a teacher in Reading, who do I call", "Reading"),
    ("Reading council social care", "Reading"),
    ("escalation policy for devon", "Devon"),
])
def test_a_place_not_covered_is_found(text: str, place: str) -> None:
    assert PLACES.elsewhere(text) == place


@pytest.mark.parametrize("text", [
    "reading the guidance on neglect",   # an ordinary word, not a place
    "Stanley is 6 and always hungry",    # a name that is also a place, without a place's context
    "in Stanley's class",                # a possessive is a person
    "I'm a HV in New Malden",            # a covered area's own place
    "leedsy",                            # part of a word
    "Kingston council social care",      # a covered place, before a place's context word
    "what is neglect",
])
def test_no_place_not_covered(text: str) -> None:
    assert PLACES.elsewhere(text) is None


def test_the_redactor_learns_where_a_place_is_named() -> None:
    assert PLACES.context_spans("a HV in New Malden and near Stanley") == [(8, 18), (28, 35)]
    assert PLACES.context_spans("for Devon, from Stanley, in Stanley's class") == []


def test_select_places_leaves_out_what_may_be_covered() -> None:
    towns = [
        {"name": "Oxford", "countrycode": "GB", "admin1code": "ENG", "latitude": 51.752, "longitude": -1.256},
        {"name": "Cowley", "countrycode": "GB", "admin1code": "ENG", "latitude": 51.733, "longitude": -1.215},
        {"name": "Leeds", "countrycode": "GB", "admin1code": "ENG", "latitude": 53.797, "longitude": -1.548},
        {"name": "Hook", "countrycode": "GB", "admin1code": "ENG", "latitude": 51.367, "longitude": -0.304},
        {"name": "Hook", "countrycode": "GB", "admin1code": "ENG", "latitude": 51.280, "longitude": -0.963},
        {"name": "Kingston upon Thames", "countrycode": "GB", "admin1code": "ENG", "latitude": 51.412,
         "longitude": -0.301},
        {"name": "Cardiff", "countrycode": "GB", "admin1code": "WLS", "latitude": 51.48, "longitude": -3.18},
        {"name": "Croydon", "countrycode": "GB", "admin1code": "ENG", "latitude": 51.38, "longitude": -0.10},
        {"name": "Norbury", "countrycode": "GB", "admin1code": "ENG", "latitude": 51.41, "longitude": -0.12},
    ]
    chosen = select_places(towns, ["oxford", "kingston upon thames", "norbury"])
    assert "Leeds" in chosen and "Devon" in chosen
    assert "Oxford" not in chosen  # an alias
    assert "Cowley" not in chosen  # 4 km from Oxford
    assert "Hook" not in chosen  # one Hook is beside Kingston, so no Hook is said to be elsewhere
    assert "Cardiff" not in chosen  # Wales: the national routes given are England's
    assert not set(COVERING_COUNTIES) & set(chosen)
    # a borough of a covering county is its own council: Croydon, 4 km from Norbury, is still elsewhere
    assert "Croydon" in chosen and "Kingston upon Thames" not in chosen
    assert set(BOROUGHS) - {"Kingston upon Thames"} <= set(chosen)


def test_split_by_context() -> None:
    anywhere, in_context = split_by_context(["Leeds", "Reading", "Stanley", "Bishop Auckland"], ["reading", "stanley"])
    assert anywhere == ["Leeds", "Bishop Auckland"] and in_context == ["Reading", "Stanley"]


def test_the_knowledge_places_are_consistent_with_the_areas() -> None:
    """No place said to be not covered is a covered area's name or alias, and the list is
    the generator's (both lists sorted, the counties outside the covered areas in it)."""
    parts = snapshot()
    data = load_places(parts.path("places"))
    covered = {n.casefold() for a in parts.records.areas for n in (a.id, a.name, *a.aliases)}
    listed = [*data.anywhere, *data.in_context]
    assert not {p.casefold() for p in listed} & covered
    assert data.anywhere == sorted(data.anywhere, key=str.casefold)
    assert data.in_context == sorted(data.in_context, key=str.casefold)
    assert set(COUNTIES) - set(COVERING_COUNTIES) <= set(listed)
    for area in parts.records.areas:
        for name in (area.name, *area.aliases):
            assert parts.places.elsewhere(f"I work in {name}") is None, name


def test_a_broken_places_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "places.yml"
    path.write_text("source: x\nreviewed: '2026-12-02'\nanywhere: []\nin_context: []\n", encoding="utf-8")
    with pytest.raises(PlacesError, match="reviewed"):
        load_places(path)


@pytest.mark.parametrize(("text", "kept"), [
    ("I'm a HV in New Malden and I disagree with the SPA", "New Malden"),
    ("I'm a teacher in Norwich, who do I call?", "Norwich"),
    ("youth worker near Chester", "Chester"),
])
def test_a_place_in_context_is_not_redacted(text: str, kept: str) -> None:
    redaction = default_redactor().redact(text)
    assert kept in redaction.text and "name" not in redaction.kinds


@pytest.mark.parametrize(("text", "name"), [
    ("Stanley is 6 and lives in Leeds", "Stanley"),
    ("in Chester's class", "Chester"),
    ("the referral for Devon Smith", "Devon"),
])
def test_a_name_that_is_also_a_place_is_still_redacted(text: str, name: str) -> None:
    assert name not in default_redactor().redact(text).text
