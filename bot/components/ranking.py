"""Setting an intent deterministically in a parsed message."""
from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def promote(message: Message, intent: str) -> None:
    """Make `intent` the message's intent with full confidence and halve every
    other confidence in the ranking, so that no ambiguity check downstream can
    read the ranking as a tie."""
    ranking = [{"name": intent, "confidence": 1.0}] + [
        {**entry, "confidence": float(entry.get("confidence") or 0.0) / 2}
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get("name") != intent
    ]
    message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
