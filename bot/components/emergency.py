"""A Rasa NLU component that makes the emergency intent deterministic.

DIET may misclassify an urgent message it has never seen; a practitioner with
a child in immediate danger must get 999 anyway. This component runs after
the intent classifier and, when the text matches an immediate-danger signal
from knowledge/safety/emergency_signals.yml (see bot.emergency), sets the
intent to `emergency` with full confidence. Anything else is left untouched.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.emergency import EmergencySignals

EMERGENCY_INTENT = "emergency"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class EmergencyOverride(GraphComponent):
    """Overrides the intent with `emergency` when a danger signal matches."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"signals": "knowledge/safety/emergency_signals.yml"}

    def __init__(self, signals: EmergencySignals) -> None:
        self._signals = signals

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyOverride":
        return cls(EmergencySignals.from_file(Path(config["signals"])))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._override(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _override(self, message: Message) -> None:
        text: Optional[str] = message.get(TEXT)
        if not text or self._signals.detect(text) is None:
            return
        ranking = [{"name": EMERGENCY_INTENT, "confidence": 1.0}] + [
            entry
            for entry in message.get(INTENT_RANKING_KEY) or []
            if entry.get("name") != EMERGENCY_INTENT
        ]
        message.set(INTENT, {"name": EMERGENCY_INTENT, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
