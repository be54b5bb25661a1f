"""A Rasa NLU component: "I only cover children" only for a message about an adult.

The classifier learnt adult safeguarding from messages about older people, carers
and adult social care, so it also reads "i need to speak to social care about a kid
in didcot" or "is there a link between being neglected and being groomed by gangs"
as out of scope, and the practitioner is told the assistant cannot help with an
adult. A message read as `out_of_scope_adult` that names no adult (bot/out_of_scope.py
`names_an_adult`: every adult phrasing of the training and held-out data names one)
takes the next intent of the ranking instead, or `nlu_fallback` when that is below
the fallback threshold, so the components after this one (the description, the
explicit question, the confident topic) read it as they read any other message.
Runs after FallbackClassifier; EmergencyOverride still has the last word.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.out_of_scope import names_an_adult

ADULT = "out_of_scope_adult"
FALLBACK = "nlu_fallback"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AdultSubject(GraphComponent):
    """Replaces `out_of_scope_adult` by the next likely intent when the message names no adult."""

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The FallbackClassifier's threshold (config.yml): below it, the next intent is a doubt.
        return {"threshold": 0.3}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> AdultSubject:
        return cls(float(config["threshold"]))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/") or (message.get(INTENT) or {}).get("name") != ADULT:
                continue
            if names_an_adult(text):
                continue
            ranking = [e for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name") not in (ADULT, FALLBACK)]
            best = ranking[0] if ranking else None
            if best is not None and float(best.get("confidence") or 0.0) >= self._threshold:
                chosen = {"name": best["name"], "confidence": float(best["confidence"])}
            else:
                chosen = {"name": FALLBACK, "confidence": self._threshold}  # as FallbackClassifier sets it
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *[e for e in ranking if e.get("name") != chosen["name"]]],
                        add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
