"""A Rasa NLU component: an intent about one narrow subject needs a word of that subject.

Two intents are learnt from messages that all name their subject, and the
classifier then also gives them to messages that do not:

- `out_of_scope_adult` ("I only cover children") was learnt from older people,
  carers and adult social care, and was given to "i need to speak to social care
  about a kid in didcot" and "is there a link between being neglected and being
  groomed by gangs";
- `ask_escalation` (the professional-disagreement navigator) was learnt from
  decisions challenged and referrals declined, and was given to "can I pass
  concerns to another agency" and "what's the bar for a referral".

A message read as one of them that names no such subject (EVIDENCE: every phrasing
of the training and held-out data for these intents names one) takes the next
intent of the ranking instead, or `nlu_fallback` when that is below the fallback
threshold, so the components after this one (the description, the explicit
question, the confident topic) read it as any other message. Runs after
FallbackClassifier; EmergencyOverride still has the last word.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.escalation import names_a_disagreement
from bot.out_of_scope import names_an_adult

FALLBACK = "nlu_fallback"
# Each narrow intent, and what a message given it must name.
EVIDENCE: dict[str, Callable[[str], bool]] = {
    "out_of_scope_adult": names_an_adult,
    "ask_escalation": names_a_disagreement,
}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class IntentEvidence(GraphComponent):
    """Replaces a narrow intent by the next likely one when the message names nothing of its subject."""

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The FallbackClassifier's threshold (config.yml): below it, the next intent is a doubt.
        return {"threshold": 0.3}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> IntentEvidence:
        return cls(float(config["threshold"]))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            intent = (message.get(INTENT) or {}).get("name")
            names_its_subject = EVIDENCE.get(str(intent))
            if not text or text.startswith("/") or names_its_subject is None or names_its_subject(text):
                continue
            ranking = [e for e in message.get(INTENT_RANKING_KEY) or [] if e.get("name") not in (intent, FALLBACK)]
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
