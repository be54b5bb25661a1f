"""A Rasa NLU component: a question the guidance plainly answers is a question.

The intent classifier sees "what's a 3 on the GCP" or "wnb meaning" as too unlike
its training to be sure (`nlu_fallback`) or as out of scope; the topic ranker
(bot/topics.py), trained on the topics' own questions and jargon, is confident
of the topic. When the classifier still had `ask_question` among its likeliest
intents and the ranker is confident (at least CONFIDENT, with a word some
topic's questions use), the message becomes `ask_question` and is answered
instead of getting "did you mean" or "outside what I can help with". Off-topic
messages ("whats the weather like", "who won the football") stay below CONFIDENT
on the held-out set.

The ranker is built from the knowledge database the action server reads (the
KNOWLEDGE_DB setting); without one, the component changes nothing. Runs before
EmergencyOverride, which has the last word.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.ranking import promote
from bot.knowledge.store import KnowledgeStore, KnowledgeUnavailable
from bot.topics import INTENT as ASK_QUESTION
from bot.topics import TopicRanker, ranker_for
from bot.paths import KNOWLEDGE_DB

logger = logging.getLogger(__name__)

# The intents a confident topic overrides: the classifier's doubt and the general "not for me".
UNSURE = frozenset({"nlu_fallback", "out_of_scope"})
# The ranker's probability from which a topic is plainly asked about.
CONFIDENT = 0.6
# How far down the classifier's ranking `ask_question` may be.
TOP = 3


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ConfidentTopic(GraphComponent):
    """Sets `ask_question` for an unsure message whose topic the ranker is confident of."""

    def __init__(self, ranker: TopicRanker | None) -> None:
        self._ranker = ranker

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ConfidentTopic:
        try:
            store = KnowledgeStore.open(KNOWLEDGE_DB)
        except KnowledgeUnavailable as error:
            logger.warning("no topic ranker in the NLU pipeline (%s)", error)
            return cls(None)
        try:
            return cls(ranker_for(store))
        finally:
            store.close()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self._ranker is not None and self._confident(message, self._ranker):
                promote(message, ASK_QUESTION)
        return messages

    @staticmethod
    def _confident(message: Message, ranker: TopicRanker) -> bool:
        text: str | None = message.get(TEXT)
        intent = (message.get(INTENT) or {}).get("name")
        if not text or text.startswith("/") or intent not in UNSURE:
            return False
        likely = [entry.get("name") for entry in message.get(INTENT_RANKING_KEY) or [] if entry.get("name") not in UNSURE]
        if ASK_QUESTION not in likely[:TOP] or not ranker.knows(text):
            return False
        ranked = ranker.rank(text, limit=1)
        return bool(ranked) and ranked[0].score >= CONFIDENT

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
