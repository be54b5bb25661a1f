"""A Rasa NLU component: a practitioner's description of a child, or a worry
about one, starts the triage.

"pregnant, often misses her antenatal appointments, mum still using" names a
topic the classifier knows (pre-birth neglect), so it may be read as a request
for guidance; but it asks nothing, and it gives two or more triage answers
(bot/description.py `is_case`). Such a message is what the "am I worried?"
questions are for, so its intent becomes `start_triage` (the triage then shows
back what it read, bot/triage_turn.py). So does "I'm a teacher in Oxfordshire
and I'm worried about a boy in my class", which the classifier may take for a
statement of the area alone (the triage keeps the area and the role). A message that asks anything keeps its
intent: an explicit question is answered first. A child writing about their own home
("i sleep on the floor with my sisters", "im 12 and my mum never buys food") is read as
that (`out_of_scope_child`: Childline), never as a practitioner's case. Runs before EmergencyOverride,
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

from bot.components.ranking import promote

from bot.description import DescriptionReader, default_reader
from bot.out_of_scope import sounds_like_a_child

START_TRIAGE = "start_triage"
CHILD_WRITING = "out_of_scope_child"
# What a child's words about their own home are often read as, and are not.
READ_AS_A_CASE = frozenset({START_TRIAGE, "inform", "nlu_fallback", "out_of_scope"})
# Intents a description never replaces: the emergency, the triage itself, what the
# practitioner asks of the conversation ("forget what I said about the baby"), and
# what the triage is not for, however much it reads like a case: an adult ("my elderly
# neighbour isn't eating"), a child writing ("my mum never makes tea, im 11"), a
# concern about someone who works with children.
KEPT = frozenset({"emergency", START_TRIAGE, "forget", "stop", "go_back", "skip_question", "repeat_question",
                  "explain_question", "human_handoff", "request_summary", "start_quiz",
                  "out_of_scope_adult", "out_of_scope_child", "out_of_scope_allegation"})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class DescriptionIntent(GraphComponent):
    """Sets `start_triage` for a message that describes a child and asks nothing."""

    def __init__(self, reader: DescriptionReader) -> None:
        self._reader = reader

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> DescriptionIntent:
        return cls(default_reader())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._describe(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _describe(self, message: Message) -> None:
        text: str | None = message.get(TEXT)
        intent = message.get(INTENT) or {}
        if not text or text.startswith("/"):
            return
        if intent.get("name") in READ_AS_A_CASE and sounds_like_a_child(text):
            promote(message, CHILD_WRITING)  # Childline, in words for a child: not the triage
            return
        if intent.get("name") in KEPT:
            return
        if not (self._reader.is_case(text) or self._reader.states_worry(text)):
            return
        promote(message, START_TRIAGE)
