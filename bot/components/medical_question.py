"""A Rasa NLU component: a request for medical advice on a named illness is a medical question.

"how do you treat impetigo" or "what are the symptoms of scarlet fever" use words
the classifier met in few medical examples, and it reads them as a question on
the guidance ("what neglect can look like") or as out of scope. A message that
asks for advice on an illness or a symptom by name and says nothing of a child's
care (bot/out_of_scope.py `asks_medical_advice`: not "untreated impetigo, is that
neglect?") becomes `out_of_scope_medical`: the GP, NHS 111, or 999 if a life is at
risk. Runs after the description and the explicit question, and before
EmergencyOverride, which has the last word ("he's having a seizure and not
breathing" is still 999).
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

from bot.answers import looks_like_a_question
from bot.components.ranking import promote
from bot.out_of_scope import asks_medical_advice

MEDICAL = "out_of_scope_medical"
# What such a message is read as, and is not: a question on the guidance, a guide, a doubt.
READ_AS_A_QUESTION = frozenset({"ask_question", "ask_guide", "nlu_fallback", "out_of_scope"})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MedicalQuestion(GraphComponent):
    """Sets `out_of_scope_medical` for a request for advice on a named illness or symptom."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MedicalQuestion:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            intent = (message.get(INTENT) or {}).get("name")
            if (text and not text.startswith("/") and intent in READ_AS_A_QUESTION
                    and (looks_like_a_question(text) or len(text.split()) <= 8) and asks_medical_advice(text)):
                promote(message, MEDICAL)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
