"""A message that is only a time asks for the contacts then (bot/components/time_follow_up.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.time_follow_up import TimeFollowUp


def intent_after(text: str, intent: str) -> str:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.6})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.6}])
    return TimeFollowUp().process([message])[0].get(INTENT)["name"]


@pytest.mark.parametrize("text, classified", [
    ("and at the weekend?", "tell_me_more"), ("what about 7pm on a friday", "out_of_scope"),
    ("and tuesday morning?", "greet"), ("tonight?", "nlu_fallback"), ("and if it's overnight?", "inform"),
])
def test_a_time_alone_asks_for_the_contacts_then(text: str, classified: str) -> None:
    assert intent_after(text, classified) == "ask_contact"


@pytest.mark.parametrize("text, classified", [
    ("since the weekend", "inform"),  # a duration: an answer in the triage
    ("she's left alone every friday night", "start_triage"),
    ("what about out of hours", "ask_contact"),
    ("tonight he said he'd hurt her", "emergency"),
    ("at the weekend", "emergency"),  # the emergency is never replaced
    ("/ask_contact", "ask_contact"),
])
def test_anything_more_than_a_time_keeps_its_intent(text: str, classified: str) -> None:
    assert intent_after(text, classified) == classified
