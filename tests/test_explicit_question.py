"""The NLU components that let a question be answered: beside a case (bot/components/explicit_question.py)
and when the classifier is unsure but the topic is plain (bot/components/confident_topic.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.confident_topic import ConfidentTopic
from bot.components.explicit_question import ExplicitQuestion
from bot.topics import TopicRanker
from tests.test_topics import ITEMS, LEXICON


def intent_after(text: str, intent: str) -> str:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.7})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.7}])
    return ExplicitQuestion().process([message])[0].get(INTENT)["name"]


def test_a_case_that_asks_a_question_of_its_own_is_a_question() -> None:
    text = "Boy in my class always hungry, no coat in winter. Which type of neglect is that?"
    assert intent_after(text, "start_triage") == "ask_question"


@pytest.mark.parametrize("text", [
    "mums new boyfriend stays most nights, do i need to find out more about him",
    "someone told me to always accept a drink on a visit because it tells you something, is that a thing",
    "as a class teacher can i start early help myself",
])
def test_a_question_after_a_comma_or_a_role_is_a_question(text: str) -> None:
    assert intent_after(text, "start_triage") == "ask_question"


def test_a_case_that_asks_what_to_do_stays_the_triage() -> None:
    assert intent_after("he's always hungry and mum drinks, what should I do?", "start_triage") == "start_triage"
    assert intent_after("always hungry and dirty", "start_triage") == "start_triage"


def test_only_the_triage_start_is_changed() -> None:
    assert intent_after("the baby isn't breathing, what are the signs?", "emergency") == "emergency"
    assert intent_after("what is wnb?", "inform") == "inform"
    assert intent_after('/start_triage{"x": "what is it?"}', "start_triage") == "start_triage"


# --- a confident topic (bot/components/confident_topic.py) ---------------------------

def unsure(text: str, intent: str, ranking: list[str]) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.3})
    message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": 0.3} for name in ranking])
    return message


@pytest.fixture(scope="module")
def confident() -> ConfidentTopic:
    return ConfidentTopic(TopicRanker(ITEMS, LEXICON))


def test_an_unsure_message_the_guidance_plainly_answers_is_a_question(confident: ConfidentTopic) -> None:
    message = unsure("what does was not brought mean", "nlu_fallback", ["nlu_fallback", "inform", "ask_question"])
    assert confident.process([message])[0].get(INTENT)["name"] == "ask_question"


@pytest.mark.parametrize(("text", "intent", "ranking"), [
    ("what does was not brought mean", "nlu_fallback", ["nlu_fallback", "inform", "greet", "thank", "ask_question"]),
    ("the weather is nice", "out_of_scope", ["out_of_scope", "ask_question"]),
    ("what does was not brought mean", "inform", ["inform", "ask_question"]),
    ("/nlu_fallback", "nlu_fallback", ["nlu_fallback", "ask_question"]),
])
def test_otherwise_the_classifier_stands(confident: ConfidentTopic, text: str, intent: str,
                                         ranking: list[str]) -> None:
    assert confident.process([unsure(text, intent, ranking)])[0].get(INTENT)["name"] == intent


def test_without_a_knowledge_database_nothing_changes() -> None:
    message = unsure("what does was not brought mean", "nlu_fallback", ["nlu_fallback", "ask_question"])
    assert ConfidentTopic(None).process([message])[0].get(INTENT)["name"] == "nlu_fallback"
