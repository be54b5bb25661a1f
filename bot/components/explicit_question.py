"""A Rasa NLU component: an explicit question is answered, even beside a case.

"Child in my class has no coat in winter and is always hungry. Which category
of neglect would that fall under?" describes a child, so the classifier reads
it as the start of the triage; but it asks a question of its own, and a
colleague would answer it first. A message read as `start_triage` that asks
such a question (bot/answers.py `asks_for_guidance`: not "what should I do?"
or "is this neglect?", which the triage answers) becomes `ask_question`; the
answer then offers the "am I worried?" questions about the child. Runs after
DescriptionIntent and before EmergencyOverride, which has the last word.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.answers import asks_for_guidance
from bot.components.ranking import promote
from bot.topics import INTENT as ASK_QUESTION

START_TRIAGE = "start_triage"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ExplicitQuestion(GraphComponent):
    """Sets `ask_question` for a message read as the triage's start that asks a question of its own."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ExplicitQuestion:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            intent = (message.get(INTENT) or {}).get("name")
            if text and not text.startswith("/") and intent == START_TRIAGE and asks_for_guidance(text):
                promote(message, ASK_QUESTION)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
