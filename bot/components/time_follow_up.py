"""A Rasa NLU component: a message that is nothing but a time asks for the contacts then.

"and at the weekend?", "what about 7pm on a Friday", "tuesday morning?" follow
a contact answer; on their own words they look like nothing the classifier
knows (it read them as "tell me more", out of scope or a greeting). A message
that only states a time (bot/stated_time.py `only_a_time`) becomes
`ask_contact`: the contact action then answers for the area of the last
answer and for that time, and says which time it used. Anything more than
joining words beside the time ("since the weekend", "every Friday") keeps the
classifier's intent. So does a follow-up that only asks for the number ("what's
the number there?", "who do I ring then?"). Runs before EmergencyOverride,
which has the last word.
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

from bot.clock import now
from bot.components.ranking import promote
from bot.stated_time import asks_for_the_number, only_a_time

ASK_CONTACT = "ask_contact"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class TimeFollowUp(GraphComponent):
    """Sets `ask_contact` for a message that states a time and nothing else."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TimeFollowUp:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            intent = (message.get(INTENT) or {}).get("name")
            if text and not text.startswith("/") and intent != "emergency" and (
                    only_a_time(text, now()) or asks_for_the_number(text)):
                promote(message, ASK_CONTACT)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
