"""A narrow intent only for a message that names its subject (bot/components/intent_evidence.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.intent_evidence import IntentEvidence
from bot.escalation import names_a_disagreement
from bot.out_of_scope import names_an_adult


def read(text: str, ranking: list[tuple[str, float]]) -> str:
    message = Message({TEXT: text})
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    IntentEvidence(0.3).process([message])
    return str(message.get(INTENT)["name"])


@pytest.mark.parametrize("text", [
    "my nan is being ripped off by her carer",
    "a 74 year old man living alone in squalor",
    "worried about an elder in our church who is hoarding",
    "client is 22 and self-neglecting",
    "neighbour in her eighties hasn't been out for a week",
])
def test_a_message_about_an_adult_keeps_the_adult_route(text: str) -> None:
    assert names_an_adult(text)
    assert read(text, [("out_of_scope_adult", 0.8), ("start_triage", 0.1)]) == "out_of_scope_adult"


def test_a_message_about_a_child_takes_the_next_likely_intent() -> None:
    text = "need to speak to social care about a kid on my caseload"
    assert not names_an_adult(text)
    assert read(text, [("out_of_scope_adult", 0.5), ("ask_contact", 0.35), ("greet", 0.05)]) == "ask_contact"


def test_a_doubtful_next_intent_becomes_the_fallback() -> None:
    text = "is being groomed linked to being left to fend for yourself"
    assert read(text, [("out_of_scope_adult", 0.4), ("ask_question", 0.2)]) == "nlu_fallback"


def test_other_intents_and_button_payloads_are_left_alone() -> None:
    assert read("what is neglect", [("ask_question", 0.9)]) == "ask_question"
    assert read("/out_of_scope_adult", [("out_of_scope_adult", 1.0)]) == "out_of_scope_adult"


@pytest.mark.parametrize("text", [
    "the MASH knocked my referral back twice",
    "they are closing the case and nothing is different",
    "I think the threshold decision was wrong",
    "children's services aren't listening to me",
])
def test_a_disagreement_keeps_the_escalation_navigator(text: str) -> None:
    assert names_a_disagreement(text)
    assert read(text, [("ask_escalation", 0.7), ("ask_question", 0.2)]) == "ask_escalation"


def test_a_question_that_names_no_disagreement_is_not_escalation() -> None:
    text = "is it ok to share my worries with the health visitor"
    assert not names_a_disagreement(text)
    assert read(text, [("ask_escalation", 0.45), ("ask_question", 0.4)]) == "ask_question"
