"""The description component (bot/components/description.py) on parsed messages."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.description import DescriptionIntent
from bot.description import default_reader


def intent_after(text: str, intent: str) -> str:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.7})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.7}])
    return DescriptionIntent(default_reader()).process([message])[0].get(INTENT)["name"]


def test_a_description_that_asks_nothing_starts_the_triage() -> None:
    assert intent_after("pregnant, often misses her antenatal appointments, still using", "ask_question") \
        == "start_triage"


def test_an_explicit_question_keeps_its_intent() -> None:
    assert intent_after("always hungry and dirty, which type of neglect is that?", "ask_question") == "ask_question"
    assert intent_after("what level is it if she's always hungry and mum drinks", "ask_question") == "ask_question"


def test_one_reading_is_not_a_case_and_an_emergency_is_never_replaced() -> None:
    assert intent_after("she's 8 months", "inform") == "inform"
    assert intent_after("8mo, always hungry, left alone all night", "emergency") == "emergency"


def test_a_worry_about_a_child_starts_the_triage_even_with_an_area_and_role() -> None:
    assert intent_after("PC in Wakefield, I'm worried about two kids I saw today", "inform_area") == "start_triage"
    assert intent_after("I'm worried about a child, who do I call?", "ask_contact") == "ask_contact"
    assert intent_after("I work in Coventry", "inform_area") == "inform_area"


def test_what_the_triage_is_not_for_keeps_its_intent() -> None:
    assert intent_after("worried about my elderly neighbour, she isnt eating and the house is filthy",
                        "out_of_scope_adult") == "out_of_scope_adult"
    assert intent_after("my mum shouts at me and never makes tea, im 11", "out_of_scope_child") == "out_of_scope_child"


def test_a_child_writing_about_home_is_a_child_writing_not_a_case() -> None:
    assert intent_after("i dont have a bed at home i sleep on the floor with my sisters", "start_triage") \
        == "out_of_scope_child"
    assert intent_after("my dad hit me and im bleeding, im 12", "emergency") == "emergency"
    assert intent_after("I'm a teacher, my pupil sleeps on the floor with her sisters", "start_triage") \
        == "start_triage"
