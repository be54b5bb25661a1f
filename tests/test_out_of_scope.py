"""Out-of-scope replies (bot/out_of_scope.py), built from the real knowledge/,
and the reading of another language."""
from __future__ import annotations


import pytest

from bot.knowledge.loader import load
from bot.knowledge.models import Knowledge, OutOfScope
from bot.out_of_scope import (OVERRULING_WORDS, asks_medical_advice, fill, is_other_language, known_words, names_a_worker, reply,
                              sounds_like_a_child)
from bot.redaction import NameLists
from bot.paths import ROOT



@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load(ROOT / "knowledge")


@pytest.fixture(scope="module")
def english() -> frozenset[str]:
    return NameLists.load(ROOT / "knowledge" / "safety", {"english_words": "english_words.txt"}).english_words


def record(knowledge: Knowledge, intent: str) -> OutOfScope:
    return next(r for r in knowledge.out_of_scope if r.intent == intent)


def text_of(messages: list[dict]) -> str:
    return "\n".join(m["text"] + " " + " ".join(b["title"] for b in m.get("buttons", [])) for m in messages)


def national(knowledge: Knowledge) -> dict:
    return {route.key: route for route in knowledge.national}


def area(knowledge: Knowledge, area_id: str):
    return next(a for a in knowledge.areas if a.id == area_id)


@pytest.mark.parametrize(
    ("intent", "wanted", "unwanted"),
    [
        ("out_of_scope_adult", ["adult social care", "999", "not known"], ["0808 800 5000"]),
        ("out_of_scope_child", ["Childline", "0800 1111", "999", "grown-up you trust"], ["referral", "practitioner"]),
        ("out_of_scope_medical", ["GP", "NHS 111", "999"], []),
        ("out_of_scope_language", ["English", "999"], []),
        ("inform_area", ["don't hold local contacts", "999", "0808 800 5000", "101", "Coventry", "Wakefield"], []),
    ],
)
def test_each_route_says_what_to_do_with_sourced_numbers(knowledge: Knowledge, intent: str,
                                                         wanted: list[str], unwanted: list[str]) -> None:
    text = text_of(reply(record(knowledge, intent), national(knowledge), None, knowledge.areas))
    for fact in wanted:
        assert fact in text, (fact, text)
    for fact in unwanted:
        assert fact not in text, (fact, text)
    assert "Source:" in text and "{" not in text


def test_an_allegation_gives_the_front_door_when_the_lado_number_is_not_known(knowledge: Knowledge) -> None:
    coventry = area(knowledge, "coventry")
    assert "lado" not in coventry.routes  # no LADO number is sourced for any area yet
    text = text_of(reply(record(knowledge, "out_of_scope_allegation"), national(knowledge), coventry))
    assert "Local Authority Designated Officer" in text
    assert "I don't hold a LADO number for Coventry" in text
    assert "024 7678 8555" in text  # Coventry's MASH, the fallback


def test_an_allegation_with_no_area_asks_for_it_with_area_buttons(knowledge: Knowledge) -> None:
    messages = reply(record(knowledge, "out_of_scope_allegation"), national(knowledge), None, knowledge.areas)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert len(payloads) == len(knowledge.areas)
    assert '/out_of_scope_allegation{"area": "wandsworth"}' in payloads
    assert record(knowledge, "out_of_scope_allegation").ask_area in messages[0]["text"]


def test_a_sourced_lado_route_is_shown_instead_of_the_fallback(knowledge: Knowledge) -> None:
    import dataclasses
    from types import MappingProxyType

    coventry = area(knowledge, "coventry")
    lado = dataclasses.replace(coventry.routes["front_door"], key="lado", name="LADO", phone="024 7600 0000")
    with_lado = dataclasses.replace(coventry, routes=MappingProxyType({**coventry.routes, "lado": lado}))
    text = text_of(reply(record(knowledge, "out_of_scope_allegation"), national(knowledge), with_lado))
    assert "LADO: 024 7600 0000" in text and "I don't hold" not in text


def test_the_area_not_covered_reply_offers_the_covered_areas_as_area_statements(knowledge: Knowledge) -> None:
    messages = reply(record(knowledge, "inform_area"), national(knowledge), None, knowledge.areas)
    buttons = messages[-1]["buttons"]
    assert {b["payload"] for b in buttons} == {f'/inform_area{{"area": "{a.id}"}}' for a in knowledge.areas}


