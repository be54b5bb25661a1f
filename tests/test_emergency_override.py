"""The emergency override component (bot/components/emergency.py) on parsed messages."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge.snapshot import snapshot
from bot.components.emergency import EmergencyOverride


@pytest.fixture(scope="module")
def override() -> EmergencyOverride:
    return EmergencyOverride(snapshot().emergency, classifier_min_confidence=0.8)


def parsed(text: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    return message


def intent_of(override: EmergencyOverride, message: Message) -> Any:
    return override.process([message])[0].get(INTENT)["name"]


def test_a_danger_signal_always_wins(override: EmergencyOverride) -> None:
    message = parsed("the baby is not breathing", [("ask_question", 0.9), ("emergency", 0.1)])
    assert intent_of(override, message) == "emergency"
    assert override.process([message])[0].get(INTENT)["confidence"] == 1.0


def test_an_unsure_classifier_alone_does_not_raise_the_alarm(override: EmergencyOverride) -> None:
    """"he's getting on alright at school" guessed as an emergency at 0.6 mid-triage."""
    message = parsed("he's getting on alright at school", [("emergency", 0.6), ("inform", 0.3)])
    assert intent_of(override, message) == "inform"


def test_a_confident_classifier_alone_still_raises_it(override: EmergencyOverride) -> None:
    message = parsed("something awful is happening to her right now", [("emergency", 0.93), ("inform", 0.05)])
    assert intent_of(override, message) == "emergency"


def test_a_ruled_out_alarm_gives_way_whatever_the_confidence(override: EmergencyOverride) -> None:
    message = parsed("no immediate danger, she is safe", [("emergency", 0.97), ("deny", 0.02)])
    assert intent_of(override, message) == "deny"


def test_saying_the_child_is_safe_now_is_not_a_new_alarm(override: EmergencyOverride) -> None:
    message = parsed("police are here now and she's safe, carry on", [("emergency", 0.95), ("inform", 0.03)])
    assert intent_of(override, message) == "inform"


@pytest.mark.parametrize("text", ["want to pass something on to the police, it isnt urgent, which number",
                                  "not an emergency but who do I tell about a family"])
def test_saying_it_is_not_urgent_is_not_an_alarm(override: EmergencyOverride, text: str) -> None:
    message = parsed(text, [("emergency", 0.91), ("ask_contact", 0.05)])
    assert intent_of(override, message) == "ask_contact"


def test_not_urgent_beside_a_danger_signal_is_still_999(override: EmergencyOverride) -> None:
    message = parsed("not an emergency I think but the baby is not breathing", [("ask_contact", 0.6)])
    assert intent_of(override, message) == "emergency"


def test_a_question_that_says_it_is_not_urgent_is_not_an_alarm(override: EmergencyOverride) -> None:
    message = parsed("can I call 101 about a child if it isnt urgent", [("emergency", 0.9), ("ask_contact", 0.08)])
    assert intent_of(override, message) == "ask_contact"
