"""Setting an intent deterministically in a parsed message, and reading its text."""
from __future__ import annotations

from collections.abc import Callable

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


def on_text(predicate: Callable[[str], bool]) -> Callable[[Message], bool]:
    """A predicate of a message's text, as a predicate of the message."""
    return lambda message: predicate(str(message.get(TEXT) or ""))


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