def test_fill_uses_the_route_phone_numbers(knowledge: Knowledge) -> None:
    assert fill("call {childline}, or {emergency}", national(knowledge)) == "call 0800 1111, or 999"


@pytest.mark.parametrize(
    "text",
    [
        "je travaille avec des enfants et je suis inquiète",
        "hola necesito ayuda con un niño",
        "martwię się o dziecko w szkole",
        "مرحبا أحتاج مساعدة",
        "我需要帮助",
        "Мне нужна помощь",
        "[name], ich mache [name] [name] um ein Kind",
    ],
)
def test_another_language_is_recognised(text: str, english: frozenset[str]) -> None:
    assert is_other_language(text, english)


@pytest.mark.parametrize(
    "text",
    [
        "im 12 and my mum never buys food",
        "wot is wnb and dna",
        "whats the mash number for cov",
        "ok thanks",
        "Bonjour",  # one word is too little to tell
        "[name] [name] is hungry",
        "lcss edt ooh spa",  # jargon the assistant knows
    ],
)
def test_english_with_typos_and_jargon_is_not_another_language(text: str, english: frozenset[str],
                                                               knowledge: Knowledge) -> None:
    known = known_words(knowledge.areas, knowledge.lexicon, knowledge.roles)
    assert not is_other_language(text, english, known)


@pytest.mark.parametrize(("text", "child"), [
    ("i dont have a bed at home i sleep on the floor with my sisters", True),
    ("im 12 and my mum never buys food, who can i talk to", True),
    ("i'm in year 8 and nobody cares if i go to school", True),
    ("my dad drinks every night and i have to make my own tea", True),
    ("I'm a teacher and my pupil says her mum never buys food", False),
    ("as a health visitor I'm worried, mum is low and the baby is 8 months", False),
    ("the boy in my class is always hungry", False),
    ("im 8 months into the case and mum still won't engage", False),
    ("my mum is a childminder", False),  # no first person beyond "my": an adult's aside, not a child's home
    ("nobody makes me any breakfast and im always hungry at school", True),
    ("no one ever picks me up after school", True),
    ("nobody listens to me at the MASH", False),  # a practitioner's complaint
    ("no one at the school took my referral seriously", False),
    ("dad never comes home and i dont want my teacher to find out", True),  # their own teacher
    ("I'm a TA and my teacher asked me to log it", False),
])
def test_a_child_writing_about_their_own_home(text: str, child: bool) -> None:
    assert sounds_like_a_child(text) is child


@pytest.mark.parametrize(("text", "medical"), [
    ("how do you treat impetigo", True),
    ("what are the symptoms of scarlet fever", True),
    ("is a rash like that serious", True),
    ("nappy rash left untreated for weeks", False),
    ("the family home is always cold, is that serious", False),
    ("is it neglect if a parent doesn't treat head lice", False),
    ("how can i tell croup from a normal cough", True),
    ("can a child with measles still come into school or should she stay off", True),  # exclusion
    ("is a toddler with conjunctivitis excluded from nursery", True),
    ("mum keeps him off school with a cold every week, is that neglect", False),  # attendance: a worry
    ("difference between scarlet fever and a heat rash", True),
])
def test_medical_advice_is_asked_about_an_illness_and_nothing_of_a_childs_care(text: str, medical: bool) -> None:
    assert asks_medical_advice(text) is medical


@pytest.mark.parametrize(("text", "worker"), [
    ("a coach at the club keeps texting one of the girls", True),
    ("my colleague thinks the teacher is too rough with them", True),  # the teacher is still named
    ("is it ok to take a biscuit on a visit, my manager said it helps", False),
    ("a colleague of mine suggested checking the fridge", False),
])
def test_a_worker_who_told_the_writer_something_is_not_who_a_concern_is_about(text: str, worker: bool) -> None:
    assert names_a_worker(text) is worker


@pytest.mark.parametrize(("text", "other"), [
    ("Wi'n poeni am blentyn yn y dosbarth sydd wastad yn llwglyd", True),
    ("Estoy preocupada por un niño de mi clase", True),
    ("wat is neglet", False),  # short English with typos: too few words to overrule a reading
    ("gdpr and safegaurding, whats allowed", False),
])
def test_another_language_overrules_a_reading_only_with_enough_words(english: frozenset[str], text: str,
                                                                    other: bool) -> None:
    assert is_other_language(text, english, min_words=OVERRULING_WORDS) is other
